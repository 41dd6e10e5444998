"""The catalog through Meilisearch: the same filters, sorting and pagination as the database
query, plus q, facet counts, escaping, and the member directory's search."""

from __future__ import annotations

import json

import msgspec
import pytest

from marketplace.companies.tables import Company
from marketplace.core import clock
from marketplace.scenarios.services import ScenarioFilters, list_public_scenarios
from tests.api.conftest import api_catalog, catalog_data  # noqa: F401  (fixture)
from tests.search.conftest import search_catalog_data, sync

URL = "/api/v1/scenarios"

SAME_AS_DATABASE = [
    {},
    {"status": "open", "sort": "deadline"},
    {"domain": "一网统管", "page_size": 3, "page": 2},
    {"deadline": "30d"},
    {"deadline": "7d", "sort": "deadline"},
    {"deadline": "passed"},
    {"status": "evaluating", "domain": "一网协同"},
    {"page": 50},
]


async def test_without_q_meilisearch_returns_exactly_what_the_database_returns(
    search_client, engine, api_catalog
):
    """Same filters, same order, same items (the API's items are built from the documents)."""
    await sync(engine)
    caps = {
        c["key"]: c["id"]
        for g in (await search_client.get("/api/v1/capabilities")).json()["items"]
        for c in [g, *g["children"]]
    }
    deps = {d["key"]: d["id"] for d in (await search_client.get("/api/v1/departments")).json()["items"]}
    queries = [
        *SAME_AS_DATABASE,
        {"department": deps["dept-a"], "capability": caps["grp-ai"]},
        {"capability": caps["cap-video"], "sort": "deadline"},
        {"department": deps["dept-c"]},
    ]
    for params in queries:
        body = (await search_client.get(URL, params=params)).json()
        assert body["search"]["engine"] == "meilisearch", params
        page = await list_public_scenarios(ScenarioFilters(**params))
        assert (body["total"], body["pages"]) == (page.total, page.pages), params
        assert body["items"] == json.loads(msgspec.json.encode(page.items)), params


async def test_facet_counts_ignore_their_own_filter(search_client, engine, api_catalog):
    await sync(engine)
    data = catalog_data(clock.to_park_time(clock.now()).date())
    public = [s for s in data["scenarios"] if s["status"] not in ("draft", "in_review", "changes_requested")]
    body = (await search_client.get(URL, params={"domain": "一网通办"})).json()
    domains = body["facets"]["domain"]
    for d in ("一网通办", "一网统管", "一网提优", "一网协同"):
        assert domains.get(d, 0) == sum(1 for s in public if s["domain"] == d)
    statuses = body["facets"]["status"]  # within the chosen domain
    assert sum(statuses.values()) == body["total"] == domains["一网通办"]


async def test_q_combines_with_filters(search_client, engine, search_catalog):
    await sync(engine)
    body = (await search_client.get(URL, params={"q": "通办", "status": "open"})).json()
    assert {i["key"] for i in body["items"]} == {"s-tongban"}
    body = (await search_client.get(URL, params={"q": "语音识别", "domain": "一网协同"})).json()
    assert {i["key"] for i in body["items"]} == {"s-hotline"}
    body = (await search_client.get(URL, params={"q": "孪生", "deadline": "7d"})).json()
    assert body["total"] == 0 and body["items"] == []
    body = (await search_client.get(URL, params={"q": "智能", "sort": "deadline", "page_size": 2})).json()
    deadlines = [i["proposal_deadline"] for i in body["items"]]
    assert deadlines == sorted(deadlines) and body["pages"] == -(-body["total"] // 2)


async def test_query_text_is_validated_by_the_shared_parser(search_client, engine, search_catalog):
    response = await search_client.get(URL, params={"q": "长" * 201})
    assert response.status_code == 400 and set(response.json()["errors"]) == {"q"}
    response = await search_client.get("/scenarios", params={"q": "长" * 201})
    assert response.status_code == 400 and "q 不能超过 200 个字符" in response.text


async def test_highlights_escape_the_text_and_only_add_marks(search_client, engine, db):
    from marketplace.core.audit import SYSTEM
    from marketplace.importing.services import import_catalog

    data = search_catalog_data()
    data["scenarios"] = [
        {
            **data["scenarios"][0],
            "key": "s-evil",
            "title": '<script>alert("孪生")</script>孪生 <b>粗</b>\ue000假\ue001',
            "summary": "<img src=x onerror=alert(1)>孪生",
        }
    ]
    assert (await import_catalog(data, SYSTEM)).ok
    await sync(engine)
    body = (await search_client.get(URL, params={"q": "孪生"})).json()
    (h,) = body["highlights"]
    assert (
        h["title"]
        == "&lt;script&gt;alert(&#34;<mark>孪生</mark>&#34;)&lt;/script&gt;<mark>孪生</mark> &lt;b&gt;粗&lt;/b&gt;假"
    )
    assert h["summary"] == "&lt;img src=x onerror=alert(1)&gt;<mark>孪生</mark>"
    html = (await search_client.get("/scenarios", params={"q": "孪生"})).text
    assert "<script>alert" not in html and "<img src=x" not in html and "<b>粗" not in html


async def test_company_directory_search(search_client, engine, search_catalog):
    await sync(engine)
    body = (await search_client.get("/api/v1/companies", params={"q": "语音"})).json()
    assert body["search"]["engine"] == "meilisearch"
    assert [i["name"] for i in body["items"]] == ["星湖语音科技有限公司"]  # not the pending one
    assert "<mark>语音</mark>" in body["highlights"][0]["title"]
    body = (
        await search_client.get("/api/v1/companies", params={"q": "ASR"})
    ).json()  # via capability synonym
    assert [i["name"] for i in body["items"]] == ["星湖语音科技有限公司"]
    body = (await search_client.get("/api/v1/companies", params={"q": "孪生", "size": "sme"})).json()
    assert body["total"] == 0
    html = (await search_client.get("/companies", params={"q": "孪生"})).text
    assert "金鸡湖<mark>孪生</mark>科技集团" in html and "共 <strong>1</strong> 家企业" in html


async def test_a_company_that_is_no_longer_public_leaves_the_index(search_client, engine, search_catalog):
    from marketplace.core.db import write_transaction
    from marketplace.core.outbox import enqueue

    await sync(engine)
    assert (await search_client.get("/api/v1/companies", params={"q": "孪生"})).json()["total"] == 1
    try:
        async with write_transaction():
            await Company.update({Company.status: "suspended"}).where(Company.key == "co-twin")
            row = await Company.select(Company.id).where(Company.key == "co-twin").first()
            await enqueue("company", row["id"])
        report = await sync(engine)
        assert report.deleted >= 1
        assert (await search_client.get("/api/v1/companies", params={"q": "孪生"})).json()["total"] == 0
    finally:
        await Company.update({Company.status: "approved"}).where(Company.key == "co-twin")


@pytest.mark.parametrize("sort", ["relevance", "newest", "deadline"])
async def test_every_sort_is_accepted_with_q(search_client, engine, search_catalog, sort):
    await sync(engine)
    body = (await search_client.get(URL, params={"q": "智能", "sort": sort})).json()
    assert body["total"] >= 2
