"""The evaluation pages as users meet them: starting and assigning, declaring conflicts, scoring
(blind, locked after submitting, refusals listing what is missing), eligibility with a
clarification the company answers in the member area, affiliations, and the workspace ranking."""

from __future__ import annotations

import datetime as dt

from marketplace.evaluation import conflicts
from marketplace.evaluation.tables import EvaluationScore, ProposalReview
from marketplace.proposals.tables import ConflictDeclaration, Proposal
from marketplace.scenarios.tables import Scenario
from tests.accounts.helpers import post_form, sign_in
from tests.evaluation.helpers import (
    NOW,
    begin_evaluation,
    declare_no_conflicts,
    make_evaluation_world,
    mark_all_eligible,
    ready_to_score,
    score_all,
)
from tests.pages.html import parse


def _ws(w) -> str:
    return f"/staff/scenarios/{w.scenario}/evaluation"


async def _score_form(client, w, proposal, values, comments=None):
    comments = comments or {}
    data = {}
    for c, v in zip(w.criteria, values, strict=False):
        data[f"score_{c}"] = "" if v is None else str(v)
        data[f"comment_{c}"] = comments.get(c, f"评语{v}")
    path = f"{_ws(w)}/score/{proposal}"
    return await post_form(client, path, data, token_from=path)


async def test_staff_start_the_evaluation_with_evaluators_from_the_page(db, client):
    w = await make_evaluation_world()
    await sign_in(client, w.staff)
    page = await client.get(_ws(w))
    assert page.status_code == 200
    doc = parse(page.text)
    boxes = {el.attrs["value"] for el in doc.find_all("input") if el.attrs.get("name") == "evaluator"}
    assert boxes == {str(u) for u in (w.staff, w.evaluator_1, w.evaluator_2, w.admin)}  # not the outsider
    response = await client.post(
        f"{_ws(w)}/start",
        data={"_csrf_token": _token(page.text), "evaluator": [str(w.evaluator_1), str(w.evaluator_2)]},
    )
    assert response.status_code == 303
    assert (await Scenario.select(Scenario.status).where(Scenario.id == w.scenario).first())[
        "status"
    ] == "evaluating"
    page = await client.get(_ws(w) + "?done=started")
    assert "评审已开始" in page.text and "评审甲" in page.text and "评审乙" in page.text
    assert "未声明" in page.text


def _token(html: str) -> str:
    import re

    return re.search(r'name="_csrf_token" value="([^"]+)"', html).group(1)


async def test_starting_without_evaluators_says_so(db, client):
    w = await make_evaluation_world()
    await sign_in(client, w.staff)
    response = await post_form(client, f"{_ws(w)}/start", {}, token_from=_ws(w))
    assert response.status_code == 400 and "请至少选择一位评审专家" in response.text
    assert (await Scenario.select(Scenario.status).where(Scenario.id == w.scenario).first())[
        "status"
    ] == "closed"


async def test_the_workspace_is_for_the_department_and_admins_only(db, client):
    w = await make_evaluation_world("evaluating")
    for user, status in ((w.outsider, 403), (w.member_a, 403), (w.admin, 200), (w.evaluator_1, 200)):
        await sign_in(client, user)
        assert (await client.get(_ws(w))).status_code == status, user


async def test_conflict_declaration_page_blocks_the_proposal(db, client):
    w = await make_evaluation_world("evaluating")
    await mark_all_eligible(w)
    await sign_in(client, w.evaluator_1)
    path = f"{_ws(w)}/conflicts"
    # scoring before declaring is refused with a pointer
    response = await client.get(f"{_ws(w)}/score/{w.proposal_a}")
    assert response.status_code == 403 and "利益冲突声明" in response.text
    # a conflict without a relation is refused, nothing stored
    form = {
        f"conflicted_{w.proposal_a}": "no",
        f"conflicted_{w.proposal_b}": "yes",
        f"conflicted_{w.proposal_c}": "no",
    }
    response = await post_form(client, path, form, token_from=path)
    assert response.status_code == 400 and "请说明与方案" in response.text
    assert await ConflictDeclaration.count() == 0
    form[f"relation_{w.proposal_b}"] = "曾在乙数据集团任职"
    response = await post_form(client, path, form, token_from=path)
    assert response.status_code == 303
    # the conflicted proposal cannot be read or scored through the pages
    response = await client.get(f"{_ws(w)}/score/{w.proposal_b}")
    assert response.status_code == 403 and "回避" in response.text
    assert "联合体感知网络" not in response.text and "在现有 120 路视频" not in response.text
    response = await _score_form(client, w, w.proposal_b, (9, 9, 9))
    assert response.status_code == 403
    assert await EvaluationScore.count() == 0
    listing = await client.get(f"{_ws(w)}/score")
    assert "回避（利益冲突）" in listing.text
    assert f'/score/{w.proposal_b}"' not in listing.text


