"""CSV and XLSX downloads of the public lists, with the list page's filters and public fields
only; the list pages link to them with their current filters."""

from __future__ import annotations

import csv
import datetime as dt
import io

from openpyxl import load_workbook

from marketplace.core import clock
from tests.evaluation.helpers import NOW
from tests.factories import make_company, make_scenario


async def _catalog():
    clock.set_now(NOW)
    for title, domain in (("热线语音转写", "一网通办"), ("河道巡查", "一网统管")):
        await make_scenario(
            "open",
            public_status="open",
            opened_at=NOW,
            proposal_deadline=NOW + dt.timedelta(days=9),
            title=title,
            domain=domain,
            budget_max=300_000,
        )
    await make_scenario("draft", title="内部草稿", domain="一网统管")
    await make_company(name="大型数据集团", size="large", contact_email="secret@example.com", location="苏州")
    await make_company(name="小微科技", size="sme", location="园区")
    await make_company(name="待审企业", status="pending")


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


async def test_the_scenario_list_downloads_with_its_filters(db, client):
    await _catalog()
    page = (await client.get("/scenarios", params={"domain": "一网统管"})).text
    assert (
        'href="/downloads/scenarios.csv?domain=' in page and 'href="/downloads/scenarios.xlsx?domain=' in page
    )
    rows = _csv(await client.get("/downloads/scenarios.csv", params={"domain": "一网统管"}))
    assert rows[0][:2] == ["编号", "标题"] and [r[1] for r in rows[1:]] == ["河道巡查"]
    assert (
        rows[1][5] == "征集中" and rows[1][8] == "300000" and rows[1][-1].endswith(f"/scenarios/{rows[1][0]}")
    )
    everything = _csv(await client.get("/downloads/scenarios.csv"))
    assert sorted(r[1] for r in everything[1:]) == ["河道巡查", "热线语音转写"]  # no draft
    xlsx = await client.get("/downloads/scenarios.xlsx", params={"domain": "一网统管"})
    assert xlsx.status_code == 200 and "attachment" in xlsx.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert [c.value for c in sheet[2]][1] == "河道巡查" and sheet.max_row == 2


async def test_the_company_directory_downloads_public_fields_only(db, client):
    await _catalog()
    page = (await client.get("/companies", params={"size": "sme"})).text
    assert 'href="/downloads/companies.csv?size=sme"' in page
    rows = _csv(await client.get("/downloads/companies.csv", params={"size": "sme"}))
    assert [r[1] for r in rows[1:]] == ["小微科技"] and rows[1][2] == "中小企业"
    whole = (await client.get("/downloads/companies.xlsx")).content
    sheet = load_workbook(io.BytesIO(whole)).active
    names = {row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert names == {"大型数据集团", "小微科技"}
    assert b"secret@example.com" not in (await client.get("/downloads/companies.csv")).content


async def test_bad_filters_are_refused_in_chinese(db, client):
    for path, params in (
        ("/downloads/scenarios.csv", {"domain": "不存在"}),
        ("/downloads/companies.xlsx", {"size": "huge"}),
    ):
        response = await client.get(path, params=params)
        assert response.status_code == 400 and "text/plain" in response.headers["content-type"]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in response.text)
