"""质疑 (objections) to a published result.

For ``settings.objection_days`` days after the result is published, a company that applied on
the scenario (the lead or an accepted consortium member of a proposal that went to evaluation)
may object, with a reason. The scenario's department answers each objection. Objections and
answers are shown to the parties only (the objecting company, the department's staff and
admins); the public sees how many were lodged and answered. While an objection is unanswered
the pilot cannot start (``open_objections``, checked by ``pilots.start_pilot``).

Every state change is audited (``objection.raise``, ``objection.answer``) and notifies the
other party. Raises ``NotFound`` for what the caller may not know of, ``Conflict`` outside the
window or for an answered objection, ``ValidationFailed`` for a bad reason or answer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from marketplace.accounts.tables import User
from marketplace.core import clock
from marketplace.core.audit import Actor, record
from marketplace.core.db import for_update, write_transaction
from marketplace.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from marketplace.core.text import clean_text
from marketplace.evaluation.decisions import EVALUATED_STATUSES
from marketplace.evaluation.links import decision_page, result_page
from marketplace.evaluation.policy import board_scenario, reader_of
from marketplace.evaluation.tables import Objection, ScenarioOutcome
from marketplace.notifications.services import Message, notify
from marketplace.proposals.tables import Proposal, ProposalMember
from marketplace.scenarios import audience
from marketplace.scenarios.tables import Scenario
from marketplace.settings import get_settings

MIN_TEXT = 10
MAX_TEXT = 2000


def window_end(published_at: dt.datetime) -> dt.datetime:
    """The last moment an objection may be lodged on a result published at ``published_at``."""
    return published_at + dt.timedelta(days=get_settings().objection_days)


def _text(value: str, field: str, what: str) -> str:
    text = clean_text((value or "").replace("\r\n", "\n")).strip()
    if len(text) < MIN_TEXT:
        raise ValidationFailed(
            f"请填写{what}（至少 {MIN_TEXT} 个字）。", {field: f"请填写{what}（至少 {MIN_TEXT} 个字）。"}
        )
    if len(text) > MAX_TEXT:
        raise ValidationFailed(f"{what}最多 {MAX_TEXT} 字。", {field: f"{what}最多 {MAX_TEXT} 字。"})
    return text


async def applicant_proposal(scenario_id: int, company_id: int | None) -> int | None:
    """The id of the company's evaluated proposal on the scenario (lead or accepted member)."""
    if not company_id:
        return None
    member_of = ProposalMember.select(ProposalMember.proposal).where(
        (ProposalMember.company == company_id) & (ProposalMember.status == "accepted")
    )
    row = (
        await Proposal.select(Proposal.id)
        .where(
            (Proposal.scenario == scenario_id)
            & ((Proposal.company == company_id) | Proposal.id.is_in(member_of))
            & Proposal.status.is_in(list(EVALUATED_STATUSES))
        )
        .first()
    )
    return row["id"] if row else None


async def _published_at(scenario_id: int) -> dt.datetime | None:
    row = (
        await ScenarioOutcome.select(ScenarioOutcome.published_at)
        .where(
            (ScenarioOutcome.scenario == scenario_id)
            & ScenarioOutcome.published_at.is_not_null()
            & ScenarioOutcome.scenario.result_published_at.is_not_null()
        )
        .first()
    )
    return row["published_at"] if row else None


async def raise_objection(scenario_id: int, actor: Actor, reason: str) -> int:
    """An applicant's user lodges an objection; the department's staff are notified."""
    if actor.user_id is None:
        raise NotAllowed("请先登录。")
    user = await User.select(User.company, User.role).where(User.id == actor.user_id).first()
    company = user["company"] if user and user["role"] == "member" else None
    proposal_id = await applicant_proposal(scenario_id, company)
    published_at = await _published_at(scenario_id)
    if proposal_id is None or published_at is None:
        raise NotFound("只有在本场景提交过方案的企业可以对已公布的结果提出质疑。")
    if clock.now() > window_end(published_at):
        raise Conflict(f"质疑期已于 {clock.to_park_time(window_end(published_at)):%Y-%m-%d %H:%M} 结束。")
    text = _text(reason, "reason", "质疑理由")
    async with write_transaction():
        scenario = (
            await Scenario.select(Scenario.title, Scenario.department)
            .where(Scenario.id == scenario_id)
            .first()
        )
        assert scenario is not None  # it has a published result
        row = Objection(
            scenario=scenario_id, company=company, raised_by=actor.user_id, reason=text, raised_at=clock.now()
        )
        await row.save()
        await record(
            actor, "objection.raise", "objection", row.id, after={"scenario": scenario_id, "reason": text}
        )
        await notify(
            await audience.department_staff(scenario["department"]),
            Message(
                "objection_raised",
                f"收到质疑：{scenario['title']}",
                f"一家申报企业对公布的结果提出质疑，请及时答复（答复前不能启动试点）。\n质疑理由：{text[:500]}",
                decision_page(scenario_id) + "#objections",
            ),
        )
    return row.id