async def test_a_system_flag_shows_and_cannot_be_answered_away(db, client):
    w = await make_evaluation_world()
    await conflicts.add_affiliation("甲视觉科技有限公司", "former_employer", "", w.actor(w.evaluator_2))
    await begin_evaluation(w)
    await mark_all_eligible(w)
    await sign_in(client, w.evaluator_2)
    path = f"{_ws(w)}/conflicts"
    page = await client.get(path)
    assert "系统标记为存在利益冲突" in page.text and "甲视觉科技有限公司" in page.text
    # the form as the browser sends it: the flagged proposal's hidden "yes", no relation typed
    form = {f"conflicted_{p}": "no" for p in w.proposals}
    form[f"conflicted_{w.proposal_a}"] = "yes"
    form[f"relation_{w.proposal_a}"] = ""
    assert (await post_form(client, path, form, token_from=path)).status_code == 303
    row = await ConflictDeclaration.select().where(ConflictDeclaration.proposal == w.proposal_a).first()
    assert row["conflicted"] and "原任职单位" in row["system_flag"]
    # a crafted "no" for the flagged proposal changes nothing
    form[f"conflicted_{w.proposal_a}"] = "no"
    assert (await post_form(client, path, form, token_from=path)).status_code == 303
    assert (await client.get(f"{_ws(w)}/score/{w.proposal_a}")).status_code == 403
    assert (await client.get(f"{_ws(w)}/score/{w.proposal_b}")).status_code == 200


async def test_scoring_through_the_pages_is_blind_until_submitted(db, client):
    w = await ready_to_score(await make_evaluation_world())
    await score_all(w, w.evaluator_2, dict.fromkeys(w.proposals, (3, 3, 3)), submit=False)
    await sign_in(client, w.evaluator_1)
    page = await client.get(f"{_ws(w)}/score/{w.proposal_a}")
    assert page.status_code == 200
    assert (
        "视频识别漂浮物" in page.text and "在现有 120 路视频上部署漂浮物识别模型" in page.text
    )  # final version
    assert "技术方案（权重 50%）" in page.text
    # a low score needs a comment; nothing stored
    response = await _score_form(client, w, w.proposal_a, (2, 8, 8), comments={w.criteria[0]: ""})
    assert response.status_code == 400 and "请填写评语说明理由" in response.text
    assert await EvaluationScore.count().where(EvaluationScore.evaluator == w.evaluator_1) == 0
    response = await _score_form(client, w, w.proposal_a, ("十", 8, 8))
    assert response.status_code == 400 and "0 到 10 的整数" in response.text
    response = await _score_form(client, w, w.proposal_a, (9, 8, 7))
    assert response.status_code == 303
    page = await client.get(f"{_ws(w)}/score/{w.proposal_a}")
    doc = parse(page.text)
    assert doc.find("input", id=f"f-score_{w.criteria[0]}").attrs["value"] == "9"
    # evaluator 2's scores and comments are nowhere to be seen
    assert "评分3的理由" not in page.text and "其他评审专家的评分" not in page.text
    ws = await client.get(_ws(w))
    assert "盲评" in ws.text and "评分3的理由" not in ws.text and "需合议" not in ws.text
    # submitting with missing scores lists them
    response = await post_form(client, f"{_ws(w)}/submit", {}, token_from=f"{_ws(w)}/score")
    assert response.status_code == 400 and "还有评分未完成" in response.text
    number_b = (await Proposal.select(Proposal.number).where(Proposal.id == w.proposal_b).first())["number"]
    assert f"{number_b}：技术方案、实施能力、报价合理性" in response.text
    for p in (w.proposal_b, w.proposal_c):
        assert (await _score_form(client, w, p, (8, 8, 8))).status_code == 303
    response = await post_form(client, f"{_ws(w)}/submit", {}, token_from=f"{_ws(w)}/score")
    assert response.status_code == 303
    # now locked, and the other evaluator's scores are visible
    page = await client.get(f"{_ws(w)}/score/{w.proposal_a}")
    assert "评分已锁定" in page.text and "其他评审专家的评分" in page.text and "评分3的理由" in page.text
    response = await _score_form(client, w, w.proposal_a, (1, 1, 1))
    assert response.status_code == 409 and "已锁定" in response.text
    assert {
        r["score"]
        for r in await EvaluationScore.select(EvaluationScore.score).where(
            (EvaluationScore.evaluator == w.evaluator_1) & (EvaluationScore.proposal == w.proposal_a)
        )
    } == {9, 8, 7}
    # evaluator 2 still sees only his own
    await sign_in(client, w.evaluator_2)
    page = await client.get(f"{_ws(w)}/score/{w.proposal_a}")
    assert "评语9" not in page.text and "其他评审专家的评分" not in page.text


