"""Eligibility: eligible / ineligible with a reason / clarification with a deadline answered by
the lead company's manager, refused after the deadline."""

from __future__ import annotations

import datetime as dt

import pytest

from marketplace.core import clock
from marketplace.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from marketplace.core.principal import CurrentUser
from marketplace.evaluation import eligibility
from marketplace.evaluation.tables import ProposalReview
from marketplace.notifications.tables import Notification
from tests.evaluation.helpers import NOW, make_evaluation_world


def member(user_id: int, company: int, manager: bool = True) -> CurrentUser:
    return CurrentUser(
        id=user_id,
        email=f"u{user_id}@example.com",
        display_name="",
        role="member",
        company_id=company,
        company_status="approved",
        is_company_manager=manager,
    )


async def _review(proposal: int) -> dict:
    return await ProposalReview.select().where(ProposalReview.proposal == proposal).first()


async def test_every_submitted_proposal_starts_pending_and_evaluators_are_told(db):
    w = await make_evaluation_world("evaluating")
    notes = (
        await Notification.select(Notification.user, Notification.link)
        .where(Notification.kind == "evaluation_assigned")
        .order_by(Notification.user)
    )
    assert notes == [
        {"user": e, "link": f"/staff/scenarios/{w.scenario}/evaluation/conflicts"} for e in w.evaluators
    ]
    assert {r["proposal"]: r["eligibility"] for r in await ProposalReview.select()} == dict.fromkeys(
        w.proposals, "pending"
    )


async def test_eligible_and_ineligible_with_a_reason(db):
    w = await make_evaluation_world("evaluating")
    await eligibility.mark_eligible(w.proposal_a, w.actor(w.staff))
    with pytest.raises(ValidationFailed, match="原因"):
        await eligibility.mark_ineligible(w.proposal_b, " ", w.actor(w.staff))
    assert (await _review(w.proposal_b))["eligibility"] == "pending"
    await eligibility.mark_ineligible(w.proposal_b, "联合体协议未盖章", w.actor(w.admin))
    a, b = await _review(w.proposal_a), await _review(w.proposal_b)
    assert (a["eligibility"], a["checked_by"]) == ("eligible", w.staff)
    assert (b["eligibility"], b["eligibility_reason"], b["checked_by"]) == (
        "ineligible",
        "联合体协议未盖章",
        w.admin,
    )


async def test_only_managers_decide(db):
    w = await make_evaluation_world("evaluating")
    for user in (w.outsider, w.member_a):
        with pytest.raises(NotAllowed):
            await eligibility.mark_eligible(w.proposal_a, w.actor(user))
    with pytest.raises(NotFound):
        await eligibility.mark_eligible(999999, w.actor(w.staff))


async def test_clarification_is_answered_by_the_lead_manager_before_the_deadline(db):
    w = await make_evaluation_world("evaluating")
    deadline = NOW + dt.timedelta(days=3)
    await eligibility.request_clarification(
        w.proposal_b, "请补充丙公司的营业执照。", deadline, w.actor(w.staff)
    )
    review = await _review(w.proposal_b)
    assert review["eligibility"] == "clarification"
    notes = await Notification.select(Notification.user, Notification.kind, Notification.link).where(
        Notification.kind == "clarification_requested"
    )
    assert notes == [
        {
            "user": w.member_b,
            "kind": "clarification_requested",
            "link": f"/member/clarifications/{review['id']}",
        }
    ]
    # the SME consortium member and other companies cannot read it
    for outsider in (member(w.member_sme, w.company_sme), member(w.member_a, w.company_a)):
        with pytest.raises(NotFound):
            await eligibility.get_clarification(review["id"], outsider)
    # a non-manager colleague reads but cannot answer
    colleague = member(w.member_b + 1000, w.company_b, manager=False)
    assert not (await eligibility.get_clarification(review["id"], colleague))["may_answer"]
    with pytest.raises(NotAllowed):
        await eligibility.answer_clarification(review["id"], "已补充", colleague, w.actor(w.member_b))
    with pytest.raises(ValidationFailed):
        await eligibility.answer_clarification(
            review["id"], "  ", member(w.member_b, w.company_b), w.actor(w.member_b)
        )
    await eligibility.answer_clarification(
        review["id"], "营业执照见附件二。", member(w.member_b, w.company_b), w.actor(w.member_b)
    )
    review = await _review(w.proposal_b)
    assert (review["clarification_answer"], review["clarification_answered_by"]) == (
        "营业执照见附件二。",
        w.member_b,
    )
    with pytest.raises(Conflict, match="已答复"):
        await eligibility.answer_clarification(
            review["id"], "再补充", member(w.member_b, w.company_b), w.actor(w.member_b)
        )
    # then staff decide
    await eligibility.mark_eligible(w.proposal_b, w.actor(w.staff))
    assert (await _review(w.proposal_b))["eligibility"] == "eligible"


async def test_an_answer_after_the_deadline_is_refused(db):
    w = await make_evaluation_world("evaluating")
    await eligibility.request_clarification(
        w.proposal_c, "报价是否含税？", NOW + dt.timedelta(hours=48), w.actor(w.staff)
    )
    review = await _review(w.proposal_c)
    clock.advance(dt.timedelta(hours=48, seconds=1))
    assert not (await eligibility.get_clarification(review["id"], member(w.member_c, w.company_c)))[
        "may_answer"
    ]
    with pytest.raises(Conflict, match="截止"):
        await eligibility.answer_clarification(
            review["id"], "含税", member(w.member_c, w.company_c), w.actor(w.member_c)
        )
    assert (await _review(w.proposal_c))["clarification_answer"] == ""
    await eligibility.mark_ineligible(w.proposal_c, "未在期限内澄清报价", w.actor(w.staff))


async def test_a_clarification_needs_a_question_and_a_future_deadline(db):
    w = await make_evaluation_world("evaluating")
    with pytest.raises(ValidationFailed, match="问题"):
        await eligibility.request_clarification(
            w.proposal_a, "", NOW + dt.timedelta(days=1), w.actor(w.staff)
        )
    with pytest.raises(ValidationFailed, match="晚于现在"):
        await eligibility.request_clarification(
            w.proposal_a, "请说明", NOW - dt.timedelta(minutes=1), w.actor(w.staff)
        )
    assert (await _review(w.proposal_a))["eligibility"] == "pending"
    assert await Notification.count().where(Notification.kind == "clarification_requested") == 0
