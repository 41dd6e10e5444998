"""On a phone (390x844): the header folds behind a 菜单 button, the catalog shows its search box and
first results on the first screen with the filters behind a button that counts the active ones,
wide staff tables scroll inside their own region that the keyboard can reach, and the disabled
pagination item is readable (issue 16, mobile and defect 12). Without JavaScript the menus and
filters simply stay open."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e import page_walker
from tests.e2e.signin import demo_password, sign_in

PHONE = {"width": 390, "height": 844}


def _axe(page: Page, rules: list[str], selector: str | None = None) -> list[dict]:
    """Violations of the given axe-core rules (every impact), in ``selector`` or the page."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(page_walker.axe_init_script())  # through the devtools protocol: no CSP
    return page.evaluate(
        """async ([rules, selector]) => {
          const result = await axe.run(selector ? document.querySelectorAll(selector) : document,
            {runOnly: {type: "rule", values: rules}, resultTypes: ["violations"]});
          return result.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.html)}));
        }""",
        [rules, selector],
    )


def test_phone_catalog_puts_search_and_results_on_the_first_screen(page: Page):
    page.set_viewport_size(PHONE)
    page.goto("/scenarios")
    header = page.locator(".site-header").bounding_box()
    assert header and header["height"] <= 80
    # The menus are folded: the 主导航 links are not shown until the 菜单 button opens them.
    menu = page.get_by_role("button", name="菜单")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_role("navigation", name="主导航")).to_be_hidden()

    search = page.get_by_role("combobox", name="搜索场景")
    expect(search).to_be_visible()
    first_result = page.locator(".result-list > li").first
    for element in (search, first_result):
        box = element.bounding_box()
        assert box and box["y"] + 40 < PHONE["height"], box  # starts on the first screen

    # The filters wait behind a button; opening it shows them, choosing one counts it.
    filters = page.get_by_role("button", name=re.compile("^筛选条件"))
    expect(filters).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_label("领域")).to_be_hidden()
    filters.click()
    expect(filters).to_have_attribute("aria-expanded", "true")
    page.get_by_label("领域").select_option(index=1)
    expect(filters).to_have_text(re.compile(r"已选 1 项"))
    expect(page).to_have_url(re.compile(r"domain="))

    # A link with two filters comes back with the count, the filters still folded.
    page.goto("/scenarios?status=open&deadline=30d")
    expect(page.get_by_role("button", name=re.compile("^筛选条件"))).to_have_text(re.compile(r"已选 2 项"))
    expect(page.get_by_label("状态")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_phone_menu_opens_closes_and_escape_returns_focus(page: Page):
    page.set_viewport_size(PHONE)
    page.goto("/")
    menu = page.get_by_role("button", name="菜单")
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    nav = page.get_by_role("navigation", name="主导航")
    expect(nav.get_by_role("link", name="场景", exact=True)).to_be_visible()
    expect(page.get_by_role("navigation", name="账号").get_by_role("link", name="登录")).to_be_visible()
    nav.get_by_role("link", name="场景", exact=True).focus()
    page.keyboard.press("Escape")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_focused()
    expect(nav).to_be_hidden()
    # Wider screens show the menus and no button.
    page.set_viewport_size({"width": 1366, "height": 900})
    expect(menu).to_be_hidden()
    expect(nav.get_by_role("link", name="场景", exact=True)).to_be_visible()


def test_phone_directory_keeps_the_search_box_and_folds_the_filters(page: Page):
    page.set_viewport_size(PHONE)
    page.goto("/companies?size=sme")
    search = page.get_by_role("combobox", name="搜索企业")
    box = search.bounding_box()
    assert box and box["y"] + box["height"] < PHONE["height"]
    filters = page.get_by_role("button", name=re.compile("^筛选条件"))
    expect(filters).to_have_text(re.compile(r"已选 1 项"))
    expect(page.get_by_label("企业规模")).to_be_hidden()
    filters.click()
    expect(page.get_by_label("企业规模")).to_be_visible()


def test_without_javascript_the_menus_and_filters_stay_open(browser, live_server):
    context = browser.new_context(
        java_script_enabled=False, viewport=PHONE, locale="zh-CN", base_url=live_server.url
    )
    try:
        page = context.new_page()
        page.goto("/scenarios")
        expect(
            page.get_by_role("navigation", name="主导航").get_by_role("link", name="场景", exact=True)
        ).to_be_visible()
        expect(page.get_by_role("button", name="菜单")).to_have_count(
            0
        )  # hidden: not in the accessibility tree
        expect(page.get_by_label("领域")).to_be_visible()
        expect(page.get_by_role("searchbox", name="搜索场景")).to_be_visible()
    finally:
        context.close()


def test_disabled_pagination_item_is_readable(page: Page):
    for path in ("/scenarios", "/companies"):
        page.goto(path)
        expect(page.locator(".pagination .page-disabled")).to_have_text("上一页")
        assert _axe(page, ["color-contrast"], ".pagination") == [], path


def test_ranking_table_scrolls_inside_a_region_the_keyboard_reaches(page: Page, live_server):
    sign_in(page, "staff@example.com", demo_password(live_server), expect_signed_in=True)
    page.goto("/staff/evaluations")
    scoring = [a.get_attribute("href") for a in page.locator("main a[href$='/evaluation/score']").all()]
    region = page.get_by_role("region", name="方案排名表格")
    for href in scoring:  # the decision page of the first evaluation with a ranking
        page.goto(href.replace("/evaluation/score", "/decision"))
        if region.count():
            break
    page.set_viewport_size(PHONE)
    expect(region).to_have_attribute("tabindex", "0")
    assert region.evaluate("el => el.scrollWidth > el.clientWidth"), (
        "the ranking should be wider than a phone"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # the page itself does not
    region.focus()
    expect(region).to_be_focused()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    # Arrow keys scroll the focused region sideways (the browser may animate it: wait for it).
    page.wait_for_function("el => el.scrollLeft > 0", arg=region.element_handle())
    assert _axe(page, ["scrollable-region-focusable"]) == []


def test_audit_log_has_no_region_the_keyboard_cannot_reach(page: Page, live_server):
    sign_in(page, "admin@example.com", demo_password(live_server), expect_signed_in=True)
    page.goto("/admin/audit")
    for viewport in ({"width": 1366, "height": 900}, PHONE):
        page.set_viewport_size(viewport)
        assert _axe(page, ["scrollable-region-focusable"]) == [], viewport
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
