"""Publishing the result: the public outcome (partner and consortium, or "未成交" with the
reason), proposal statuses, each applicant told its own outcome, the search outbox, and what an
applicant reads about its own proposal."""

from __future__ import annotations

import pytest

from marketplace.core.errors import Conflict, NotFound
from marketplace.core.tables import AuditEvent, Outbox
from marketplace.evaluation import decisions, publication
from marketplace.evaluation.scoring import ScoreInput, save_scores, submit_scores
from marketplace.evaluation.tables import ScenarioOutcome
from marketplace.notifications.tables import Notification
from marketplace.pages.reads import get_public_scenario_with_result as get_public_scenario
from marketplace.proposals.tables import Proposal
from marketplace.scenarios.tables import Scenario
from tests.evaluation.helpers import make_evaluation_world, ready_to_score

# (technical, delivery, price) per evaluator; B splits the evaluators (90 vs 39 points).
SCORES = {
    1: {"a": (9, 8, 8), "b": (9, 9, 9), "c": (5, 6, 5)},
    2: {"a": (8, 8, 9), "b": (4, 3, 5), "c": (5, 5, 6)},
}


def comment(evaluator: int, letter: str, criterion: int) -> str:
    """A comment that names its proposal, so a test can tell whose comments a page shows."""
    return f"专家{evaluator}对方案{letter.upper()}第{criterion + 1}项的意见"


async def scored_world():
    """Both evaluators scored every proposal (with distinct comments) and submitted."""
    w = await make_evaluation_world()
    await ready_to_score(w)
    ids = {"a": w.proposal_a, "b": w.proposal_b, "c": w.proposal_c}
    for n, evaluator in ((1, w.evaluator_1), (2, w.evaluator_2)):
        for letter, values in SCORES[n].items():
            await save_scores(
                ids[letter],
                [
                    ScoreInput(c, s, comment(n, letter, i))
                    for i, (c, s) in enumerate(zip(w.criteria, values, strict=False))
                ],
                w.actor(evaluator),
            )
        await submit_scores(w.scenario, w.actor(evaluator))
    return w


async def decided_world(*, selected: str = "b", publish: bool = False):
    """Scored; A and B shortlisted; ``selected`` ("a", "b" or None: unsuccessful) decided."""
    w = await scored_world()
    await decisions.shortlist_proposal(w.scenario, w.proposal_a, w.actor(w.staff), "总分第一，方案成熟。")
    await decisions.shortlist_proposal(w.scenario, w.proposal_b, w.actor(w.staff), "联合体带动中小企业。")
    if selected:
        chosen = w.proposal_a if selected == "a" else w.proposal_b
        await decisions.select_partner(
            w.scenario,
            chosen,
            w.actor(w.staff),
            reason="合议后认为方案可落地。",
            others_reason="经合议，选定了其他方案。",
        )
    else:
        await decisions.declare_unsuccessful(w.scenario, w.actor(w.staff), reason="各方案报价均超出预算。")
    if publish:
        await publication.publish_result(w.scenario, w.actor(w.staff))
    return w


async def test_publishing_needs_a_decision_and_happens_once(db):
    w = await scored_world()
    with pytest.raises(Conflict, match="尚未作出决定"):
        await publication.publish_result(w.scenario, w.actor(w.staff))
    await decisions.shortlist_proposal(w.scenario, w.proposal_a, w.actor(w.staff), "第一")
    await decisions.select_partner(w.scenario, w.proposal_a, w.actor(w.staff), reason="最好")
    with pytest.raises(NotFound):
        await publication.publish_result(w.scenario, w.actor(w.outsider))
    await publication.publish_result(w.scenario, w.actor(w.staff))
    with pytest.raises(Conflict, match="已经公布"):
        await publication.publish_result(w.scenario, w.actor(w.admin))


async def test_publication_makes_the_decision_public_and_tells_each_applicant(db):
    w = await decided_world(selected="b")
    await Outbox.delete(force=True)
    await publication.publish_result(w.scenario, w.actor(w.staff))

    scenario = (
        await Scenario.select(Scenario.status, Scenario.public_status, Scenario.result_published_at)
        .where(Scenario.id == w.scenario)
        .first()
    )
    assert scenario["status"] == "awarded" and scenario["public_status"] == "awarded"
    assert scenario["result_published_at"] is not None
    outcome = await ScenarioOutcome.select().where(ScenarioOutcome.scenario == w.scenario).first()
    assert outcome["published_by"] == w.staff and outcome["published_at"] == scenario["result_published_at"]
    statuses = {
        r["id"]: (r["status"], r["outcome_published"])
        for r in await Proposal.select(Proposal.id, Proposal.status, Proposal.outcome_published)
    }
    assert statuses == {
        w.proposal_a: ("not_selected", True),
        w.proposal_b: ("selected", True),
        w.proposal_c: ("not_selected", True),
    }

    notes = {
        n["user"]: n for n in await Notification.select().where(Notification.kind == "evaluation_result")
    }
    assert set(notes) == {w.member_a, w.member_b, w.member_sme, w.member_c}  # consortium member included
    assert notes[w.member_b]["title"] == "贵企业的方案已入选：河道漂浮物智能发现"
    assert notes[w.member_sme]["link"] == f"/member/results/{w.proposal_b}"
    assert (
        "未入选" in notes[w.member_a]["body"]
        and notes[w.member_a]["link"] == f"/member/results/{w.proposal_a}"
    )
    for n in notes.values():  # nobody is told another company's result or any ranking
        assert "乙数据集团" not in n["body"] and "排名" not in n["body"]

    queued = {(r["kind"], r["entity_id"]) for r in await Outbox.select(Outbox.kind, Outbox.entity_id)}
    assert queued == {
        ("scenario", w.scenario),
        ("proposal", w.proposal_a),
        ("proposal", w.proposal_b),
        ("proposal", w.proposal_c),
    }
    actions = {r["action"] for r in await AuditEvent.select(AuditEvent.action)}
    assert {
        "evaluation.publish_result",
        "scenario.publish_result",
        "scenario.award",
        "evaluation.select_partner",
    } <= actions


