"""Browser journey of a company visitor (no login): home -> catalog -> domain filter -> detail.

Runs against a real ``marketplace serve`` process seeded with the demo data (``live_server``).
Other journeys on the same server add scenarios (an evaluated one becomes public), so the counts
are read from the JSON API at the time of the test; the domain and criteria come from the demo file.
"""

from __future__ import annotations

import re
from collections import Counter

from playwright.sync_api import Page, expect

from marketplace.demo.seed import demo_import_data

PRIVATE_STATUSES = {"draft", "in_review", "changes_requested"}


def _public_scenarios() -> list[dict]:
    return [s for s in demo_import_data()["scenarios"] if s.get("status", "open") not in PRIVATE_STATUSES]


def _api_total(page: Page, live_server: str, **params) -> int:
    response = page.request.get(f"{live_server}/api/v1/scenarios", params={"page_size": 1, **params})
    assert response.ok, response.text()
    return response.json()["total"]


def test_visitor_browses_by_domain_and_opens_a_scenario(page: Page, live_server):
    public = _public_scenarios()
    domain = Counter(s["domain"] for s in public).most_common(1)[0][0]
    public_count, open_count = _api_total(page, live_server), _api_total(page, live_server, status="open")
    domain_count = _api_total(page, live_server, domain=domain)
    assert public_count >= len(public) and domain_count >= 1  # the demo data at least

    # Home: Chinese content and live counts.
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("heading", level=1)).to_contain_text("数园区")
    expect(page.get_by_text("四个“一网”领域")).to_be_visible()
    stat = page.locator(".stat").filter(has_text="正在征集的场景")
    expect(stat.locator(".stat-num")).to_have_text(str(open_count))
    expect(page.locator(".stat").filter(has_text="已公开场景").locator(".stat-num")).to_have_text(
        str(public_count)
    )

    # To the catalog through the main navigation.
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="场景", exact=True).click()
    expect(page).to_have_url(re.compile(r"/scenarios$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("应用场景")
    expect(page.locator(".result-count")).to_contain_text(f"共 {public_count} 个场景")

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
    scenario = next((s for s in public if s["title"] == title), {})  # {}: added by another journey
    if scenario.get("criteria"):
        expect(rows.first.locator("th")).to_have_text(scenario["criteria"][0]["name"])

    # Back to the list via the breadcrumb keeps working.
    page.get_by_role("navigation", name="当前位置").get_by_role("link", name="应用场景").click()
    expect(page).to_have_url(re.compile(r"/scenarios$"))
