"""Named locks across processes and hosts: one holder at a time for work that must run once
however many app processes (workers, hosts) share the database.

PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) held on a dedicated
connection, so the server releases it if the process or its host dies. SQLite (one machine by
definition): an ``flock`` on a file beside the database file, released by the kernel if the
process dies. The lock is never held inside a database transaction, so user writes never wait
for it.

Users: the search outbox drainer and ``reindex`` (``search.lock``), and the periodic tasks
(``scenarios.periodic``).
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import time
import zlib
from pathlib import Path
from types import TracebackType
from typing import Any

from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

from marketplace.settings import get_settings


class ProcessLock:
    """The lock called ``name``: the advisory lock key is the CRC-32 of ``marketplace.<name>``
    (or ``key``), the SQLite lock file ``<database file>.<name>.lock``."""

    def __init__(self, name: str, key: int | None = None) -> None:
        self.name = name
        # A CRC-32 fits a signed 64-bit advisory lock key.
        self.key = zlib.crc32(f"marketplace.{name}".encode()) if key is None else key
        self._conn: Any = None
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._conn is not None or self._fd is not None

    async def try_acquire(self) -> bool:
        """Take the lock if it is free; False at once if another process holds it."""
        if self.held:
            return True
        engine = engine_finder()
        if isinstance(engine, PostgresEngine):
            conn = await engine.get_new_connection()
            try:
                got = await conn.fetchval("SELECT pg_try_advisory_lock($1)", self.key)
            except BaseException:
                await conn.close()
                raise
            if got:
                self._conn = conn
                return True
            await conn.close()
            return False
        fd = os.open(self._lock_file(), os.O_RDWR | os.O_CREAT, 0o600)
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
                await conn.execute("SELECT pg_advisory_unlock($1)", self.key)
            finally:
                await conn.close()
        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)

    async def __aenter__(self) -> ProcessLock:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.release()

    def _lock_file(self) -> Path:
        settings = get_settings()
        base = settings.database.sqlite_path or settings.var_dir / "db"
        base.parent.mkdir(parents=True, exist_ok=True)
        return base.with_name(f"{base.name}.{self.name}.lock")
