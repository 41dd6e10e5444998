"""Conflicts of interest: declarations, system flags (affiliations and earlier declarations),
and a conflicted evaluator neither seeing nor scoring the proposal."""

from __future__ import annotations

import pytest

from marketplace.core.errors import Conflict, NotAllowed, ValidationFailed
from marketplace.evaluation import conflicts, scoring
from marketplace.evaluation.conflicts import ConflictAnswer
from marketplace.evaluation.scoring import ScoreInput
from marketplace.evaluation.tables import EvaluationScore, EvaluatorAssignment
from marketplace.proposals.policy import not_conflicted_condition
from marketplace.proposals.tables import ConflictDeclaration
from tests.evaluation.helpers import (
    begin_evaluation,
    insert_submitted_proposal,
    make_evaluation_world,
    mark_all_eligible,
    score_all,
)
from tests.factories import make_scenario


def _answers(w, conflicted: dict[int, str] | None = None):
    conflicted = conflicted or {}
    return [ConflictAnswer(p, p in conflicted, conflicted.get(p, "")) for p in w.proposals]


async def test_every_proposal_needs_an_answer_and_a_conflict_needs_a_relation(db):
    w = await make_evaluation_world()
    await begin_evaluation(w)
    with pytest.raises(ValidationFailed) as err:
        await conflicts.declare_conflicts(w.scenario, _answers(w)[:2], w.actor(w.evaluator_1))
    assert f"conflicted_{w.proposal_c}" in err.value.errors
    with pytest.raises(ValidationFailed) as err:
        await conflicts.declare_conflicts(
            w.scenario, _answers(w, {w.proposal_b: "  "}), w.actor(w.evaluator_1)
        )
    assert list(err.value.errors) == [f"relation_{w.proposal_b}"]
    assert await ConflictDeclaration.count() == 0
    assert (await EvaluatorAssignment.select().where(EvaluatorAssignment.evaluator == w.evaluator_1).first())[
        "conflicts_declared_at"
    ] is None


async def test_only_assigned_evaluators_declare(db):
    w = await make_evaluation_world()
    await begin_evaluation(w)
    for user in (w.staff, w.outsider, w.member_a):
        with pytest.raises(NotAllowed):
            await conflicts.declare_conflicts(w.scenario, _answers(w), w.actor(user))


async def test_a_declared_conflict_blocks_seeing_and_scoring(db):
    w = await make_evaluation_world()
    await begin_evaluation(w)
    await mark_all_eligible(w)
    await conflicts.declare_conflicts(
        w.scenario, _answers(w, {w.proposal_b: "曾任乙数据集团技术顾问"}), w.actor(w.evaluator_1)
    )
    with pytest.raises(NotAllowed, match="利益冲突"):
        await scoring.save_scores(w.proposal_b, [ScoreInput(w.criteria[0], 8)], w.actor(w.evaluator_1))
    with pytest.raises(NotAllowed, match="利益冲突"):
        await scoring.scoring_page(w.scenario, w.proposal_b, w.evaluator_1)
    # not asked to score it either: submitting needs only the other two
    await score_all(w, w.evaluator_1, {w.proposal_a: (6, 6, 6), w.proposal_c: (7, 7, 7)})
    # even after submitting he does not see the proposal's scores
    await conflicts.declare_conflicts(w.scenario, _answers(w), w.actor(w.evaluator_2))
    await score_all(w, w.evaluator_2, dict.fromkeys(w.proposals, (5, 5, 5)))
    assert await scoring.visible_scores(w.proposal_b, w.evaluator_1) == []
    ranking = (await scoring.progress(w.scenario, w.evaluator_1))["ranking"]
    assert ranking.get(w.proposal_b) is None and ranking.get(w.proposal_a) is not None
    # the ranking for staff counts only evaluator 2 on proposal b, and calls it complete
    b = (await scoring.progress(w.scenario, w.staff))["ranking"].get(w.proposal_b)
    assert b.total == 50.0 and b.complete and [e.evaluator_id for e in b.evaluators] == [w.evaluator_2]


async def test_declaring_a_conflict_later_drops_draft_scores(db):
    w = await make_evaluation_world()
    await begin_evaluation(w)
    await mark_all_eligible(w)
    await conflicts.declare_conflicts(w.scenario, _answers(w), w.actor(w.evaluator_1))
    await scoring.save_scores(w.proposal_a, [ScoreInput(w.criteria[0], 8)], w.actor(w.evaluator_1))
    await conflicts.declare_conflicts(
        w.scenario, _answers(w, {w.proposal_a: "配偶在甲视觉任职"}), w.actor(w.evaluator_1)
    )
    assert await EvaluationScore.count() == 0
    rows = await ConflictDeclaration.select().where(ConflictDeclaration.evaluator == w.evaluator_1)
    assert len(rows) == 3
    assert {r["proposal"]: r["conflicted"] for r in rows} == {
        w.proposal_a: True,
        w.proposal_b: False,
        w.proposal_c: False,
    }


