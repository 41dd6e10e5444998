"""Eligibility check of each proposal under review, by the scenario's managers.

States (``ProposalReview.eligibility``): ``pending`` -> ``eligible`` | ``ineligible`` (with a
reason) | ``clarification`` (a question with a deadline, which the lead company's managers are
notified of and answer in the member area until the deadline). After an answer (or the
deadline) the managers decide eligible or ineligible. Only eligible proposals are scored.
Nothing of this is shown to the public; the lead company sees only its own clarification.
"""

from __future__ import annotations

import datetime as dt

from marketplace.accounts.tables import User
from marketplace.core import clock
from marketplace.core.audit import Actor, record
from marketplace.core.db import for_update, write_transaction
from marketplace.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from marketplace.evaluation.assignments import EVALUATION_STATUSES
from marketplace.evaluation.conflicts import require_not_conflicted
from marketplace.evaluation.links import clarification_page
from marketplace.evaluation.policy import require_manager
from marketplace.evaluation.tables import ProposalReview
from marketplace.notifications.services import Message, notify

REVIEW_NOT_FOUND = "评审记录不存在。"


async def _review_for_manager(proposal_id: int, actor: Actor) -> dict:
    review = await ProposalReview.select().where(ProposalReview.proposal == proposal_id).first()
    if review is None:
        raise NotFound(REVIEW_NOT_FOUND)
    scenario, _ = await require_manager(review["scenario"], actor)
    await require_not_conflicted(proposal_id, actor.user_id)
    if scenario["status"] not in EVALUATION_STATUSES:
        raise Conflict("场景不在评审阶段，资格审查结果不能再修改。")
    return review


async def _set(proposal_id: int, actor: Actor, values: dict, action: str, reason: str = "") -> None:
    review = await _review_for_manager(proposal_id, actor)
    now = clock.now()
    async with write_transaction():
        await for_update(
            ProposalReview.select(ProposalReview.id).where(ProposalReview.id == review["id"])
        ).first()
        await ProposalReview.update(
            {
                **values,
                ProposalReview.checked_by: actor.user_id,
                ProposalReview.checked_at: now,
                ProposalReview.updated_at: now,
            }
        ).where(ProposalReview.id == review["id"])
        await record(
            actor,
            f"evaluation.{action}",
            "proposal",
            proposal_id,
            before={"eligibility": review["eligibility"]},
            after={k._meta.name: v for k, v in values.items() if not isinstance(v, dt.datetime)},
            reason=reason,
        )


async def mark_eligible(proposal_id: int, actor: Actor) -> None:
    await _set(
        proposal_id,
        actor,
        {ProposalReview.eligibility: "eligible", ProposalReview.eligibility_reason: ""},
        "mark_eligible",
    )


async def mark_ineligible(proposal_id: int, reason: str, actor: Actor) -> None:
    reason = reason.strip()
    if not reason:
        raise ValidationFailed("请填写不符合资格的原因。", {"reason": "请填写不符合资格的原因。"})
    if len(reason) > 1000:
        raise ValidationFailed("原因不能超过 1000 字。", {"reason": "原因不能超过 1000 字。"})
    await _set(
        proposal_id,
        actor,
        {ProposalReview.eligibility: "ineligible", ProposalReview.eligibility_reason: reason},
        "mark_ineligible",
        reason,
    )


async def request_clarification(
    proposal_id: int, question: str, deadline: dt.datetime | None, actor: Actor
) -> None:
    """Ask the lead company a question, answerable until ``deadline`` (in the future)."""
    question = question.strip()
    errors = {}
    if not question:
        errors["question"] = "请填写需要澄清的问题。"
    elif len(question) > 2000:
        errors["question"] = "问题不能超过 2000 字。"
    if deadline is None:
        errors["deadline"] = "请填写答复截止时间。"
    elif deadline <= clock.now():
        errors["deadline"] = "答复截止时间必须晚于现在。"
    if errors:
        raise ValidationFailed(next(iter(errors.values())), errors)
    assert deadline is not None  # a missing deadline is one of the errors above
    review = await _review_for_manager(proposal_id, actor)
    await _set(
        proposal_id,
        actor,
        {
            ProposalReview.eligibility: "clarification",
            ProposalReview.clarification_question: question,
            ProposalReview.clarification_deadline: deadline,
            ProposalReview.clarification_answer: "",
            ProposalReview.clarification_answered_at: None,
            ProposalReview.clarification_answered_by: None,
        },
        "request_clarification",
        question,
    )
    proposal = (
        await ProposalReview.select(
            ProposalReview.proposal.company,
            ProposalReview.proposal.number,
            ProposalReview.scenario.title,
        )
        .where(ProposalReview.id == review["id"])
        .first()
    )
    assert proposal is not None  # the review _review_for_manager has just found
    managers = [
        r["id"]
        for r in await User.select(User.id).where(
            (User.company == proposal["proposal.company"]) & (User.is_company_manager == True)
        )
    ]
    local = clock.to_park_time(deadline)
    await notify(
        managers,
        Message(
            kind="clarification_requested",
            title=f"方案 {proposal['proposal.number'] or proposal_id} 需要澄清",
            body=f"场景「{proposal['scenario.title']}」的评审需要贵单位澄清：{question}\n"
            f"请在 {local:%Y-%m-%d %H:%M} 前答复。",
            link=clarification_page(review["id"]),
        ),
    )


