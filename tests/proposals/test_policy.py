"""visibility.py: the one rule of who sees which proposal, checked directly on the query helpers."""

from __future__ import annotations

import datetime as dt

import pytest

from marketplace.core import clock
from marketplace.core.errors import NotFound
from marketplace.core.principal import ANONYMOUS, CurrentUser
from marketplace.proposals import policy as v
from tests.factories import make_company, make_department, make_proposal, make_scenario


def member(company: int, uid: int = 1) -> CurrentUser:
    return CurrentUser(
        id=uid,
        email=f"m{uid}@example.com",
        display_name="",
        role="member",
        company_id=company,
        company_status="approved",
    )


def staff(department: int | None, uid: int = 2, **extra) -> CurrentUser:
    return CurrentUser(
        id=uid, email=f"s{uid}@example.com", display_name="", role="staff", department_id=department, **extra
    )


ADMIN = CurrentUser(id=9, email="admin@example.com", display_name="", role="admin")


@pytest.fixture
async def world(db):
    clock.set_now(dt.datetime(2026, 6, 1, 8, tzinfo=dt.UTC))
    deadline = clock.now() + dt.timedelta(days=10)
    w = {"dx": await make_department(), "dy": await make_department()}
    w["lead"], w["partner"], w["decliner"], w["invitee"], w["outsider"], w["drafter"] = [
        await make_company(size=size) for size in ("large", "sme", "sme", "sme", "large", "sme")
    ]
    w["open_x"] = await make_scenario("open", department=w["dx"], proposal_deadline=deadline)
    w["sealed_x"] = await make_scenario("open", department=w["dx"], proposal_deadline=deadline, sealed=True)
    w["open_y"] = await make_scenario("open", department=w["dy"], proposal_deadline=deadline)
    w["p_open"] = await make_proposal(
        w["open_x"],
        w["lead"],
        status="submitted",
        members=[
            (w["partner"], 30, "accepted"),
            (w["decliner"], 0, "declined"),
            (w["invitee"], 10, "invited"),
        ],
    )
    w["p_sealed"] = await make_proposal(w["sealed_x"], w["lead"], status="submitted")
    w["p_draft"] = await make_proposal(w["open_x"], w["drafter"], status="draft")
    w["p_withdrawn"] = await make_proposal(w["open_x"], w["outsider"], status="withdrawn")
    w["p_y"] = await make_proposal(w["open_y"], w["outsider"], status="submitted")
    w["deadline"] = deadline
    return w


async def visible(user, **kw) -> set[int]:
    return {r["id"] for r in (await v.list_visible_proposals(user, page_size=100, **kw)).items}


async def test_members_see_what_their_company_leads_or_was_invited_to_drafts_included(world):
    w = world
    assert await visible(member(w["lead"])) == {w["p_open"], w["p_sealed"]}  # sealed: not for staff
    assert await visible(member(w["drafter"])) == {w["p_draft"]}
    assert await visible(member(w["partner"])) == {w["p_open"]}
    assert await visible(member(w["invitee"])) == {w["p_open"]}  # may still decide
    assert await visible(member(w["decliner"])) == set()  # declined: access gone
    assert await visible(member(w["outsider"])) == {w["p_withdrawn"], w["p_y"]}
    with pytest.raises(NotFound):
        await v.get_visible_proposal(member(w["decliner"]), w["p_open"])


async def test_staff_see_their_department_never_drafts_and_sealed_only_after_the_deadline(world):
    w = world
    staff_x = staff(w["dx"])
    assert await visible(staff_x) == {w["p_open"], w["p_withdrawn"]}
    assert not await v.can_see_proposal(staff_x, w["p_sealed"])
    with pytest.raises(NotFound) as err:
        await v.get_visible_proposal(staff_x, w["p_sealed"])
    assert err.value.message == v.NOT_FOUND_MESSAGE
    clock.set_now(w["deadline"] - dt.timedelta(seconds=1))
    assert not await v.can_see_proposal(staff_x, w["p_sealed"])
    clock.set_now(w["deadline"])
    assert await visible(staff_x) == {w["p_open"], w["p_withdrawn"], w["p_sealed"]}
    row = await v.get_visible_proposal(staff_x, w["p_sealed"])
    assert row["scenario.sealed"] is True
    assert await visible(staff(w["dy"])) == {w["p_y"]}  # other departments never


async def test_evaluators_are_staff_and_staff_without_department_see_nothing(world):
    w = world
    assert await visible(staff(w["dx"], is_evaluator=True)) == {w["p_open"], w["p_withdrawn"]}
    assert await visible(staff(None)) == set()
    assert v.proposal_visibility_condition(staff(None)) is None


async def test_admins_see_every_department_but_sealed_stays_sealed(world):
    w = world
    assert await visible(ADMIN) == {w["p_open"], w["p_withdrawn"], w["p_y"]}
    clock.set_now(w["deadline"] + dt.timedelta(minutes=1))
    assert await visible(ADMIN) == {w["p_open"], w["p_withdrawn"], w["p_y"], w["p_sealed"]}


async def test_anonymous_see_nothing(world):
    w = world
    assert await visible(ANONYMOUS) == set()
    assert not await v.can_see_proposal(ANONYMOUS, w["p_open"])
    with pytest.raises(NotFound):
        await v.get_visible_proposal(ANONYMOUS, w["p_open"])


async def test_a_sealed_scenario_without_deadline_stays_sealed(world, db):
    w = world
    no_deadline = await make_scenario("open", department=w["dx"], sealed=True)
    p = await make_proposal(no_deadline, w["lead"], status="submitted")
    assert not await v.can_see_proposal(staff(w["dx"]), p)
    assert not await v.can_see_proposal(ADMIN, p)


async def test_filters_and_consortium_with_sme_badges(world):
    w = world
    page = await v.list_visible_proposals(staff(w["dx"]), scenario_id=w["open_x"], status="submitted")
    assert [r["id"] for r in page.items] == [w["p_open"]] and page.total == 1
    members = page.items[0]["members"]
    assert members[0]["company_id"] == w["lead"] and members[0]["is_lead"] and not members[0]["is_sme"]
    partner = next(m for m in members if m["company_id"] == w["partner"])
    assert partner["is_sme"] and partner["work_share"] == 30


async def test_the_scenario_level_checks_agree(world):
    w = world
    scenario = await v.get_scenario_for_proposals(staff(w["dx"]), w["sealed_x"])
    assert scenario["sealed_now"] is True
    assert not v.may_see_scenario_proposals(staff(w["dx"]), scenario)
    assert v.may_see_scenario_proposals(staff(w["dx"]), scenario, now=w["deadline"])
    assert not v.may_see_scenario_proposals(staff(w["dy"]), scenario, now=w["deadline"])
    assert v.may_see_scenario_proposals(ADMIN, scenario, now=w["deadline"])
    for user in (staff(w["dy"]), staff(None), member(w["lead"]), ANONYMOUS):
        with pytest.raises(NotFound):
            await v.get_scenario_for_proposals(user, w["sealed_x"])
    assert (await v.get_scenario_for_proposals(ADMIN, w["open_y"]))["sealed_now"] is False
