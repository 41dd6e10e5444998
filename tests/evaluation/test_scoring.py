"""Scoring: drafts, validation, submission (refused with what is missing), locking, blind reading,
and the progress/ranking staff see."""

from __future__ import annotations

import pytest

from marketplace.core.errors import Conflict, NotAllowed, ValidationFailed
from marketplace.evaluation import scoring
from marketplace.evaluation.eligibility import mark_ineligible
from marketplace.evaluation.scoring import ScoreInput
from marketplace.evaluation.tables import EvaluationScore, EvaluatorAssignment
from marketplace.proposals.tables import Proposal
from marketplace.scenarios.tables import Scenario
from tests.evaluation.helpers import (
    begin_evaluation,
    declare_no_conflicts,
    make_evaluation_world,
    mark_all_eligible,
    ready_to_score,
    score_all,
)


async def test_starting_the_evaluation_puts_submitted_proposals_under_review(db):
    w = await make_evaluation_world()
    withdrawn = await Proposal.insert(
        Proposal(scenario=w.scenario, company=w.company_sme, status="withdrawn")
    )
    await begin_evaluation(w)
    scenario = await Scenario.select(Scenario.status).where(Scenario.id == w.scenario).first()
    assert scenario["status"] == "evaluating"
    statuses = {
        r["id"]: r["status"]
        for r in await Proposal.select(Proposal.id, Proposal.status).where(Proposal.scenario == w.scenario)
    }
    assert statuses == {
        w.proposal_a: "under_review",
        w.proposal_b: "under_review",
        w.proposal_c: "under_review",
        withdrawn[0]["id"]: "withdrawn",
    }
    assert [
        a["evaluator"] for a in await EvaluatorAssignment.select().order_by(EvaluatorAssignment.id)
    ] == w.evaluators


async def test_only_department_staff_or_admins_start_and_are_assigned(db):
    w = await make_evaluation_world()
    from marketplace.evaluation.assignments import start_evaluation

    with pytest.raises(NotAllowed):
        await start_evaluation(w.scenario, w.evaluators, w.actor(w.outsider))
    with pytest.raises(ValidationFailed, match="本部门"):
        await start_evaluation(w.scenario, [w.evaluator_1, w.outsider], w.actor(w.staff))
    with pytest.raises(ValidationFailed, match="本部门"):
        await start_evaluation(w.scenario, [w.member_a], w.actor(w.staff))
    assert (await Scenario.select(Scenario.status).where(Scenario.id == w.scenario).first())[
        "status"
    ] == "closed"
    await start_evaluation(w.scenario, [w.evaluator_1, w.admin], w.actor(w.admin))
    with pytest.raises(Conflict, match="已截止"):
        await start_evaluation(w.scenario, [w.evaluator_2], w.actor(w.staff))


async def test_an_evaluation_cannot_start_before_the_deadline(db):
    w = await make_evaluation_world(status="open")
    from marketplace.evaluation.assignments import start_evaluation

    with pytest.raises(Conflict):
        await start_evaluation(w.scenario, w.evaluators, w.actor(w.staff))


async def test_draft_scores_are_saved_and_changed(db):
    w = await ready_to_score(await make_evaluation_world())
    c1, c2, _c3 = w.criteria
    await scoring.save_scores(
        w.proposal_a, [ScoreInput(c1, 7, "清晰"), ScoreInput(c2, 5)], w.actor(w.evaluator_1)
    )
    await scoring.save_scores(
        w.proposal_a, [ScoreInput(c1, 8, "更新"), ScoreInput(c2, None)], w.actor(w.evaluator_1)
    )
    own = await scoring.own_scores(w.proposal_a, w.evaluator_1)
    assert {c: (r["score"], r["comment"], r["submitted"]) for c, r in own.items()} == {c1: (8, "更新", False)}


