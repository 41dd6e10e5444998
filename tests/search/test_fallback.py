"""When Meilisearch is unreachable: pages and API answer from the database (filters and a plain
text match) with a visible notice, writes go through, /healthz says which part is down."""

from __future__ import annotations

import time

import httpx
import pytest

from marketplace.search.client import SearchEngine
from marketplace.search.server import free_port
from tests.search.conftest import app_for, search_config, sync


@pytest.fixture
async def down_client():
    """The app configured with a Meilisearch that is not there (a closed port)."""
    engine = SearchEngine(
        search_config(f"http://127.0.0.1:{free_port()}", "x" * 20, "down_", timeout=1.0, retry_after=30.0)
    )
    transport = httpx.ASGITransport(app=app_for(engine))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        client.engine = engine
        yield client


async def test_api_answers_from_the_database_with_a_notice(down_client, search_catalog):
    body = (await down_client.get("/api/v1/scenarios", params={"q": "数字孪生"})).json()
    assert body["search"]["engine"] == "database" and body["search"]["degraded"] is True
    assert "搜索服务暂时不可用" in body["search"]["notice"]
    assert [i["key"] for i in body["items"]] == ["s-twin"]
    assert body["highlights"][0]["title"] == "<mark>数字孪生</mark>河道运行监测"
    # filters still apply, and a plain match of several words needs all of them
    body = (await down_client.get("/api/v1/scenarios", params={"q": "通办 专区", "status": "closed"})).json()
    assert [i["key"] for i in body["items"]] == ["s-kuasheng"]
    body = (await down_client.get("/api/v1/scenarios", params={"q": "通办", "status": "open"})).json()
    assert [i["key"] for i in body["items"]] == ["s-tongban"]
    # wildcards are plain characters in the fallback
    assert (await down_client.get("/api/v1/scenarios", params={"q": "%"})).json()["total"] == 0


async def test_pages_show_the_notice_and_results(down_client, search_catalog):
    response = await down_client.get("/scenarios", params={"q": "网格"})
    assert response.status_code == 200
    assert 'class="alert alert-warning search-notice" role="status"' in response.text
    assert "<mark>网格</mark>化社会治理事件智能分拨" in response.text
    response = await down_client.get("/scenarios")
    assert response.status_code == 200 and "search-notice" in response.text
    response = await down_client.get("/companies", params={"q": "语音"})
    assert response.status_code == 200 and "search-notice" in response.text
    assert "星湖<mark>语音</mark>科技有限公司" in response.text and "待审核" not in response.text


async def test_after_one_failure_requests_do_not_wait_for_the_timeout_again(down_client, search_catalog):
    await down_client.get("/api/v1/scenarios", params={"q": "孪生"})
    assert not down_client.engine.available
    started = time.monotonic()
    for _ in range(5):
        assert (await down_client.get("/api/v1/scenarios", params={"q": "孪生"})).json()["total"] == 1
    assert time.monotonic() - started < 2.5


async def test_healthz_reports_database_and_search_separately(
    down_client, search_client, engine, search_catalog
):
    response = await down_client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok" and body["search"]["status"] == "unavailable"
    await sync(engine)
    body = (await search_client.get("/healthz")).json()
    assert body["search"] == {"status": "ok", "pending": 0}


async def test_writes_succeed_while_search_is_down(down_client, db):
    from marketplace.core.audit import SYSTEM
    from marketplace.core.tables import Outbox
    from marketplace.importing.services import import_catalog
    from tests.search.conftest import search_catalog_data

    report = await import_catalog(search_catalog_data(), SYSTEM)
    assert report.ok
    assert await Outbox.count().where(Outbox.processed_at.is_null()) >= 8


async def test_without_meilisearch_configured_search_still_works(client, search_catalog):
    """An app built without MEILI_URL (no managed server either) answers from the database."""
    body = (await client.get("/api/v1/scenarios", params={"q": "孪生"})).json()
    assert body["search"]["engine"] == "database" and [i["key"] for i in body["items"]] == ["s-twin"]
    body = (await client.get("/api/v1/scenarios")).json()
    assert body["search"] == {"engine": "database", "degraded": False, "notice": ""}
    assert (await client.get("/healthz")).json()["search"]["status"] == "disabled"
