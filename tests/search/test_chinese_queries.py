"""The Chinese queries a park user types find what they should, with highlighted snippets, through
the API and the catalog page (real Meilisearch, dictionary + synonyms of the project)."""

from __future__ import annotations

import re

import pytest

from tests.search.conftest import sync

URL = "/api/v1/scenarios"

# query -> the scenarios whose text matches (ranked first, each with the word highlighted), and
# the scenarios that match only through their programme domain (一网通办 ...) or a synonym,
# ranked after them.
CASES = [
    ("通办", {"s-tongban", "s-kuasheng"}, {"s-voice"}, "通办"),
    ("一网通办", {"s-tongban"}, {"s-kuasheng", "s-voice"}, "一网通办"),
    ("数字孪生", {"s-twin"}, set(), "数字孪生"),
    ("孪生", {"s-twin"}, set(), "孪生"),
    ("网格", {"s-grid"}, set(), "网格"),
    ("语音识别", {"s-hotline", "s-voice"}, set(), None),  # the required capability, or a synonym
    ("ASR", {"s-hotline", "s-voice"}, set(), None),
    ("asr", {"s-hotline", "s-voice"}, set(), None),
    ("12345热线", {"s-hotline"}, set(), "12345热线"),
    ("12345", {"s-hotline"}, set(), "12345"),
    ("热线", {"s-hotline"}, set(), "热线"),
    ("城市大脑", {"s-brain"}, set(), "城市大脑"),
    ("免申即享", {"s-tongban"}, set(), "免申即享"),
]


async def search(client, q: str, **params) -> dict:
    response = await client.get(URL, params={"q": q, "page_size": 100, **params})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["search"] == {"engine": "meilisearch", "degraded": False, "notice": ""}
    return body


@pytest.mark.parametrize(("q", "top", "also", "marked"), CASES, ids=[c[0] for c in CASES])
async def test_chinese_query_finds_what_it_should(
    search_client, engine, search_catalog, q, top, also, marked
):
    await sync(engine)
    body = await search(search_client, q)
    keys = [i["key"] for i in body["items"]]
    assert set(keys[: len(top)]) == top and set(keys[len(top) :]) == also
    assert body["total"] == len(top) + len(also)
    assert [h["id"] for h in body["highlights"]] == [i["id"] for i in body["items"]]
    if marked:
        fragments = [h["title"] + h["summary"] + h["snippet"] for h in body["highlights"][: len(top)]]
        assert all(f"<mark>{marked}</mark>" in f for f in fragments), fragments


async def test_the_whole_programme_word_ranks_first_and_other_programmes_stay_out(
    search_client, engine, search_catalog
):
    await sync(engine)
    body = await search(search_client, "一网统管")
    keys = [i["key"] for i in body["items"]]
    assert keys and keys[0] == "s-grid"  # the words 一网 and 统管 side by side
    assert "s-tongban" not in keys  # 一网通办 is not 一网统管


async def test_synonyms_highlight_the_word_in_the_text(search_client, engine, search_catalog):
    await sync(engine)
    body = await search(search_client, "智能语音")
    by_key = {i["key"]: i["id"] for i in body["items"]}
    assert set(by_key) == {"s-hotline", "s-voice"}
    highlights = {h["id"]: h for h in body["highlights"]}
    assert "<mark>智能语音</mark>" in highlights[by_key["s-voice"]]["title"]


async def test_latin_typos_are_tolerated_but_not_in_numbers(search_client, engine, search_catalog):
    await sync(engine)
    assert {i["key"] for i in (await search(search_client, "analytcs"))["items"]} == {"s-twin", "s-brain"}
    assert (await search(search_client, "12346"))["total"] == 0


async def test_drafts_never_match(search_client, engine, search_catalog):
    await sync(engine)
    for q in ("草稿", "数字孪生 网格"):
        assert "s-draft" not in {i["key"] for i in (await search(search_client, q))["items"]}


async def test_catalog_page_shows_highlighted_results(search_client, engine, search_catalog):
    await sync(engine)
    response = await search_client.get("/scenarios", params={"q": "孪生"})
    assert response.status_code == 200
    html = response.text
    assert "共 <strong>1</strong> 个场景" in html
    assert re.search(r'<a href="/scenarios/\d+">数字<mark>孪生</mark>河道运行监测</a>', html)
    assert "search-notice" not in html
    assert '<option value="" selected>默认：有关键词时按相关度，否则最新发布</option>' in html
    assert 'value="孪生"' in html  # the box keeps the query


async def test_htmx_request_gets_only_the_results_and_the_filter_counts(
    search_client, engine, search_catalog
):
    await sync(engine)
    response = await search_client.get(
        "/scenarios", params={"q": "通办"}, headers={"HX-Request": "true", "HX-Target": "results"}
    )
    assert response.status_code == 200
    html = response.text
    assert "<html" not in html and html.lstrip().startswith('<div id="results"')
    assert '<div id="filter-fields" class="filter-fields" hx-swap-oob="true">' in html
    assert "一网通办 · 政务服务（3）" in html  # facet count beside the domain
    assert html.count("<mark>通办</mark>") >= 2
