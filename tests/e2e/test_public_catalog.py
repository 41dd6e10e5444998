"""Browser journey of a company visitor (no login): home -> catalog -> domain filter -> detail.

Runs against a real ``marketplace serve`` process seeded with the demo data (``live_server``);
expectations are read from the demo file.
"""

from __future__ import annotations

import re
from collections import Counter

from playwright.sync_api import Page, expect

from marketplace.demo.seed import demo_import_data

PRIVATE_STATUSES = {"draft", "in_review", "changes_requested"}


def _public_scenarios() -> list[dict]:
    return [s for s in demo_import_data()["scenarios"] if s.get("status", "open") not in PRIVATE_STATUSES]


def test_visitor_browses_by_domain_and_opens_a_scenario(page: Page, live_server):
    public = _public_scenarios()
    open_count = sum(1 for s in public if s.get("status", "open") == "open")
    domain, domain_count = Counter(s["domain"] for s in public).most_common(1)[0]

    # Home: Chinese content and live counts.
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("heading", level=1)).to_contain_text("数园区")
    expect(page.get_by_text("四个“一网”领域")).to_be_visible()
    stat = page.locator(".stat").filter(has_text="正在征集的场景")
    expect(stat.locator(".stat-num")).to_have_text(str(open_count))
    expect(page.locator(".stat").filter(has_text="已公开场景").locator(".stat-num")).to_have_text(str(len(public)))

    # To the catalog through the main navigation.
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="场景", exact=True).click()
    expect(page).to_have_url(re.compile(r"/scenarios$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("应用场景")
    expect(page.locator(".result-count")).to_contain_text(f"共 {len(public)} 个场景")

    # Filter by one domain with the form.
    page.get_by_label("领域").select_option(domain)
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"domain="))
    expect(page.locator(".result-count")).to_contain_text(f"共 {domain_count} 个场景")
    expect(page.get_by_label("领域")).to_have_value(domain)
    expect(page.locator("a.chip").filter(has_text=f"领域：{domain}")).to_be_visible()
    tags = page.locator("article.scenario-card .domain-tag").all_inner_texts()
    assert tags and all(t.strip() == domain for t in tags)

    # Open the first scenario: its title and evaluation criteria.
    first = page.locator("article.scenario-card .card-title a").first
    title = first.inner_text().strip()
    first.click()
    expect(page).to_have_url(re.compile(r"/scenarios/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_role("heading", name="评审标准")).to_be_visible()
    rows = page.locator("table.criteria-table tbody tr")
    expect(rows.first).to_be_visible()
    weights = [int(w.rstrip("%")) for w in rows.locator(".weight-value").all_inner_texts()]
    assert sum(weights) == 100
    scenario = next(s for s in public if s["title"] == title)
    if scenario.get("criteria"):
        expect(rows.first.locator("th")).to_have_text(scenario["criteria"][0]["name"])

    # Back to the list via the breadcrumb keeps working.
    page.get_by_role("navigation", name="当前位置").get_by_role("link", name="应用场景").click()
    expect(page).to_have_url(re.compile(r"/scenarios$"))
