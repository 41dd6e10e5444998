"""One indexer at a time, across processes: the lock the outbox drainer and ``reindex`` share.

PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) held on a dedicated
connection, so it is released by the server if the process dies. SQLite (one machine by
definition): an ``flock`` on a file beside the database file, released by the kernel if the
process dies. Nothing is held inside a database transaction while Meilisearch is called, so
user writes never wait for the search engine.

Why one drainer rather than ``FOR UPDATE SKIP LOCKED`` claims: two workers each holding a claim
on a different outbox row for the same scenario could read the row at different times and send
their documents in the opposite order, leaving the older version in the index. A single drainer
that waits for each Meilisearch task before the next batch keeps updates in order; a batch
carries hundreds of rows, so one drainer is not the bottleneck (see BENCHMARKS.md).
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import time
import zlib
from pathlib import Path

from asyncpg import Connection
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

from marketplace.settings import get_settings

LOCK_KEY = zlib.crc32(b"marketplace.search.indexer")  # fits a signed 64-bit advisory lock key


class IndexerLock:
    def __init__(self) -> None:
        self._conn: Connection | None = None
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._conn is not None or self._fd is not None

    async def try_acquire(self) -> bool:
        if self.held:
            return True
        engine = engine_finder()
        if isinstance(engine, PostgresEngine):
            conn = await engine.get_new_connection()
            try:
                got = await conn.fetchval("SELECT pg_try_advisory_lock($1)", LOCK_KEY)
            except BaseException:
                await conn.close()
                raise
            if got:
                self._conn = conn
                return True
            await conn.close()
            return False
        path = _lock_file()
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    async def acquire(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the lock."""
        deadline = time.monotonic() + timeout
        while True:
            if await self.try_acquire():
                return True
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.1)

    async def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                await conn.execute("SELECT pg_advisory_unlock($1)", LOCK_KEY)
            finally:
                await conn.close()
        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)

    async def __aenter__(self) -> IndexerLock:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.release()


def _lock_file() -> Path:
    db = get_settings().database
    base = db.sqlite_path if db.sqlite_path else get_settings().var_dir / "db"
    base.parent.mkdir(parents=True, exist_ok=True)
    return base.with_name(base.name + ".search-indexer.lock")
