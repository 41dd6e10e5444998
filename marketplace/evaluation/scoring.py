"""Scoring: each assigned evaluator scores each eligible proposal he is not conflicted on, on
every criterion of the scenario, 0-10 (integers) with a comment. A comment is required for a
low score (0-3), so a rejection is always explained; other comments are optional but shown to
the applicant once the result is published.

Scores are saved as drafts (``submitted`` false) and changed freely, then the evaluator submits
all his scores of the scenario at once: refused while any is missing (the message lists them)
or while any proposal's eligibility is still undecided. After submitting, his scores are locked.

Blind: before submitting, an evaluator sees only his own scores. After submitting he sees the
others' too (except on proposals he is conflicted on, which he never sees); managers who are not
evaluators of the scenario (department staff, admins) see everything, as progress.
"""

from __future__ import annotations

from dataclasses import dataclass

from piccolo.custom_types import Combinable

from marketplace.core import clock
from marketplace.core.audit import Actor, record
from marketplace.core.db import for_update, write_transaction
from marketplace.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from marketplace.evaluation import ranking as rk
from marketplace.evaluation.assignments import (
    EVALUATION_STATUSES,
    get_assignment,
    list_assignments,
    reviewed_proposals,
)
from marketplace.evaluation.conflicts import (
    NOT_ASSIGNED,
    conflicted_proposals,
    proposal_companies,
    require_not_conflicted,
)
from marketplace.evaluation.policy import get_scenario, is_manager, person, require_manager
from marketplace.evaluation.tables import EvaluationScore, EvaluatorAssignment, ProposalReview
from marketplace.proposals.tables import ConflictDeclaration, ProposalVersion
from marketplace.scenarios.tables import ScenarioCriterion

SCORE_MIN, SCORE_MAX = 0, 10
LOW_SCORE = 3  # at or below: a comment is required
COMMENT_MAX = 2000
NOT_ELIGIBLE = "该方案未通过资格审查，不参与评分。"
DECLARE_FIRST = "请先完成利益冲突声明，再查看和评分方案。"


@dataclass(frozen=True)
class ScoreInput:
    criterion_id: int
    score: int | None  # None clears a draft score
    comment: str = ""


