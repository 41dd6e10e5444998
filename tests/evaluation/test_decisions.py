"""The decision: shortlist with a reason, pitch invitations, selecting the partner or declaring
the scenario unsuccessful, and who may do it. Everything stays internal (proposal statuses and
the public status do not move) until publication."""

from __future__ import annotations

import datetime as dt

import pytest

from marketplace.core import clock
from marketplace.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from marketplace.core.tables import AuditEvent
from marketplace.evaluation import decisions
from marketplace.evaluation.eligibility import mark_ineligible
from marketplace.evaluation.tables import ProposalReview, ScenarioOutcome
from marketplace.notifications.tables import Notification
from marketplace.proposals.tables import Proposal
from marketplace.scenarios.tables import Scenario
from tests.evaluation.helpers import make_evaluation_world, ready_to_score, score_all

# Evaluator 1 and 2 agree on A and C; they disagree strongly on B.
SCORES_1 = {"a": (9, 8, 8), "b": (9, 9, 9), "c": (5, 6, 5)}
SCORES_2 = {"a": (8, 8, 9), "b": (4, 3, 5), "c": (5, 5, 6)}


async def scored_world(*, second_submits: bool = True):
    w = await make_evaluation_world()
    await ready_to_score(w)
    ids = {"a": w.proposal_a, "b": w.proposal_b, "c": w.proposal_c}
    await score_all(w, w.evaluator_1, {ids[k]: v for k, v in SCORES_1.items()})
    await score_all(w, w.evaluator_2, {ids[k]: v for k, v in SCORES_2.items()}, submit=second_submits)
    return w


async def _scenario(w) -> dict:
    return (
        await Scenario.select(Scenario.status, Scenario.public_status)
        .where(Scenario.id == w.scenario)
        .first()
    )


async def _review(proposal_id: int) -> dict:
    return await ProposalReview.select().where(ProposalReview.proposal == proposal_id).first()


async def test_the_board_ranks_and_flags_the_disagreement(db):
    w = await scored_world()
    board = await decisions.read_board(w.actor(w.staff), w.scenario)
    assert [e.id for e in board.entries] == [w.proposal_a, w.proposal_b, w.proposal_c]
    a, b, c = board.entries
    assert (a.result.rank, b.result.rank, c.result.rank) == (1, 2, 3)
    assert a.result.total == 83.5  # 8.5*5 + 8*3 + 8.5*2
    assert b.result.disagreement and not a.result.disagreement
    assert b.result.spread == 51.0  # 90 - 39
    assert [m["name"] for m in b.members] == ["乙数据集团有限公司", "丙感知小微科技有限公司"]


async def test_first_shortlisting_moves_the_scenario_and_stays_internal(db):
    w = await scored_world()
    await decisions.shortlist_proposal(w.scenario, w.proposal_a, w.actor(w.staff), "  总分第一，方案成熟。 ")
    review = await _review(w.proposal_a)
    assert review["shortlisted"] and review["shortlist_reason"] == "总分第一，方案成熟。"
    assert await _scenario(w) == {"status": "shortlisted", "public_status": "evaluating"}
    proposal = (
        await Proposal.select(Proposal.status, Proposal.outcome_published)
        .where(Proposal.id == w.proposal_a)
        .first()
    )
    assert proposal == {"status": "under_review", "outcome_published": False}
    await decisions.shortlist_proposal(w.scenario, w.proposal_b, w.actor(w.admin), "联合体带动中小企业。")
    assert (await _scenario(w))["status"] == "shortlisted"
    actions = [
        r["action"]
        for r in await AuditEvent.select(AuditEvent.action).where(
            AuditEvent.action.like("evaluation.shortlist%")
        )
    ]
    assert actions == ["evaluation.shortlist", "evaluation.shortlist"]
    assert (
        await Notification.count().where(Notification.kind.is_in(["pitch_invitation", "evaluation_result"]))
        == 0
    )


