"""Open scenarios change only in public: amendments with a reason (submitted proposals then
need confirmation; members with proposals are told), deadline extensions before the deadline,
and cancellation with a reason."""

from __future__ import annotations

import datetime as dt

import pytest

from marketplace.core import clock
from marketplace.core.audit import Actor
from marketplace.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from marketplace.core.tables import AuditEvent, Outbox
from marketplace.notifications.tables import Notification
from marketplace.proposals.tables import Proposal, ProposalMember
from marketplace.scenarios import publishing, questions
from marketplace.scenarios.forms import CriterionInput
from marketplace.scenarios.services import get_public_scenario
from marketplace.scenarios.tables import Scenario, ScenarioAmendment
from tests.accounts.helpers import make_user
from tests.factories import make_company
from tests.scenarios.helpers import NOW, complete_input, make_world


async def _open_scenario(w) -> int:
    sid = await publishing.create_scenario_draft(w.actor(w.author), complete_input(w))
    await publishing.submit_for_review(sid, w.actor(w.author))
    await publishing.approve_scenario_for_publication(sid, w.actor(w.cdo_x))
    await Notification.delete(force=True)
    return sid


async def _proposal(sid: int, company: int, status: str) -> int:
    row = Proposal(scenario=sid, company=company, status=status)
    await row.save()
    return row.id


async def _kinds(user_id: int) -> list[str]:
    return [
        r["kind"] for r in await Notification.select(Notification.kind).where(Notification.user == user_id)
    ]


async def test_amendment_is_public_flags_submitted_proposals_and_notifies(db):
    w = await make_world()
    sid = await _open_scenario(w)
    company_c = await make_company(name="丁联合体成员有限公司")
    member_c = await make_user("c@example.com", company=company_c)
    company_d = await make_company(name="戊撤回公司")
    member_d = await make_user("d@example.com", company=company_d)
    submitted = await _proposal(sid, w.company_a, "submitted")
    draft = await _proposal(sid, w.company_b, "draft")
    withdrawn = await _proposal(sid, company_d, "withdrawn")
    await ProposalMember.insert(ProposalMember(proposal=submitted, company=company_c, status="accepted"))

    data = complete_input(
        w,
        budget_max=800_000,
        criteria=(CriterionInput("识别准确率", "测试集上的准确率", 50), CriterionInput("报价", "", 50)),
    )
    entry = await publishing.amend_scenario(sid, w.actor(w.author), data, "根据答疑调整预算上限和评分权重。")

    flags = {
        r["id"]: r["needs_confirmation"]
        for r in await Proposal.select(Proposal.id, Proposal.needs_confirmation)
    }
    assert flags == {submitted: True, draft: False, withdrawn: False}
    assert await Outbox.count().where((Outbox.kind == "proposal") & (Outbox.entity_id == submitted)) == 1
    # Everyone with a draft or submitted proposal hears of it (consortium members too), not others.
    for user in (w.member_a, w.member_a2, w.member_b, member_c):
        assert await _kinds(user) == ["amendment"], user
    assert await _kinds(member_d) == []
    note = await Notification.select(Notification.body).where(Notification.user == w.member_a).first()
    assert "根据答疑调整预算上限和评分权重。" in note["body"] and "预算上限" in note["body"]

    row = await ScenarioAmendment.select().where(ScenarioAmendment.id == entry).output(load_json=True).first()
    assert row["kind"] == "amendment" and row["changes"]["fields"] == ["budget_max", "criteria"]
    public = await get_public_scenario(sid)
    assert public.budget_max == 800_000 and [c.weight for c in public.criteria] == [50, 50]
    assert [(c.kind, c.reason) for c in public.change_log] == [
        ("amendment", "根据答疑调整预算上限和评分权重。")
    ]
    event = (
        await AuditEvent.select().where(AuditEvent.action == "scenario.amend").output(load_json=True).first()
    )
    assert event["reason"] == "根据答疑调整预算上限和评分权重。" and event["after"]["flagged_proposals"] == [
        submitted
    ]


async def test_amendment_shows_in_the_public_change_log(db, client):
    w = await make_world()
    sid = await _open_scenario(w)
    await publishing.amend_scenario(
        sid, w.actor(w.author), complete_input(w, pilot_months=9), "试点周期延长到 9 个月。"
    )
    html = (await client.get(f"/scenarios/{sid}")).text
    assert "试点周期延长到 9 个月。" in html and "内容变更" in html and "9 个月" in html


async def test_amendment_needs_a_reason_and_a_change(db):
    w = await make_world()
    sid = await _open_scenario(w)
    with pytest.raises(ValidationFailed) as info:
        await publishing.amend_scenario(sid, w.actor(w.author), complete_input(w, pilot_months=9), " ")
    assert "reason" in info.value.errors
    with pytest.raises(ValidationFailed, match="请修改") as info:
        await publishing.amend_scenario(sid, w.actor(w.author), complete_input(w), "没改什么")
    assert info.value.errors == {"reason": "没有修改任何内容。"}
    assert await ScenarioAmendment.count() == 0