@pytest.mark.parametrize(
    "score, comment, field",
    [
        (11, "好", "score_"),
        (-1, "差", "score_"),
        (2, "", "comment_"),
        (0, "  ", "comment_"),
    ],
)
async def test_bad_scores_are_refused_and_nothing_is_stored(db, score, comment, field):
    w = await ready_to_score(await make_evaluation_world())
    c1, c2, _ = w.criteria
    with pytest.raises(ValidationFailed) as err:
        await scoring.save_scores(
            w.proposal_a, [ScoreInput(c2, 6), ScoreInput(c1, score, comment)], w.actor(w.evaluator_1)
        )
    assert list(err.value.errors) == [f"{field}{c1}"]
    assert await EvaluationScore.count() == 0


async def test_a_criterion_of_another_scenario_is_refused(db):
    w = await ready_to_score(await make_evaluation_world())
    from marketplace.scenarios.tables import ScenarioCriterion
    from tests.factories import make_scenario

    other = await make_scenario("closed")
    foreign = (
        await ScenarioCriterion.select(ScenarioCriterion.id)
        .where(ScenarioCriterion.scenario == other)
        .first()
    )["id"]
    with pytest.raises(ValidationFailed, match="不属于本场景"):
        await scoring.save_scores(w.proposal_a, [ScoreInput(foreign, 5)], w.actor(w.evaluator_1))


async def test_submission_is_refused_while_scores_are_missing_and_lists_them(db):
    w = await ready_to_score(await make_evaluation_world())
    await score_all(w, w.evaluator_1, {w.proposal_a: (8, 7, 6), w.proposal_b: (5, 5, 5)}, submit=False)
    await scoring.save_scores(w.proposal_c, [ScoreInput(w.criteria[0], 6)], w.actor(w.evaluator_1))
    with pytest.raises(ValidationFailed) as err:
        await scoring.submit_scores(w.scenario, w.actor(w.evaluator_1))
    number = (await Proposal.select(Proposal.number).where(Proposal.id == w.proposal_c).first())["number"]
    assert f"{number}：实施能力、报价合理性" in err.value.message
    assert (await EvaluatorAssignment.select().where(EvaluatorAssignment.evaluator == w.evaluator_1).first())[
        "submitted_at"
    ] is None


async def test_submitted_scores_are_locked(db):
    w = await ready_to_score(await make_evaluation_world())
    await score_all(w, w.evaluator_1, dict.fromkeys(w.proposals, (8, 7, 6)))
    rows = await EvaluationScore.select(EvaluationScore.submitted).where(
        EvaluationScore.evaluator == w.evaluator_1
    )
    assert len(rows) == 9 and all(r["submitted"] for r in rows)
    with pytest.raises(Conflict, match="已锁定"):
        await scoring.save_scores(
            w.proposal_a, [ScoreInput(w.criteria[0], 1, "改低")], w.actor(w.evaluator_1)
        )
    with pytest.raises(Conflict):
        await scoring.submit_scores(w.scenario, w.actor(w.evaluator_1))
    assert {
        r["score"]
        for r in await EvaluationScore.select(EvaluationScore.score).where(
            (EvaluationScore.evaluator == w.evaluator_1) & (EvaluationScore.proposal == w.proposal_a)
        )
    } == {8, 7, 6}


async def test_submission_waits_for_every_eligibility_decision(db):
    w = await make_evaluation_world()
    await begin_evaluation(w)
    await declare_no_conflicts(w, w.evaluator_1)
    await mark_all_eligible(w, [w.proposal_a])
    await score_all(w, w.evaluator_1, {w.proposal_a: (8, 7, 6)}, submit=False)
    with pytest.raises(ValidationFailed, match="资格审查"):
        await scoring.submit_scores(w.scenario, w.actor(w.evaluator_1))
    await mark_ineligible(w.proposal_b, "缺少联合体协议", w.actor(w.staff))
    await mark_ineligible(w.proposal_c, "报价超出预算上限", w.actor(w.staff))
    await scoring.submit_scores(w.scenario, w.actor(w.evaluator_1))  # only the eligible one is needed


