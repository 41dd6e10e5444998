"""The scenario status machine: every allowed transition works and records an audit event, every
refused one raises Conflict and changes nothing."""

from __future__ import annotations

import itertools

import pytest

from marketplace.core.audit import Actor
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.core.tables import AuditEvent, Outbox
from marketplace.scenarios import services
from marketplace.scenarios import status as sm
from marketplace.scenarios.tables import Scenario, ScenarioAmendment
from tests.factories import make_scenario

ACTOR = Actor(user_id=None, label="测试员", role="staff", ip_address="127.0.0.1")

LIFECYCLE = [
    ("draft", "in_review"),
    ("in_review", "changes_requested"),
    ("changes_requested", "draft"),
    ("changes_requested", "in_review"),
    ("in_review", "open"),
    ("open", "closed"),
    ("closed", "evaluating"),
    ("evaluating", "shortlisted"),
    ("shortlisted", "awarded"),
    ("awarded", "piloting"),
    ("piloting", "completed"),
    ("evaluating", "unsuccessful"),
    ("shortlisted", "unsuccessful"),
]
CANCELLABLE = [s for s in sm.STATUSES if s not in ("completed", "cancelled", "unsuccessful")]
ALLOWED = set(LIFECYCLE) | {(s, "cancelled") for s in CANCELLABLE}
REFUSED = [pair for pair in itertools.product(sm.STATUSES, sm.STATUSES) if pair not in ALLOWED]

REASONS = {
    "changes_requested": "请补充数据说明。",
    "cancelled": "需求已由其他项目覆盖。",
    "unsuccessful": "无方案达到评审要求。",
}


async def _do(target: str, scenario_id: int):
    return await services.apply_transition(scenario_id, target, ACTOR, reason=REASONS.get(target, ""))


def test_the_table_is_exactly_the_lifecycle():
    assert set(sm.TRANSITIONS) == ALLOWED


@pytest.mark.parametrize(("current", "target"), sorted(ALLOWED))
async def test_allowed_transition_moves_audits_and_enqueues(db, current, target):
    scenario_id = await make_scenario(current)
    assert await _do(target, scenario_id) == target
    row = await Scenario.select().where(Scenario.id == scenario_id).first()
    assert row["status"] == target
    events = await AuditEvent.select().where(AuditEvent.entity_id == scenario_id).output(load_json=True)
    assert len(events) == 1
    event = events[0]
    assert event["action"] == f"scenario.{sm.TRANSITIONS[(current, target)]}"
    assert (event["before"], event["after"]) == ({"status": current}, {"status": target})
    assert event["actor_label"] == "测试员" and event["ip_address"] == "127.0.0.1"
    assert await Outbox.count().where((Outbox.kind == "scenario") & (Outbox.entity_id == scenario_id)) == 1


@pytest.mark.parametrize(("current", "target"), REFUSED)
async def test_refused_transition_changes_nothing(db, current, target):
    scenario_id = await make_scenario(current)
    with pytest.raises(Conflict) as info:
        await _do(target, scenario_id)
    assert "不能变更" in info.value.message
    row = await Scenario.select(Scenario.status).where(Scenario.id == scenario_id).first()
    assert row["status"] == current
    assert await AuditEvent.count() == 0
    assert await Outbox.count() == 0


async def test_cancel_and_request_changes_need_a_reason(db):
    scenario_id = await make_scenario("in_review")
    with pytest.raises(ValidationFailed):
        await services.apply_transition(scenario_id, "cancelled", ACTOR, reason="   ")
    with pytest.raises(ValidationFailed):
        await services.apply_transition(scenario_id, "changes_requested", ACTOR, reason="")
    assert (await Scenario.select(Scenario.status).first())["status"] == "in_review"


async def test_opening_sets_public_status_and_cancel_reason_is_public(db):
    scenario_id = await make_scenario("in_review")
    await services.apply_transition(scenario_id, "open", ACTOR)
    row = await Scenario.select().where(Scenario.id == scenario_id).first()
    assert row["public_status"] == "open" and row["opened_at"] is not None
    await services.apply_transition(scenario_id, "cancelled", ACTOR, reason="预算调整，暂缓实施。")
    detail = await services.get_public_scenario(scenario_id)
    assert detail.status == "cancelled" and detail.cancel_reason == "预算调整，暂缓实施。"
    assert [c.reason for c in detail.change_log] == ["预算调整，暂缓实施。"]


async def test_cancelled_draft_never_becomes_public(db):
    scenario_id = await make_scenario("draft")
    await services.apply_transition(scenario_id, "cancelled", ACTOR, reason="撤回")
    row = await Scenario.select(Scenario.public_status).where(Scenario.id == scenario_id).first()
    assert row["public_status"] is None


async def test_award_stays_internal_until_result_is_published(db):
    scenario_id = await make_scenario("shortlisted")
    await services.award_scenario(scenario_id, ACTOR)
    assert (await services.get_public_scenario(scenario_id)).status == "evaluating"
    await services.publish_scenario_result(scenario_id, ACTOR)
    assert (await services.get_public_scenario(scenario_id)).status == "awarded"


async def test_weights_that_do_not_add_up_block_review(db):
    scenario_id = await make_scenario("draft", criteria=(("方案", 60), ("成本", 30)))
    with pytest.raises(ValidationFailed) as info:
        await services.apply_transition(scenario_id, "in_review", ACTOR)
    assert "100" in info.value.message
    assert (await Scenario.select(Scenario.status).first())["status"] == "draft"
    assert await AuditEvent.count() == 0
    assert await ScenarioAmendment.count() == 0


async def test_concurrent_transitions_apply_once(db):
    """Two workers closing the same scenario at once: one closes it, the other is refused."""
    import asyncio

    scenario_id = await make_scenario("open")
    results = await asyncio.gather(
        *[services.apply_transition(scenario_id, "closed", ACTOR) for _ in range(5)], return_exceptions=True
    )
    assert sum(r == "closed" for r in results) == 1
    assert all(isinstance(r, Conflict) for r in results if r != "closed")
    assert await AuditEvent.count() == 1


async def test_expired_open_scenarios_close_by_the_clock(db):
    """With the clock moved past the deadline, the periodic close moves exactly those scenarios."""
    import datetime as dt

    from marketplace.core import clock
    from marketplace.core.audit import SYSTEM

    start = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    clock.set_now(start)
    due = await make_scenario("open", proposal_deadline=start + dt.timedelta(days=2))
    later = await make_scenario("open", proposal_deadline=start + dt.timedelta(days=10))
    draft = await make_scenario("draft", proposal_deadline=start + dt.timedelta(days=1))
    assert await services.close_expired_scenarios(SYSTEM) == []
    clock.advance(dt.timedelta(days=2, seconds=1))
    assert await services.close_expired_scenarios(SYSTEM) == [due]
    statuses = {r["id"]: r["status"] for r in await Scenario.select(Scenario.id, Scenario.status)}
    assert statuses == {due: "closed", later: "open", draft: "draft"}
