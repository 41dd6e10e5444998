"""Staff pages of proposals: what a bureau officer reads on the list, the detail page with the
final version and its history, the attachment download and the CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from marketplace.companies.tables import Company
from marketplace.core import clock
from marketplace.proposals.tables import Proposal, ProposalVersion
from tests.accounts.helpers import sign_in
from tests.proposals.staff_world import PDF, make_staff_world


@pytest.fixture
async def world(db):
    w = await make_staff_world()
    clock.set_now(w["deadline"] + dt.timedelta(hours=1))
    return w


async def _csv(client, scenario_id) -> tuple[dict, list[list[str]]]:
    response = await client.get(f"/staff/scenarios/{scenario_id}/proposals.csv")
    assert response.status_code == 200, response.text
    assert response.content.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    return response.headers, list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


async def test_the_list_shows_number_lead_consortium_with_sme_badges_time_version_and_status(client, world):
    w = world
    await Proposal.update({Proposal.needs_confirmation: True}).where(Proposal.id == w["p_sealed"])
    await sign_in(client, w["users"]["staff_x"])
    page = await client.get(f"/staff/scenarios/{w['sealed']}/proposals")
    assert page.status_code == 200
    text = page.text
    assert "SYQ-2026-000101" in text and f'href="/staff/proposals/{w["p_sealed"]}"' in text
    assert "金鸡湖数字集团" in text and "大型企业" in text
    assert "星湖小微科技" in text and "中小企业" in text and "40%" in text
    assert "第 2 版" in text and "已提交" in text and "待企业重新确认" in text
    assert "2026-06-01 10:00" in text  # submitted_at in park time
    assert f'href="/staff/scenarios/{w["sealed"]}/proposals.csv"' in text


async def test_a_withdrawn_proposal_is_listed_and_marked(client, world):
    w = world
    await Proposal.update({Proposal.status: "withdrawn", Proposal.withdrawn_at: clock.now()}).where(
        Proposal.id == w["p_open"]
    )
    await sign_in(client, w["users"]["staff_x"])
    assert "已撤回" in (await client.get(f"/staff/scenarios/{w['open']}/proposals")).text
    detail = await client.get(f"/staff/proposals/{w['p_open']}")
    assert "该方案已由企业撤回" in detail.text


async def test_the_detail_shows_the_final_version_history_and_an_older_version(client, world):
    w = world
    await sign_in(client, w["users"]["staff_x"])
    page = await client.get(f"/staff/proposals/{w['p_sealed']}")
    assert page.status_code == 200
    text = page.text
    assert "密封方案终稿：数据治理一体化" in text and "第 2 版，最终版" in text
    hashes = [
        r["content_hash"]
        for r in await ProposalVersion.select(ProposalVersion.content_hash)
        .where(ProposalVersion.proposal == w["p_sealed"])
        .order_by(ProposalVersion.version)
    ]
    assert all(h in text for h in hashes)
    assert f'href="/staff/proposals/{w["p_sealed"]}?version=1"' in text
    assert "星湖小微科技" in text and "工作份额 40%" in text and "（牵头）" in text
    assert (
        f'href="/staff/proposals/{w["p_sealed"]}/attachments/{w["att"]}"' in text and "技术方案.pdf" in text
    )
    older = await client.get(f"/staff/proposals/{w['p_sealed']}", params={"version": 1})
    assert "密封方案初稿" in older.text and "这是历史版本" in older.text
    assert "密封方案终稿" not in older.text.split("方案内容")[1]
    assert (await client.get(f"/staff/proposals/{w['p_sealed']}", params={"version": 9})).status_code == 404
    assert (await client.get(f"/staff/proposals/{w['p_sealed']}", params={"version": "x"})).status_code == 404


async def test_the_attachment_downloads_as_a_private_file(client, world):
    w = world
    await sign_in(client, w["users"]["staff_x"])
    response = await client.get(f"/staff/proposals/{w['p_sealed']}/attachments/{w['att']}")
    assert response.status_code == 200 and response.content == PDF
    assert response.headers["content-type"].startswith("application/pdf")
    assert response.headers["content-disposition"].startswith("attachment")
    assert "no-store" in response.headers["cache-control"]
    # an attachment id of another proposal under this proposal's path: not found
    assert (await client.get(f"/staff/proposals/{w['p_open']}/attachments/{w['att']}")).status_code == 404


async def test_the_csv_lists_the_visible_proposals_for_excel(client, world):
    w = world
    await sign_in(client, w["users"]["staff_x"])
    headers, rows = await _csv(client, w["sealed"])
    assert headers["content-disposition"].startswith('attachment; filename="scenario-')
    assert rows[0][:4] == ["方案编号", "牵头企业", "牵头企业规模", "联合体成员"]
    assert len(rows) == 2  # the draft of this scenario is not there
    row = dict(zip(rows[0], rows[1], strict=False))
    assert row["方案编号"] == "SYQ-2026-000101" and row["牵头企业"] == "金鸡湖数字集团"
    assert row["联合体成员"] == "星湖小微科技（中小企业，成员单位，40%）"
    assert row["中小企业数"] == "1" and row["版本"] == "2" and row["状态"] == "已提交"
    assert row["提交时间"] == "2026-06-01 10:00"  # park time


async def test_csv_cells_never_start_a_formula(client, world):
    w = world
    await Company.update({Company.name: '=HYPERLINK("http://x")'}).where(Company.id == w["solo"])
    await sign_in(client, w["users"]["staff_x"])
    _, rows = await _csv(client, w["open"])
    assert rows[1][1] == '\'=HYPERLINK("http://x")'


async def test_admins_read_every_department_and_staff_only_their_own(client, world):
    w = world
    await sign_in(client, w["users"]["admin"])
    assert (await client.get(f"/staff/scenarios/{w['other']}/proposals")).status_code == 200
    assert (await client.get(f"/staff/proposals/{w['p_other']}")).status_code == 200
    client.cookies.clear()
    await sign_in(client, w["users"]["staff_x"])
    for path in (
        f"/staff/scenarios/{w['other']}/proposals",
        f"/staff/scenarios/{w['other']}/proposals.csv",
        f"/staff/proposals/{w['p_other']}",
        "/staff/scenarios/999999/proposals",
        "/staff/proposals/999999",
    ):
        response = await client.get(path)
        assert response.status_code == 404, path
    assert (await client.get("/staff/proposals/99999999999")).status_code == 404  # out of range id


async def test_the_staff_scenario_page_links_to_the_proposals(client, world):
    w = world
    await sign_in(client, w["users"]["staff_x"])
    page = await client.get(f"/staff/scenarios/{w['sealed']}")
    assert f'href="/staff/scenarios/{w["sealed"]}/proposals"' in page.text