def _is_lead_manager(user, company_id: int) -> bool:
    return bool(
        getattr(user, "is_member", False)
        and getattr(user, "company_id", None) == company_id
        and getattr(user, "is_company_manager", False)
    )


async def get_clarification(review_id: int, user) -> dict:
    """The clarification of ``review_id`` for a member of the lead company (404 for anyone else,
    and while no clarification was ever asked)."""
    row = (
        await ProposalReview.select(
            ProposalReview.id,
            ProposalReview.proposal,
            ProposalReview.proposal.number,
            ProposalReview.proposal.summary,
            ProposalReview.proposal.company,
            ProposalReview.scenario.title,
            ProposalReview.eligibility,
            ProposalReview.clarification_question,
            ProposalReview.clarification_deadline,
            ProposalReview.clarification_answer,
            ProposalReview.clarification_answered_at,
        )
        .where(ProposalReview.id == review_id)
        .first()
    )
    if (
        row is None
        or not getattr(user, "is_member", False)
        or getattr(user, "company_id", None) != row["proposal.company"]
        or not row["clarification_question"]
    ):
        raise NotFound("澄清请求不存在。")
    row["open"] = (
        row["eligibility"] == "clarification"
        and not row["clarification_answer"]
        and row["clarification_deadline"] is not None
        and clock.now() < row["clarification_deadline"]
    )
    row["may_answer"] = row["open"] and _is_lead_manager(user, row["proposal.company"])
    return row


async def list_clarifications(user) -> list[dict]:
    """The clarifications asked of the user's company (newest first)."""
    company = getattr(user, "company_id", None)
    if not getattr(user, "is_member", False) or company is None:
        return []
    return (
        await ProposalReview.select(
            ProposalReview.id,
            ProposalReview.proposal.number,
            ProposalReview.scenario.title,
            ProposalReview.clarification_deadline,
            ProposalReview.clarification_answered_at,
        )
        .where((ProposalReview.proposal.company == company) & (ProposalReview.clarification_question != ""))
        .order_by(ProposalReview.id, ascending=False)
    )


async def answer_clarification(review_id: int, answer: str, user, actor: Actor) -> None:
    """The lead company's manager answers, once, before the deadline."""
    row = await get_clarification(review_id, user)
    if not _is_lead_manager(user, row["proposal.company"]):
        raise NotAllowed("只有牵头企业的管理员可以答复澄清。")
    answer = answer.strip()
    if not answer:
        raise ValidationFailed("请填写答复内容。", {"answer": "请填写答复内容。"})
    if len(answer) > 5000:
        raise ValidationFailed("答复不能超过 5000 字。", {"answer": "答复不能超过 5000 字。"})
    now = clock.now()
    async with write_transaction():
        current = await for_update(ProposalReview.select().where(ProposalReview.id == review_id)).first()
        assert current is not None  # get_clarification has just found it (reviews are not deleted)
        if current["eligibility"] != "clarification" or current["clarification_answer"]:
            raise Conflict("该澄清请求已答复或已关闭。")
        if current["clarification_deadline"] is None or now >= current["clarification_deadline"]:
            raise Conflict("已超过答复截止时间，不能再答复。")
        await ProposalReview.update(
            {
                ProposalReview.clarification_answer: answer,
                ProposalReview.clarification_answered_at: now,
                ProposalReview.clarification_answered_by: actor.user_id,
                ProposalReview.updated_at: now,
            }
        ).where(ProposalReview.id == review_id)
        await record(actor, "evaluation.answer_clarification", "proposal", current["proposal"])