async def test_shortlisting_needs_a_reason_and_an_eligible_proposal(db):
    w = await scored_world()
    with pytest.raises(ValidationFailed) as info:
        await decisions.shortlist_proposal(w.scenario, w.proposal_a, w.actor(w.staff), "   ")
    assert info.value.errors == {"shortlist_reason": "请填写入围理由。"}
    assert not (await _review(w.proposal_a))["shortlisted"]
    await decisions.shortlist_proposal(w.scenario, w.proposal_a, w.actor(w.staff), "第一")
    with pytest.raises(Conflict, match="已在入围名单"):
        await decisions.shortlist_proposal(w.scenario, w.proposal_a, w.actor(w.staff), "第一")
    with pytest.raises(NotFound):
        await decisions.shortlist_proposal(w.scenario, 999_999, w.actor(w.staff), "不存在")


async def test_an_ineligible_proposal_cannot_be_shortlisted(db):
    w = await make_evaluation_world()
    await ready_to_score(w)
    await mark_ineligible(w.proposal_c, "缺少资质证明。", w.actor(w.staff))
    with pytest.raises(Conflict, match="资格审查合格"):
        await decisions.shortlist_proposal(w.scenario, w.proposal_c, w.actor(w.staff), "试试")
    assert (await _scenario(w))["status"] == "evaluating"


async def test_who_may_decide(db):
    w = await scored_world(second_submits=False)
    with pytest.raises(NotFound):  # another department's staff learn nothing
        await decisions.shortlist_proposal(w.scenario, w.proposal_a, w.actor(w.outsider), "理由")
    with pytest.raises(NotAllowed):
        await decisions.shortlist_proposal(w.scenario, w.proposal_a, w.actor(w.member_a), "理由")
    with pytest.raises(NotAllowed, match="提交全部评分后"):  # blind until he submits
        await decisions.read_board(w.actor(w.evaluator_2), w.scenario)
    with pytest.raises(NotAllowed, match="提交全部评分后"):
        await decisions.shortlist_proposal(w.scenario, w.proposal_a, w.actor(w.evaluator_2), "理由")
    board = await decisions.read_board(w.actor(w.evaluator_1), w.scenario)  # submitted: may read
    assert len(board.entries) == 3
    assert [e["name"] for e in board.pending_evaluators] == ["评审乙"]
    assert not (await _review(w.proposal_a))["shortlisted"]


async def test_pitch_invitation_tells_the_lead_company_time_and_place_only(db):
    w = await scored_world()
    await decisions.shortlist_proposal(w.scenario, w.proposal_b, w.actor(w.staff), "联合体方案")
    when = clock.now() + dt.timedelta(days=3)
    with pytest.raises(ValidationFailed) as info:
        await decisions.invite_to_pitch(
            w.scenario, w.proposal_b, w.actor(w.staff), when=clock.now() - dt.timedelta(hours=1), place=""
        )
    assert set(info.value.errors) == {"pitch_at", "pitch_place"}
    with pytest.raises(Conflict, match="入围方案"):
        await decisions.invite_to_pitch(w.scenario, w.proposal_a, w.actor(w.staff), when=when, place="会议室")
    await decisions.invite_to_pitch(
        w.scenario,
        w.proposal_b,
        w.actor(w.staff),
        when=when,
        place="园区水务局三楼会议室",
        note="请准备 15 分钟演示",
    )
    review = await _review(w.proposal_b)
    assert review["pitch_place"] == "园区水务局三楼会议室" and review["pitch_at"] == when
    notes = await Notification.select(
        Notification.user, Notification.title, Notification.body, Notification.link
    ).where(Notification.kind == "pitch_invitation")
    assert [n["user"] for n in notes] == [w.member_b]  # the lead company's manager, not the SME member
    assert notes[0]["title"] == "您受邀参加方案路演：河道漂浮物智能发现"
    assert "园区水务局三楼会议室" in notes[0]["body"] and "2026-12-04" in notes[0]["body"].replace("年", "-")
    for word in ("排名", "总分", "评分", "入围"):
        assert word not in notes[0]["title"] + notes[0]["body"]


