"""The bureau's decision: shortlist, pitch invitations, the partner (or no partner), and the
"decision board" that staff pages, exports and the printed report all read.

Who may act or read here: active staff of the scenario's own department and association admins
(read from the database, so a role change applies at once). Everyone else gets ``NotAllowed``; a
scenario of another department is ``NotFound`` (its existence is not revealed). An evaluator
*assigned* to the scenario who has not submitted his scores is refused (``NotAllowed``) until he
submits: the board shows every evaluator's scores and the ranking, which would break blind
scoring.

Everything written here is internal. Proposal statuses do not change before publication (a
member page showing "shortlisted" would leak the decision); only ``ProposalReview`` and
``ScenarioOutcome`` change. The one thing an applicant is told before publication is a pitch
invitation (it is not a decision). Publication lives in ``publication.py``.

Selecting a partner or declaring the scenario unsuccessful requires every assigned evaluator to
have submitted; staff may decide earlier only with an override reason, which is audited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from marketplace.accounts.tables import User
from marketplace.core import clock
from marketplace.core.audit import Actor, record
from marketplace.core.db import for_update, write_transaction
from marketplace.core.errors import Conflict, NotFound, ValidationFailed
from marketplace.departments.tables import Department
from marketplace.evaluation.links import result_page
from marketplace.evaluation.policy import board_scenario
from marketplace.evaluation.ranking import ProposalResult, Ranking, rank_proposals
from marketplace.evaluation.tables import (
    EvaluationScore,
    EvaluatorAssignment,
    ProposalReview,
    ScenarioOutcome,
)
from marketplace.notifications.services import Message, notify
from marketplace.proposals.status import RECEIVED_STATUSES
from marketplace.proposals.tables import ConflictDeclaration, Proposal, ProposalMember
from marketplace.scenarios import services as scenario_services
from marketplace.scenarios.tables import ScenarioCriterion

# Proposals that take part in the evaluation (drafts and withdrawn ones do not).
EVALUATED_STATUSES = RECEIVED_STATUSES
# Scenario statuses in which the board exists (proposals are in, the call is over).
DECIDED_STATUSES = ("awarded", "piloting", "completed", "unsuccessful")
RESULT_LABELS = {"awarded": "已选定合作伙伴", "unsuccessful": "未成交"}
MAX_REASON = 2000
DEFAULT_NOT_SELECTED_REASON = "经综合评审，本场景选定了其他方案。"


# --------------------------------------------------------------------------------------------
# The board: every evaluated proposal with its review, consortium and ranking


@dataclass
class BoardEntry:
    proposal: dict  # id, number, status, summary, submitted_at, company, company.name, company.size
    members: list[dict]  # accepted consortium members, the lead first: name, size, role, work_share
    review: dict  # eligibility, shortlist, pitch, decision (defaults when no review row exists)
    result: ProposalResult | None  # None for proposals not ranked: not eligible

    @property
    def id(self) -> int:
        return self.proposal["id"]


@dataclass
class Board:
    scenario: dict
    criteria: list[dict]  # id, name, description, weight
    evaluators: list[dict]  # id, name, email, submitted_at, conflicts_declared_at, label (评审专家N)
    entries: list[BoardEntry]  # in ranking order (ranked first), then unranked, then ineligible
    ranking: Ranking
    scores: list[dict]  # every submitted score: proposal, evaluator, criterion, score, comment
    conflicts: list[dict]  # every conflict declaration
    outcome: dict | None
    hidden: int = 0  # proposals left out because the reader is recused from them

    def entry(self, proposal_id: int) -> BoardEntry | None:
        return next((e for e in self.entries if e.id == proposal_id), None)

    @property
    def shortlisted(self) -> list[BoardEntry]:
        return [e for e in self.entries if e.review["shortlisted"]]

    @property
    def pending_evaluators(self) -> list[dict]:
        return [e for e in self.evaluators if e["submitted_at"] is None]


_REVIEW_DEFAULTS = {
    "eligibility": "pending",
    "eligibility_reason": "",
    "shortlisted": False,
    "shortlist_reason": "",
    "pitch_at": None,
    "pitch_place": "",
    "pitch_note": "",
    "decision": "pending",
    "decision_reason": "",
    "clarification_question": "",
    "clarification_answer": "",
    "consensus_note": "",
}


async def evaluator_labels(scenario_id: int) -> dict[int, str]:
    """Evaluator user id -> "评审专家N", numbered by assignment order (stable, anonymous)."""
    rows = (
        await EvaluatorAssignment.select(EvaluatorAssignment.evaluator)
        .where(EvaluatorAssignment.scenario == scenario_id)
        .order_by(EvaluatorAssignment.id)
    )
    return {r["evaluator"]: f"评审专家{i}" for i, r in enumerate(rows, start=1)}


async def evaluated_proposals(scenario_id: int) -> list[dict]:
    return (
        await Proposal.select(
            Proposal.id,
            Proposal.number,
            Proposal.status,
            Proposal.summary,
            Proposal.submitted_at,
            Proposal.company,
            Proposal.company.name,
            Proposal.company.size,
            Proposal.outcome_published,
            Proposal.disclose_name,
        )
        .where((Proposal.scenario == scenario_id) & Proposal.status.is_in(list(EVALUATED_STATUSES)))
        .order_by(Proposal.submitted_at)
        .order_by(Proposal.id)
    )


async def consortium_of(proposal_ids: list[int]) -> dict[int, list[dict]]:
    """Accepted members (the lead first) per proposal: company id, name, size, role, share, lead."""
    if not proposal_ids:
        return {}
    rows = (
        await ProposalMember.select(
            ProposalMember.proposal,
            ProposalMember.company,
            ProposalMember.company.name,
            ProposalMember.company.size,
            ProposalMember.role,
            ProposalMember.work_share,
            ProposalMember.is_lead,
        )
        .where(ProposalMember.proposal.is_in(proposal_ids) & (ProposalMember.status == "accepted"))
        .order_by(ProposalMember.is_lead, ascending=False)
        .order_by(ProposalMember.id)
    )
    out: dict[int, list[dict]] = {}
    for r in rows:
        out.setdefault(r["proposal"], []).append(
            {
                "company": r["company"],
                "name": r["company.name"],
                "size": r["company.size"],
                "role": r["role"],
                "work_share": r["work_share"],
                "is_lead": r["is_lead"],
            }
        )
    return out


async def load_board(scenario: dict) -> Board:
    """Read everything about one scenario's evaluation (call after ``board_scenario``)."""
    scenario_id = scenario["id"]
    department = (
        await Department.select(Department.name).where(Department.id == scenario["department"]).first()
    )
    scenario = {**scenario, "department_name": department["name"] if department else ""}
    criteria = (
        await ScenarioCriterion.select(
            ScenarioCriterion.id,
            ScenarioCriterion.name,
            ScenarioCriterion.description,
            ScenarioCriterion.weight,
        )
        .where(ScenarioCriterion.scenario == scenario_id)
        .order_by(ScenarioCriterion.position)
        .order_by(ScenarioCriterion.id)
    )
    assignments = (
        await EvaluatorAssignment.select(
            EvaluatorAssignment.evaluator,
            EvaluatorAssignment.evaluator.display_name,
            EvaluatorAssignment.evaluator.email,
            EvaluatorAssignment.submitted_at,
            EvaluatorAssignment.conflicts_declared_at,
        )
        .where(EvaluatorAssignment.scenario == scenario_id)
        .order_by(EvaluatorAssignment.id)
    )
    evaluators = [
        {
            "id": a["evaluator"],
            "name": a["evaluator.display_name"] or a["evaluator.email"],
            "email": a["evaluator.email"],
            "submitted_at": a["submitted_at"],
            "conflicts_declared_at": a["conflicts_declared_at"],
            "label": f"评审专家{i}",
        }
        for i, a in enumerate(assignments, start=1)
    ]
    # The reader's recused proposals are left out of everything below (evaluation.policy).
    recused = set(scenario.get("recused") or [])
    proposals = [p for p in await evaluated_proposals(scenario_id) if p["id"] not in recused]
    ids = [p["id"] for p in proposals]
    members = await consortium_of(ids)
    reviews = {
        r["proposal"]: r for r in await ProposalReview.select().where(ProposalReview.scenario == scenario_id)
    }
    conflicts = (
        await ConflictDeclaration.select(
            ConflictDeclaration.proposal,
            ConflictDeclaration.evaluator,
            ConflictDeclaration.conflicted,
            ConflictDeclaration.relation,
            ConflictDeclaration.system_flag,
            ConflictDeclaration.declared_at,
        )
        .where(ConflictDeclaration.scenario == scenario_id)
        .order_by(ConflictDeclaration.id)
    )
    conflicts = [c for c in conflicts if c["proposal"] not in recused]
    scores = (
        await EvaluationScore.select(
            EvaluationScore.proposal,
            EvaluationScore.evaluator,
            EvaluationScore.criterion,
            EvaluationScore.score,
            EvaluationScore.comment,
        )
        .where(EvaluationScore.proposal.is_in(ids or [0]) & (EvaluationScore.submitted == True))
        .order_by(EvaluationScore.id)
    )
    evaluator_ids = [e["id"] for e in evaluators]
    conflicted = {(c["proposal"], c["evaluator"]) for c in conflicts if c["conflicted"]}
    eligible = [p for p in ids if (reviews.get(p) or {}).get("eligibility") == "eligible"]
    ranking = rank_proposals(
        [(c["id"], c["weight"]) for c in criteria],
        [(s["proposal"], s["evaluator"], s["criterion"], s["score"]) for s in scores],
        eligible,
        {p: [e for e in evaluator_ids if (p, e) not in conflicted] for p in eligible},
    )
    by_id = {p["id"]: p for p in proposals}
    order = [r.proposal_id for r in ranking.results] + [p for p in ids if p not in set(eligible)]
    entries = []
    for pid in order:
        proposal = by_id[pid]
        review = {
            **_REVIEW_DEFAULTS,
            **{k: v for k, v in (reviews.get(pid) or {}).items() if k in _REVIEW_DEFAULTS},
        }
        consortium = members.get(pid) or [
            {
                "company": proposal["company"],
                "name": proposal["company.name"],
                "size": proposal["company.size"],
                "role": "牵头单位",
                "work_share": 100,
                "is_lead": True,
            }
        ]
        entries.append(BoardEntry(proposal, consortium, review, ranking.get(pid)))
    outcome = await ScenarioOutcome.select().where(ScenarioOutcome.scenario == scenario_id).first()
    return Board(scenario, criteria, evaluators, entries, ranking, scores, conflicts, outcome, len(recused))


