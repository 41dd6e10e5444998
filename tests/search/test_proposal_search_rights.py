"""Staff proposal search: every query filtered on the server by the caller's rights, the same rule
as marketplace.proposals.policy (own department only, admins every department, never drafts,
sealed scenarios hidden from staff and admins until the deadline, compared with the current time
at each query), through Meilisearch and through the database fallback alike."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from marketplace.core import clock
from marketplace.core.outbox import enqueue
from marketplace.core.principal import CurrentUser
from marketplace.proposals.tables import Proposal
from marketplace.scenarios.tables import Scenario
from marketplace.search.client import SearchEngine
from marketplace.search.server import free_port
from tests.accounts.helpers import bearer, make_user
from tests.factories import make_company, make_department, make_scenario
from tests.search.conftest import app_for, search_config, sync

URL = "/api/v1/search/proposals"


async def _proposal(scenario: int, company: int, summary: str, status: str = "submitted") -> int:
    row = Proposal(
        scenario=scenario,
        company=company,
        status=status,
        summary=summary,
        number=f"P-{scenario}-{company}-{status}",
        submitted_at=clock.now(),
    )
    await row.save()
    await enqueue("proposal", row.id)
    return row.id


@pytest.fixture
async def world(db):
    clock.set_now(dt.datetime(2026, 6, 1, 8, tzinfo=dt.UTC))
    dept_x = await make_department(key="dept-x", name="部门X")
    dept_y = await make_department(key="dept-y", name="部门Y")
    company = await make_company(name="甲公司")
    other = await make_company(name="乙公司")
    third = await make_company(name="丙公司")
    future = clock.now() + dt.timedelta(days=10)
    open_x = await make_scenario("open", department=dept_x, title="X 部门的场景", proposal_deadline=future)
    sealed_x = await make_scenario(
        "open", department=dept_x, title="X 部门的密封场景", sealed=True, proposal_deadline=future
    )
    open_y = await make_scenario("open", department=dept_y, title="Y 部门的场景", proposal_deadline=future)
    sealed_y = await make_scenario(
        "open", department=dept_y, title="Y 部门的密封场景", sealed=True, proposal_deadline=future
    )
    undated = await make_scenario("open", department=dept_x, title="未定截止的密封场景", sealed=True)
    ids = {
        "x": await _proposal(open_x, company, "数字孪生方案甲"),
        "x_sealed": await _proposal(sealed_x, company, "数字孪生方案乙"),
        "y": await _proposal(open_y, company, "数字孪生方案丙"),
        "y_sealed": await _proposal(sealed_y, company, "数字孪生方案丁"),
        "x_draft": await _proposal(open_x, other, "数字孪生草稿", status="draft"),
        "x_withdrawn": await _proposal(open_x, third, "数字孪生撤回", status="withdrawn"),
        "undated": await _proposal(undated, company, "数字孪生未定"),
    }
    dept = {"x": dept_x, "y": dept_y, "sealed_x": sealed_x}
    users = {
        "staff_x": await make_user("x@example.com", role="staff", department=dept_x),
        "evaluator_x": await make_user("e@example.com", role="staff", department=dept_x, is_evaluator=True),
        "staff_y": await make_user("y@example.com", role="staff", department=dept_y),
        "staff_none": await make_user("n@example.com", role="staff"),
        "admin": await make_user("admin@example.com", role="admin"),
        "member": await make_user("m@example.com", company=company),
    }
    headers = {name: await bearer(uid) for name, uid in users.items()}
    return ids, headers, {"future": future, **dept}


async def _found(client, headers, **params) -> set[int]:
    response = await client.get(URL, params={"q": "孪生", **params}, headers=headers)
    assert response.status_code == 200, response.text
    return {i["id"] for i in response.json()["items"]}


async def test_staff_see_their_departments_proposals_only(search_client, engine, world):
    ids, users, _ = world
    await sync(engine)
    # not sealed, not Y's, no draft; the withdrawn one is listed with its status
    assert await _found(search_client, users["staff_x"]) == {ids["x"], ids["x_withdrawn"]}
    assert await _found(search_client, users["evaluator_x"]) == {ids["x"], ids["x_withdrawn"]}
    assert await _found(search_client, users["staff_y"]) == {ids["y"]}
    assert await _found(search_client, users["staff_none"]) == set()
    assert await _found(search_client, users["admin"]) == {ids["x"], ids["x_withdrawn"], ids["y"]}
    body = (await search_client.get(URL, params={"q": "撤回"}, headers=users["staff_x"])).json()
    assert [(i["id"], i["status"]) for i in body["items"]] == [(ids["x_withdrawn"], "withdrawn")]
    body = (
        await search_client.get(URL, params={"q": "孪生", "status": "submitted"}, headers=users["staff_x"])
    ).json()
    assert body["search"]["engine"] == "meilisearch"
    assert [i["id"] for i in body["items"]] == [ids["x"]]
    assert "<mark>孪生</mark>" in body["items"][0]["highlight"]["summary"]


async def test_sealed_proposals_appear_after_the_deadline_for_staff_and_admins(search_client, engine, world):
    ids, users, w = world
    await sync(engine)
    clock.set_now(w["future"] - dt.timedelta(seconds=1))
    assert ids["x_sealed"] not in await _found(search_client, users["staff_x"])
    assert ids["x_sealed"] not in await _found(search_client, users["admin"])
    clock.set_now(w["future"])  # no reindex: the query compares with the current time
    assert await _found(search_client, users["staff_x"]) == {ids["x"], ids["x_sealed"], ids["x_withdrawn"]}
    assert await _found(search_client, users["staff_y"]) == {ids["y"], ids["y_sealed"]}
    clock.set_now(w["future"] + dt.timedelta(days=3650))
    assert await _found(search_client, users["admin"]) == {
        ids["x"],
        ids["x_sealed"],
        ids["x_withdrawn"],
        ids["y"],
        ids["y_sealed"],
    }  # undated: sealed


async def test_an_extended_deadline_reseals_after_the_scenario_is_reindexed(search_client, engine, world):
    ids, users, w = world
    await sync(engine)
    later = w["future"] + dt.timedelta(days=5)
    await Scenario.update({Scenario.proposal_deadline: later}).where(Scenario.id == w["sealed_x"])
    await enqueue("scenario", w["sealed_x"])
    await sync(engine)
    clock.set_now(w["future"] + dt.timedelta(days=1))
    assert ids["x_sealed"] not in await _found(search_client, users["staff_x"])
    clock.set_now(later)
    assert ids["x_sealed"] in await _found(search_client, users["staff_x"])


async def test_members_and_anonymous_callers_are_refused(search_client, engine, world):
    _, users, _ = world
    assert (await search_client.get(URL, params={"q": "孪生"})).status_code == 401
    response = await search_client.get(URL, params={"q": "孪生"}, headers=users["member"])
    assert response.status_code == 403
    assert "部门工作人员" in response.json()["detail"]


async def _principals() -> dict[str, object]:
    """Every kind of caller, as the app sees them, from the users the world made."""
    from marketplace.accounts.tables import User
    from marketplace.core.principal import ANONYMOUS

    rows = await User.select(User.id, User.email, User.role, User.department, User.company)
    by_email = {
        r["email"]: CurrentUser(
            id=r["id"],
            email=r["email"],
            display_name="",
            role=r["role"],
            department_id=r["department"],
            company_id=r["company"],
        )
        for r in rows
    }
    return {
        "anonymous": ANONYMOUS,
        "member": by_email["m@example.com"],
        "staff_x": by_email["x@example.com"],
        "evaluator_x": by_email["e@example.com"],
        "staff_y": by_email["y@example.com"],
        "staff_none": by_email["n@example.com"],
        "admin": by_email["admin@example.com"],
    }


async def test_the_search_filter_and_the_database_condition_agree_for_every_role(engine, world):
    """The proposals policy states the staff-side rule once (``staff_scope``); Meilisearch applies
    it as a filter and the database as a condition. For every kind of caller, at moments before,
    at and after a sealed deadline, and with declared conflicts, both find the same proposals."""
    from marketplace.proposals.policy import proposal_visibility_condition, staff_scope
    from marketplace.proposals.tables import ConflictDeclaration
    from marketplace.search.queries import ProposalFilters, search_proposals

    ids, _users, w = world
    principals = await _principals()
    # The evaluator and the admin each declared a conflict on a proposal they could otherwise see.
    for who, proposal in (("evaluator_x", ids["x"]), ("admin", ids["y"])):
        row = (
            await Proposal.select(Proposal.scenario, Proposal.company).where(Proposal.id == proposal).first()
        )
        await ConflictDeclaration.insert(
            ConflictDeclaration(
                scenario=row["scenario"],
                evaluator=principals[who].id,
                proposal=proposal,
                company=row["company"],
                conflicted=True,
                relation="曾任顾问",
            )
        )
    await sync(engine)
    seen_by_search: dict[str, set[int]] = {}
    for moment in (w["future"] - dt.timedelta(days=1), w["future"], w["future"] + dt.timedelta(days=1)):
        clock.set_now(moment)
        for name, principal in principals.items():
            result = await search_proposals(engine, principal, ProposalFilters(page_size=100))
            assert result.engine == "meilisearch", name
            found = {item["id"] for item in result.page.items}
            condition = proposal_visibility_condition(principal)
            if await staff_scope(principal) is None or condition is None:
                expected: set[int] = set()  # search is the staff side; members use their own list
            else:
                expected = {r["id"] for r in await Proposal.select(Proposal.id).where(condition)}
            assert found == expected, (name, moment)
            seen_by_search[name] = found
    # The comparison is not vacuous: the rule really separates the callers.
    assert ids["x"] not in seen_by_search["evaluator_x"] and ids["x"] in seen_by_search["staff_x"]
    assert ids["y"] not in seen_by_search["admin"] and ids["y"] in seen_by_search["staff_y"]
    assert seen_by_search["anonymous"] == seen_by_search["member"] == seen_by_search["staff_none"] == set()
    assert ids["x_draft"] not in set().union(*seen_by_search.values())


async def test_the_database_fallback_applies_the_same_rights(world):
    ids, users, w = world
    engine = SearchEngine(search_config(f"http://127.0.0.1:{free_port()}", "x" * 20, "down_", timeout=1.0))
    transport = httpx.ASGITransport(app=app_for(engine))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        body = (await client.get(URL, params={"q": "孪生"}, headers=users["staff_x"])).json()
        assert body["search"]["degraded"] is True
        assert {i["id"] for i in body["items"]} == {ids["x"], ids["x_withdrawn"]}
        assert await _found(client, users["admin"]) == {ids["x"], ids["x_withdrawn"], ids["y"]}
        assert await _found(client, users["staff_y"]) == {ids["y"]}
        assert await _found(client, users["staff_none"]) == set()
        clock.set_now(w["future"])
        assert await _found(client, users["staff_x"]) == {ids["x"], ids["x_sealed"], ids["x_withdrawn"]}
        assert (await client.get(URL, params={"q": "孪生"}, headers=users["member"])).status_code == 403


async def test_the_proposals_index_is_empty_until_proposals_exist(search_client, engine, db):
    await sync(engine)
    admin = await bearer(await make_user("admin@example.com", role="admin"))
    body = (await search_client.get(URL, params={"q": "方案"}, headers=admin)).json()
    assert body["items"] == [] and body["total"] == 0


async def test_an_evaluator_never_finds_a_proposal_he_is_conflicted_on(search_client, engine, world):
    """A declared conflict of interest hides the proposal from that evaluator in search (index and
    fallback) and in the staff list and API detail, while colleagues still see it."""
    from marketplace.proposals.tables import ConflictDeclaration, Proposal

    ids, users, _w = world
    row = await Proposal.select(Proposal.scenario, Proposal.company).where(Proposal.id == ids["x"]).first()
    evaluator_id = (await search_client.get("/api/v1/me", headers=users["evaluator_x"])).json()["id"]
    await ConflictDeclaration.insert(
        ConflictDeclaration(
            scenario=row["scenario"],
            evaluator=evaluator_id,
            proposal=ids["x"],
            company=row["company"],
            conflicted=True,
            relation="曾任该公司技术顾问",
        )
    )
    await sync(engine)
    assert await _found(search_client, users["evaluator_x"]) == {ids["x_withdrawn"]}
    assert await _found(search_client, users["staff_x"]) == {ids["x"], ids["x_withdrawn"]}
    detail = await search_client.get(f"/api/v1/proposals/{ids['x']}", headers=users["evaluator_x"])
    assert detail.status_code == 404
    assert (
        await search_client.get(f"/api/v1/proposals/{ids['x']}", headers=users["staff_x"])
    ).status_code == 200
    listed = (await search_client.get("/api/v1/proposals", headers=users["evaluator_x"])).json()
    assert ids["x"] not in {p["id"] for p in listed["items"]}

    down = SearchEngine(search_config(f"http://127.0.0.1:{free_port()}", "x" * 20, "down_", timeout=1.0))
    transport = httpx.ASGITransport(app=app_for(down))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        assert await _found(client, users["evaluator_x"]) == {ids["x_withdrawn"]}