async def answer_objection(objection_id: int, actor: Actor, answer: str) -> None:
    """The scenario's department staff answer an objection (once); the objector's company is told."""
    text = _text(answer, f"answer_{objection_id}", "答复")
    async with write_transaction():
        row = await for_update(
            Objection.select(
                Objection.id, Objection.scenario, Objection.company, Objection.answered_at
            ).where(Objection.id == objection_id)
        ).first()
        if row is None:
            raise NotFound("质疑不存在。")
        scenario = await board_scenario(
            actor, row["scenario"], deciding=True
        )  # NotFound for other departments
        if (await reader_of(actor)).is_admin:
            raise NotAllowed("质疑由发布场景的部门答复。")
        if row["answered_at"] is not None:
            raise Conflict("该质疑已经答复。")
        await Objection.update(
            {Objection.answer: text, Objection.answered_by: actor.user_id, Objection.answered_at: clock.now()}
        ).where(Objection.id == objection_id)
        await record(actor, "objection.answer", "objection", objection_id, after={"answer": text})
        proposal_id = await applicant_proposal(row["scenario"], row["company"])
        await notify(
            await audience.member_users_of({row["company"]}),
            Message(
                "objection_answered",
                f"质疑已答复：{scenario['title']}",
                text[:500],
                result_page(proposal_id) + "#objections" if proposal_id else "",
            ),
        )


@dataclass(frozen=True)
class ObjectionItem:
    """An objection as its parties see it (the company's name for the department only)."""

    id: int
    reason: str
    raised_at: dt.datetime
    answer: str
    answered_at: dt.datetime | None
    company_name: str = ""


async def _items(where, with_company: bool) -> list[ObjectionItem]:
    rows = (
        await Objection.select(
            Objection.id,
            Objection.reason,
            Objection.raised_at,
            Objection.answer,
            Objection.answered_at,
            Objection.company.name.as_alias("company_name"),
        )
        .where(where)
        .order_by(Objection.id)
    )
    return [ObjectionItem(**{**r, "company_name": r["company_name"] if with_company else ""}) for r in rows]


async def company_objections(scenario_id: int, company_id: int | None) -> list[ObjectionItem]:
    """The company's own objections on the scenario (the objector's side)."""
    if not company_id:
        return []
    return await _items((Objection.scenario == scenario_id) & (Objection.company == company_id), False)


async def department_objections(scenario_id: int) -> list[ObjectionItem]:
    """Every objection on the scenario, with the company's name (the decision page; its guard
    and ``board_scenario`` decide who reads it)."""
    return await _items(Objection.scenario == scenario_id, True)


@dataclass(frozen=True)
class ObjectionWindow:
    """What the public result page says of objections."""

    days: int
    ends_at: dt.datetime
    is_open: bool
    lodged: int
    answered: int


async def objection_window(scenario_id: int, published_at: dt.datetime) -> ObjectionWindow:
    rows = await Objection.select(Objection.answered_at).where(Objection.scenario == scenario_id)
    ends = window_end(published_at)
    return ObjectionWindow(
        days=get_settings().objection_days,
        ends_at=ends,
        is_open=clock.now() <= ends,
        lodged=len(rows),
        answered=sum(1 for r in rows if r["answered_at"] is not None),
    )


async def open_objections(scenario_id: int) -> int:
    """How many objections on the scenario await an answer."""
    return await Objection.count().where(
        (Objection.scenario == scenario_id) & Objection.answered_at.is_null()
    )