async def test_selecting_the_partner(db):
    w = await scored_world()
    await decisions.shortlist_proposal(w.scenario, w.proposal_a, w.actor(w.staff), "总分第一")
    await decisions.shortlist_proposal(w.scenario, w.proposal_b, w.actor(w.staff), "联合体")
    with pytest.raises(Conflict, match="入围方案"):
        await decisions.select_partner(w.scenario, w.proposal_c, w.actor(w.staff), reason="第三名")
    with pytest.raises(ValidationFailed) as info:
        await decisions.select_partner(w.scenario, w.proposal_a, w.actor(w.staff), reason="")
    assert "reason" in info.value.errors
    await decisions.select_partner(
        w.scenario, w.proposal_a, w.actor(w.staff), reason="综合得分最高，实施风险低。"
    )
    outcome = await ScenarioOutcome.select().where(ScenarioOutcome.scenario == w.scenario).first()
    assert outcome["result"] == "awarded" and outcome["selected_proposal"] == w.proposal_a
    assert outcome["decided_by"] == w.staff and outcome["published_at"] is None
    decided = {p: (await _review(p))["decision"] for p in w.proposals}
    assert decided == {w.proposal_a: "selected", w.proposal_b: "not_selected", w.proposal_c: "not_selected"}
    assert (await _review(w.proposal_b))["decision_reason"] == decisions.DEFAULT_NOT_SELECTED_REASON
    # Awarded inside, still "evaluating" outside; applicants' proposals unchanged.
    assert await _scenario(w) == {"status": "awarded", "public_status": "evaluating"}
    statuses = {
        r["status"] for r in await Proposal.select(Proposal.status).where(Proposal.scenario == w.scenario)
    }
    assert statuses == {"under_review"}
    with pytest.raises(Conflict):
        await decisions.select_partner(w.scenario, w.proposal_b, w.actor(w.staff), reason="改主意")
    with pytest.raises(Conflict):
        await decisions.declare_unsuccessful(w.scenario, w.actor(w.staff), reason="改主意")
    with pytest.raises(Conflict, match="已作出决定"):
        await decisions.shortlist_proposal(w.scenario, w.proposal_c, w.actor(w.staff), "晚了")


async def test_deciding_before_every_evaluator_submitted_needs_an_override_reason(db):
    w = await scored_world(second_submits=False)
    await decisions.shortlist_proposal(w.scenario, w.proposal_a, w.actor(w.staff), "总分第一")
    with pytest.raises(ValidationFailed) as info:
        await decisions.select_partner(w.scenario, w.proposal_a, w.actor(w.staff), reason="最好")
    assert "评审乙" in info.value.errors["override_reason"]
    assert await ScenarioOutcome.count() == 0
    await decisions.select_partner(
        w.scenario,
        w.proposal_a,
        w.actor(w.staff),
        reason="最好",
        override_reason="评审乙出差，经局务会同意先行决定。",
    )
    event = (
        await AuditEvent.select(AuditEvent.after, AuditEvent.reason)
        .where(AuditEvent.action == "evaluation.select_partner")
        .output(load_json=True)
        .first()
    )
    assert event["after"]["override"] == "评审乙出差，经局务会同意先行决定。" and event["reason"] == "最好"


async def test_declaring_the_scenario_unsuccessful(db):
    w = await scored_world()
    with pytest.raises(ValidationFailed):
        await decisions.declare_unsuccessful(w.scenario, w.actor(w.staff), reason=" ")
    await decisions.declare_unsuccessful(w.scenario, w.actor(w.staff), reason="各方案报价均超出预算。")
    outcome = await ScenarioOutcome.select().where(ScenarioOutcome.scenario == w.scenario).first()
    assert outcome["result"] == "unsuccessful" and outcome["selected_proposal"] is None
    assert await _scenario(w) == {"status": "unsuccessful", "public_status": "evaluating"}
    assert {(await _review(p))["decision"] for p in w.proposals} == {"not_selected"}


