"""A sealed scenario's proposals stay invisible to staff (and admins) before the deadline through
every route: the staff list page, the detail page, the attachment download, the CSV export, the
proposal search API (database fallback here; Meilisearch in tests/search) and the proposals API.
At the deadline they appear everywhere at once. The submitting companies see theirs all along."""

from __future__ import annotations

import datetime as dt

import pytest

from marketplace.core import clock
from tests.accounts.helpers import bearer, sign_in
from tests.proposals.staff_world import PDF, make_staff_world


@pytest.fixture
async def world(db):
    return await make_staff_world()


async def _as(client, world, role):
    client.cookies.clear()
    await sign_in(client, world["users"][role])


async def _page_routes(client, w) -> dict[str, int]:
    """Status of each staff page route for the sealed proposal."""
    sid, pid = w["sealed"], w["p_sealed"]
    return {
        "detail": (await client.get(f"/staff/proposals/{pid}")).status_code,
        "attachment": (await client.get(f"/staff/proposals/{pid}/attachments/{w['att']}")).status_code,
        "csv": (await client.get(f"/staff/scenarios/{sid}/proposals.csv")).status_code,
    }


async def _api_ids(client, headers) -> tuple[set[int], set[int]]:
    listed = await client.get("/api/v1/proposals", params={"page_size": 100}, headers=headers)
    assert listed.status_code == 200, listed.text
    found = await client.get("/api/v1/search/proposals", params={"page_size": 100}, headers=headers)
    assert found.status_code == 200, found.text
    return {p["id"] for p in listed.json()["items"]}, {p["id"] for p in found.json()["items"]}


@pytest.mark.parametrize("role", ["staff_x", "evaluator_x", "admin"])
async def test_sealed_before_the_deadline_on_every_staff_route(client, world, role):
    w = world
    clock.set_now(w["deadline"] - dt.timedelta(seconds=1))
    await _as(client, w, role)
    page = await client.get(f"/staff/scenarios/{w['sealed']}/proposals")
    assert page.status_code == 200
    assert "本场景为密封征集，截止前不可查看方案" in page.text
    assert "SYQ-2026-000101" not in page.text and "金鸡湖数字集团" not in page.text
    assert await _page_routes(client, w) == {"detail": 404, "attachment": 404, "csv": 409}
    refused = await client.get(f"/staff/scenarios/{w['sealed']}/proposals.csv")
    assert "密封征集" in refused.text and "SYQ-2026-000101" not in refused.text
    headers = await bearer(w["users"][role])
    listed, found = await _api_ids(client, headers)
    assert w["p_sealed"] not in listed and w["p_sealed"] not in found
    assert w["p_open"] in listed and w["p_open"] in found  # not sealed: read-only before the deadline
    detail = await client.get(f"/api/v1/proposals/{w['p_sealed']}", headers=headers)
    assert detail.status_code == 404
    versions = await client.get(f"/api/v1/proposals/{w['p_sealed']}/versions", headers=headers)
    assert versions.status_code == 404


@pytest.mark.parametrize("role", ["staff_x", "evaluator_x", "admin"])
async def test_visible_everywhere_from_the_deadline(client, world, role):
    w = world
    clock.set_now(w["deadline"])
    await _as(client, w, role)
    page = await client.get(f"/staff/scenarios/{w['sealed']}/proposals")
    assert "密封征集，截止前" not in page.text
    assert "SYQ-2026-000101" in page.text and "金鸡湖数字集团" in page.text
    assert await _page_routes(client, w) == {"detail": 200, "attachment": 200, "csv": 200}
    download = await client.get(f"/staff/proposals/{w['p_sealed']}/attachments/{w['att']}")
    assert download.content == PDF
    headers = await bearer(w["users"][role])
    listed, found = await _api_ids(client, headers)
    assert w["p_sealed"] in listed and w["p_sealed"] in found
    assert (await client.get(f"/api/v1/proposals/{w['p_sealed']}", headers=headers)).status_code == 200


async def test_other_departments_never_see_it(client, world):
    w = world
    clock.set_now(w["deadline"] + dt.timedelta(days=30))
    await _as(client, w, "staff_y")
    assert (await client.get(f"/staff/scenarios/{w['sealed']}/proposals")).status_code == 404
    assert await _page_routes(client, w) == {"detail": 404, "attachment": 404, "csv": 404}
    headers = await bearer(w["users"]["staff_y"])
    listed, found = await _api_ids(client, headers)
    assert listed == found == {w["p_other"]}
    assert (await client.get(f"/api/v1/proposals/{w['p_sealed']}", headers=headers)).status_code == 404


async def test_the_consortium_sees_its_sealed_proposal_before_the_deadline(client, world):
    w = world
    clock.set_now(w["deadline"] - dt.timedelta(hours=1))
    for role in ("lead", "sme"):
        headers = await bearer(w["users"][role])
        response = await client.get(f"/api/v1/proposals/{w['p_sealed']}", headers=headers)
        assert response.status_code == 200, (role, response.text)
        listed = await client.get("/api/v1/proposals", headers=headers)
        assert w["p_sealed"] in {p["id"] for p in listed.json()["items"]}
    outsider = await bearer(w["users"]["outsider"])
    assert (await client.get(f"/api/v1/proposals/{w['p_sealed']}", headers=outsider)).status_code == 404
    # members never use the staff routes or the staff search
    await _as(client, w, "lead")
    assert (await client.get(f"/staff/proposals/{w['p_sealed']}")).status_code == 403
    assert (await client.get("/api/v1/search/proposals", headers=outsider)).status_code == 403


async def test_drafts_are_never_shown_to_staff(client, world):
    w = world
    clock.set_now(w["deadline"] + dt.timedelta(days=1))
    await _as(client, w, "staff_x")
    assert (await client.get(f"/staff/proposals/{w['p_draft']}")).status_code == 404
    page = await client.get(f"/staff/scenarios/{w['open']}/proposals")
    assert "SYQ-2026-000102" in page.text and "热线草稿" not in page.text
    csv_text = (await client.get(f"/staff/scenarios/{w['sealed']}/proposals.csv")).content.decode("utf-8-sig")
    assert csv_text.count("\r\n") == 2  # header and the one submitted proposal, not the draft
    headers = await bearer(w["users"]["admin"])
    listed, found = await _api_ids(client, headers)
    assert w["p_draft"] not in listed | found
    assert (await client.get(f"/api/v1/proposals/{w['p_draft']}", headers=headers)).status_code == 404
