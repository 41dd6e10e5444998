"""Issue 13, defect 4: the managed Meilisearch is supervised. SIGKILLed by someone else while
writes go on, it is reaped (no zombie), started again on its port and data, the outbox catches
up and the index ends up equal to the database; /healthz says how the server is doing without
publishing error text or ports."""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import signal
import tempfile
from pathlib import Path

import httpx

from marketplace.scenarios.tables import Scenario
from marketplace.search.client import SearchEngine
from marketplace.search.indexer import Indexer, pending_count
from marketplace.search.server import ManagedMeilisearch, MeiliSupervisor, free_port
from tests.search.conftest import app_for, search_config
from tests.search.test_kill import _database_state, _index_state, _write

WRITES = 150
# Generous bounds for "eventually" (a loaded CI machine); nothing here measures speed.
PATIENCE = 120.0


async def _eventually(predicate, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + PATIENCE
    while not await predicate():
        assert loop.time() < deadline, f"still waiting for: {what}"
        await asyncio.sleep(0.05)


def _is_zombie_or_gone(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return "gone"
    return stat.rsplit(")", 1)[1].split()[0]  # the state letter: Z for a zombie


def _healthz_client(engine: SearchEngine, status_file: Path) -> httpx.AsyncClient:
    app = app_for(engine)
    app.state.search_status_file = status_file
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


async def test_sigkilled_meilisearch_is_reaped_restarted_and_the_index_converges(search_catalog):
    folder = Path(tempfile.mkdtemp(prefix="marketplace-supervise-"))
    server = ManagedMeilisearch(
        db_path=folder / "data", key="supervise-test-master-key", log_path=folder / "log", port=free_port()
    )
    status_file = folder / "meili.status"
    supervisor = MeiliSupervisor(server, status_path=status_file, min_backoff=0.1, check_interval=0.05)
    await asyncio.to_thread(supervisor.start)
    engine = SearchEngine(
        search_config(
            server.url,
            server.key,
            "sup_",
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
    random.seed(13)
    try:
        await asyncio.wait_for(indexer.ready.wait(), PATIENCE)
        async with _healthz_client(engine, status_file) as client:
            body = (await client.get("/healthz")).json()
            assert body["search"]["server"] == {"managed": True, "state": "running", "restarts": 0}

            killed_pid = None
            for i in range(WRITES):
                if i == WRITES // 3:
                    killed_pid = server.process.pid
                    os.kill(killed_pid, signal.SIGKILL)  # a crash, from outside the supervisor
                await _write(i, ids)
                await asyncio.sleep(0.005)

            async def restarted() -> bool:
                return supervisor.restarts >= 1 and supervisor.state == "running"

            await _eventually(restarted, "the supervisor to restart Meilisearch")
            assert _is_zombie_or_gone(killed_pid) == "gone"  # reaped, not a zombie
            assert server.process.pid != killed_pid and server.url == engine.config.url

            async def caught_up() -> bool:
                return await pending_count() == 0

            await _eventually(caught_up, "the outbox to be drained")
            assert await _index_state(engine) == await _database_state()

            response = await client.get("/healthz")
            body = response.json()
            assert body["search"]["status"] == "ok" and body["search"]["pending"] == 0
            assert body["search"]["server"] == {"managed": True, "state": "running", "restarts": 1}
            assert str(server.port) not in response.text
    finally:
        stop.set()
        await asyncio.wait_for(loop_task, 30)
        await asyncio.to_thread(supervisor.stop)
        shutil.rmtree(folder, ignore_errors=True)
        from tests.conftest import _state

        _state["contents"] = "dirty"
    assert not server.running() and not status_file.exists()


async def test_healthz_publishes_no_error_text_or_port(search_catalog):
    port = free_port()
    engine = SearchEngine(search_config(f"http://127.0.0.1:{port}", "x" * 20, "hz_", timeout=1.0))
    folder = Path(tempfile.mkdtemp(prefix="marketplace-healthz-"))
    try:
        async with _healthz_client(engine, folder / "meili.status") as client:
            response = await client.get("/healthz")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert response.status_code == 200
    body = response.json()
    assert body["search"] == {"status": "unavailable", "pending": body["search"]["pending"]}
    for secret in (str(port), "127.0.0.1", "Error", "Connection", "http"):
        assert secret not in response.text, secret
