"""Review: the author submits, the department's CDO approves (now or at a scheduled time, which
the periodic task honours) or sends the scenario back with a comment the author sees."""

from __future__ import annotations

import datetime as dt

import pytest

from marketplace.core import clock
from marketplace.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from marketplace.core.tables import AuditEvent
from marketplace.notifications.tables import Notification
from marketplace.scenarios import publishing
from marketplace.scenarios.forms import ScenarioInput
from marketplace.scenarios.periodic import run_periodic_tasks
from marketplace.scenarios.tables import Scenario
from tests.scenarios.helpers import NOW, complete_input, make_world


async def _submitted(w) -> int:
    sid = await publishing.create_scenario_draft(w.actor(w.author), complete_input(w))
    await publishing.submit_for_review(sid, w.actor(w.author))
    return sid


async def _status(sid: int) -> dict:
    return (
        await Scenario.select(
            Scenario.status,
            Scenario.public_status,
            Scenario.review_comment,
            Scenario.approved_by,
            Scenario.opened_at,
            Scenario.opens_at,
        )
        .where(Scenario.id == sid)
        .first()
    )


async def _kinds(user_id: int) -> list[str]:
    rows = (
        await Notification.select(Notification.kind)
        .where(Notification.user == user_id)
        .order_by(Notification.id)
    )
    return [r["kind"] for r in rows]


async def test_an_incomplete_draft_cannot_be_submitted(db):
    w = await make_world()
    sid = await publishing.create_scenario_draft(
        w.actor(w.author), ScenarioInput(title="半成品", domain="一网通办")
    )
    with pytest.raises(ValidationFailed) as info:
        await publishing.submit_for_review(sid, w.actor(w.author))
    assert "问题描述" in info.value.message and "description" in info.value.errors
    assert (await _status(sid))["status"] == "draft"


async def test_submit_notifies_the_cdo_and_the_cdo_approves(db):
    w = await make_world()
    sid = await _submitted(w)
    assert (await _status(sid))["status"] == "in_review"
    assert await _kinds(w.cdo_x) == ["review_requested"]
    assert await _kinds(w.cdo_y) == []  # another department's CDO hears nothing
    assert await publishing.approve_scenario_for_publication(sid, w.actor(w.cdo_x)) == "open"
    row = await _status(sid)
    assert (row["status"], row["public_status"], row["approved_by"]) == ("open", "open", w.cdo_x)
    assert row["opened_at"] == NOW
    actions = [
        r["action"]
        for r in await AuditEvent.select(AuditEvent.action)
        .where(AuditEvent.entity_id == sid)
        .order_by(AuditEvent.id)
    ]
    assert actions == ["scenario.create", "scenario.submit_for_review", "scenario.approve"]
    assert await _kinds(w.author) == ["approved"]


async def test_opening_tells_members_whose_capabilities_match(db):
    w = await make_world()
    sid = await _submitted(w)
    await publishing.approve_scenario_for_publication(sid, w.actor(w.cdo_x))
    # Company A declares video analysis (required); B only blockchain; P is not approved.
    assert await _kinds(w.member_a) == ["scenario_match"]
    assert await _kinds(w.member_a2) == ["scenario_match"]
    assert await _kinds(w.member_b) == []
    assert await _kinds(w.pending) == []
    mail = (
        await Notification.select(Notification.email_status, Notification.link)
        .where(Notification.user == w.member_a)
        .first()
    )
    assert mail == {"email_status": "pending", "link": f"/scenarios/{sid}"}


async def test_only_the_departments_cdo_approves(db):
    w = await make_world()
    sid = await _submitted(w)
    # The author (not CDO) may not approve their own scenario, nor may a colleague.
    for user in (w.author, w.colleague):
        with pytest.raises(NotAllowed, match="首席数据官"):
            await publishing.approve_scenario_for_publication(sid, w.actor(user))
    with pytest.raises(NotFound):  # a CDO of another department does not even see it
        await publishing.approve_scenario_for_publication(sid, w.actor(w.cdo_y))
    with pytest.raises(NotAllowed):
        await publishing.approve_scenario_for_publication(sid, w.actor(w.member_a))
    with pytest.raises(NotAllowed):
        await publishing.request_changes(sid, w.actor(w.author), "自己退回自己")
    assert (await _status(sid))["status"] == "in_review"


