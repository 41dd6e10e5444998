"""Meilisearch is SIGKILLed in the middle of a stream of writes, then restarted: no write is
refused or slowed meanwhile, and the index ends up equal to the database by itself."""

from __future__ import annotations

import asyncio
import random
import shutil
import tempfile
import time
from pathlib import Path

from marketplace.core.db import write_transaction
from marketplace.core.outbox import enqueue
from marketplace.scenarios.tables import Scenario
from marketplace.search.client import SearchEngine
from marketplace.search.indexer import Indexer, pending_count
from marketplace.search.server import ManagedMeilisearch
from tests.search.conftest import search_config

WRITES = 240


async def _write(i: int, ids: list[int]) -> None:
    """A service-like write: change a scenario (sometimes take it out of, or back into, the
    public catalog) and enqueue it, in one transaction."""
    sid = random.choice(ids)
    async with write_transaction():
        values = {Scenario.title: f"第 {i} 次修改的场景 {sid}"}
        if i % 7 == 0:
            values[Scenario.public_status] = None  # unpublished: must leave the index
        elif i % 7 == 1:
            values[Scenario.public_status] = "open"
        await Scenario.update(values).where(Scenario.id == sid)
        await enqueue("scenario", sid)


async def _index_state(engine: SearchEngine) -> dict[int, str]:
    index = engine.index_client.index(engine.uid("scenario"))
    result = await engine.call(index.get_documents, {"limit": 10_000, "fields": ["id", "title"]})
    return {d.id: d.title for d in result.results}


async def _database_state() -> dict[int, str]:
    rows = await Scenario.select(Scenario.id, Scenario.title).where(Scenario.public_status.is_not_null())
    return {r["id"]: r["title"] for r in rows}


async def test_sigkill_during_writes_loses_nothing(search_catalog):
    folder = Path(tempfile.mkdtemp(prefix="marketplace-kill-"))
    server = ManagedMeilisearch(
        db_path=folder / "data", key="kill-test-master-key-0123", log_path=folder / "log"
    )
    server.start()
    engine = SearchEngine(
        search_config(
            server.url,
            server.key,
            "kill_",
            timeout=1.0,
            index_timeout=10.0,
            indexer_poll=0.02,
            retry_after=0.2,
        )
    )
    indexer = Indexer(engine, batch_size=20)
    stop = asyncio.Event()
    loop_task = asyncio.create_task(indexer.run(stop))
    ids = [r["id"] for r in await Scenario.select(Scenario.id)]
    durations: list[float] = []
    failures: list[BaseException] = []
    random.seed(42)
    try:
        await asyncio.wait_for(indexer.ready.wait(), 60)
        for i in range(WRITES):
            if i == WRITES // 3:
                server.kill()  # SIGKILL, mid-stream, with batches in flight
            if i == 2 * WRITES // 3:
                pending_while_down = await pending_count()
                server.start()  # same port, same data
            started = time.monotonic()
            try:
                await _write(i, ids)
            except Exception as exc:  # a refused write fails the test below
                failures.append(exc)
            durations.append(time.monotonic() - started)
            await asyncio.sleep(0.01)
        deadline = time.monotonic() + 120
        while await pending_count():
            assert time.monotonic() < deadline, f"{await pending_count()} outbox rows still pending"
            await asyncio.sleep(0.1)
        assert await _index_state(engine) == await _database_state()
    finally:
        stop.set()
        await asyncio.wait_for(loop_task, 30)
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
        from tests.conftest import _state

        _state["contents"] = "dirty"  # the shared catalog is reloaded by the next test using it
    assert pending_while_down > 0  # the outage was real: writes queued up meanwhile
    assert failures == []
    assert max(durations) < 1.0, f"slowest write {max(durations):.3f} s"