async def read_board(actor: Actor, scenario_id: int) -> Board:
    """The board for staff pages and exports; the access rules of ``board_scenario``."""
    return await load_board(await board_scenario(actor, scenario_id))


# --------------------------------------------------------------------------------------------
# Writes


def _reason(value: str, field: str, message: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationFailed(message, {field: message})
    if len(text) > MAX_REASON:
        raise ValidationFailed(f"内容不能超过 {MAX_REASON} 字。", {field: f"内容不能超过 {MAX_REASON} 字。"})
    return text


async def _review_of(scenario_id: int, proposal_id: int) -> dict:
    """The proposal (of this scenario, being evaluated) and its review row, created if missing."""
    proposal = (
        await Proposal.select(Proposal.id, Proposal.number, Proposal.company, Proposal.status)
        .where(
            (Proposal.id == proposal_id)
            & (Proposal.scenario == scenario_id)
            & Proposal.status.is_in(list(EVALUATED_STATUSES))
        )
        .first()
    )
    if proposal is None:
        raise NotFound("方案不存在。")
    review = await for_update(ProposalReview.select().where(ProposalReview.proposal == proposal_id)).first()
    if review is None:
        await ProposalReview.insert(
            ProposalReview(proposal=proposal_id, scenario=scenario_id, updated_at=clock.now())
        )
        review = await ProposalReview.select().where(ProposalReview.proposal == proposal_id).first()
        assert review is not None  # inserted just above
    return {**review, "number": proposal["number"], "company": proposal["company"]}


def _require_undecided(scenario: dict) -> None:
    if scenario["status"] in DECIDED_STATUSES or scenario["status"] == "cancelled":
        raise Conflict("本场景已作出决定，不能再修改入围名单。")


async def _undecided_review(actor: Actor, scenario_id: int, proposal_id: int) -> tuple[dict, dict]:
    """The locked scenario (not decided yet, the actor may decide) and the proposal's review."""
    scenario = await board_scenario(actor, scenario_id, lock=True, deciding=True)
    _require_undecided(scenario)
    return scenario, await _review_of(scenario_id, proposal_id)


async def shortlist_proposal(scenario_id: int, proposal_id: int, actor: Actor, reason: str) -> None:
    """Put an eligible proposal on the shortlist with a reason (required). The first one moves
    the scenario to "shortlisted" (from "evaluating"; a "closed" scenario starts evaluation
    first). Internal: nobody outside staff learns of it. Emits ``evaluation.shortlist``."""
    reason = _reason(reason, "shortlist_reason", "请填写入围理由。")
    async with write_transaction():
        scenario, review = await _undecided_review(actor, scenario_id, proposal_id)
        if review["eligibility"] != "eligible":
            raise Conflict("只有资格审查合格的方案才能入围。")
        if review["shortlisted"]:
            raise Conflict("该方案已在入围名单中。")
        await ProposalReview.update(
            {
                ProposalReview.shortlisted: True,
                ProposalReview.shortlist_reason: reason,
                ProposalReview.updated_at: clock.now(),
            }
        ).where(ProposalReview.id == review["id"])
        if scenario["status"] == "closed":
            await scenario_services.start_scenario_evaluation(scenario_id, actor)
            scenario["status"] = "evaluating"
        if scenario["status"] == "evaluating":
            await scenario_services.shortlist_scenario(scenario_id, actor)
        await record(
            actor,
            "evaluation.shortlist",
            "proposal",
            proposal_id,
            after={"shortlisted": True, "scenario": scenario_id},
            reason=reason,
        )


async def remove_from_shortlist(scenario_id: int, proposal_id: int, actor: Actor, reason: str = "") -> None:
    """Take a proposal off the shortlist (and cancel its pitch invitation); the scenario stays
    "shortlisted" even when the list becomes empty (the status machine has no way back).
    Emits ``evaluation.unshortlist``."""
    async with write_transaction():
        _, review = await _undecided_review(actor, scenario_id, proposal_id)
        if not review["shortlisted"]:
            raise Conflict("该方案不在入围名单中。")
        await ProposalReview.update(
            {
                ProposalReview.shortlisted: False,
                ProposalReview.shortlist_reason: "",
                ProposalReview.pitch_at: None,
                ProposalReview.pitch_place: "",
                ProposalReview.pitch_note: "",
                ProposalReview.updated_at: clock.now(),
            }
        ).where(ProposalReview.id == review["id"])
        await record(
            actor,
            "evaluation.unshortlist",
            "proposal",
            proposal_id,
            before={"shortlist_reason": review["shortlist_reason"]},
            reason=(reason or "").strip(),
        )


async def company_managers(company_ids: list[int]) -> dict[int, list[int]]:
    """Active member users per company: its managers, or every member when it has none."""
    if not company_ids:
        return {}
    rows = await User.select(User.id, User.company, User.is_company_manager).where(
        User.company.is_in(company_ids) & (User.role == "member") & (User.active == True)
    )
    out: dict[int, list[int]] = {}
    for c in company_ids:
        users = [r for r in rows if r["company"] == c]
        managers = [r["id"] for r in users if r["is_company_manager"]]
        out[c] = managers or [r["id"] for r in users]
    return out


async def invite_to_pitch(
    scenario_id: int, proposal_id: int, actor: Actor, *, when: dt.datetime | None, place: str, note: str = ""
) -> None:
    """Invite a shortlisted proposal's lead company to present (a time in the future and a
    place, both required). The lead company's managers are notified ("您受邀参加方案路演") with
    the time and place only: no ranking or scores. Inviting again changes the time or place and
    notifies again. Emits ``evaluation.pitch_invite``."""
    errors = {}
    if when is None:
        errors["pitch_at"] = "请填写路演时间。"
    elif when <= clock.now():
        errors["pitch_at"] = "路演时间必须晚于现在。"
    place = (place or "").strip()
    if not place:
        errors["pitch_place"] = "请填写路演地点（或线上会议链接）。"
    elif len(place) > 200:
        errors["pitch_place"] = "地点不能超过 200 字。"
    note = (note or "").strip()
    if len(note) > MAX_REASON:
        errors["pitch_note"] = f"说明不能超过 {MAX_REASON} 字。"
    if errors:
        raise ValidationFailed("请检查路演邀请。", errors)
    assert when is not None  # a missing time is one of the errors above
    async with write_transaction():
        scenario, review = await _undecided_review(actor, scenario_id, proposal_id)
        if not review["shortlisted"]:
            raise Conflict("只能邀请入围方案参加路演。")
        await ProposalReview.update(
            {
                ProposalReview.pitch_at: when,
                ProposalReview.pitch_place: place,
                ProposalReview.pitch_note: note,
                ProposalReview.updated_at: clock.now(),
            }
        ).where(ProposalReview.id == review["id"])
        from marketplace.web.templating import park_datetime

        body = f"时间：{park_datetime(when)}\n地点：{place}" + (f"\n说明：{note}" if note else "")
        users = (await company_managers([review["company"]])).get(review["company"], [])
        await notify(
            users,
            Message(
                kind="pitch_invitation",
                title=f"您受邀参加方案路演：{scenario['title']}",
                body=f"贵企业提交的方案（{review['number']}）受邀参加路演。\n{body}",
                link=result_page(proposal_id),
            ),
        )
        await record(
            actor,
            "evaluation.pitch_invite",
            "proposal",
            proposal_id,
            after={"pitch_at": when.isoformat(), "pitch_place": place},
        )


async def _require_submissions(scenario_id: int, override_reason: str) -> str:
    """'' when every assigned evaluator has submitted; else the override reason (required)."""
    pending = await EvaluatorAssignment.select(
        EvaluatorAssignment.evaluator.display_name,
        EvaluatorAssignment.evaluator.email,
    ).where((EvaluatorAssignment.scenario == scenario_id) & EvaluatorAssignment.submitted_at.is_null())
    if not pending:
        return ""
    names = "、".join(p["evaluator.display_name"] or p["evaluator.email"] for p in pending)
    override = (override_reason or "").strip()
    if not override:
        message = f"还有评审专家未提交评分：{names}。如确需先行决定，请填写提前决定的原因。"
        raise ValidationFailed(message, {"override_reason": message})
    return override


async def _undecided_scenario(actor: Actor, scenario_id: int) -> dict:
    """The scenario, locked, if the actor may decide on it and no decision exists yet."""
    scenario = await board_scenario(actor, scenario_id, lock=True, deciding=True)
    if await ScenarioOutcome.exists().where(ScenarioOutcome.scenario == scenario_id):
        raise Conflict("本场景已作出决定。")
    _require_undecided(scenario)
    return scenario


async def select_partner(
    scenario_id: int,
    proposal_id: int,
    actor: Actor,
    *,
    reason: str,
    others_reason: str = "",
    override_reason: str = "",
) -> None:
    """Select one shortlisted proposal as the partner. Every other evaluated proposal is
    marked not selected with ``others_reason`` (a neutral default when empty). The scenario
    moves to "awarded" internally; the public keeps seeing "evaluating" until publication.

    ``ValidationFailed`` without a reason, or while evaluators have not submitted and no
    override reason is given; ``Conflict`` when the proposal is not shortlisted or a decision
    exists. Emits ``evaluation.select_partner`` (with the override reason when there is one)."""
    reason = _reason(reason, "reason", "请填写选定理由。")
    others = (others_reason or "").strip()[:MAX_REASON] or DEFAULT_NOT_SELECTED_REASON
    async with write_transaction():
        scenario = await _undecided_scenario(actor, scenario_id)
        review = await _review_of(scenario_id, proposal_id)
        if not review["shortlisted"] or scenario["status"] != "shortlisted":
            raise Conflict("只能从入围方案中选定合作伙伴。")
        override = await _require_submissions(scenario_id, override_reason)
        now = clock.now()
        await ScenarioOutcome.insert(
            ScenarioOutcome(
                scenario=scenario_id,
                result="awarded",
                selected_proposal=proposal_id,
                reason=reason,
                decided_by=actor.user_id,
                decided_at=now,
            )
        )
        await _mark_decisions(scenario_id, selected=proposal_id, reason=reason, others_reason=others, now=now)
        await scenario_services.award_scenario(scenario_id, actor)
        await record(
            actor,
            "evaluation.select_partner",
            "scenario",
            scenario_id,
            after={"selected_proposal": proposal_id, "override": override},
            reason=reason,
        )


async def declare_unsuccessful(
    scenario_id: int, actor: Actor, *, reason: str, override_reason: str = ""
) -> None:
    """No partner: the scenario becomes "unsuccessful" internally, every evaluated proposal not
    selected. The reason (required) is shown publicly once the result is published. Same
    evaluator rule as ``select_partner``. Emits ``evaluation.declare_unsuccessful``."""
    reason = _reason(reason, "reason", "请填写未成交的原因（公布结果后公开）。")
    async with write_transaction():
        scenario = await _undecided_scenario(actor, scenario_id)
        override = await _require_submissions(scenario_id, override_reason)
        now = clock.now()
        await ScenarioOutcome.insert(
            ScenarioOutcome(
                scenario=scenario_id,
                result="unsuccessful",
                reason=reason,
                decided_by=actor.user_id,
                decided_at=now,
            )
        )
        await _mark_decisions(scenario_id, selected=None, reason=reason, others_reason=reason, now=now)
        if scenario["status"] == "closed":
            await scenario_services.start_scenario_evaluation(scenario_id, actor)
        await scenario_services.declare_scenario_unsuccessful(scenario_id, actor, reason)
        await record(
            actor,
            "evaluation.declare_unsuccessful",
            "scenario",
            scenario_id,
            after={"override": override},
            reason=reason,
        )


async def _mark_decisions(
    scenario_id: int, *, selected: int | None, reason: str, others_reason: str, now: dt.datetime
) -> None:
    for proposal in await evaluated_proposals(scenario_id):
        review = await _review_of(scenario_id, proposal["id"])
        chosen = proposal["id"] == selected
        await ProposalReview.update(
            {
                ProposalReview.decision: "selected" if chosen else "not_selected",
                ProposalReview.decision_reason: reason if chosen else others_reason,
                ProposalReview.updated_at: now,
            }
        ).where(ProposalReview.id == review["id"])