async def test_workspace_ranking_flags_disagreement_and_keeps_a_consensus_note(db, client):
    w = await ready_to_score(await make_evaluation_world())
    await score_all(
        w, w.evaluator_1, {w.proposal_a: (9, 9, 9), w.proposal_b: (7, 7, 7), w.proposal_c: (6, 6, 6)}
    )
    await score_all(
        w, w.evaluator_2, {w.proposal_a: (5, 5, 5), w.proposal_b: (7, 7, 7), w.proposal_c: (6, 6, 6)}
    )
    await sign_in(client, w.staff)
    page = await client.get(_ws(w))
    doc = parse(page.text)
    row_a = doc.find("tr", id=f"rank-{w.proposal_a}")
    assert "需合议" in row_a.text() and "70.00" in row_a.text() and "40.00" in row_a.text()
    row_b = doc.find("tr", id=f"rank-{w.proposal_b}")
    assert "需合议" not in row_b.text() and row_b.text().startswith("1 ")  # a tie with a
    assert doc.find("tr", id=f"rank-{w.proposal_c}").text().startswith("3 ")
    assert "已提交" in doc.find("table", class_="progress-matrix").text()
    path = f"{_ws(w)}/consensus"
    response = await post_form(
        client,
        path,
        {"proposal_id": str(w.proposal_a), "consensus_note": "合议后认为技术方案可行，维持平均分。"},
        token_from=_ws(w),
    )
    assert response.status_code == 303
    assert (
        await ProposalReview.select(ProposalReview.consensus_note)
        .where(ProposalReview.proposal == w.proposal_a)
        .first()
    )["consensus_note"] == "合议后认为技术方案可行，维持平均分。"


async def test_eligibility_and_clarification_through_the_pages(db, client):
    w = await make_evaluation_world("evaluating")
    await sign_in(client, w.staff)
    response = await post_form(
        client,
        f"{_ws(w)}/eligibility",
        {"proposal_id": str(w.proposal_a), "decision": "ineligible", "reason": ""},
        token_from=_ws(w),
    )
    assert response.status_code == 400 and "请填写不符合资格的原因" in response.text
    response = await post_form(
        client,
        f"{_ws(w)}/eligibility",
        {
            "proposal_id": str(w.proposal_b),
            "decision": "clarification",
            "question": "请补充丙公司的营业执照。",
            "deadline": "2026-12-03T18:00",
        },
        token_from=_ws(w),
    )
    assert response.status_code == 303
    review = await ProposalReview.select().where(ProposalReview.proposal == w.proposal_b).first()
    assert review["eligibility"] == "clarification"
    assert review["clarification_deadline"] == dt.datetime(2026, 12, 3, 10, 0, tzinfo=dt.UTC)
    # the lead company's manager answers in the member area
    path = f"/member/clarifications/{review['id']}"
    await sign_in(client, w.member_b)
    listing = await client.get("/member/clarifications")
    assert path in listing.text
    page = await client.get(path)
    assert page.status_code == 200 and "请补充丙公司的营业执照" in page.text
    response = await post_form(client, path, {"answer": "营业执照见附件二。"}, token_from=path)
    assert response.status_code == 303
    # other companies, even the consortium member, get 404
    for user in (w.member_sme, w.member_a):
        await sign_in(client, user)
        assert (await client.get(path)).status_code == 404
        assert (
            await post_form(client, path, {"answer": "x"}, token_from="/member/clarifications")
        ).status_code == 404
    await sign_in(client, w.staff)
    page = await client.get(_ws(w))
    assert "营业执照见附件二" in page.text
    response = await post_form(
        client,
        f"{_ws(w)}/eligibility",
        {"proposal_id": str(w.proposal_b), "decision": "eligible"},
        token_from=_ws(w),
    )
    assert response.status_code == 303
    assert (
        await ProposalReview.select(ProposalReview.eligibility)
        .where(ProposalReview.proposal == w.proposal_b)
        .first()
    )["eligibility"] == "eligible"


