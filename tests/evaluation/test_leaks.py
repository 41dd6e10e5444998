"""The internal-versus-published split, through every route: before publication nothing of the
evaluation (scores, rankings, evaluators, shortlists, the decision) reaches the public pages, the
public API, the feeds, the search index or the applicants; after it the partner appears and each
applicant sees its own scores only. Exports and the decision page are for staff only."""

from __future__ import annotations

import json

import httpx
import pytest

from marketplace.evaluation import publication
from tests.accounts.helpers import bearer, sign_in
from tests.evaluation.test_publication import comment, decided_world
from tests.search.conftest import app_for, engine, meili, sync  # noqa: F401 (fixtures)

# What must never show before publication: applicant companies, reasons, evaluators, scores.
INTERNAL = (
    "甲视觉科技",
    "乙数据集团",
    "丙感知小微",
    "丁智能科技",
    "总分第一",
    "联合体带动中小企业",
    "合议后认为方案可落地",
    "评审甲",
    "评审乙",
    "评审专家",
    "83.5",
    "64.5",
    "专家1对方案",
    "入围",
    "shortlist",
)


def assert_nothing_internal(text: str, where: str) -> None:
    leaked = [word for word in INTERNAL if word in text]
    assert not leaked, f"{where} shows {leaked}"


async def _public_texts(client: httpx.AsyncClient, scenario: int) -> dict[str, str]:
    pages = {
        "page": f"/scenarios/{scenario}",
        "catalog": "/scenarios",
        "catalog evaluating": "/scenarios?status=evaluating",
        "api detail": f"/api/v1/scenarios/{scenario}",
        "api list": "/api/v1/scenarios",
        "atom feed": "/feeds/scenarios.atom",
        "home": "/",
    }
    texts = {}
    for name, path in pages.items():
        response = await client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        texts[name] = response.text
    return texts


async def test_nothing_leaks_before_publication(db, client):
    w = await decided_world(selected="b")  # shortlisted, partner selected, not published
    for name, text in (await _public_texts(client, w.scenario)).items():
        assert_nothing_internal(text, name)
    detail = (await client.get(f"/api/v1/scenarios/{w.scenario}")).json()
    assert detail["status"] == "evaluating" and detail["result"] is None
    assert "评审中" in (await client.get(f"/scenarios/{w.scenario}")).text
    # A status filter cannot find the internal status either.
    awarded = (await client.get("/api/v1/scenarios", params={"status": "awarded"})).json()
    assert awarded["total"] == 0

    # The applicants: their result page says "under way", no scores, no outcome.
    own_lead = {w.proposal_a: "甲视觉科技有限公司", w.proposal_b: "乙数据集团有限公司"}
    for user, proposal in (
        (w.member_a, w.proposal_a),
        (w.member_b, w.proposal_b),
        (w.member_sme, w.proposal_b),
    ):
        await sign_in(client, user)
        page = await client.get(f"/member/results/{proposal}")
        assert page.status_code == 200 and "结果尚未公布" in page.text
        assert_nothing_internal(page.text.replace(own_lead[proposal], ""), f"result page of user {user}")
        assert "已入选" not in page.text and "未入选" not in page.text
        listing = await client.get("/member/results")
        assert "评审中，结果尚未公布" in listing.text and "未入选" not in listing.text


