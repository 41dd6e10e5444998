"""A conflict of interest on the decision board (evaluation.policy): the staff member who is
conflicted on a proposal never reads it there, in the exports or in the report, the other
proposals are ranked among themselves for him, and he takes no decision; colleagues without a
conflict see everything and decide."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from marketplace.core.errors import NotAllowed
from marketplace.evaluation import decisions, publication
from marketplace.evaluation.conflicts import ConflictAnswer, declare_conflicts
from marketplace.proposals.tables import Proposal
from tests.accounts.helpers import post_form, sign_in
from tests.evaluation.helpers import (
    begin_evaluation,
    declare_no_conflicts,
    make_evaluation_world,
    mark_all_eligible,
    score_all,
)

PATHS = (
    "decision",
    "evaluation/ranking.csv",
    "evaluation/scores.csv",
    "evaluation/export.xlsx",
    "evaluation/report",
)
B_COMMENT = "评分9的理由"  # only evaluator 2 scores proposal B with a 9


async def recused_world():
    """Evaluator 1 declared a conflict on proposal B (consortium of 乙数据集团 with 丙感知小微);
    evaluator 2 did not. Both scored what they may and submitted; staff shortlisted A and B."""
    w = await make_evaluation_world()
    await begin_evaluation(w)
    await declare_conflicts(
        w.scenario,
        [
            ConflictAnswer(proposal_id=w.proposal_a, conflicted=False),
            ConflictAnswer(proposal_id=w.proposal_b, conflicted=True, relation="曾任该集团技术顾问"),
            ConflictAnswer(proposal_id=w.proposal_c, conflicted=False),
        ],
        w.actor(w.evaluator_1),
    )
    await declare_no_conflicts(w, w.evaluator_2)
    await mark_all_eligible(w)
    await score_all(w, w.evaluator_1, {w.proposal_a: (6, 6, 6), w.proposal_c: (8, 8, 8)})
    await score_all(
        w, w.evaluator_2, {w.proposal_a: (5, 5, 5), w.proposal_b: (9, 9, 9), w.proposal_c: (7, 7, 7)}
    )
    await decisions.shortlist_proposal(w.scenario, w.proposal_a, w.actor(w.staff), "方案成熟。")
    await decisions.shortlist_proposal(w.scenario, w.proposal_b, w.actor(w.staff), "带动中小企业。")
    return w


def _text(path: str, body: bytes) -> str:
    if path.endswith(".xlsx"):
        book = load_workbook(io.BytesIO(body))
        return "\n".join(
            str(cell)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for cell in row
        )
    return body.decode("utf-8-sig")


async def test_the_recused_proposal_is_absent_from_every_board_route(db, client):
    w = await recused_world()
    number_b = (await Proposal.select(Proposal.number).where(Proposal.id == w.proposal_b).first())["number"]
    secret = (number_b, "乙数据集团", "丙感知小微", B_COMMENT, "曾任该集团技术顾问")
    for user, sees_b in ((w.evaluator_1, False), (w.evaluator_2, True), (w.staff, True), (w.admin, True)):
        await sign_in(client, user)
        for path in PATHS:
            response = await client.get(f"/staff/scenarios/{w.scenario}/{path}")
            assert response.status_code == 200, (user, path)
            text = _text(path, response.content)
            shown = [word for word in secret if word in text]
            if sees_b:
                assert number_b in text, (user, path)
            else:
                assert shown == [], (path, shown)
    # For him the others are ranked among themselves: C first, A second, no gap left by B.
    board = await decisions.read_board(w.actor(w.evaluator_1), w.scenario)
    assert [e.id for e in board.entries] == [w.proposal_c, w.proposal_a]
    assert [e.result.rank for e in board.entries if e.result] == [1, 2]
    assert board.hidden == 1
    await sign_in(client, w.evaluator_1)
    page = await client.get(f"/staff/scenarios/{w.scenario}/decision")
    assert "已回避本场景的决定" in page.text


async def test_the_recused_member_of_staff_takes_no_decision(db, client):
    w = await recused_world()
    actor = w.actor(w.evaluator_1)
    with pytest.raises(NotAllowed, match="回避"):
        await decisions.shortlist_proposal(w.scenario, w.proposal_c, actor, "也不错。")
    with pytest.raises(NotAllowed, match="回避"):
        await decisions.select_partner(w.scenario, w.proposal_a, actor, reason="最好")
    with pytest.raises(NotAllowed, match="回避"):
        await decisions.declare_unsuccessful(w.scenario, actor, reason="都不行")
    await decisions.select_partner(w.scenario, w.proposal_a, w.actor(w.staff), reason="最好")
    with pytest.raises(NotAllowed, match="回避"):
        await publication.publish_result(w.scenario, actor)
    await sign_in(client, w.evaluator_1)
    page_url = f"/staff/scenarios/{w.scenario}/decision"
    refused = await post_form(
        client,
        f"{page_url}/shortlist",
        {"proposal_id": str(w.proposal_c), "shortlist_reason": "也不错。"},
        token_from=page_url,
    )
    assert refused.status_code == 403 and "回避" in refused.text
    await publication.publish_result(w.scenario, w.actor(w.staff))  # a colleague publishes


LISTING_PATHS = (
    "/staff/scenarios/{sid}/proposals",
    "/staff/scenarios/{sid}/proposals.csv",
    "/staff/scenarios/{sid}/evaluation",
    "/staff/scenarios/{sid}/evaluation/score",
)


async def test_the_recused_proposal_is_absent_from_every_route_that_lists_proposals_or_scores(db, client):
    """Issue 13: the conflict rule on the staff lists, the CSV export, the workspace, the scoring
    list, the proposal page and the JSON API, beside the board routes above."""
    from tests.accounts.helpers import bearer

    w = await recused_world()
    number_b = (await Proposal.select(Proposal.number).where(Proposal.id == w.proposal_b).first())["number"]
    secret = ("乙数据集团", "丙感知小微", B_COMMENT)
    for user, sees_b in ((w.evaluator_1, False), (w.evaluator_2, True)):
        await sign_in(client, user)
        for template in LISTING_PATHS:
            path = template.format(sid=w.scenario)
            response = await client.get(path)
            assert response.status_code == 200, (user, path)
            text = response.content.decode("utf-8-sig")
            if sees_b:
                assert "乙数据集团" in text or path.endswith("/score"), path
            else:
                assert [word for word in secret if word in text] == [], path
                if "/proposals" in path:  # the workspace and scoring list name his own recusal
                    assert number_b not in text, path
        detail = await client.get(f"/staff/proposals/{w.proposal_b}")
        assert detail.status_code == (200 if sees_b else 404), user
        headers = await bearer(user)
        listed = (await client.get("/api/v1/proposals", headers=headers)).json()
        assert (w.proposal_b in {p["id"] for p in listed["items"]}) == sees_b
        api_detail = await client.get(f"/api/v1/proposals/{w.proposal_b}", headers=headers)
        assert api_detail.status_code == (200 if sees_b else 404)
        found = (await client.get("/api/v1/search/proposals", params={"q": ""}, headers=headers)).json()
        assert (w.proposal_b in {p["id"] for p in found["items"]}) == sees_b
