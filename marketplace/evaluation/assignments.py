"""Starting an evaluation and assigning evaluators.

Who runs a scenario's evaluation: the staff of the scenario's department and association
admins ("managers"). Who may evaluate: active staff of that department, or admins. Starting the
evaluation (allowed once the scenario is closed) moves it to ``evaluating``, sets its submitted
proposals to ``under_review`` (the only change to ``Proposal.status`` made here: decisions stay
internal in ``ProposalReview``), creates a pending ``ProposalReview`` per proposal, and assigns
the chosen evaluators, who are notified.
"""

from __future__ import annotations

from piccolo.columns import ForeignKey

from marketplace.accounts.tables import User
from marketplace.core import clock
from marketplace.core.audit import Actor, record
from marketplace.core.db import for_update, write_transaction
from marketplace.core.errors import Conflict, NotFound, ValidationFailed
from marketplace.evaluation.links import conflicts_page
from marketplace.evaluation.policy import get_scenario, require_manager
from marketplace.evaluation.tables import EvaluationScore, EvaluatorAssignment, ProposalReview
from marketplace.notifications.services import Message, notify
from marketplace.proposals.services import start_proposal_review
from marketplace.proposals.status import REVIEWED_STATUSES
from marketplace.proposals.tables import ConflictDeclaration, Proposal
from marketplace.scenarios.services import start_scenario_evaluation
from marketplace.scenarios.tables import Scenario

# Scenario statuses in which evaluators work (scores, conflicts, eligibility).
EVALUATION_STATUSES = ("evaluating",)
# Scenario statuses after the evaluation started (the workspace stays readable).
STARTED_STATUSES = ("evaluating", "shortlisted", "awarded", "piloting", "completed", "unsuccessful")
REVIEWED_PROPOSAL_STATUSES = REVIEWED_STATUSES


async def candidate_evaluators(scenario_id: int) -> list[dict]:
    """Who may be assigned: active staff of the scenario's department, then active admins."""
    scenario = await get_scenario(scenario_id)
    rows = (
        await User.select(User.id, User.email, User.display_name, User.role, User.is_evaluator)
        .where(
            (User.active == True)
            & (
                ((User.role == "staff") & (User.department == scenario["department"]))
                | (User.role == "admin")
            )
        )
        .order_by(User.role, ascending=False)
        .order_by(User.id)
    )
    for r in rows:
        r["name"] = r["display_name"] or r["email"]
    return rows


async def list_assignments(scenario_id: int) -> list[dict]:
    rows = (
        await EvaluatorAssignment.select(
            EvaluatorAssignment.id,
            EvaluatorAssignment.evaluator,
            EvaluatorAssignment.evaluator.email,
            EvaluatorAssignment.evaluator.display_name,
            EvaluatorAssignment.assigned_at,
            EvaluatorAssignment.conflicts_declared_at,
            EvaluatorAssignment.submitted_at,
        )
        .where(EvaluatorAssignment.scenario == scenario_id)
        .order_by(EvaluatorAssignment.id)
    )
    for r in rows:
        r["name"] = r["evaluator.display_name"] or r["evaluator.email"]
    return rows


async def get_assignment(scenario_id: int, user_id: int | None) -> dict | None:
    if user_id is None:
        return None
    return (
        await EvaluatorAssignment.select()
        .where((EvaluatorAssignment.scenario == scenario_id) & (EvaluatorAssignment.evaluator == user_id))
        .first()
    )


async def _validate_evaluators(scenario: dict, evaluator_ids: list[int]) -> list[int]:
    wanted = list(dict.fromkeys(int(e) for e in evaluator_ids))
    if not wanted:
        raise ValidationFailed("请至少选择一位评审专家。", {"evaluators": "请至少选择一位评审专家。"})
    allowed = {r["id"] for r in await candidate_evaluators(scenario["id"])}
    wrong = [e for e in wanted if e not in allowed]
    if wrong:
        message = "评审专家只能是本部门在职工作人员或协会管理员。"
        raise ValidationFailed(message, {"evaluators": message})
    return wanted


async def _assign(scenario: dict, evaluator_ids: list[int], actor: Actor) -> list[int]:
    existing = {
        r["evaluator"]
        for r in await EvaluatorAssignment.select(EvaluatorAssignment.evaluator).where(
            EvaluatorAssignment.scenario == scenario["id"]
        )
    }
    new = [e for e in evaluator_ids if e not in existing]
    now = clock.now()
    if new:
        await EvaluatorAssignment.insert(
            *[
                EvaluatorAssignment(
                    scenario=scenario["id"], evaluator=e, assigned_by=actor.user_id, assigned_at=now
                )
                for e in new
            ]
        )
        for e in new:
            await record(actor, "evaluation.assign", "scenario", scenario["id"], after={"evaluator": e})
        await notify(
            new,
            Message(
                kind="evaluation_assigned",
                title=f"您被指派评审场景「{scenario['title']}」",
                body="请先完成利益冲突声明，然后对资格审查通过的方案逐项评分。",
                link=conflicts_page(scenario["id"]),
            ),
        )
    return new


