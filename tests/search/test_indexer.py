"""The outbox indexer and the rebuild: rows done only after Meilisearch succeeded, retries and
catch-up, one drainer at a time, refused documents parked, settings applied idempotently, a
rebuild swapped in without an empty window, the lifespan task, and the CLI commands."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from marketplace.core.db import write_transaction
from marketplace.core.outbox import enqueue
from marketplace.core.tables import Outbox
from marketplace.scenarios.tables import Scenario
from marketplace.search import documents
from marketplace.search.client import SearchEngine, SearchUnavailable
from marketplace.search.indexer import MAX_ATTEMPTS, Indexer, pending_count
from marketplace.search.indexes import ensure_indexes
from marketplace.search.lock import IndexerLock
from marketplace.search.reindex import REBUILD_SUFFIX, rebuild
from marketplace.search.runtime import SearchRuntime
from marketplace.search.server import free_port
from tests.search.conftest import search_config, sync

MARKETPLACE = Path(sys.executable).parent / "marketplace"


async def _rename(key: str, title: str) -> int:
    """What a service does: change the row and enqueue it in the same transaction."""
    async with write_transaction():
        row = await Scenario.select(Scenario.id).where(Scenario.key == key).first()
        await Scenario.update({Scenario.title: title}).where(Scenario.id == row["id"])
        await enqueue("scenario", row["id"])
    return row["id"]


async def _titles(engine: SearchEngine) -> dict[int, str]:
    index = engine.index_client.index(engine.uid("scenario"))
    result = await engine.call(index.get_documents, {"limit": 1000, "fields": ["id", "title"]})
    return {d.id: d.title for d in result.results}


async def test_rows_are_done_only_after_meilisearch_succeeded_and_catch_up_after_an_outage(
    engine, search_catalog
):
    await sync(engine)
    sid = await _rename("s-twin", "数字孪生河道运行监测（第二版）")
    down = SearchEngine(
        search_config(f"http://127.0.0.1:{free_port()}", "x" * 20, engine.config.index_prefix)
    )
    with pytest.raises(SearchUnavailable):
        await Indexer(down).drain()
    row = await Outbox.select().where(Outbox.processed_at.is_null()).first()
    assert (
        row["entity_id"] == sid and row["attempts"] == 0 and row["last_error"]
    )  # an outage is not a refusal
    report = await Indexer(engine).drain()
    assert report.processed == 1 and report.pending == 0
    assert (await _titles(engine))[sid] == "数字孪生河道运行监测（第二版）"
    assert await Outbox.count().where(Outbox.processed_at.is_null()) == 0
    await _rename("s-twin", "数字孪生河道运行监测")
    await Indexer(engine).drain()


async def test_a_refused_document_is_retried_then_parked(engine, search_catalog, monkeypatch):
    await sync(engine)
    sid = await _rename("s-grid", "网格化社会治理事件智能分拨")

    async def bad_load(kind, ids):
        return [{"id": "not a valid id!"}], []

    monkeypatch.setattr(documents, "load", bad_load)
    indexer = Indexer(engine)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        with pytest.raises(SearchUnavailable):
            await indexer.drain()
        row = (
            await Outbox.select().where(Outbox.entity_id == sid).order_by(Outbox.id, ascending=False).first()
        )
        assert row["attempts"] == attempt and "invalid_document_id" in row["last_error"]
    assert (await indexer.drain()).processed == 0  # parked: the loop goes on without it
    assert await pending_count(include_parked=False) == 0 and await pending_count() == 1
    await Outbox.delete().where(Outbox.entity_id == sid)


async def test_one_drainer_at_a_time(engine, search_catalog):
    await sync(engine)
    await _rename("s-brain", "城市大脑交通信号优化")
    lock = IndexerLock()
    assert await lock.try_acquire()
    try:
        report = await Indexer(engine).drain()
        assert report.skipped_locked and report.processed == 0
        assert not await IndexerLock().try_acquire()
    finally:
        await lock.release()
    assert (await Indexer(engine).drain()).processed == 1


async def test_settings_are_applied_idempotently(engine, db):
    first = await ensure_indexes(engine)
    assert set(first.created) == {"scenario", "company", "proposal"}
    second = await ensure_indexes(engine)
    assert second.created == [] and second.updated == {}
    tasks = await engine.call(engine.index_client.get_tasks, {"types": "settingsUpdate", "limit": 100})
    uids = {t.index_uid for t in tasks.results}
    assert {engine.uid(k) for k in ("scenario", "company", "proposal")} <= uids


async def test_rebuild_swaps_in_without_an_empty_window(engine, search_catalog):
    await sync(engine)
    expected = await _titles(engine)
    stop = asyncio.Event()
    totals: list[int] = []

    async def keep_searching():
        index = engine.query_client.index(engine.uid("scenario"))
        while not stop.is_set():
            totals.append((await engine.call(index.search, "", {"limit": 0}))["estimatedTotalHits"])
            await asyncio.sleep(0.005)

    searcher = asyncio.create_task(keep_searching())
    progress: dict[str, int] = {}
    results = await rebuild(
        engine, on_progress=lambda kind, n: progress.__setitem__(kind, progress.get(kind, 0) + n)
    )
    stop.set()
    await searcher
    assert totals and min(totals) == len(expected)  # never an empty (or partial) index
    assert {r.kind: r.documents for r in results} == {"scenario": len(expected), "company": 2, "proposal": 0}
    assert progress == {"scenario": len(expected), "company": 2}
    assert await _titles(engine) == expected
    uids = {i.uid for i in (await engine.call(engine.index_client.get_indexes, {"limit": 1000}))["results"]}
    assert not any(u.endswith(REBUILD_SUFFIX) for u in uids)


async def test_writes_during_a_rebuild_are_applied_after_the_swap(engine, search_catalog):
    await sync(engine)
    lock = IndexerLock()
    assert await lock.acquire(5)  # as the rebuild holds it
    sid = await _rename("s-hotline", "12345热线工单智能分类（改）")
    assert (await Indexer(engine).drain()).skipped_locked
    await lock.release()
    await rebuild(engine)
    await Indexer(engine).drain()
    assert (await _titles(engine))[sid] == "12345热线工单智能分类（改）"
    await _rename("s-hotline", "12345热线工单智能分类")
    await Indexer(engine).drain()


async def test_the_lifespan_task_indexes_new_writes(engine, search_catalog):
    runtime = SearchRuntime(engine.config)
    runtime.engine = engine
    await runtime.start(None)
    try:
        await asyncio.wait_for(runtime.indexer.ready.wait(), 30)
        sid = await _rename("s-voice", "政务服务智能语音导办（新）")
        deadline = time.monotonic() + 20
        while (await _titles(engine)).get(sid) != "政务服务智能语音导办（新）":
            assert time.monotonic() < deadline, "the lifespan indexer did not pick the write up"
            await asyncio.sleep(0.05)
    finally:
        await runtime.stop(None)
    await _rename("s-voice", "政务服务智能语音导办")
    await Indexer(engine).drain()


def _cli(engine: SearchEngine, *args: str) -> subprocess.CompletedProcess:
    env = dict(
        os.environ,
        MEILI_URL=engine.config.url,
        MEILI_MASTER_KEY=engine.config.master_key,
        MEILI_INDEX_PREFIX=engine.config.index_prefix,
        COLUMNS="120",
    )
    return subprocess.run([str(MARKETPLACE), *args], env=env, capture_output=True, text=True, timeout=300)


async def test_cli_drain_and_reindex(engine, search_catalog):
    await sync(engine)
    sid = await _rename("s-tongban", "一网通办企业开办全程网办（CLI）")
    result = await asyncio.to_thread(_cli, engine, "index", "--drain")
    assert result.returncode == 0, result.stderr + result.stdout
    assert "已处理 1 条变更" in result.stdout
    assert (await _titles(engine))[sid] == "一网通办企业开办全程网办（CLI）"
    result = await asyncio.to_thread(_cli, engine, "reindex")
    assert result.returncode == 0, result.stderr + result.stdout
    assert "重建索引" in result.stdout and engine.uid("scenario") in result.stdout
    result = await asyncio.to_thread(_cli, engine, "index", "--status")
    assert result.returncode == 0 and "待处理变更：0" in result.stdout
    await _rename("s-tongban", "一网通办企业开办全程网办")
    await Indexer(engine).drain()