async def test_ineligible_and_pending_proposals_cannot_be_scored(db):
    w = await make_evaluation_world()
    await begin_evaluation(w)
    await declare_no_conflicts(w, w.evaluator_1)
    with pytest.raises(NotAllowed, match="资格审查"):
        await scoring.save_scores(w.proposal_a, [ScoreInput(w.criteria[0], 5)], w.actor(w.evaluator_1))
    await mark_ineligible(w.proposal_a, "材料不全", w.actor(w.staff))
    with pytest.raises(NotAllowed, match="资格审查"):
        await scoring.save_scores(w.proposal_a, [ScoreInput(w.criteria[0], 5)], w.actor(w.evaluator_1))


async def test_only_assigned_evaluators_who_declared_can_score(db):
    w = await make_evaluation_world()
    await begin_evaluation(w)
    await mark_all_eligible(w)
    with pytest.raises(NotAllowed, match="利益冲突声明"):
        await scoring.save_scores(w.proposal_a, [ScoreInput(w.criteria[0], 5)], w.actor(w.evaluator_1))
    for user in (w.staff, w.admin, w.outsider, w.member_a):
        with pytest.raises(NotAllowed, match="不是本场景的评审专家"):
            await scoring.save_scores(w.proposal_a, [ScoreInput(w.criteria[0], 5)], w.actor(user))
    assert await EvaluationScore.count() == 0


async def test_blind_until_submitted(db):
    w = await ready_to_score(await make_evaluation_world())
    await score_all(w, w.evaluator_1, dict.fromkeys(w.proposals, (9, 9, 9)), submit=False)
    await score_all(w, w.evaluator_2, dict.fromkeys(w.proposals, (4, 4, 4)), submit=False)
    # each sees only his own
    mine = await scoring.visible_scores(w.proposal_a, w.evaluator_1)
    assert {r["evaluator"] for r in mine} == {w.evaluator_1}
    progress = await scoring.progress(w.scenario, w.evaluator_1)
    assert progress["ranking"] is None
    # staff running the evaluation see everything
    assert {r["evaluator"] for r in await scoring.visible_scores(w.proposal_a, w.staff)} == set(w.evaluators)
    # outsiders and members see nothing
    assert await scoring.visible_scores(w.proposal_a, w.outsider) == []
    assert await scoring.visible_scores(w.proposal_a, w.member_a) == []
    # after submitting, evaluator 1 sees the others
    await scoring.submit_scores(w.scenario, w.actor(w.evaluator_1))
    assert {r["evaluator"] for r in await scoring.visible_scores(w.proposal_a, w.evaluator_1)} == set(
        w.evaluators
    )
    # evaluator 2 is still blind
    assert {r["evaluator"] for r in await scoring.visible_scores(w.proposal_a, w.evaluator_2)} == {
        w.evaluator_2
    }
    page = await scoring.scoring_page(w.scenario, w.proposal_a, w.evaluator_2)
    assert page["others"] == []


async def test_progress_matrix_and_ranking_with_disagreement(db):
    w = await ready_to_score(await make_evaluation_world())
    await score_all(
        w, w.evaluator_1, {w.proposal_a: (9, 9, 9), w.proposal_b: (7, 7, 7), w.proposal_c: (6, 6, 6)}
    )
    await score_all(w, w.evaluator_2, {w.proposal_a: (5, 5, 5), w.proposal_b: (7, 7, 7)}, submit=False)
    p = await scoring.progress(w.scenario, w.staff)
    assert p["cells"][(w.evaluator_1, w.proposal_a)]["state"] == "submitted"
    assert p["cells"][(w.evaluator_2, w.proposal_b)]["state"] == "scored"
    assert p["cells"][(w.evaluator_2, w.proposal_c)]["state"] == "missing"
    ranking = p["ranking"]
    a, b, c = (ranking.get(x) for x in w.proposals)
    assert (a.total, a.spread, a.disagreement, a.rank) == (70.0, 40.0, True, 1)
    assert (b.total, b.disagreement, b.rank) == (70.0, False, 1)  # a tie
    assert (c.total, c.complete, c.rank) == (60.0, False, 3)
