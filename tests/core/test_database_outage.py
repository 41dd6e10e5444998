"""Fault test (issue 13): the database unreachable for a few seconds. PostgreSQL only: this
module is collected only when ``TEST_DATABASE_URL`` is a postgres URL (see tests/core/conftest.py),
so the SQLite run neither collects nor skips it.

The outage is made without restarting the throwaway cluster: as the database's owner, from a
connection to the ``postgres`` database, ``ALTER DATABASE ... ALLOW_CONNECTIONS false`` refuses
new connections and ``pg_terminate_backend`` ends the open ones (the pool's included). While it
lasts, pages answer a Chinese 503 page and the API a 503 JSON error, both with ``Retry-After``;
a write refused or cut off mid-transaction leaves nothing behind. Once connections are allowed
again, the same app instance (and its pool) serves normally, without a restart.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
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
    """End every session on the test database, and wait until they are gone (meanwhile the
    pool's connections read the server's goodbye and know they are closed)."""
    name = get_settings().database.database
    await admin.fetch(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
        name,
    )
    while await admin.fetchval("SELECT count(*) FROM pg_stat_activity WHERE datname = $1", name):
        await asyncio.sleep(0.01)
    # The pool drops the connections it holds and opens new ones on next use, as it would after
    # reading each server goodbye; its in-use connections are not touched.
    pool = engine_finder().pool
    if pool:
        await pool.expire_connections()


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
