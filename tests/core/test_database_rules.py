"""Rules the database itself enforces, whatever code writes: valid statuses, ranges, one
proposal per company per scenario, and weights that add up before a scenario leaves draft."""

from __future__ import annotations

import asyncio

import pytest

from marketplace.accounts.tables import User
from marketplace.core.db import constraint_name, for_update, write_transaction
from marketplace.evaluation.tables import EvaluationScore
from marketplace.proposals.tables import Proposal
from marketplace.scenarios.tables import Scenario, ScenarioCriterion
from tests.factories import make_company, make_scenario


async def _refused(coro) -> str:
    with pytest.raises(Exception) as info:
        await coro
    name = constraint_name(info.value)
    assert name is not None, info.value
    return name


async def test_status_values_are_checked(db):
    scenario_id = await make_scenario("open")
    assert (
        await _refused(Scenario.update({Scenario.status: "published"}).where(Scenario.id == scenario_id))
        == "scenario_status_valid"
    )
    assert (
        await _refused(Scenario.update({Scenario.domain: "一网通"}).where(Scenario.id == scenario_id))
        == "scenario_domain_valid"
    )


async def test_one_proposal_per_company_per_scenario(db):
    scenario_id = await make_scenario("open")
    company_id = await make_company()
    await Proposal.insert(Proposal(scenario=scenario_id, company=company_id))
    name = await _refused(Proposal.insert(Proposal(scenario=scenario_id, company=company_id)))
    assert "proposal" in name


async def test_budget_and_deadline_order(db):
    scenario_id = await make_scenario("draft")
    assert (
        await _refused(
            Scenario.update({Scenario.budget_min: 500, Scenario.budget_max: 100}).where(
                Scenario.id == scenario_id
            )
        )
        == "scenario_budget_valid"
    )


async def test_scores_are_between_0_and_10(db):
    scenario_id = await make_scenario("evaluating")
    company_id = await make_company()
    proposal = Proposal(scenario=scenario_id, company=company_id, status="under_review")
    await proposal.save()
    user = User(email="e@example.com", role="staff")
    await user.save()
    criterion = await ScenarioCriterion.select(ScenarioCriterion.id).first()
    assert (
        await _refused(
            EvaluationScore.insert(
                EvaluationScore(proposal=proposal.id, evaluator=user.id, criterion=criterion["id"], score=11)
            )
        )
        == "evaluation_score_range"
    )


async def test_scenario_cannot_open_with_weights_not_adding_up(db):
    scenario_id = await make_scenario("draft", criteria=(("方案", 50), ("成本", 20)))
    assert (
        await _refused(Scenario.update({Scenario.status: "open"}).where(Scenario.id == scenario_id))
        == "scenario_weights_add_up"
    )


async def test_concurrent_read_then_write_transactions_do_not_fail(db):
    """Fifty writers that read then write at once: none gets 'database is locked' (SQLite) and
    no update is lost (PostgreSQL, thanks to the row lock)."""
    scenario_id = await make_scenario("draft")

    async def bump():
        async with write_transaction():
            row = await for_update(
                Scenario.select(Scenario.pilot_months).where(Scenario.id == scenario_id)
            ).first()
            await Scenario.update({Scenario.pilot_months: (row["pilot_months"] or 0) + 1}).where(
                Scenario.id == scenario_id
            )

    results = await asyncio.gather(*[bump() for _ in range(50)], return_exceptions=True)
    assert [r for r in results if isinstance(r, Exception)] == []
    row = await Scenario.select(Scenario.pilot_months).where(Scenario.id == scenario_id).first()
    assert row["pilot_months"] == 50
