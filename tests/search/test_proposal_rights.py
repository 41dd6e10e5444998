"""Staff proposal search: every query filtered on the server by the caller's rights (own
department only, sealed scenarios hidden until the deadline; admins see all; others refused),
through Meilisearch and through the database fallback alike."""

from __future__ import annotations

import datetime as dt

import pytest

from marketplace.core import clock
from marketplace.core.outbox import enqueue
from marketplace.proposals.tables import Proposal
from marketplace.search.client import SearchEngine
from marketplace.search.server import free_port
from tests.accounts.helpers import bearer, make_user
from tests.factories import make_company, make_department, make_scenario
from tests.search.conftest import app_for, search_config, sync

import httpx

URL = "/api/v1/search/proposals"


async def _proposal(scenario: int, company: int, summary: str, status: str = "submitted") -> int:
    row = Proposal(scenario=scenario, company=company, status=status, summary=summary,
                   number=f"P-{scenario}-{company}-{status}", submitted_at=clock.now())
    await row.save()
    await enqueue("proposal", row.id)
    return row.id


@pytest.fixture
async def world(db):
    dept_x = await make_department(key="dept-x", name="部门X")
    dept_y = await make_department(key="dept-y", name="部门Y")
    company = await make_company(name="甲公司")
    other = await make_company(name="乙公司")
    future = clock.now() + dt.timedelta(days=10)
    open_x = await make_scenario("open", department=dept_x, title="X 部门的场景",
                                 proposal_deadline=future)
    sealed_x = await make_scenario("open", department=dept_x, title="X 部门的密封场景", sealed=True,
                                   proposal_deadline=future)
    open_y = await make_scenario("open", department=dept_y, title="Y 部门的场景", proposal_deadline=future)
    ids = {
        "x": await _proposal(open_x, company, "数字孪生方案甲"),
        "x_sealed": await _proposal(sealed_x, company, "数字孪生方案乙"),
        "y": await _proposal(open_y, company, "数字孪生方案丙"),
        "x_draft": await _proposal(open_x, other, "数字孪生草稿", status="draft"),
    }
    users = {
        "staff_x": await bearer(await make_user("x@example.com", role="staff", department=dept_x)),
        "staff_y": await bearer(await make_user("y@example.com", role="staff", department=dept_y)),
        "admin": await bearer(await make_user("admin@example.com", role="admin")),
        "member": await bearer(await make_user("m@example.com", company=company)),
    }
    return ids, users


async def _found(client, headers, **params) -> set[int]:
    response = await client.get(URL, params={"q": "孪生", **params}, headers=headers)
    assert response.status_code == 200, response.text
    return {i["id"] for i in response.json()["items"]}


async def test_staff_see_their_departments_proposals_only(search_client, engine, world):
    ids, users = world
    await sync(engine)
    assert await _found(search_client, users["staff_x"]) == {ids["x"]}  # not sealed, not Y's, no draft
    assert await _found(search_client, users["staff_y"]) == {ids["y"]}
    assert await _found(search_client, users["admin"]) == {ids["x"], ids["x_sealed"], ids["y"]}
    body = (await search_client.get(URL, params={"q": "孪生"}, headers=users["staff_x"])).json()
    assert body["search"]["engine"] == "meilisearch"
    assert "<mark>孪生</mark>" in body["items"][0]["highlight"]["summary"]


async def test_sealed_proposals_appear_after_the_deadline(search_client, engine, world):
    ids, users = world
    await sync(engine)
    clock.set_now(clock.now() + dt.timedelta(days=11))
    assert await _found(search_client, users["staff_x"]) == {ids["x"], ids["x_sealed"]}


async def test_members_and_anonymous_callers_are_refused(search_client, engine, world):
    _, users = world
    assert (await search_client.get(URL, params={"q": "孪生"})).status_code == 401
    assert (await search_client.get(URL, params={"q": "孪生"}, headers=users["member"])).status_code == 403


async def test_the_database_fallback_applies_the_same_rights(world):
    ids, users = world
    engine = SearchEngine(search_config(f"http://127.0.0.1:{free_port()}", "x" * 20, "down_", timeout=1.0))
    transport = httpx.ASGITransport(app=app_for(engine))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        body = (await client.get(URL, params={"q": "孪生"}, headers=users["staff_x"])).json()
        assert body["search"]["degraded"] is True
        assert {i["id"] for i in body["items"]} == {ids["x"]}
        assert await _found(client, users["admin"]) == {ids["x"], ids["x_sealed"], ids["y"]}
        assert await _found(client, users["staff_y"]) == {ids["y"]}


async def test_the_proposals_index_is_empty_until_proposals_exist(search_client, engine, db):
    await sync(engine)
    admin = await bearer(await make_user("admin@example.com", role="admin"))
    body = (await search_client.get(URL, params={"q": "方案"}, headers=admin)).json()
    assert body["items"] == [] and body["total"] == 0
