"""The demo seed's evaluation data: idempotent, complete for every evaluation-stage scenario,
consistent with the rules (hashes, conflicts, published versus internal), and useful for the
members' journeys."""

from __future__ import annotations

import json

import pytest

from marketplace.accounts.tables import User
from marketplace.companies.tables import Company, CompanyCapability
from marketplace.demo.seed import DEMO_FILE, seed_demo
from marketplace.demo.seed_evaluation import INTERNAL_DECISION
from marketplace.evaluation.tables import (
    EvaluationScore,
    EvaluatorAssignment,
    Pilot,
    PilotMilestone,
    PilotUpdate,
    ProposalReview,
    ScenarioOutcome,
)
from marketplace.proposals.services import canonical_content, content_hash
from marketplace.proposals.tables import ConflictDeclaration, Proposal, ProposalMember, ProposalVersion
from marketplace.scenarios.tables import Scenario, ScenarioCapability

EVALUATION_STAGE = ("evaluating", "shortlisted", "awarded", "piloting", "completed")
TABLES = (
    Proposal,
    ProposalMember,
    ProposalVersion,
    ProposalReview,
    EvaluatorAssignment,
    ConflictDeclaration,
    EvaluationScore,
    ScenarioOutcome,
    Pilot,
    PilotMilestone,
    PilotUpdate,
    User,
)


def _file_statuses() -> dict[str, str]:
    return {s["key"]: s["status"] for s in json.loads(DEMO_FILE.read_text(encoding="utf-8"))["scenarios"]}


@pytest.fixture(scope="module")
async def seeded():
    """The demo seeded twice (the second run must change nothing); the counts after each run."""
    from tests.conftest import empty_all_tables

    await empty_all_tables()
    assert (await seed_demo()).ok
    first = {t.__name__: await t.count() for t in TABLES}
    assert (await seed_demo()).ok
    second = {t.__name__: await t.count() for t in TABLES}
    yield first, second
    await empty_all_tables()


async def _scenario(key: str) -> dict:
    return await Scenario.select().where(Scenario.key == key).first()


async def test_seeding_twice_adds_nothing(seeded):
    first, second = seeded
    assert first == second
    assert first["Proposal"] >= 80 and first["EvaluationScore"] > 300 and first["Pilot"] >= 10


async def test_every_evaluation_stage_scenario_has_proposals_and_scores(seeded):
    statuses = _file_statuses()
    for key, status in statuses.items():
        if status not in EVALUATION_STAGE:
            continue
        scenario = await _scenario(key)
        proposals = await Proposal.select(Proposal.id, Proposal.status).where(
            Proposal.scenario == scenario["id"]
        )
        assert 3 <= len(proposals) <= 5, key
        ids = [p["id"] for p in proposals]
        assert await EvaluationScore.count().where(EvaluationScore.proposal.is_in(ids)) > 0, key
        assert await EvaluatorAssignment.count().where(EvaluatorAssignment.scenario == scenario["id"]) == 2, (
            key
        )
        outcome = await ScenarioOutcome.select().where(ScenarioOutcome.scenario == scenario["id"]).first()
        if status in ("awarded", "piloting", "completed"):
            assert outcome and outcome["published_at"] and scenario["result_published_at"], key
            assert scenario["public_status"] == status
            winner = (
                await Proposal.select(Proposal.status)
                .where(Proposal.id == outcome["selected_proposal"])
                .first()
            )
            assert winner["status"] == "selected"
            assert sorted(p["status"] for p in proposals) == ["not_selected"] * (len(proposals) - 1) + [
                "selected"
            ]
        elif key == INTERNAL_DECISION:
            assert outcome and outcome["published_at"] is None and scenario["status"] == "awarded"
            assert scenario["public_status"] == "evaluating" and scenario["result_published_at"] is None
            assert {p["status"] for p in proposals} == {"under_review"}
        else:
            assert outcome is None and {p["status"] for p in proposals} == {"under_review"}, key
        if status != "evaluating":
            assert (
                await ProposalReview.count().where(
                    (ProposalReview.scenario == scenario["id"]) & (ProposalReview.shortlisted == True)
                )
                == 2
            )
        pilot = await Pilot.select().where(Pilot.scenario == scenario["id"]).first()
        if status in ("piloting", "completed"):
            assert pilot["proposal"] == outcome["selected_proposal"]
            assert await PilotMilestone.count().where(PilotMilestone.pilot == pilot["id"]) == 4
            assert await PilotUpdate.count().where(PilotUpdate.pilot == pilot["id"]) >= 2
            assert (pilot["status"], bool(pilot["outcome_note"])) == (
                ("completed", True) if status == "completed" else ("active", False)
            )
        else:
            assert pilot is None, key


