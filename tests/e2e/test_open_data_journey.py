"""Browser journey of someone who wants the data (no login): the catalog filtered by a domain,
downloaded as CSV and as Excel; the company directory filtered to SMEs as CSV; and the whole
programme as an OCDS release package, which validates against the OCDS 1.1 schema."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter

from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from tests.e2e.test_public_catalog import _api_total, _public_scenarios
from tests.opendata.ocds_schema import package_errors


def _download(page: Page, link_name: str) -> bytes:
    with page.expect_download() as info:
        page.get_by_role("link", name=link_name).first.click()
    path = info.value.path()
    with open(path, "rb") as f:
        return f.read()


def test_visitor_downloads_the_filtered_lists_and_the_open_data(page: Page, live_server):
    domain = Counter(s["domain"] for s in _public_scenarios()).most_common(1)[0][0]
    expected = _api_total(page, live_server, domain=domain)

    page.goto("/scenarios")
    page.get_by_label("领域").select_option(domain)
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"domain="))
    expect(page.locator(".result-count")).to_contain_text(f"共 {expected} 个场景")
    rows = list(csv.reader(io.StringIO(_download(page, "CSV").decode("utf-8-sig"))))
    assert rows[0][:2] == ["编号", "标题"] and len(rows) - 1 == expected
    assert {r[3] for r in rows[1:]} == {domain}
    sheet = load_workbook(io.BytesIO(_download(page, "Excel（XLSX）"))).active
    assert sheet.max_row - 1 == expected and sheet["B1"].value == "标题"

    package = json.loads(_download(page, "全部公开场景的开放合同数据（OCDS 1.1 发布包，JSON）"))
    assert package["releases"] and package_errors(package) == []
    tenders = {r["ocid"] for r in package["releases"]}
    assert len(tenders) == _api_total(page, live_server)  # one contracting process per public scenario

    page.goto("/companies")
    page.get_by_label("规模").select_option("sme")
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"size=sme"))
    companies = list(csv.reader(io.StringIO(_download(page, "CSV").decode("utf-8-sig"))))
    assert len(companies) > 1 and {r[2] for r in companies[1:]} == {"中小企业"}
    assert not any("@" in cell for row in companies for cell in row)