async def test_after_publication_the_partner_shows_and_each_applicant_sees_its_own(db, client):
    w = await decided_world(selected="b", publish=True)
    page = (await client.get(f"/scenarios/{w.scenario}")).text
    assert "遴选结果" in page and f'href="/companies/{w.company_b}"' in page
    assert "乙数据集团有限公司" in page and "丙感知小微科技有限公司" in page and "中小企业" in page
    for word in ("甲视觉科技", "丁智能科技", "评审专家", "83.5", "总分第一", "合议后认为方案可落地"):
        assert word not in page  # the losers, scores and reasons stay private
    api = (await client.get(f"/api/v1/scenarios/{w.scenario}")).json()
    assert api["status"] == "awarded"
    assert api["result"]["partner"]["name"] == "乙数据集团有限公司"
    assert [m["name"] for m in api["result"]["consortium"]] == [
        "乙数据集团有限公司",
        "丙感知小微科技有限公司",
    ]
    assert "score" not in json.dumps(api["result"]) and "83.5" not in json.dumps(api)

    await sign_in(client, w.member_a)
    mine = (await client.get(f"/member/results/{w.proposal_a}")).text
    assert "未入选" in mine and "83.50" in mine and "评审专家1" in mine and "评审专家2" in mine
    assert comment(1, "a", 0) in mine and comment(2, "a", 2) in mine
    assert "方案B" not in mine and "方案C" not in mine and "评审甲" not in mine
    assert (await client.get(f"/member/results/{w.proposal_b}")).status_code == 404
    assert (await client.get(f"/member/results/{w.proposal_c}")).status_code == 404

    await sign_in(client, w.member_sme)
    theirs = (await client.get(f"/member/results/{w.proposal_b}")).text
    assert "贵企业的方案已入选" in theirs and comment(2, "b", 1) in theirs and "方案A" not in theirs


async def test_an_unsuccessful_result_shows_its_reason_publicly(db, client):
    w = await decided_world(selected=None)
    assert "各方案报价均超出预算" not in (await client.get(f"/scenarios/{w.scenario}")).text
    await publication.publish_result(w.scenario, w.actor(w.staff))
    page = (await client.get(f"/scenarios/{w.scenario}")).text
    assert "未成交" in page and "各方案报价均超出预算。" in page


@pytest.mark.parametrize(
    "path",
    [
        "decision",
        "evaluation/export.xlsx",
        "evaluation/ranking.csv",
        "evaluation/scores.csv",
        "evaluation/report",
    ],
)
async def test_exports_and_the_decision_page_are_for_department_staff_only(db, client, path):
    w = await decided_world(selected="b")
    url = f"/staff/scenarios/{w.scenario}/{path}"
    anonymous = await client.get(url)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    expected = {w.member_a: 403, w.outsider: 404, w.staff: 200, w.admin: 200, w.evaluator_1: 200}
    for user, status in expected.items():
        await sign_in(client, user)
        response = await client.get(url)
        assert response.status_code == status, (user, path, response.status_code)


async def test_an_evaluator_who_has_not_submitted_cannot_export_others_scores(db, client):
    from tests.evaluation.helpers import make_evaluation_world, ready_to_score, score_all

    w = await make_evaluation_world()
    await ready_to_score(w)
    await score_all(w, w.evaluator_1, dict.fromkeys(w.proposals, (7, 7, 7)))
    await score_all(w, w.evaluator_2, dict.fromkeys(w.proposals, (3, 3, 3)), submit=False)
    await sign_in(client, w.evaluator_2)
    for path in (
        "evaluation/export.xlsx",
        "evaluation/ranking.csv",
        "evaluation/scores.csv",
        "evaluation/report",
        "decision",
    ):
        response = await client.get(f"/staff/scenarios/{w.scenario}/{path}")
        assert response.status_code == 403, path
        assert "提交全部评分后" in response.text
    headers = await bearer(w.evaluator_2)  # a token changes nothing
    assert (
        await client.get(f"/staff/scenarios/{w.scenario}/evaluation/scores.csv", headers=headers)
    ).status_code == 403


async def test_the_search_index_holds_nothing_internal(db, engine):
    w = await decided_world(selected="b")
    await sync(engine)
    index = engine.index_client.index(engine.uid("scenario"))
    document = json.dumps(dict(index.get_document(str(w.scenario))), ensure_ascii=False)
    assert_nothing_internal(document, "scenario search document")
    assert '"evaluating"' in document and '"awarded"' not in document
    transport = httpx.ASGITransport(app=app_for(engine))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as search_client:
        found = (await search_client.get("/api/v1/scenarios", params={"q": "乙数据集团"})).json()
        assert found["search"]["engine"] == "meilisearch" and found["total"] == 0
        for q in ("河道漂浮物", "甲视觉科技"):
            body = (await search_client.get("/api/v1/scenarios", params={"q": q})).text
            assert_nothing_internal(body, f"search for {q}")

    await publication.publish_result(w.scenario, w.actor(w.staff))
    await sync(engine)
    document = dict(index.get_document(str(w.scenario)))
    assert document["status"] == "awarded"
