"""Search that forgives pinyin typing, through the API and the pages, with a real Meilisearch and
on the database fallback: homophones (数字挛生), near homophones, pinyin (shuzi luansheng) and
initials (szls) find the scenario they mean or suggest it; as-you-type suggestions name only
public things."""

from __future__ import annotations

import pytest

from tests.search.conftest import sync
from tests.search.test_fallback import down_client  # noqa: F401  (fixture)

URL = "/api/v1/scenarios"
SUGGEST = "/api/v1/search/suggestions"


@pytest.mark.parametrize("typed", ["数字挛生", "shuzi luansheng", "shuziluansheng", "szls"])
async def test_a_query_typed_by_sound_finds_the_scenario_it_means(
    search_client, engine, search_catalog, typed
):
    await sync(engine)
    body = (await search_client.get(URL, params={"q": typed})).json()
    assert [i["key"] for i in body["items"]] == ["s-twin"]
    search = body["search"]
    assert search["engine"] == "meilisearch"
    if "corrected_from" in search:  # found through the correction, highlighted
        assert search["corrected_from"] == typed and search["corrected_to"] == "数字孪生"
        assert "<mark>数字孪生</mark>" in body["highlights"][0]["title"]
    else:  # found through the indexed pinyin, and the word is suggested
        assert typed != "数字挛生" and search["suggestions"] == ["数字孪生"]


async def test_the_catalog_page_says_which_query_it_shows(search_client, engine, search_catalog):
    await sync(engine)
    response = await search_client.get("/scenarios", params={"q": "数字挛生"})
    assert response.status_code == 200
    assert "没有找到与“数字挛生”相关的场景，以下是“<strong>数字孪生</strong>”的结果。" in response.text
    assert "<mark>数字孪生</mark>河道运行监测" in response.text


async def test_ambiguous_input_is_offered_as_choices(search_client, engine, search_catalog):
    """yc are the initials of 扬尘, 预测 and more: nothing is chosen, the choices are links."""
    await sync(engine)
    body = (await search_client.get(URL, params={"q": "yc"})).json()
    assert body["total"] == 0 and "corrected_from" not in body["search"]
    assert "扬尘" in body["search"]["suggestions"]
    page = (await search_client.get("/scenarios", params={"q": "yc"})).text
    assert "您是不是要找：" in page and ">扬尘</a>" in page and "q=%E6%89%AC%E5%B0%98" in page


async def test_known_words_get_no_correction(search_client, engine, search_catalog):
    await sync(engine)
    for q in ("数字孪生", "ASR", "一网通办"):
        search = (await search_client.get(URL, params={"q": q})).json()["search"]
        assert search == {"engine": "meilisearch", "degraded": False, "notice": ""}, q


async def test_pinyin_is_indexed_so_meilisearch_finds_it_itself(search_client, engine, search_catalog):
    """The documents' pinyin field holds the pinyin of the title's and capabilities' words."""
    await sync(engine)
    body = (await search_client.get(URL, params={"q": "shipinfenxi"})).json()
    assert {i["key"] for i in body["items"]} == {"s-twin", "s-brain"}  # 视频分析
    assert "corrected_from" not in body["search"]
    companies = (await search_client.get("/api/v1/companies", params={"q": "xinghu"})).json()
    assert [c["key"] for c in companies["items"]] == ["co-voice"]  # 星湖语音科技


async def test_the_fallback_corrects_too(down_client, search_catalog):
    body = (await down_client.get(URL, params={"q": "shuzi luansheng"})).json()
    assert body["search"]["engine"] == "database" and body["search"]["degraded"]
    assert [i["key"] for i in body["items"]] == ["s-twin"]
    assert body["search"]["corrected_to"] == "数字孪生"
    page = (await down_client.get("/scenarios", params={"q": "数字挛生"})).text
    assert "search-notice" in page and "以下是“<strong>数字孪生</strong>”的结果" in page
    items = (await down_client.get(SUGGEST, params={"q": "shuz"})).json()["items"]
    assert items[0]["text"] == "数字孪生"


async def test_the_directory_corrects_company_names(search_client, engine, search_catalog):
    await sync(engine)
    response = await search_client.get("/companies", params={"q": "星湖雨音"})
    assert "没有找到与“星湖雨音”相关的企业，以下是“<strong>星湖语音</strong>”的结果。" in response.text


async def test_suggestions_follow_the_typing(search_client, search_catalog):
    body = (await search_client.get(SUGGEST, params={"q": "shuz"})).json()
    assert body["q"] == "shuz" and body["scope"] == "scenarios"
    texts = [i["text"] for i in body["items"]]
    assert texts[0] == "数字孪生" and "数字孪生河道运行监测" in texts
    title = next(i for i in body["items"] if i["text"] == "数字孪生河道运行监测")
    assert title["kind"] == "scenario" and title["kind_label"] == "场景" and title["match"] == "pinyin"
    assert title["url"].startswith("/scenarios/")
    homophone = (await search_client.get(SUGGEST, params={"q": "数字挛"})).json()["items"]
    assert homophone[0]["text"] == "数字孪生" and homophone[0]["match"] == "sound"


async def test_suggestions_never_name_what_a_visitor_cannot_see(search_client, search_catalog):
    """s-draft (一网通办草稿场景) is a draft; 待审核语音有限公司 is pending."""
    for q in ("一网通办", "草稿", "caogao", "yiwangtongban"):
        texts = [i["text"] for i in (await search_client.get(SUGGEST, params={"q": q})).json()["items"]]
        assert not any("草稿" in t for t in texts), (q, texts)
    companies = [
        i["text"]
        for q in ("语音", "daishenhe", "待审核")
        for i in (await search_client.get(SUGGEST, params={"q": q, "scope": "companies"})).json()["items"]
    ]
    assert "星湖语音科技有限公司" in companies and not any("待审核" in t for t in companies)


async def test_suggestions_refuse_bad_input_in_chinese(search_client, search_catalog):
    response = await search_client.get(SUGGEST, params={"q": "x", "scope": "proposals"})
    assert response.status_code == 400
    assert "scope" in response.json()["errors"] and "应用场景" in response.json()["errors"]["scope"]
    response = await search_client.get(SUGGEST, params={"q": "字" * 201})
    assert response.status_code == 400 and "不能超过" in response.json()["errors"]["q"]
    assert (await search_client.get(SUGGEST)).json()["items"] == []


async def test_a_rebuild_carries_the_pinyin_field(search_client, engine, search_catalog):
    """``marketplace reindex`` (``rebuild``) builds fresh indexes whose documents and settings hold
    the pinyin forms: Meilisearch finds yuyinshibie (语音识别, a capability) by itself."""
    from marketplace.search.reindex import rebuild

    await rebuild(engine, ("scenario",))
    body = (await search_client.get(URL, params={"q": "yuyinshibie"})).json()
    assert {i["key"] for i in body["items"]} == {"s-hotline", "s-voice"}
    query = {"indexUid": engine.uid("scenario"), "q": "yuyinshibie", "attributesToRetrieve": ["pinyin"]}
    (result,) = await engine.multi_search([query])
    assert all("yuyinshibie" in hit["pinyin"] and "yysb" in hit["pinyin"] for hit in result["hits"])