async def test_a_closed_scenario_without_proposals_can_be_declared_unsuccessful(db):
    w = await make_evaluation_world()
    await Proposal.update({Proposal.status: "withdrawn"}).where(Proposal.scenario == w.scenario)
    await decisions.declare_unsuccessful(w.scenario, w.actor(w.staff), reason="无企业申报。")
    assert (await _scenario(w))["status"] == "unsuccessful"


async def test_removing_from_the_shortlist_cancels_the_pitch(db):
    w = await make_evaluation_world()
    await ready_to_score(w)
    await decisions.shortlist_proposal(w.scenario, w.proposal_c, w.actor(w.staff), "创新")
    await decisions.invite_to_pitch(
        w.scenario, w.proposal_c, w.actor(w.staff), when=clock.now() + dt.timedelta(days=2), place="线上"
    )
    await decisions.remove_from_shortlist(w.scenario, w.proposal_c, w.actor(w.staff))
    review = await _review(w.proposal_c)
    assert not review["shortlisted"] and review["pitch_at"] is None and review["pitch_place"] == ""
    with pytest.raises(Conflict, match="不在入围名单"):
        await decisions.remove_from_shortlist(w.scenario, w.proposal_c, w.actor(w.staff))


async def test_nothing_to_decide_before_the_deadline(db):
    w = await make_evaluation_world(status="open")
    with pytest.raises(Conflict, match="尚未截止"):
        await decisions.read_board(w.actor(w.staff), w.scenario)


async def test_the_decision_page_forms(db, client):
    from tests.accounts.helpers import post_form, sign_in

    w = await scored_world()
    await sign_in(client, w.staff)
    page_url = f"/staff/scenarios/{w.scenario}/decision"
    page = await client.get(page_url)
    assert (
        page.status_code == 200 and "决定与公布：河道漂浮物智能发现" in page.text and "分歧较大" in page.text
    )

    missing = await post_form(
        client, f"{page_url}/shortlist", {"proposal_id": str(w.proposal_a)}, token_from=page_url
    )
    assert missing.status_code == 400 and "请填写入围理由。" in missing.text
    assert not (await _review(w.proposal_a))["shortlisted"]
    done = await post_form(
        client,
        f"{page_url}/shortlist",
        {"proposal_id": str(w.proposal_a), "shortlist_reason": "总分第一"},
        token_from=page_url,
    )
    assert done.status_code == 303 and done.headers["location"] == f"{page_url}?done=shortlisted"
    bad_time = await post_form(
        client,
        f"{page_url}/pitch",
        {"proposal_id": str(w.proposal_a), "pitch_at": "明天下午", "pitch_place": "会议室"},
        token_from=page_url,
    )
    assert bad_time.status_code == 400 and "路演时间格式不正确。" in bad_time.text
    wrong = await post_form(
        client, f"{page_url}/select", {"proposal_id": str(w.proposal_b), "reason": "好"}, token_from=page_url
    )
    assert wrong.status_code == 409 and "只能从入围方案中选定合作伙伴。" in wrong.text
    chosen = await post_form(
        client,
        f"{page_url}/select",
        {"proposal_id": str(w.proposal_a), "reason": "最好"},
        token_from=page_url,
    )
    assert chosen.status_code == 303
    unconfirmed = await post_form(client, f"{page_url}/publish", {}, token_from=page_url)
    assert unconfirmed.status_code == 400 and "请勾选确认后再公布结果。" in unconfirmed.text
    assert (await _scenario(w))["public_status"] == "evaluating"
    published = await post_form(client, f"{page_url}/publish", {"confirm": "yes"}, token_from=page_url)
    assert published.status_code == 303
    assert (await _scenario(w))["public_status"] == "awarded"
    assert "结果已公布" in (await client.get(published.headers["location"])).text
