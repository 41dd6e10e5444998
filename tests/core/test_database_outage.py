"""Fault test (issue 13): the database unreachable for a few seconds. PostgreSQL only: this
module is collected only when ``TEST_DATABASE_URL`` is a postgres URL (see tests/core/conftest.py),
so the SQLite run neither collects nor skips it.

The outage is made without restarting the throwaway cluster: as the database's owner, from a
connection to the ``postgres`` database, ``ALTER DATABASE ... ALLOW_CONNECTIONS false`` refuses
new connections and ``pg_terminate_backend`` ends the open ones (the pool's included). While it
lasts, pages answer a Chinese 503 page and the API a 503 JSON error, both with ``Retry-After``;
a write refused or cut off mid-transaction leaves nothing behind. Once connections are allowed
again, the same app instance (and its pool) serves normally, without a restart.

A network outage is made with a TCP relay between a pool and the server (``NetworkBlip``): the
server's sessions end while the pool keeps their sockets, unaware. The first request after the
network is back, whatever it is, must be served (``core.db.RecoveringPostgresEngine``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import httpx
import pytest
from piccolo.engine import engine_finder

from marketplace.core import clock
from marketplace.core.db import write_transaction
from marketplace.core.tables import AuditEvent
from marketplace.proposals import services as ps
from marketplace.proposals.tables import Proposal, ProposalVersion
from marketplace.settings import get_settings
from marketplace.web.errors import database_unavailable
from tests.accounts.helpers import bearer
from tests.proposals.helpers import actor, complete_content, proposal_world


async def _admin() -> asyncpg.Connection:
    db = get_settings().database
    return await asyncpg.connect(
        host=db.host, port=db.port, user=db.user, password=db.password, database="postgres"
    )


@asynccontextmanager
async def database_unreachable() -> AsyncIterator[asyncpg.Connection]:
    """New connections refused and every open one ended, until the block exits."""
    name = get_settings().database.database
    admin = await _admin()
    try:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        try:
            await terminate_backends(admin)
            yield admin
        finally:
            await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    finally:
        await admin.close()


async def terminate_backends(admin: asyncpg.Connection) -> None:
    """End every session on the test database, and wait until they are gone. The pool is left
    alone: its idle connections are stale now, and the app must cope with them by itself."""
    name = get_settings().database.database
    await admin.fetch(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
        name,
    )
    while await admin.fetchval("SELECT count(*) FROM pg_stat_activity WHERE datname = $1", name):
        await asyncio.sleep(0.01)


@pytest.fixture
async def w(db):
    clock.set_now(dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC))
    w = await proposal_world()
    w["auth"] = await bearer(w["lead_manager"])
    w["proposal"] = await ps.create_draft(w["scenario"], actor(w["lead_manager"]))
    await ps.save_proposal(w["proposal"], actor(w["lead_manager"]), complete_content(w))
    return w


async def _writes() -> tuple[int, int]:
    return await ProposalVersion.count(), await AuditEvent.count()


async def test_outage_gives_503_page_and_api_error_then_the_same_app_recovers(client, w):
    page = f"/scenarios/{w['scenario']}"
    api = f"/api/v1/scenarios/{w['scenario']}"
    submit = f"/api/v1/proposals/{w['proposal']}/submit"
    assert (await client.get(page)).status_code == 200
    assert (await client.get(api)).status_code == 200
    before = await _writes()

    async with database_unreachable():
        r = await client.get(page)
        assert r.status_code == 503, r.text
        assert r.headers["content-type"].startswith("text/html")
        assert "暂时无法连接数据库" in r.text and "稍后" in r.text
        assert int(r.headers["retry-after"]) > 0
        assert "asyncpg" not in r.text and "marketplace_test" not in r.text

        r = await client.get(api)
        assert r.status_code == 503, r.text
        body = r.json()
        assert body["status_code"] == 503 and "暂时无法连接数据库" in body["detail"]
        assert int(r.headers["retry-after"]) > 0
        assert "accepting connections" not in r.text and "marketplace_test" not in r.text

        r = await client.post(submit, headers=w["auth"])
        assert r.status_code == 503, r.text

    # Nothing was half-written, and the same app instance serves again.
    assert await _writes() == before
    # The dead connection went back to the pool: every connection can still be taken at once.
    assert await asyncio.gather(*(_writes() for _ in range(40))) == [before] * 40
    assert (await Proposal.select(Proposal.status).where(Proposal.id == w["proposal"]).first())[
        "status"
    ] == "draft"
    assert (await client.get(page)).status_code == 200
    assert (await client.get(api)).status_code == 200
    r = await client.post(submit, headers=w["auth"])
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 1


async def test_a_write_cut_off_by_the_outage_leaves_nothing_and_frees_its_connection(w):
    before = await _writes()
    with pytest.raises(Exception) as cut_off:  # which one: checked below
        async with write_transaction():
            await ProposalVersion.insert(
                ProposalVersion(
                    proposal=w["proposal"],
                    version=1,
                    content={},
                    content_hash="0" * 64,
                    submitted_at=clock.now(),
                )
            )
            # The server ends the transaction's session under its next query.
            await AuditEvent.raw("SELECT pg_terminate_backend(pg_backend_pid())")
    assert database_unavailable(cut_off.value), repr(cut_off.value)
    assert await _writes() == before
    # The dead connection went back to the pool: every connection can still be taken at once.
    assert await asyncio.gather(*(_writes() for _ in range(40))) == [before] * 40


class NetworkBlip:
    """A TCP relay between the app's pool and PostgreSQL that can lose the network.

    ``cut()`` drops the server side of every open connection and refuses new ones, while the
    pool's sockets stay open, unaware (half-open, as after a network outage or a firewall
    forgetting its state): the pool still holds them as idle. ``restore()`` lets new connections
    through again; a stale socket is closed as soon as the pool sends a query on it."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.down = False
        self._server: asyncio.Server | None = None
        self._pairs: list[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = []
        self._stale: set[asyncio.StreamWriter] = set()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return self._server.sockets[0].getsockname()[1]

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.down:
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        self._pairs.append((writer, up_writer))
        await asyncio.gather(self._pipe(reader, up_writer, writer), self._pipe(up_reader, writer, writer))

    async def _pipe(self, reader, writer, client) -> None:
        try:
            while data := await reader.read(65536):
                if client in self._stale:
                    client.close()  # the pool's first word on a stale socket: it is gone
                    return
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            if client not in self._stale:
                writer.close()

    def cut(self) -> None:
        self.down = True
        for client, upstream in self._pairs:
            self._stale.add(client)
            upstream.transport.abort()  # PostgreSQL sees the session end; the pool does not
        self._pairs = []

    def restore(self) -> None:
        self.down = False

    async def close(self) -> None:
        if self._server:
            self._server.close()
            await self._server.wait_closed()
        for client in self._stale:
            client.close()


@pytest.fixture
async def blip():
    """The app's queries go through a ``NetworkBlip`` (a pool of its own, for this test)."""
    db = get_settings().database
    relay = NetworkBlip(db.host, db.port)
    port = await relay.start()
    pool = await asyncpg.create_pool(
        host="127.0.0.1",
        port=port,
        user=db.user,
        password=db.password,
        database=db.database,
        min_size=2,
        max_size=4,
    )
    engine = engine_finder()
    saved, engine.pool = engine.pool, pool
    try:
        yield relay
    finally:
        engine.pool = saved
        await pool.close()
        await relay.close()


async def _audit_in_a_transaction():
    async with write_transaction():
        await AuditEvent.raw("SELECT 1")  # the transaction's BEGIN is the first use of the pool
    return httpx.Response(200)


@pytest.mark.parametrize("first", ["api", "page", "submit", "transaction"])
async def test_the_first_request_after_a_network_outage_succeeds(client, w, blip, first):
    """Whatever comes first after the network is back (a read outside a transaction, a page, a
    write through the API, or a transaction whose BEGIN meets a stale connection), it is served,
    and so is everything after it."""
    requests = {
        "api": lambda: client.get(f"/api/v1/scenarios/{w['scenario']}"),
        "page": lambda: client.get(f"/scenarios/{w['scenario']}"),
        "submit": lambda: client.post(f"/api/v1/proposals/{w['proposal']}/submit", headers=w["auth"]),
        "transaction": _audit_in_a_transaction,
    }
    # Both pooled connections are used, then idle in the pool.
    assert [r.status_code for r in await asyncio.gather(requests["api"](), requests["page"]())] == [200, 200]

    blip.cut()
    await asyncio.sleep(0.1)  # PostgreSQL ended the sessions; the pool still holds their sockets
    blip.restore()

    for name in [first, *(n for n in requests if n != first)]:
        r = await requests[name]()
        assert r.status_code == 200, (name, r.text)
    assert (await Proposal.select(Proposal.status).where(Proposal.id == w["proposal"]).first())[
        "status"
    ] == "submitted"