async def test_a_former_employer_in_a_consortium_is_flagged_and_cannot_be_cleared(db):
    w = await make_evaluation_world()
    # the SME is only a consortium member of proposal b
    await conflicts.add_affiliation(
        "丙感知小微科技有限公司", "former_employer", "2019-2022 在职", w.actor(w.evaluator_1)
    )
    await begin_evaluation(w)
    await mark_all_eligible(w)
    form = {i["proposal"]: i for i in await conflicts.declaration_form(w.scenario, w.evaluator_1)}
    assert (
        "原任职单位" in form[w.proposal_b]["system_flag"]
        and "丙感知小微科技有限公司" in form[w.proposal_b]["system_flag"]
    )
    assert form[w.proposal_b]["conflicted"] and not form[w.proposal_a]["system_flag"]
    # answering "not conflicted" does not clear the flag
    await conflicts.declare_conflicts(w.scenario, _answers(w), w.actor(w.evaluator_1))
    row = (
        await ConflictDeclaration.select()
        .where(
            (ConflictDeclaration.evaluator == w.evaluator_1) & (ConflictDeclaration.proposal == w.proposal_b)
        )
        .first()
    )
    assert row["conflicted"] and "丙感知" in row["system_flag"]
    assert row["company"] == w.company_b  # the lead company is recorded
    # removing the affiliation afterwards does not clear it either
    affiliation = (await conflicts.list_affiliations(w.evaluator_1))[0]
    await conflicts.remove_affiliation(affiliation["id"], w.actor(w.evaluator_1))
    await conflicts.declare_conflicts(w.scenario, _answers(w), w.actor(w.evaluator_1))
    assert w.proposal_b in await conflicts.conflicted_proposals(w.scenario, w.evaluator_1)
    with pytest.raises(NotAllowed, match="利益冲突"):
        await scoring.save_scores(w.proposal_b, [ScoreInput(w.criteria[0], 8)], w.actor(w.evaluator_1))


async def test_a_conflict_declared_in_an_earlier_scenario_is_flagged(db):
    w = await make_evaluation_world()
    earlier = await make_scenario("evaluating", department=w.department, title="早先的场景")
    old = await insert_submitted_proposal(earlier, w.company_c, "丁的旧方案", status="under_review")
    await ConflictDeclaration.insert(
        ConflictDeclaration(
            scenario=earlier,
            evaluator=w.evaluator_2,
            proposal=old,
            company=w.company_c,
            conflicted=True,
            relation="同学创办",
        )
    )
    await begin_evaluation(w)
    form = {i["proposal"]: i for i in await conflicts.declaration_form(w.scenario, w.evaluator_2)}
    assert "曾在其他场景中声明" in form[w.proposal_c]["system_flag"]
    assert [p for p, i in form.items() if i["system_flag"]] == [w.proposal_c]
    # evaluator 1 has no such history
    assert not any(i["system_flag"] for i in await conflicts.declaration_form(w.scenario, w.evaluator_1))


async def test_declarations_are_final_after_submitting(db):
    w = await make_evaluation_world()
    await begin_evaluation(w)
    await mark_all_eligible(w)
    await conflicts.declare_conflicts(w.scenario, _answers(w), w.actor(w.evaluator_1))
    await score_all(w, w.evaluator_1, dict.fromkeys(w.proposals, (5, 5, 5)))
    with pytest.raises(Conflict, match="已提交"):
        await conflicts.declare_conflicts(
            w.scenario, _answers(w, {w.proposal_a: "想起来了"}), w.actor(w.evaluator_1)
        )


async def test_affiliations_need_a_known_company_and_are_private(db):
    w = await make_evaluation_world()
    with pytest.raises(ValidationFailed, match="未找到"):
        await conflicts.add_affiliation("不存在的公司", "former_employer", "", w.actor(w.evaluator_1))
    with pytest.raises(ValidationFailed, match="关系类型"):
        await conflicts.add_affiliation("甲视觉科技有限公司", "friend", "", w.actor(w.evaluator_1))
    with pytest.raises(NotAllowed):
        await conflicts.add_affiliation("甲视觉科技有限公司", "former_employer", "", w.actor(w.member_b))
    aid = await conflicts.add_affiliation("甲视觉科技有限公司", "shareholder", "", w.actor(w.evaluator_1))
    with pytest.raises(ValidationFailed, match="已在"):
        await conflicts.add_affiliation("甲视觉科技有限公司", "other", "", w.actor(w.evaluator_1))
    assert await conflicts.list_affiliations(w.evaluator_2) == []
    from marketplace.core.errors import NotFound

    with pytest.raises(NotFound):
        await conflicts.remove_affiliation(aid, w.actor(w.evaluator_2))
    assert [a["relation_label"] for a in await conflicts.list_affiliations(w.evaluator_1)] == ["持股或投资"]


async def test_a_conflicted_manager_stays_out_of_the_proposal_everywhere(db, client):
    from marketplace.evaluation.eligibility import mark_eligible
    from marketplace.proposals.tables import Proposal
    from tests.accounts.helpers import post_form, sign_in

    w = await make_evaluation_world()
    await begin_evaluation(w)
    await conflicts.declare_conflicts(
        w.scenario, _answers(w, {w.proposal_c: "丁智能的创始人是我的同学"}), w.actor(w.evaluator_1)
    )
    # the shared query condition leaves the proposal out for him only
    mine = await Proposal.select(Proposal.id).where(
        not_conflicted_condition(w.evaluator_1) & (Proposal.scenario == w.scenario)
    )
    assert {r["id"] for r in mine} == {w.proposal_a, w.proposal_b}
    theirs = await Proposal.select(Proposal.id).where(not_conflicted_condition(w.evaluator_2))
    assert {r["id"] for r in theirs} == set(w.proposals)
    # as department staff he may run the workspace, but not decide that proposal's eligibility
    with pytest.raises(NotAllowed, match="回避"):
        await mark_eligible(w.proposal_c, w.actor(w.evaluator_1))
    await sign_in(client, w.evaluator_1)
    page = await client.get(f"/staff/scenarios/{w.scenario}/evaluation")
    assert page.status_code == 200
    assert "无人机巡河" not in page.text and "您已就此方案声明利益冲突" in page.text
    response = await post_form(
        client,
        f"/staff/scenarios/{w.scenario}/evaluation/eligibility",
        {"proposal_id": str(w.proposal_c), "decision": "eligible"},
        token_from=f"/staff/scenarios/{w.scenario}/evaluation",
    )
    assert response.status_code == 403