async def scenario_criteria(scenario_id: int) -> list[dict]:
    return (
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


async def _evaluator_for_proposal(proposal_id: int, user_id: int | None) -> tuple[dict, dict, dict]:
    """(review, scenario, assignment) when ``user_id`` may score ``proposal_id`` now; raises
    NotFound / NotAllowed with the reason otherwise."""
    review = await ProposalReview.select().where(ProposalReview.proposal == proposal_id).first()
    if review is None:
        raise NotFound("方案不存在或不在评审中。")
    scenario = await get_scenario(review["scenario"])
    assignment = await get_assignment(scenario["id"], user_id)
    if assignment is None:
        raise NotAllowed(NOT_ASSIGNED)
    if assignment["conflicts_declared_at"] is None:
        raise NotAllowed(DECLARE_FIRST)
    await require_not_conflicted(proposal_id, user_id)
    if scenario["proposal_deadline"] is not None and clock.now() < scenario["proposal_deadline"]:
        raise NotAllowed("征集截止前不能查看方案。")
    if review["eligibility"] != "eligible":
        raise NotAllowed(NOT_ELIGIBLE)
    return review, scenario, assignment


async def own_scores(proposal_id: int, evaluator_id: int) -> dict[int, dict]:
    """criterion id -> {score, comment, submitted} of one evaluator on one proposal."""
    rows = await EvaluationScore.select(
        EvaluationScore.criterion,
        EvaluationScore.score,
        EvaluationScore.comment,
        EvaluationScore.submitted,
    ).where((EvaluationScore.proposal == proposal_id) & (EvaluationScore.evaluator == evaluator_id))
    return {r["criterion"]: r for r in rows}


def _validate(entries: list[ScoreInput], criteria: dict[int, dict]) -> dict[str, str]:
    errors: dict[str, str] = {}
    for e in entries:
        if e.criterion_id not in criteria:
            errors[f"score_{e.criterion_id}"] = "评分项不属于本场景。"
            continue
        name = criteria[e.criterion_id]["name"]
        if e.score is None:
            continue
        if isinstance(e.score, bool) or not SCORE_MIN <= e.score <= SCORE_MAX:
            errors[f"score_{e.criterion_id}"] = f"「{name}」的评分须为 0 到 10 的整数。"
        elif e.score <= LOW_SCORE and not e.comment.strip():
            errors[f"comment_{e.criterion_id}"] = (
                f"「{name}」评分为 {e.score} 分（3 分及以下），请填写评语说明理由。"
            )
        if len(e.comment) > COMMENT_MAX:
            errors[f"comment_{e.criterion_id}"] = f"「{name}」的评语不能超过 {COMMENT_MAX} 字。"
    return errors


async def save_scores(proposal_id: int, entries: list[ScoreInput], actor: Actor) -> None:
    """Save the evaluator's draft scores on one proposal (a None score clears that criterion).
    Bad input stores nothing."""
    _review, scenario, assignment = await _evaluator_for_proposal(proposal_id, actor.user_id)
    assert actor.user_id is not None  # he has an assignment
    if scenario["status"] not in EVALUATION_STATUSES:
        raise Conflict("场景不在评审阶段，不能评分。")
    if assignment["submitted_at"] is not None:
        raise Conflict("您已提交本场景的评分，评分已锁定。")
    criteria = {c["id"]: c for c in await scenario_criteria(scenario["id"])}
    errors = _validate(entries, criteria)
    if errors:
        raise ValidationFailed("评分未保存：" + "；".join(errors.values()), errors)
    now = clock.now()
    async with write_transaction():
        locked = await for_update(
            EvaluatorAssignment.select(EvaluatorAssignment.submitted_at).where(
                EvaluatorAssignment.id == assignment["id"]
            )
        ).first()
        if locked is None or locked["submitted_at"] is not None:
            raise Conflict("您已提交本场景的评分，评分已锁定。")
        existing = await own_scores(proposal_id, actor.user_id)
        for e in entries:
            where = (
                (EvaluationScore.proposal == proposal_id)
                & (EvaluationScore.evaluator == actor.user_id)
                & (EvaluationScore.criterion == e.criterion_id)
            )
            if e.score is None:
                if e.criterion_id in existing:
                    await EvaluationScore.delete().where(where)
            elif e.criterion_id in existing:
                await EvaluationScore.update(
                    {
                        EvaluationScore.score: e.score,
                        EvaluationScore.comment: e.comment.strip(),
                        EvaluationScore.updated_at: now,
                    }
                ).where(where)
            else:
                await EvaluationScore.insert(
                    EvaluationScore(
                        proposal=proposal_id,
                        evaluator=actor.user_id,
                        criterion=e.criterion_id,
                        score=e.score,
                        comment=e.comment.strip(),
                        submitted=False,
                        created_at=now,
                        updated_at=now,
                    )
                )
        await record(
            actor,
            "evaluation.save_scores",
            "proposal",
            proposal_id,
            after={str(e.criterion_id): e.score for e in entries},
        )


async def scorable_proposals(scenario_id: int, evaluator_id: int) -> list[dict]:
    """The proposals the evaluator must score: eligible and not conflicted, by number."""
    conflicted = await conflicted_proposals(scenario_id, evaluator_id)
    return [
        p
        for p in await reviewed_proposals(scenario_id)
        if p["eligibility"] == "eligible" and p["proposal"] not in conflicted
    ]


async def missing_scores(scenario_id: int, evaluator_id: int) -> list[dict]:
    """[{proposal, number, summary, criteria: [names]}] of what the evaluator has not scored."""
    criteria = await scenario_criteria(scenario_id)
    proposals = await scorable_proposals(scenario_id, evaluator_id)
    scored = {
        (r["proposal"], r["criterion"])
        for r in await EvaluationScore.select(EvaluationScore.proposal, EvaluationScore.criterion).where(
            (EvaluationScore.evaluator == evaluator_id)
            & EvaluationScore.proposal.is_in([p["proposal"] for p in proposals] or [0])
        )
    }
    out = []
    for p in proposals:
        names = [c["name"] for c in criteria if (p["proposal"], c["id"]) not in scored]
        if names:
            out.append(
                {
                    "proposal": p["proposal"],
                    "number": p["proposal.number"],
                    "summary": p["proposal.summary"],
                    "criteria": names,
                }
            )
    return out


async def submit_scores(scenario_id: int, actor: Actor) -> None:
    """Submit (and lock) all the evaluator's scores of the scenario."""
    scenario = await get_scenario(scenario_id)
    assignment = await get_assignment(scenario_id, actor.user_id)
    if assignment is None:
        raise NotAllowed(NOT_ASSIGNED)
    assert actor.user_id is not None  # he has an assignment
    if scenario["status"] not in EVALUATION_STATUSES:
        raise Conflict("场景不在评审阶段，不能提交评分。")
    if assignment["submitted_at"] is not None:
        raise Conflict("您已提交本场景的评分。")
    if assignment["conflicts_declared_at"] is None:
        raise ValidationFailed(DECLARE_FIRST, {"conflicts": DECLARE_FIRST})
    undecided = [
        p for p in await reviewed_proposals(scenario_id) if p["eligibility"] in ("pending", "clarification")
    ]
    if undecided:
        numbers = "、".join(p["proposal.number"] or str(p["proposal"]) for p in undecided)
        message = f"还有方案未完成资格审查（{numbers}），请待资格审查结束后再提交。"
        raise ValidationFailed(message, {"eligibility": message})
    missing = await missing_scores(scenario_id, actor.user_id)
    if missing:
        parts = [f"{m['number'] or m['proposal']}：{'、'.join(m['criteria'])}" for m in missing]
        message = "还有评分未完成，不能提交。缺少：" + "；".join(parts)
        raise ValidationFailed(message, {"missing": message})
    now = clock.now()
    async with write_transaction():
        locked = await for_update(
            EvaluatorAssignment.select(EvaluatorAssignment.submitted_at).where(
                EvaluatorAssignment.id == assignment["id"]
            )
        ).first()
        if locked is None:  # unassigned meanwhile
            raise NotAllowed(NOT_ASSIGNED)
        if locked["submitted_at"] is not None:
            raise Conflict("您已提交本场景的评分。")
        proposals = [p["proposal"] for p in await scorable_proposals(scenario_id, actor.user_id)]
        if proposals:
            await EvaluationScore.update(
                {EvaluationScore.submitted: True, EvaluationScore.updated_at: now}
            ).where((EvaluationScore.evaluator == actor.user_id) & EvaluationScore.proposal.is_in(proposals))
        await EvaluatorAssignment.update({EvaluatorAssignment.submitted_at: now}).where(
            EvaluatorAssignment.id == assignment["id"]
        )
        await record(
            actor, "evaluation.submit_scores", "scenario", scenario_id, after={"proposals": proposals}
        )


# --------------------------------------------------------------------------------------------
# Reading: what a viewer may see


async def viewer_rights(scenario_id: int, user_id: int | None) -> dict:
    """{manager, assignment, blind, conflicted}: ``blind`` when the viewer is an evaluator of the
    scenario who has not submitted (he sees only his own scores)."""
    scenario = await get_scenario(scenario_id)
    user = await person(user_id)
    assignment = await get_assignment(scenario_id, user_id)
    return {
        "scenario": scenario,
        "manager": is_manager(user, scenario),
        "assignment": assignment,
        "blind": assignment is not None and assignment["submitted_at"] is None,
        "conflicted": await conflicted_proposals(scenario_id, user_id),
    }


async def visible_scores(proposal_id: int, user_id: int | None) -> list[dict]:
    """The scores of one proposal ``user_id`` may see: his own while blind, everyone's for a
    manager or an evaluator who submitted; nothing on a proposal he is conflicted on."""
    review = (
        await ProposalReview.select(ProposalReview.scenario)
        .where(ProposalReview.proposal == proposal_id)
        .first()
    )
    if review is None:
        return []
    rights = await viewer_rights(review["scenario"], user_id)
    if proposal_id in rights["conflicted"]:
        return []
    where: Combinable = EvaluationScore.proposal == proposal_id
    if rights["blind"]:
        where &= EvaluationScore.evaluator == user_id
    elif not (rights["manager"] or rights["assignment"]):
        return []
    rows = (
        await EvaluationScore.select(
            EvaluationScore.evaluator,
            EvaluationScore.evaluator.display_name,
            EvaluationScore.evaluator.email,
            EvaluationScore.criterion,
            EvaluationScore.criterion.name,
            EvaluationScore.score,
            EvaluationScore.comment,
            EvaluationScore.submitted,
        )
        .where(where)
        .order_by(EvaluationScore.evaluator)
        .order_by(EvaluationScore.criterion.position)
    )
    for r in rows:
        r["evaluator_name"] = r["evaluator.display_name"] or r["evaluator.email"]
    return rows


async def scoring_page(scenario_id: int, proposal_id: int, user_id: int | None) -> dict:
    """Everything the score form shows: the proposal's final submitted version, the criteria,
    the evaluator's own scores and, once he submitted, the others'."""
    review, scenario, assignment = await _evaluator_for_proposal(proposal_id, user_id)
    assert user_id is not None  # he has an assignment
    if scenario["id"] != scenario_id:
        raise NotFound("方案不存在或不在评审中。")
    version = (
        await ProposalVersion.select()
        .where(ProposalVersion.proposal == proposal_id)
        .order_by(ProposalVersion.version, ascending=False)
        .first()
        .output(load_json=True)
    )
    proposals = await reviewed_proposals(scenario_id)
    proposal = next(p for p in proposals if p["proposal"] == proposal_id)
    companies = (await proposal_companies([proposal_id]))[proposal_id]
    others = [s for s in await visible_scores(proposal_id, user_id) if s["evaluator"] != user_id]
    return {
        "scenario": scenario,
        "review": review,
        "assignment": assignment,
        "proposal": proposal,
        "companies": companies,
        "version": version,
        "criteria": await scenario_criteria(scenario_id),
        "own": await own_scores(proposal_id, user_id),
        "others": others,
        "locked": assignment["submitted_at"] is not None or scenario["status"] not in EVALUATION_STATUSES,
    }


async def progress(
    scenario_id: int, user_id: int | None, *, threshold: float = rk.DEFAULT_DISAGREEMENT_THRESHOLD
) -> dict:
    """The workspace's progress: evaluator x proposal cells and, unless the viewer is blind, the
    ranking of the eligible proposals (conflicted ones hidden from a conflicted viewer)."""
    rights = await viewer_rights(scenario_id, user_id)
    assignments = await list_assignments(scenario_id)
    proposals = await reviewed_proposals(scenario_id)
    criteria = await scenario_criteria(scenario_id)
    ids = [p["proposal"] for p in proposals]
    declarations = await ConflictDeclaration.select(
        ConflictDeclaration.evaluator, ConflictDeclaration.proposal, ConflictDeclaration.conflicted
    ).where(ConflictDeclaration.scenario == scenario_id)
    conflicted_pairs = {(d["evaluator"], d["proposal"]) for d in declarations if d["conflicted"]}
    scores = await EvaluationScore.select(
        EvaluationScore.proposal,
        EvaluationScore.evaluator,
        EvaluationScore.criterion,
        EvaluationScore.score,
    ).where(EvaluationScore.proposal.is_in(ids or [0]))
    evaluator_ids = [a["evaluator"] for a in assignments]
    counts: dict[tuple[int, int], int] = {}
    for s in scores:
        counts[(s["evaluator"], s["proposal"])] = counts.get((s["evaluator"], s["proposal"]), 0) + 1
    cells = {}
    for a in assignments:
        for p in proposals:
            key = (a["evaluator"], p["proposal"])
            if a["conflicts_declared_at"] is None:
                state = "undeclared"
            elif key in conflicted_pairs:
                state = "conflicted"
            elif p["eligibility"] != "eligible":
                state = "not_eligible"
            elif a["submitted_at"] is not None:
                state = "submitted"
            elif counts.get(key, 0) >= len(criteria):
                state = "scored"
            elif counts.get(key, 0):
                state = "partial"
            else:
                state = "missing"
            cells[key] = {"state": state, "count": counts.get(key, 0)}
    eligible = [
        p["proposal"]
        for p in proposals
        if p["eligibility"] == "eligible" and p["proposal"] not in rights["conflicted"]
    ]
    ranking = None
    if not rights["blind"] and (rights["manager"] or rights["assignment"]):
        expected = {p: [e for e in evaluator_ids if (e, p) not in conflicted_pairs] for p in eligible}
        ranking = rk.rank_proposals(
            [(c["id"], c["weight"]) for c in criteria],
            [(s["proposal"], s["evaluator"], s["criterion"], s["score"]) for s in scores],
            eligible,
            expected,
            threshold=threshold,
        )
    return {
        "rights": rights,
        "assignments": assignments,
        "proposals": proposals,
        "criteria": criteria,
        "cells": cells,
        "ranking": ranking,
    }


async def save_consensus_note(proposal_id: int, note: str, actor: Actor) -> None:
    """Managers record the outcome of the consensus discussion on a flagged proposal."""
    review = await ProposalReview.select().where(ProposalReview.proposal == proposal_id).first()
    if review is None:
        raise NotFound("方案不存在或不在评审中。")
    scenario, _ = await require_manager(review["scenario"], actor)
    await require_not_conflicted(proposal_id, actor.user_id)
    if scenario["status"] not in EVALUATION_STATUSES:
        raise Conflict("场景不在评审阶段。")
    note = note.strip()
    if len(note) > 5000:
        raise ValidationFailed("合议记录不能超过 5000 字。", {"consensus_note": "合议记录不能超过 5000 字。"})
    async with write_transaction():
        await ProposalReview.update(
            {ProposalReview.consensus_note: note, ProposalReview.updated_at: clock.now()}
        ).where(ProposalReview.id == review["id"])
        await record(
            actor, "evaluation.consensus_note", "proposal", proposal_id, after={"consensus_note": note}
        )