async def test_versions_carry_the_hash_of_their_canonical_content(seeded):
    proposals = await Proposal.select(Proposal.id, Proposal.content_hash, Proposal.number).limit(20)
    for p in proposals:
        version = (
            await ProposalVersion.select()
            .where(ProposalVersion.proposal == p["id"])
            .output(load_json=True)
            .first()
        )
        assert version["version"] == 1 and p["number"].startswith("SYQ-")
        assert version["content_hash"] == p["content_hash"] == content_hash(await canonical_content(p["id"]))
        assert version["content"]["timeline"] and version["content"]["declaration_accepted"] is True


async def test_consortia_with_smes_a_conflict_and_a_disagreement(seeded):
    members = await ProposalMember.select(ProposalMember.company.size).where(ProposalMember.is_lead == False)
    assert members and {m["company.size"] for m in members} == {"sme"}
    conflicts = await ConflictDeclaration.select().where(ConflictDeclaration.conflicted == True)
    assert conflicts
    for c in conflicts:
        assert (
            await EvaluationScore.count().where(
                (EvaluationScore.proposal == c["proposal"]) & (EvaluationScore.evaluator == c["evaluator"])
            )
            == 0
        )
    scores = await EvaluationScore.select(
        EvaluationScore.proposal, EvaluationScore.criterion, EvaluationScore.score
    )
    by_cell: dict = {}
    for s in scores:
        by_cell.setdefault((s["proposal"], s["criterion"]), []).append(s["score"])
    assert any(max(v) - min(v) >= 5 for v in by_cell.values() if len(v) == 2)
    assert await EvaluationScore.count().where(EvaluationScore.comment == "") == 0


async def test_the_demo_evaluators_are_in_the_first_department(seeded):
    evaluator = (
        await User.select(User.department, User.role).where(User.email == "evaluator@example.com").first()
    )
    staff = await User.select(User.department).where(User.email == "staff@example.com").first()
    bureau = (
        await Scenario.select(Scenario.department)
        .where(Scenario.key == "sc-data-exchange-api-governance")
        .first()
    )
    assert (
        evaluator["role"] == "staff"
        and evaluator["department"] == staff["department"] == bureau["department"]
    )


async def test_both_demo_member_companies_have_an_open_scenario_for_them_and_one_is_an_sme(seeded):
    large = (
        await Company.select(Company.id)
        .where((Company.size == "large") & (Company.status == "approved") & Company.key.is_not_null())
        .order_by(Company.key)
        .first()
    )
    sme = (
        await Company.select(Company.id)
        .where((Company.size == "sme") & (Company.status == "approved") & Company.key.is_not_null())
        .order_by(Company.key)
        .first()
    )
    open_ids = Scenario.select(Scenario.id).where(Scenario.status == "open")
    for company in (large, sme):
        caps = CompanyCapability.select(CompanyCapability.capability).where(
            CompanyCapability.company == company["id"]
        )
        assert await ScenarioCapability.exists().where(
            ScenarioCapability.scenario.is_in(open_ids) & ScenarioCapability.capability.is_in(caps)
        )
    both = await _scenario("sc-emergency-cloud-migration")
    assert both["status"] == "open"


async def test_public_api_names_published_partners_and_nothing_before_publication(seeded, client):
    awarded = await _scenario("sc-data-exchange-api-governance")
    outcome = (
        await ScenarioOutcome.select(ScenarioOutcome.selected_proposal.company.name)
        .where(ScenarioOutcome.scenario == awarded["id"])
        .first()
    )
    detail = (await client.get(f"/api/v1/scenarios/{awarded['id']}")).text
    assert outcome["selected_proposal.company.name"] in detail

    internal = await _scenario(INTERNAL_DECISION)
    winner = (
        await ScenarioOutcome.select(ScenarioOutcome.selected_proposal.company.name)
        .where(ScenarioOutcome.scenario == internal["id"])
        .first()
    )
    names = [
        r["company.name"]
        for r in await Proposal.select(Proposal.company.name).where(Proposal.scenario == internal["id"])
    ]
    for path in (f"/api/v1/scenarios/{internal['id']}", f"/scenarios/{internal['id']}"):
        response = await client.get(path)
        assert response.status_code == 200
        assert winner["selected_proposal.company.name"] not in response.text
        assert not any(name in response.text for name in names)
        assert "评审专家" not in response.text and "入围" not in response.text