async def test_a_cdo_may_approve_their_own_scenario(db):
    w = await make_world()
    sid = await publishing.create_scenario_draft(w.actor(w.cdo_x), complete_input(w))
    await publishing.submit_for_review(sid, w.actor(w.cdo_x))
    assert await publishing.approve_scenario_for_publication(sid, w.actor(w.cdo_x)) == "open"


async def test_changes_requested_then_fixed_and_resubmitted(db):
    w = await make_world()
    sid = await _submitted(w)
    with pytest.raises(ValidationFailed) as info:
        await publishing.request_changes(sid, w.actor(w.cdo_x), "  ")
    assert "comment" in info.value.errors
    await publishing.request_changes(sid, w.actor(w.cdo_x), "请补充可开放数据的字段说明。")
    row = await _status(sid)
    assert row["status"] == "changes_requested" and row["review_comment"] == "请补充可开放数据的字段说明。"
    note = (
        await Notification.select(Notification.kind, Notification.body)
        .where(Notification.user == w.author)
        .first()
    )
    assert note == {"kind": "changes_requested", "body": "首席数据官的修改意见：请补充可开放数据的字段说明。"}
    event = await AuditEvent.select().where(AuditEvent.action == "scenario.request_changes").first()
    assert event["reason"] == "请补充可开放数据的字段说明。"
    # The author edits while it is sent back, then resubmits; the CDO approves.
    await publishing.update_scenario_draft(
        sid,
        w.actor(w.author),
        complete_input(w, data_offered="河道视频监控 120 路（含时间、点位、画面字段）。"),
    )
    await publishing.submit_for_review(sid, w.actor(w.author))
    assert await publishing.approve_scenario_for_publication(sid, w.actor(w.cdo_x)) == "open"
    assert (await _status(sid))["review_comment"] == ""


async def test_approving_twice_or_a_draft_is_refused(db):
    w = await make_world()
    sid = await publishing.create_scenario_draft(w.actor(w.author), complete_input(w))
    with pytest.raises(Conflict):
        await publishing.approve_scenario_for_publication(sid, w.actor(w.cdo_x))
    await publishing.submit_for_review(sid, w.actor(w.author))
    await publishing.approve_scenario_for_publication(sid, w.actor(w.cdo_x))
    with pytest.raises(Conflict):
        await publishing.approve_scenario_for_publication(sid, w.actor(w.cdo_x))


async def test_a_scheduled_approval_opens_by_itself_at_its_time(db):
    w = await make_world()
    sid = await _submitted(w)
    opens_at = NOW + dt.timedelta(days=2)
    assert await publishing.approve_scenario_for_publication(sid, w.actor(w.cdo_x), opens_at) == "in_review"
    row = await _status(sid)
    assert (row["status"], row["public_status"], row["opens_at"]) == ("in_review", None, opens_at)
    assert await _kinds(w.member_a) == []
    clock.advance(dt.timedelta(days=1))
    assert (await run_periodic_tasks()).opened == []
    clock.set_now(opens_at + dt.timedelta(seconds=30))
    assert (await run_periodic_tasks()).opened == [sid]
    row = await _status(sid)
    assert (row["status"], row["public_status"]) == ("open", "open")
    assert await _kinds(w.member_a) == ["scenario_match"]
    assert (await run_periodic_tasks()).opened == []  # once only
    event = await AuditEvent.select().where(AuditEvent.action == "scenario.approve").first()
    assert event["actor_label"] == "system"


async def test_a_schedule_must_come_before_the_deadlines(db):
    w = await make_world()
    sid = await _submitted(w)
    with pytest.raises(ValidationFailed) as info:
        await publishing.approve_scenario_for_publication(sid, w.actor(w.cdo_x), NOW + dt.timedelta(days=15))
    assert "opens_at" in info.value.errors


async def test_sending_back_a_scheduled_scenario_cancels_the_schedule(db):
    w = await make_world()
    sid = await _submitted(w)
    await publishing.approve_scenario_for_publication(sid, w.actor(w.cdo_x), NOW + dt.timedelta(days=1))
    await publishing.request_changes(sid, w.actor(w.cdo_x), "预算口径需调整。")
    clock.advance(dt.timedelta(days=2))
    assert (await run_periodic_tasks()).opened == []
    assert (await _status(sid))["status"] == "changes_requested"


async def test_approval_after_the_deadline_passed_is_refused(db):
    w = await make_world()
    sid = await _submitted(w)
    clock.advance(dt.timedelta(days=25))
    with pytest.raises(ValidationFailed, match="方案截止时间已过"):
        await publishing.approve_scenario_for_publication(sid, w.actor(w.cdo_x))
