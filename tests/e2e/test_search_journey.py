"""Browser journey: a visitor types a Chinese query on the catalog page and the results update as
they type (htmx from the npm install), with the matches highlighted; filters combine with it.

The live server runs ``marketplace serve`` with its managed Meilisearch, seeded with the demo data.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from marketplace.demo.seed import demo_import_data

PRIVATE_STATUSES = {"draft", "in_review", "changes_requested"}


def _public() -> list[dict]:
    return [s for s in demo_import_data()["scenarios"] if s.get("status", "open") not in PRIVATE_STATUSES]


def test_visitor_searches_as_they_type_and_sees_highlights(page: Page, live_server):
    twin = next(s for s in _public() if "孪生" in s["title"])
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    page.goto("/scenarios")
    expect(page.locator(".result-count")).to_contain_text("个场景")  # other journeys may add some
    box = page.get_by_label("搜索场景")
    box.press_sequentially("孪生", delay=80)  # no Enter: the list follows the typing

    expect(page).to_have_url(re.compile(r"[?&]q=%E5%AD%AA%E7%94%9F"))
    # The scenario with 孪生 in its title comes first (others mention it further down the text).
    title = page.locator("article.scenario-card .card-title a").first
    expect(title).to_have_text(twin["title"])
    expect(title.locator("mark")).to_have_text("孪生")
    count = int(re.search(r"共 (\d+) 个场景", page.locator(".result-count").inner_text()).group(1))
    assert 1 <= count < 10
    expect(box).to_be_focused()  # the box was not replaced while typing
    expect(page.locator(".search-notice")).to_have_count(0)

    # Change the query: 12345热线 (one word of the programme, kept whole)
    box.fill("")
    box.press_sequentially("12345热线", delay=60)
    expect(page).to_have_url(re.compile(r"q=12345%E7%83%AD%E7%BA%BF"))
    marks = page.locator("article.scenario-card mark")
    expect(marks.first).to_have_text(re.compile(r"^(12345热线|12345|热线)$"))
    expect(page.locator("article.scenario-card .card-title a").first).to_contain_text("12345")

    # A filter combines with the query, and the facet counts sit beside the options.
    hotline = next(s for s in _public() if "12345" in s["title"])
    domain_option = page.locator(f"#f-domain option[value='{hotline['domain']}']")
    expect(domain_option).to_contain_text(re.compile(r"（[1-9]\d*）"))
    page.get_by_label("领域").select_option(hotline["domain"])
    expect(page).to_have_url(re.compile(r"domain=%E4%B8%80%E7%BD%91"))
    tags = page.locator("article.scenario-card .domain-tag")
    expect(tags.first).to_have_text(hotline["domain"])
    assert all(t.strip() == hotline["domain"] for t in tags.all_inner_texts())

    # Reloading the pushed URL gives the same page without JavaScript's help.
    page.reload()
    expect(page.get_by_label("搜索场景")).to_have_value("12345热线")
    expect(page.get_by_label("领域")).to_have_value(hotline["domain"])
    expect(page.locator("article.scenario-card .card-title a").first).to_have_text(hotline["title"])
    assert not [e for e in errors if "Content Security Policy" in e], errors


def test_search_without_javascript_submits_the_form(browser, live_server):
    context = browser.new_context(locale="zh-CN", base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/scenarios")
        page.get_by_label("搜索场景").fill("网格")
        page.get_by_role("button", name="搜索").click()
        expect(page).to_have_url(re.compile(r"q=%E7%BD%91%E6%A0%BC"))
        expect(page.locator("article.scenario-card mark").first).to_have_text("网格")
    finally:
        context.close()
