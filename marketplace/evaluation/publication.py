"""Publishing the result, and what each audience sees of it.

``publish_result`` is the one moment a decision leaves the staff area: the outcome gets its
publication time, the scenario's public status follows its internal one again, every evaluated
proposal becomes ``selected`` / ``not_selected`` with ``outcome_published``, each applicant
company (the lead and its accepted consortium members) is told its own outcome, and the search
index re-reads the scenario and the proposals.

Reads:

* ``published_result`` — for the public scenario page and API: the partner and its consortium
  (or "未成交" with the reason), ``None`` before publication. Nothing else.
* ``member_result`` — for an applicant company: its own proposal's outcome and its own scores
  per criterion with the evaluators' comments (evaluators anonymised as 评审专家N) and its
  weighted total, only after publication. Before it: the proposal and any pitch invitation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from marketplace.core import clock
from marketplace.core.audit import Actor, record
from marketplace.core.db import write_transaction
from marketplace.core.errors import Conflict, NotFound
from marketplace.evaluation import decisions
from marketplace.evaluation.links import result_page
from marketplace.evaluation.objections import objection_window
from marketplace.evaluation.policy import board_scenario
from marketplace.evaluation.ranking import evaluate_proposal
from marketplace.evaluation.tables import (
    EvaluationScore,
    EvaluatorAssignment,
    ProposalReview,
    ScenarioOutcome,
)
from marketplace.notifications.services import Message, notify
from marketplace.proposals.services import publish_proposal_outcome
from marketplace.proposals.tables import ConflictDeclaration, Proposal, ProposalMember
from marketplace.scenarios import audience
from marketplace.scenarios import services as scenario_services
from marketplace.scenarios.links import scenario_page
from marketplace.scenarios.schemas import PublishedResult, RankedApplicant, ResultCompany
from marketplace.scenarios.tables import ScenarioCriterion


async def publish_result(scenario_id: int, actor: Actor) -> None:
    """Publish the decision of a scenario (department staff or admins; see ``decisions``).

    ``Conflict`` when no decision was made yet or it is already published. Emits
    ``evaluation.publish_result`` (and the scenario's ``scenario.publish_result``), one
    ``evaluation_result`` notification per applicant user, outbox rows for the scenario and
    every evaluated proposal.
    """
    async with write_transaction():
        scenario = await board_scenario(actor, scenario_id, lock=True, deciding=True)
        outcome = await ScenarioOutcome.select().where(ScenarioOutcome.scenario == scenario_id).first()
        if outcome is None:
            raise Conflict("尚未作出决定（选定合作伙伴或宣布未成交），不能公布结果。")
        if outcome["published_at"] is not None:
            raise Conflict("结果已经公布。")
        now = clock.now()
        await scenario_services.publish_scenario_result(scenario_id, actor)
        await ScenarioOutcome.update(
            {
                ScenarioOutcome.published_at: now,
                ScenarioOutcome.published_by: actor.user_id,
            }
        ).where(ScenarioOutcome.id == outcome["id"])
        proposals = await decisions.evaluated_proposals(scenario_id)
        members = await decisions.consortium_of([p["id"] for p in proposals])
        selected = outcome["selected_proposal"]
        told: set[int] = set()
        for p in proposals:
            status = "selected" if p["id"] == selected else "not_selected"
            await publish_proposal_outcome(p["id"], status == "selected", at=now)
            companies = {p["company"]} | {m["company"] for m in members.get(p["id"], [])}
            managers = await decisions.company_managers(sorted(companies))
            told |= set(
                await notify(
                    [u for users in managers.values() for u in users],
                    _result_message(scenario["title"], outcome, p["id"], p["number"], status == "selected"),
                )
            )
        # Followers hear the public result (applicants already had their own message).
        await notify(
            set(await audience.followers(scenario_id)) - told,
            Message(
                kind="evaluation_result",
                title=f"关注的场景已公布结果：{scenario['title']}",
                body="评审结果已在场景页公布（成交情况、收到和合格的方案数、入围排名）。",
                link=scenario_page(scenario_id) + "#result",
            ),
        )
        await record(
            actor,
            "evaluation.publish_result",
            "scenario",
            scenario_id,
            after={"result": outcome["result"], "selected_proposal": selected, "proposals": len(proposals)},
        )


def _result_message(
    title: str, outcome: dict, proposal_id: int, number: str | None, selected: bool
) -> Message:
    link = result_page(proposal_id)
    if selected:
        return Message(
            kind="evaluation_result",
            title=f"贵企业的方案已入选：{title}",
            body=f"方案 {number} 被选定为本场景的合作方案。可查看评分和评审意见。",
            link=link,
        )
    if outcome["result"] == "unsuccessful":
        return Message(
            kind="evaluation_result",
            title=f"评审结果已公布（未成交）：{title}",
            body=f"本场景未选定合作伙伴。原因：{outcome['reason']}\n可查看贵企业方案 {number} 的评分和评审意见。",
            link=link,
        )
    return Message(
        kind="evaluation_result",
        title=f"评审结果已公布：{title}",
        body=f"很遗憾，贵企业的方案 {number} 未入选。可查看评分和评审意见。",
        link=link,
    )


# --------------------------------------------------------------------------------------------
# Public


async def published_result(scenario_id: int) -> PublishedResult | None:
    """The published outcome of a scenario, or ``None`` before publication (nothing internal)."""
    row = (
        await ScenarioOutcome.select(
            ScenarioOutcome.result,
            ScenarioOutcome.reason,
            ScenarioOutcome.selected_proposal,
            ScenarioOutcome.published_at,
        )
        .where(
            (ScenarioOutcome.scenario == scenario_id)
            & ScenarioOutcome.published_at.is_not_null()
            & ScenarioOutcome.scenario.result_published_at.is_not_null()
        )
        .first()
    )
    if row is None:
        return None
    consortium: list[ResultCompany] = []
    award_amount = None
    if row["result"] == "awarded" and row["selected_proposal"]:
        consortium = await _published_consortium(row["selected_proposal"])
        price = (
            await Proposal.select(Proposal.cost_estimate)
            .where(Proposal.id == row["selected_proposal"])
            .first()
        )
        award_amount = price["cost_estimate"] if price else None
    partner = next((c for c in consortium if c.is_lead), None)
    board = await decisions.load_board({"id": scenario_id, "department": None})
    window = await objection_window(scenario_id, row["published_at"])
    return PublishedResult(
        result=row["result"],
        result_label=decisions.RESULT_LABELS[row["result"]],
        published_at=row["published_at"],
        reason=row["reason"] if row["result"] == "unsuccessful" else "",
        partner=partner,
        consortium=consortium,
        received=len(board.entries),
        eligible=sum(1 for e in board.entries if e.review["eligibility"] == "eligible"),
        ranking=published_ranking(
            board.shortlisted, row["selected_proposal"], partner.name if partner else ""
        ),
        award_amount=award_amount,
        objection_days=window.days,
        objection_deadline=window.ends_at,
        objections_open=window.is_open,
        objections_lodged=window.lodged,
        objections_answered=window.answered,
    )


def anonymous_label(index: int) -> str:
    """申报方 A, B, … Z, then AA, AB, … (by published rank)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return f"申报方 {letters}"


def published_ranking(shortlisted: list, selected: int | None, partner_name: str) -> list[RankedApplicant]:
    """The shortlisted proposals in ranking order (``Board.shortlisted``): a company's name only
    where it agreed on its proposal form (the selected partner is named by the result anyway);
    the others get a letter in rank order."""
    out: list[RankedApplicant] = []
    anonymous = 0
    for entry in shortlisted:
        is_selected = entry.id == selected
        if is_selected and partner_name:
            label, named = partner_name, True
        elif entry.proposal.get("disclose_name"):
            label, named = entry.proposal["company.name"], True
        else:
            label, named = anonymous_label(anonymous), False
            anonymous += 1
        result = entry.result
        out.append(
            RankedApplicant(
                rank=result.rank if result else None,
                label=label,
                named=named,
                selected=is_selected,
            )
        )
    return out


async def _published_consortium(proposal_id: int) -> list[ResultCompany]:
    proposal = (
        await Proposal.select(
            Proposal.company,
            Proposal.company.name,
            Proposal.company.size,
            Proposal.company.status,
            Proposal.company.publish_profile,
        )
        .where(Proposal.id == proposal_id)
        .first()
    )
    assert proposal is not None  # the outcome's selected proposal (foreign key)
    rows = (
        await ProposalMember.select(
            ProposalMember.company,
            ProposalMember.company.name,
            ProposalMember.company.size,
            ProposalMember.company.status,
            ProposalMember.company.publish_profile,
            ProposalMember.role,
            ProposalMember.work_share,
            ProposalMember.is_lead,
        )
        .where((ProposalMember.proposal == proposal_id) & (ProposalMember.status == "accepted"))
        .order_by(ProposalMember.is_lead, ascending=False)
        .order_by(ProposalMember.id)
    )
    if not any(r["company"] == proposal["company"] for r in rows):  # a proposal without member rows
        rows.insert(
            0,
            {
                "company": proposal["company"],
                "company.name": proposal["company.name"],
                "company.size": proposal["company.size"],
                "company.status": proposal["company.status"],
                "company.publish_profile": proposal["company.publish_profile"],
                "role": "牵头单位",
                "work_share": 100,
                "is_lead": True,
            },
        )
    return [
        ResultCompany(
            id=r["company"],
            name=r["company.name"],
            is_sme=r["company.size"] == "sme",
            is_lead=r["company"] == proposal["company"],
            role=r["role"] or ("牵头单位" if r["is_lead"] else "成员单位"),
            work_share=r["work_share"],
            profile_public=r["company.status"] == "approved" and bool(r["company.publish_profile"]),
        )
        for r in rows
    ]


# --------------------------------------------------------------------------------------------
# Applicants


@dataclass
class MemberResult:
    proposal: dict  # id, number, status, summary, submitted_at, scenario, scenario.title, company.name
    published: bool
    outcome: str  # selected | not_selected | "" (not published)
    scenario_result: str  # awarded | unsuccessful | ""
    reason: str  # the unsuccessful reason (public anyway), else ""
    pitch: dict | None  # pitch_at, pitch_place, pitch_note when invited (before or after)
    criteria: list[dict]  # name, weight, mean, scores: [(label, score, comment)]
    total: float | None
    evaluators: list[str]
    stage_label: str = ""  # where it stands before the outcome is published


async def member_result(proposal_id: int, company_id: int | None) -> MemberResult:
    """The outcome of a proposal for a company that applied with it (lead or accepted member).

    ``NotFound`` for anyone else and for proposals never submitted (ids reveal nothing). Scores
    appear only after publication, and only this proposal's.
    """
    if not company_id:
        raise NotFound("方案不存在或您无权查看。")
    member_of = ProposalMember.select(ProposalMember.proposal).where(
        (ProposalMember.company == company_id) & (ProposalMember.status == "accepted")
    )
    proposal = (
        await Proposal.select(
            Proposal.id,
            Proposal.number,
            Proposal.status,
            Proposal.summary,
            Proposal.submitted_at,
            Proposal.outcome_published,
            Proposal.scenario,
            Proposal.scenario.title,
            Proposal.scenario.proposal_deadline,
            Proposal.company.name,
        )
        .where(
            (Proposal.id == proposal_id)
            & ((Proposal.company == company_id) | Proposal.id.is_in(member_of))
            & Proposal.status.is_in(list(decisions.EVALUATED_STATUSES))
        )
        .first()
    )
    if proposal is None:
        raise NotFound("方案不存在或您无权查看。")
    review = (
        await ProposalReview.select(
            ProposalReview.shortlisted,
            ProposalReview.pitch_at,
            ProposalReview.pitch_place,
            ProposalReview.pitch_note,
        )
        .where(ProposalReview.proposal == proposal_id)
        .first()
    )
    pitch = review if review and review["pitch_at"] else None
    outcome = (
        await ScenarioOutcome.select(ScenarioOutcome.result, ScenarioOutcome.reason)
        .where(
            (ScenarioOutcome.scenario == proposal["scenario"]) & ScenarioOutcome.published_at.is_not_null()
        )
        .first()
    )
    published = bool(proposal["outcome_published"]) and outcome is not None
    result = MemberResult(
        proposal=proposal,
        published=published,
        outcome="",
        scenario_result="",
        reason="",
        pitch=pitch,
        criteria=[],
        total=None,
        evaluators=[],
        stage_label="" if published else _stage_label({**proposal, "outcome_published": False}, clock.now()),
    )
    if not published:
        return result
    assert outcome is not None  # published says so
    result.outcome = proposal["status"]
    result.scenario_result = outcome["result"]
    result.reason = outcome["reason"] if outcome["result"] == "unsuccessful" else ""
    await _fill_scores(result, proposal["scenario"], proposal_id)
    return result


async def _fill_scores(result: MemberResult, scenario_id: int, proposal_id: int) -> None:
    labels = await decisions.evaluator_labels(scenario_id)
    criteria = (
        await ScenarioCriterion.select(
            ScenarioCriterion.id,
            ScenarioCriterion.name,
            ScenarioCriterion.weight,
        )
        .where(ScenarioCriterion.scenario == scenario_id)
        .order_by(ScenarioCriterion.position)
        .order_by(ScenarioCriterion.id)
    )
    scores = await EvaluationScore.select(
        EvaluationScore.evaluator,
        EvaluationScore.criterion,
        EvaluationScore.score,
        EvaluationScore.comment,
    ).where((EvaluationScore.proposal == proposal_id) & (EvaluationScore.submitted == True))
    conflicted = {
        c["evaluator"]
        for c in await ConflictDeclaration.select(ConflictDeclaration.evaluator).where(
            (ConflictDeclaration.proposal == proposal_id) & (ConflictDeclaration.conflicted == True)
        )
    }
    assigned = [
        r["evaluator"]
        for r in await EvaluatorAssignment.select(EvaluatorAssignment.evaluator)
        .where(EvaluatorAssignment.scenario == scenario_id)
        .order_by(EvaluatorAssignment.id)
    ]
    expected = [e for e in assigned if e not in conflicted]
    counted = [s for s in scores if s["evaluator"] in expected]
    computed = evaluate_proposal(
        proposal_id,
        [(c["id"], c["weight"]) for c in criteria],
        [(s["evaluator"], s["criterion"], s["score"]) for s in counted],
        expected,
    )
    means = {m.criterion_id: m.mean for m in computed.criteria}
    result.total = computed.total
    result.evaluators = [labels[e] for e in expected if any(s["evaluator"] == e for s in counted)]
    for c in criteria:
        own = sorted(
            (s for s in counted if s["criterion"] == c["id"]), key=lambda s: assigned.index(s["evaluator"])
        )
        result.criteria.append(
            {
                "name": c["name"],
                "weight": c["weight"],
                "mean": means.get(c["id"]),
                "scores": [(labels.get(s["evaluator"], "评审专家"), s["score"], s["comment"]) for s in own],
            }
        )


async def list_member_results(company_id: int | None) -> list[dict]:
    """The company's proposals that went to evaluation (lead or accepted member), newest first,
    with ``outcome_published``; the outcome itself (``status``) only where it is published."""
    if not company_id:
        return []
    member_of = ProposalMember.select(ProposalMember.proposal).where(
        (ProposalMember.company == company_id) & (ProposalMember.status == "accepted")
    )
    rows = (
        await Proposal.select(
            Proposal.id,
            Proposal.number,
            Proposal.status,
            Proposal.outcome_published,
            Proposal.submitted_at,
            Proposal.scenario,
            Proposal.scenario.title,
            Proposal.scenario.proposal_deadline,
        )
        .where(
            ((Proposal.company == company_id) | Proposal.id.is_in(member_of))
            & Proposal.status.is_in(list(decisions.EVALUATED_STATUSES))
        )
        .order_by(Proposal.submitted_at, ascending=False)
    )
    now = clock.now()
    for r in rows:
        r["stage_label"] = _stage_label(r, now)
        if not r["outcome_published"]:
            r["status"] = ""
    return rows


def _stage_label(row: dict, now: dt.datetime) -> str:
    """Where an applicant's proposal stands, in the applicant's words, before the outcome."""
    if row["outcome_published"]:
        return ""
    if row["status"] == "submitted":
        deadline = row["scenario.proposal_deadline"]
        if deadline is None or deadline > now:
            return "已提交，征集截止后开始评审"
        return "已提交，等待部门开始评审"
    return "评审中，结果尚未公布"