async def test_amendment_cannot_move_the_deadline_or_unseal(db):
    w = await make_world()
    sid = await _open_scenario(w)
    later = complete_input(w, proposal_deadline=NOW + dt.timedelta(days=30), sealed=True, domain="一网通办")
    with pytest.raises(ValidationFailed) as info:
        await publishing.amend_scenario(sid, w.actor(w.author), later, "顺便延期")
    assert set(info.value.errors) == {"proposal_deadline", "sealed", "domain"}


async def test_amendments_only_for_open_scenarios_of_ones_department(db):
    w = await make_world()
    draft = await publishing.create_scenario_draft(w.actor(w.author), complete_input(w))
    with pytest.raises(Conflict):
        await publishing.amend_scenario(
            draft, w.actor(w.author), complete_input(w, pilot_months=9), "草稿变更"
        )
    sid = await _open_scenario(w)
    with pytest.raises(NotFound):
        await publishing.amend_scenario(
            sid, w.actor(w.staff_y), complete_input(w, pilot_months=9), "外部门变更"
        )
    with pytest.raises(NotAllowed):
        await publishing.amend_scenario(
            sid, Actor(user_id=w.member_a), complete_input(w, pilot_months=9), "企业变更"
        )


async def test_deadline_extension_before_it_passes(db):
    w = await make_world()
    sid = await _open_scenario(w)
    await _proposal(sid, w.company_a, "draft")
    qid = await questions.ask_question(sid, Actor(user_id=w.member_b), "能否延期两周？")
    assert qid
    new_deadline = NOW + dt.timedelta(days=34)
    await publishing.extend_scenario_deadline(
        sid, w.actor(w.author), new_deadline, "应企业要求延期两周。", NOW + dt.timedelta(days=24)
    )
    row = (
        await Scenario.select(Scenario.proposal_deadline, Scenario.question_deadline)
        .where(Scenario.id == sid)
        .first()
    )
    assert row == {"proposal_deadline": new_deadline, "question_deadline": NOW + dt.timedelta(days=24)}
    change = (await get_public_scenario(sid)).change_log[-1]
    assert change.kind == "extension"
    assert change.reason == "方案截止时间延至 2027-01-04 10:00。应企业要求延期两周。"
    assert await _kinds(w.member_a) == ["deadline_extended"]  # has a proposal
    assert await _kinds(w.member_b) == ["deadline_extended"]  # asked a question
    event = await AuditEvent.select().where(AuditEvent.action == "scenario.extend_deadline").first()
    assert event["reason"] == "应企业要求延期两周。"


async def test_extension_refused_after_the_deadline_or_when_not_later(db):
    w = await make_world()
    sid = await _open_scenario(w)
    with pytest.raises(ValidationFailed) as info:
        await publishing.extend_scenario_deadline(sid, w.actor(w.author), NOW + dt.timedelta(days=5), "")
    assert set(info.value.errors) == {"reason", "proposal_deadline"}
    clock.set_now(NOW + dt.timedelta(days=20, minutes=1))  # the deadline has passed (not yet closed)
    with pytest.raises(Conflict, match="已过"):
        await publishing.extend_scenario_deadline(
            sid, w.actor(w.author), NOW + dt.timedelta(days=40), "太晚了"
        )
    assert await ScenarioAmendment.count() == 0


async def test_cancel_with_a_public_reason(db, client):
    w = await make_world()
    sid = await _open_scenario(w)
    await _proposal(sid, w.company_a, "submitted")
    with pytest.raises(NotAllowed, match="首席数据官"):
        await publishing.cancel_scenario(sid, w.actor(w.author), "作者想取消")
    with pytest.raises(ValidationFailed):
        await publishing.cancel_scenario(sid, w.actor(w.cdo_x), "")
    await publishing.cancel_scenario(sid, w.actor(w.cdo_x), "预算调整，本年度暂停。")
    public = await get_public_scenario(sid)
    assert public.status == "cancelled" and public.cancel_reason == "预算调整，本年度暂停。"
    assert [c.kind for c in public.change_log] == ["cancellation"]
    assert await _kinds(w.member_a) == ["scenario_cancelled"]
    assert "预算调整，本年度暂停。" in (await client.get(f"/scenarios/{sid}")).text


async def test_the_author_may_cancel_a_draft(db):
    w = await make_world()
    sid = await publishing.create_scenario_draft(w.actor(w.author), complete_input(w))
    await publishing.cancel_scenario(sid, w.actor(w.author), "并入另一个场景。")
    row = await Scenario.select(Scenario.status, Scenario.public_status).where(Scenario.id == sid).first()
    assert row == {"status": "cancelled", "public_status": None}  # never public, stays private