async def test_the_public_detail_names_the_partner_and_its_consortium(db):
    w = await decided_world(selected="b")
    assert (await get_public_scenario(w.scenario)).result is None  # decided, not published
    await publication.publish_result(w.scenario, w.actor(w.staff))
    detail = await get_public_scenario(w.scenario)
    assert detail.status == "awarded"
    result = detail.result
    assert result.result == "awarded" and result.reason == ""
    assert (
        result.partner.name == "乙数据集团有限公司" and result.partner.is_lead and not result.partner.is_sme
    )
    assert [(c.name, c.role, c.work_share, c.is_sme) for c in result.consortium] == [
        ("乙数据集团有限公司", "牵头单位", 70, False),
        ("丙感知小微科技有限公司", "传感器部署", 30, True),
    ]


async def test_an_unsuccessful_result_is_published_with_its_reason(db):
    w = await decided_world(selected=None, publish=True)
    detail = await get_public_scenario(w.scenario)
    assert detail.status == "unsuccessful" and detail.status_label == "未成交"
    assert detail.result.result == "unsuccessful" and detail.result.reason == "各方案报价均超出预算。"
    assert detail.result.partner is None and detail.result.consortium == []
    statuses = {r["status"] for r in await Proposal.select(Proposal.status)}
    assert statuses == {"not_selected"}
    body = (await Notification.select(Notification.body).where(Notification.user == w.member_c).first())[
        "body"
    ]
    assert "各方案报价均超出预算。" in body


async def test_an_applicant_sees_only_its_own_scores_and_only_after_publication(db):
    w = await decided_world(selected="b")
    before = await publication.member_result(w.proposal_a, w.company_a)
    assert not before.published and before.criteria == [] and before.total is None and before.outcome == ""
    await publication.publish_result(w.scenario, w.actor(w.staff))

    mine = await publication.member_result(w.proposal_a, w.company_a)
    assert mine.published and mine.outcome == "not_selected" and mine.total == 83.5
    assert mine.evaluators == ["评审专家1", "评审专家2"]
    technical = mine.criteria[0]
    assert technical["name"] == "技术方案" and technical["weight"] == 50 and technical["mean"] == 8.5
    assert technical["scores"] == [("评审专家1", 9, comment(1, "a", 0)), ("评审专家2", 8, comment(2, "a", 0))]
    shown = repr(mine)
    assert "方案B" not in shown and "方案C" not in shown and "评审甲" not in shown  # others' and names hidden

    # The SME member of the selected consortium reads the consortium's proposal, not others'.
    theirs = await publication.member_result(w.proposal_b, w.company_sme)
    assert theirs.outcome == "selected" and theirs.total == 64.5
    with pytest.raises(NotFound):
        await publication.member_result(w.proposal_b, w.company_a)
    with pytest.raises(NotFound):
        await publication.member_result(w.proposal_a, w.company_sme)
    with pytest.raises(NotFound):
        await publication.member_result(w.proposal_a, None)


async def test_a_pitch_invitation_shows_to_the_applicant_before_the_result(db):
    import datetime as dt

    from marketplace.core import clock

    w = await scored_world()
    await decisions.shortlist_proposal(w.scenario, w.proposal_c, w.actor(w.staff), "创新")
    when = clock.now() + dt.timedelta(days=3)
    await decisions.invite_to_pitch(w.scenario, w.proposal_c, w.actor(w.staff), when=when, place="线上会议")
    result = await publication.member_result(w.proposal_c, w.company_c)
    assert (
        not result.published
        and result.pitch["pitch_place"] == "线上会议"
        and result.pitch["pitch_at"] == when
    )
    assert "shortlist_reason" not in result.pitch  # the reason stays internal


async def test_member_results_say_where_a_proposal_stands_before_the_outcome(db, client):
    """Issue 16, defect 3: a proposal on a scenario still open for proposals is not "评审中"."""
    import datetime as dt

    from marketplace.core import clock
    from marketplace.scenarios.tables import Scenario
    from tests.accounts.helpers import sign_in
    from tests.evaluation.helpers import make_evaluation_world

    w = await make_evaluation_world()  # closed yesterday; proposals submitted, review not started
    await sign_in(client, w.member_a)
    listing = (await client.get("/member/results")).text
    assert "已提交，等待部门开始评审" in listing and "评审中" not in listing
    await Scenario.update({Scenario.proposal_deadline: clock.now() + dt.timedelta(days=3)}).where(
        Scenario.id == w.scenario
    )
    listing = (await client.get("/member/results")).text
    assert "已提交，征集截止后开始评审" in listing and "评审中" not in listing
    detail = (await client.get(f"/member/results/{w.proposal_a}")).text
    assert "已提交，征集截止后开始评审" in detail and "评审中" not in detail