async def start_evaluation(scenario_id: int, evaluator_ids: list[int], actor: Actor) -> list[int]:
    """Start the evaluation of a closed scenario with these evaluators; returns the proposal ids
    now under review."""
    scenario, _ = await require_manager(scenario_id, actor)
    evaluators = await _validate_evaluators(scenario, evaluator_ids)
    async with write_transaction():
        row = await for_update(Scenario.select(Scenario.status).where(Scenario.id == scenario_id)).first()
        assert row is not None  # require_manager has found the scenario
        if row["status"] != "closed":
            raise Conflict("只有已截止的场景才能开始评审。")
        await start_scenario_evaluation(scenario_id, actor)
        proposals = [
            r["id"]
            for r in await Proposal.select(Proposal.id)
            .where((Proposal.scenario == scenario_id) & (Proposal.status == "submitted"))
            .order_by(Proposal.id)
        ]
        now = clock.now()
        if proposals:
            await start_proposal_review(proposals, at=now)
            await ProposalReview.insert(
                *[
                    ProposalReview(proposal=p, scenario=scenario_id, eligibility="pending", updated_at=now)
                    for p in proposals
                ]
            )
        await _assign(scenario, evaluators, actor)
        await record(
            actor,
            "evaluation.start",
            "scenario",
            scenario_id,
            after={"proposals": proposals, "evaluators": evaluators},
        )
    return proposals


async def assign_evaluators(scenario_id: int, evaluator_ids: list[int], actor: Actor) -> list[int]:
    """Add evaluators to a scenario in evaluation; returns the newly assigned ids."""
    scenario, _ = await require_manager(scenario_id, actor)
    evaluators = await _validate_evaluators(scenario, evaluator_ids)
    async with write_transaction():
        row = await for_update(Scenario.select(Scenario.status).where(Scenario.id == scenario_id)).first()
        assert row is not None  # require_manager has found the scenario
        if row["status"] not in EVALUATION_STATUSES:
            raise Conflict("场景不在评审阶段，不能指派评审专家。")
        return await _assign(scenario, evaluators, actor)


async def unassign_evaluator(scenario_id: int, evaluator_id: int, actor: Actor) -> None:
    """Remove an evaluator who has not submitted; his draft scores and declarations go with him."""
    await require_manager(scenario_id, actor)
    async with write_transaction():
        row = await for_update(
            EvaluatorAssignment.select().where(
                (EvaluatorAssignment.scenario == scenario_id)
                & (EvaluatorAssignment.evaluator == evaluator_id)
            )
        ).first()
        if row is None:
            raise NotFound("该评审专家未被指派到本场景。")
        if row["submitted_at"] is not None:
            raise Conflict("该评审专家已提交评分，不能移除。")
        proposals = Proposal.select(Proposal.id).where(Proposal.scenario == scenario_id)
        await EvaluationScore.delete().where(
            (EvaluationScore.evaluator == evaluator_id) & EvaluationScore.proposal.is_in(proposals)
        )
        await ConflictDeclaration.delete().where(
            (ConflictDeclaration.evaluator == evaluator_id) & (ConflictDeclaration.scenario == scenario_id)
        )
        await EvaluatorAssignment.delete().where(EvaluatorAssignment.id == row["id"])
        await record(
            actor, "evaluation.unassign", "scenario", scenario_id, before={"evaluator": evaluator_id}
        )


async def assigned_scenarios(user_id: int) -> list[dict]:
    """The scenarios ``user_id`` is assigned to evaluate, newest assignment first, with progress."""
    department = EvaluatorAssignment.scenario.department
    assert isinstance(department, ForeignKey)  # joined foreign key (Piccolo types it Column | Any)
    rows = (
        await EvaluatorAssignment.select(
            EvaluatorAssignment.scenario,
            EvaluatorAssignment.scenario.title,
            EvaluatorAssignment.scenario.status,
            department.name,
            EvaluatorAssignment.assigned_at,
            EvaluatorAssignment.conflicts_declared_at,
            EvaluatorAssignment.submitted_at,
        )
        .where(EvaluatorAssignment.evaluator == user_id)
        .order_by(EvaluatorAssignment.id, ascending=False)
    )
    return rows


async def reviewed_proposals(scenario_id: int) -> list[dict]:
    """The proposals under evaluation (with their review row), by proposal number."""
    company = ProposalReview.proposal.company
    assert isinstance(company, ForeignKey)  # joined foreign key (Piccolo types it Column | Any)
    rows = (
        await ProposalReview.select(
            ProposalReview.id,
            ProposalReview.proposal,
            ProposalReview.eligibility,
            ProposalReview.eligibility_reason,
            ProposalReview.clarification_question,
            ProposalReview.clarification_deadline,
            ProposalReview.clarification_answer,
            ProposalReview.clarification_answered_at,
            ProposalReview.consensus_note,
            ProposalReview.checked_at,
            ProposalReview.proposal.number,
            ProposalReview.proposal.summary,
            company,
            company.name,
            ProposalReview.proposal.status,
        )
        .where(ProposalReview.scenario == scenario_id)
        .order_by(ProposalReview.proposal)
    )
    return rows
