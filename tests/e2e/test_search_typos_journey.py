"""Browser journey: search that forgives pinyin typing, on the catalog and the member directory.

A visitor types a homophone (数字挛生), a near homophone (扬层), pinyin (shuzi luansheng,
yangchen): each finds the scenario it means, or the page offers it ("您是不是要找"). The search
boxes suggest words as the visitor types (ARIA combobox), and the keyboard alone picks one.
Without JavaScript the corrected results are there all the same.
"""

from __future__ import annotations

import re
from urllib.parse import quote, quote_plus

from playwright.sync_api import Page, expect

from marketplace.demo.seed import demo_import_data


def _title(key: str) -> str:
    return next(s["title"] for s in demo_import_data()["scenarios"] if s["key"] == key)


TWIN = _title("sc-digital-twin-park")  # 数字孪生园区底座建设
DUST = _title("sc-construction-dust")  # 建筑工地扬尘智能监管


def _search(page: Page, typed: str) -> None:
    """Type as a visitor does (no Enter: the results follow the typing)."""
    box = page.get_by_label("搜索场景")
    box.fill("")
    box.press_sequentially(typed, delay=40)
    encoded = "(" + re.escape(quote_plus(typed)) + "|" + re.escape(quote(typed)) + ")"
    expect(page).to_have_url(re.compile(r"[?&]q=" + encoded + r"(&|$)"))
    expect(page.locator("#search-busy")).to_be_hidden()


def _found_or_offered(page: Page, title: str, word: str) -> None:
    titles = page.locator("article.scenario-card .card-title a")
    offered = page.locator(".did-you-mean a", has_text=word)
    expect(titles.filter(has_text=title).or_(offered).first).to_be_visible()


def test_typos_of_a_pinyin_keyboard_find_their_scenario(page: Page, live_server):
    page.goto("/scenarios")
    expect(page.locator(".result-count")).to_contain_text("个场景")

    _search(page, "数字挛生")  # 挛 for 孪: same sound
    expect(page.locator(".search-correction")).to_contain_text("以下是“数字孪生”的结果")
    expect(page.locator("article.scenario-card .card-title a").first).to_have_text(TWIN)
    expect(page.locator("article.scenario-card .card-title a mark").first).to_have_text("数字孪生")

    _search(page, "扬层")  # ceng for chen
    _found_or_offered(page, DUST, "扬尘")
    expect(page.locator("article.scenario-card .card-title a", has_text=DUST)).to_be_visible()

    _search(page, "shuzi luansheng")
    _found_or_offered(page, TWIN, "数字孪生")
    expect(page.locator("article.scenario-card .card-title a", has_text=TWIN)).to_be_visible()

    _search(page, "yangchen")
    _found_or_offered(page, DUST, "扬尘")
    expect(page.locator("article.scenario-card .card-title a", has_text=DUST)).to_be_visible()
    expect(page.locator(".search-notice")).to_have_count(0)  # Meilisearch answered throughout


def test_suggestions_as_you_type_are_a_keyboard_combobox(page: Page, live_server):
    page.goto("/scenarios")
    box = page.get_by_role("combobox", name="搜索场景")
    box.press_sequentially("shuz", delay=60)
    listbox = page.get_by_role("listbox", name="搜索提示")
    expect(listbox).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    first = listbox.get_by_role("option").first
    expect(first).to_contain_text("数字孪生")
    expect(page.get_by_role("status").filter(has_text="条搜索提示")).to_have_count(1)

    box.press("ArrowDown")
    expect(first).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", first.get_attribute("id") or "")
    box.press("Enter")
    expect(box).to_have_value("数字孪生")
    expect(listbox).to_be_hidden()
    expect(page).to_have_url(re.compile(r"q=%E6%95%B0%E5%AD%97%E5%AD%AA%E7%94%9F"))
    expect(page.locator("article.scenario-card .card-title a").first).to_have_text(TWIN)

    # A homophone is suggested too, and Escape closes the list without searching for it.
    box.fill("")
    box.press_sequentially("扬层", delay=60)
    expect(listbox.get_by_role("option").filter(has_text="扬尘").first).to_be_visible()
    box.press("Escape")
    expect(listbox).to_be_hidden()
    expect(box).to_have_value("扬层")


def test_the_company_directory_suggests_names_and_words(page: Page, live_server):
    company = next(c for c in demo_import_data()["companies"] if c.get("status", "approved") == "approved")
    page.goto("/companies")
    box = page.get_by_role("combobox", name="搜索企业")
    box.press_sequentially(company["name"][:2], delay=60)
    listbox = page.get_by_role("listbox", name="搜索提示")
    option = listbox.get_by_role("option").filter(has_text=company["name"]).first
    expect(option).to_be_visible()
    expect(option).to_contain_text("企业")
    option.click()
    expect(page).to_have_url(re.compile(r"/companies\?q="))
    expect(box).to_have_value(company["name"])
    expect(page.locator(".company-card .card-title a", has_text=company["name"]).first).to_be_visible()


def test_without_javascript_the_corrected_results_are_there(browser, live_server):
    context = browser.new_context(locale="zh-CN", base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/scenarios")
        page.get_by_label("搜索场景").fill("数字挛生")
        page.get_by_role("button", name="搜索").click()
        expect(page.locator(".search-correction")).to_contain_text("以下是“数字孪生”的结果")
        expect(page.locator("article.scenario-card .card-title a").first).to_have_text(TWIN)
    finally:
        context.close()