async def test_an_answer_after_the_clarification_deadline_is_refused_on_the_page(db, client):
    from marketplace.core import clock
    from marketplace.evaluation.eligibility import request_clarification

    w = await make_evaluation_world("evaluating")
    await request_clarification(
        w.proposal_c, "报价是否含税？", NOW + dt.timedelta(minutes=10), w.actor(w.staff)
    )
    review = await ProposalReview.select().where(ProposalReview.proposal == w.proposal_c).first()
    path = f"/member/clarifications/{review['id']}"
    await sign_in(client, w.member_c)
    token_page = await client.get(path)
    assert "提交答复" in token_page.text
    clock.advance(dt.timedelta(minutes=11))
    response = await client.post(path, data={"_csrf_token": _token(token_page.text), "answer": "含税"})
    assert response.status_code == 409 and "已超过答复截止时间" in response.text
    assert "提交答复" not in (await client.get(path)).text


async def test_affiliations_page(db, client):
    w = await make_evaluation_world()
    await sign_in(client, w.evaluator_1)
    response = await post_form(
        client,
        "/staff/affiliations",
        {"company_name": "没有这家公司", "relation": "former_employer"},
        token_from="/staff/affiliations",
    )
    assert response.status_code == 400 and "未找到" in response.text
    response = await post_form(
        client,
        "/staff/affiliations",
        {"company_name": "丁智能科技有限公司", "relation": "family", "note": "配偶任职"},
        token_from="/staff/affiliations",
    )
    assert response.status_code == 303
    page = await client.get("/staff/affiliations")
    assert "丁智能科技有限公司" in page.text and "亲属任职" in page.text
    aid = (await conflicts.list_affiliations(w.evaluator_1))[0]["id"]
    # someone else cannot delete it
    await sign_in(client, w.evaluator_2)
    assert "丁智能科技有限公司" not in (await client.get("/staff/affiliations")).text
    response = await post_form(
        client, f"/staff/affiliations/{aid}/delete", {}, token_from="/staff/affiliations"
    )
    assert response.status_code == 404
    await sign_in(client, w.evaluator_1)
    response = await post_form(
        client, f"/staff/affiliations/{aid}/delete", {}, token_from="/staff/affiliations"
    )
    assert response.status_code == 303 and await conflicts.list_affiliations(w.evaluator_1) == []


async def test_my_evaluations_lists_assigned_scenarios(db, client):
    w = await make_evaluation_world("evaluating")
    await sign_in(client, w.evaluator_1)
    page = await client.get("/staff/evaluations")
    assert "河道漂浮物智能发现" in page.text and "去声明" in page.text
    await declare_no_conflicts(w, w.evaluator_1)
    assert "已声明" in (await client.get("/staff/evaluations")).text
    await sign_in(client, w.staff)
    assert "目前没有被指派" in (await client.get("/staff/evaluations")).text
    assert (await client.get(f"{_ws(w)}/score")).status_code == 403


async def test_decided_eligibility_checks_fold_away(db, client):
    """Issue 16, defect 8: a decided check is a closed <details> (its badge shows the result);
    pending ones stay open, so the workspace does not grow by a full form per proposal."""
    import re

    from marketplace.evaluation.eligibility import mark_eligible

    w = await make_evaluation_world("evaluating")
    await mark_eligible(w.proposal_a, w.actor(w.staff))
    await sign_in(client, w.staff)
    html = (await client.get(_ws(w))).text
    details = re.findall(r'<details class="eligibility-edit"( open)?>\s*<summary>([^<]*)<', html)
    assert sorted(details) == [("", "修改资格审查结论"), (" open", "资格审查"), (" open", "资格审查")]
