"""A SQLite engine that keeps its connections: Piccolo's ``SQLiteEngine`` plus a small pool.

Piccolo's ``SQLiteEngine`` opens a new connection, and with it a new aiosqlite thread, for every
query outside a transaction, and one per transaction. On database-bound pages that was most of
the time spent (PITFALLS.md). ``PooledSQLiteEngine`` behaves exactly like Piccolo's engine until
``start_connection_pool()`` is awaited (the app's lifespan does, as it does for PostgreSQL's
pool); from then on, queries and transactions started on that event loop borrow one of a few
connections that stay open (each with its own thread, ``PRAGMA foreign_keys`` set once) and give
it back when done; each statement is one round trip to the connection's thread instead of three
(aiosqlite's ``execute_fetchall``). Queries from another event loop (a test client's portal thread, a CLI's
``asyncio.run``) keep opening their own connections, so nothing ever shares a connection across
loops.

A connection goes back to the pool only outside a transaction: a lease whose transaction was
left open (an exception between BEGIN and COMMIT, a cancelled task) is rolled back first, and a
connection that fails even that is closed and replaced. Readers see every commit at once: each
statement outside a transaction starts a fresh read, whatever connection runs it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiosqlite
from piccolo.engine.sqlite import SQLiteEngine, dict_factory

log = logging.getLogger(__name__)

DEFAULT_POOL_SIZE = 4


class _Lease:
    """A pooled connection lent out: everything goes to the connection, except ``close()``,
    which gives it back to the pool (Piccolo's transactions and batches close the connection
    they got from ``get_connection()``)."""

    def __init__(self, pool: _Pool, connection: aiosqlite.Connection) -> None:
        self._pool = pool
        self._connection: aiosqlite.Connection | None = connection

    @property
    def connection(self) -> aiosqlite.Connection:
        if self._connection is None:
            raise RuntimeError("this pooled SQLite connection was already given back")
        return self._connection

    def __getattr__(self, name: str) -> Any:
        return getattr(self.connection, name)

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            await self._pool.release(connection)


class _Pool:
    """Up to ``size`` open connections, made on demand, used from one event loop."""

    def __init__(self, engine: PooledSQLiteEngine, size: int) -> None:
        self.loop = asyncio.get_running_loop()
        self._engine = engine
        self._size = size
        self._idle: list[aiosqlite.Connection] = []
        self._opened = 0  # idle, lent out, or being opened
        self._available = asyncio.Condition()
        self._closed = False

    @property
    def open_connections(self) -> int:
        return self._opened

    async def acquire(self) -> aiosqlite.Connection:
        async with self._available:
            while not self._idle and self._opened >= self._size:
                await self._available.wait()
            if self._idle:
                return self._idle.pop()
            self._opened += 1  # counted while it opens, so the limit holds
        try:
            return await self._engine.open_connection()
        except BaseException:
            await self._forget()
            raise

    async def release(self, connection: aiosqlite.Connection) -> None:
        healthy = not self._closed
        if healthy and connection.in_transaction:
            try:  # a transaction left open (an error between BEGIN and COMMIT): undo it
                await connection.execute("ROLLBACK")
            except Exception as exc:  # any failure: replace the connection
                log.warning("dropping a pooled SQLite connection that could not roll back: %r", exc)
                healthy = False
        if not healthy:
            await self._discard(connection)
            return
        async with self._available:
            self._idle.append(connection)
            self._available.notify()

    async def _forget(self) -> None:
        async with self._available:
            self._opened -= 1
            self._available.notify()

    async def _discard(self, connection: aiosqlite.Connection) -> None:
        await self._forget()
        try:
            await connection.close()
        except Exception as exc:  # it is being thrown away
            log.debug("closing a dropped SQLite connection failed: %r", exc)

    async def close(self) -> None:
        """Close the idle connections now; those lent out are closed when given back."""
        self._closed = True
        async with self._available:
            idle, self._idle = self._idle, []
        for connection in idle:
            await self._discard(connection)


class PooledSQLiteEngine(SQLiteEngine):
    """Piccolo's SQLite engine with an optional pool of kept connections (see the module)."""

    def __init__(self, path: str = "piccolo.sqlite", **connection_kwargs: Any) -> None:
        super().__init__(path=path, **connection_kwargs)
        self.sqlite_pool: _Pool | None = None

    # --- the pool's life ----------------------------------------------------------------------

    async def start_connection_pool(self, size: int = DEFAULT_POOL_SIZE) -> None:
        """From now on, queries on the running event loop use at most ``size`` kept connections."""
        await self.close_connection_pool()
        self.sqlite_pool = _Pool(self, size)

    async def close_connection_pool(self) -> None:
        """Close every kept connection; later queries open their own again. Idempotent."""
        pool, self.sqlite_pool = self.sqlite_pool, None
        if pool is not None:
            await pool.close()

    def _active_pool(self) -> _Pool | None:
        pool = self.sqlite_pool
        if pool is None:
            return None
        try:
            return pool if asyncio.get_running_loop() is pool.loop else None
        except RuntimeError:
            return None

    async def open_connection(self) -> aiosqlite.Connection:
        """A new connection set up as Piccolo sets up its own (rows as dicts, foreign keys on)."""
        connection = await aiosqlite.connect(**self.connection_kwargs)
        connection.row_factory = dict_factory  # type: ignore[assignment]
        await connection.execute("PRAGMA foreign_keys = 1")
        return connection

    # --- Piccolo's hooks ----------------------------------------------------------------------

    async def get_connection(self) -> Any:
        """The connection a transaction or batch runs on; its ``close()`` gives it back."""
        pool = self._active_pool()
        if pool is None:
            return await super().get_connection()
        return _Lease(pool, await pool.acquire())

    async def _run_in_new_connection(
        self,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: Any = None,
    ) -> Any:
        pool = self._active_pool()
        if pool is None:
            return await super()._run_in_new_connection(query, args, query_type, table)
        connection = await pool.acquire()
        try:
            return await connection.execute_fetchall(query, args or [])
        finally:
            await pool.release(connection)

    async def _run_in_existing_connection(
        self,
        connection: Any,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: Any = None,
    ) -> Any:
        if not isinstance(connection, _Lease):
            return await super()._run_in_existing_connection(connection, query, args, query_type, table)
        # A kept connection already has its row factory and foreign keys: skip Piccolo's
        # per-statement PRAGMA. And one round trip to the connection's thread per statement
        # (execute_fetchall), not three (execute, fetchall, close the cursor).
        return await connection.connection.execute_fetchall(query, args or [])
