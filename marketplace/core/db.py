"""Database helpers: the engine, write transactions, and constraint-error detection."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol, Self, TypeVar, cast

import asyncpg
from piccolo.columns import Column
from piccolo.columns.combination import WhereRaw
from piccolo.custom_types import Combinable
from piccolo.engine import engine_finder
from piccolo.engine.base import BaseTransaction, Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import TransactionType

log = logging.getLogger(__name__)


class Lockable(Protocol):
    """A query that can lock the rows it selects (Piccolo's ``Select`` and ``Objects``)."""

    def lock_rows(self) -> Self: ...


LockableT = TypeVar("LockableT", bound=Lockable)


def engine() -> Engine[Any]:
    """The configured engine (``piccolo_conf.py`` always defines one)."""
    db = engine_finder()
    if db is None:
        raise RuntimeError("no Piccolo engine configured: piccolo_conf.py defines DB")
    return db


def is_sqlite() -> bool:
    return engine().engine_type == "sqlite"


def write_transaction() -> AbstractAsyncContextManager[BaseTransaction, None]:
    """A transaction for a use case that reads then writes.

    On SQLite it is ``BEGIN IMMEDIATE``: the write lock is taken up front, so concurrent writers
    wait (busy timeout) instead of failing with "database is locked" when they upgrade a read.
    """
    db = engine()
    transaction = (
        db.transaction(transaction_type=TransactionType.immediate)
        if db.engine_type == "sqlite"
        else _ClosedConnectionSafe(db.transaction())
    )
    # Piccolo annotates ``__aexit__ -> bool``, but it returns ``exception is None``: it never
    # swallows an exception. Saying so lets the checker see that a ``return`` inside
    # ``async with write_transaction():`` is the function's only way out.
    return cast(AbstractAsyncContextManager[BaseTransaction, None], transaction)


class Savepoint(Protocol):
    async def rollback_to(self) -> None: ...

    async def release(self) -> None: ...


async def savepoint(transaction: BaseTransaction) -> Savepoint:
    """A savepoint in ``transaction``: undo one part (``rollback_to``) and keep the rest. Both
    engines' transactions have them; Piccolo's base class does not declare it."""
    return cast(Savepoint, await cast(Any, transaction).savepoint())


def lost_connection(exc: BaseException) -> bool:
    """Whether ``exc`` says the connection a query used was gone (closed by the server or the
    network), as a pooled connection is after an outage however short: a fresh one may work.
    asyncpg says "another operation is in progress" when the server's goodbye arrived on an idle
    connection that it had not read yet."""
    if isinstance(exc, asyncpg.InternalClientError):
        return "another operation" in str(exc)
    if isinstance(exc, asyncpg.InterfaceError):
        return "connection is closed" in str(exc)
    return isinstance(exc, asyncpg.ConnectionDoesNotExistError | ConnectionResetError | BrokenPipeError)


def _is_read(query: str) -> bool:
    return query.lstrip().lstrip("(").upper().startswith("SELECT")


async def _forget_pooled_connections(engine: Any) -> None:
    """After one lost connection, treat every pooled one as suspect: the pool replaces each
    with a fresh connection when it is next taken (an outage ended all of them)."""
    if engine.pool:
        await engine.pool.expire_connections()


class RecoveringPostgresEngine(PostgresEngine):
    """Piccolo's PostgreSQL engine, made to recover on the first request after an outage.

    When the network or the server drops the pool's idle connections without the pool noticing
    (half-open sockets), the first query on each failed ("connection was closed in the middle of
    operation") although the database was back. Here a read outside a transaction that fails
    that way runs once more on a fresh connection, and the pool replaces all its connections;
    a write is not repeated (it may have run): its caller gets the usual 503, and the next one
    finds fresh connections. Transactions retry their ``BEGIN`` the same way (``write_transaction``).
    """

    async def _run_in_pool(self, query: str, args: Sequence[Any] | None = None) -> Any:
        try:
            return await super()._run_in_pool(query, args)
        except Exception as exc:
            if not lost_connection(exc):
                raise
            await _forget_pooled_connections(self)
            if not _is_read(query):
                raise
            log.warning("pooled connection lost (%r): running the read again on a fresh one", exc)
        return await super()._run_in_pool(query, args)


class _ClosedConnectionSafe:
    """A Piccolo PostgreSQL transaction that survives losing its connection.

    When the server ends the connection under a transaction (a restart, an outage), Piccolo's
    ``__aexit__`` fails on the ROLLBACK ("connection is closed", or asyncpg's "another
    operation is in progress" while it has not yet read the end of the stream) and stops there:
    the connection never goes back to the pool (which runs dry: later requests wait forever)
    and the task keeps the dead transaction as its current one. Here the connection is closed
    and released and the transaction forgotten, and the original error goes on (nothing was
    committed: the server rolls back a transaction whose session ends)."""

    def __init__(self, transaction: Any) -> None:
        self._transaction = transaction

    async def __aenter__(self) -> Any:
        """Begin; when the pooled connection turns out to be gone (an outage the pool has not
        noticed), drop it and begin once more on a fresh one: nothing has run yet."""
        inner = self._transaction
        try:
            return await inner.__aenter__()
        except Exception as exc:
            if inner._parent is not None or not lost_connection(exc):
                raise
            log.warning("pooled connection lost (%r) at BEGIN: beginning again on a fresh one", exc)
            if getattr(inner, "connection", None) is not None:
                await _discard(inner)
            await _forget_pooled_connections(inner.engine)
        self._transaction = inner.engine.transaction()
        return await self._transaction.__aenter__()

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> bool:
        inner = self._transaction
        try:
            return bool(await inner.__aexit__(exc_type, exc, tb))
        except Exception as failure:
            connection = getattr(inner, "connection", None)
            if exc is None or inner._parent is not None or connection is None:
                raise
            log.warning("rollback failed after %r: %r; dropping the connection", exc, failure)
        try:
            await _discard(inner)
        finally:
            inner.engine.current_transaction.reset(inner.context)
        return False


async def _discard(transaction: Any) -> None:
    """Close a Piccolo transaction's connection and give it back to the pool (which opens a new
    one in its place)."""
    connection = transaction.connection
    try:
        connection.terminate()
    except asyncpg.InterfaceError:  # asyncpg gave it back itself when it saw the connection end
        return
    if transaction.engine.pool:
        await transaction.engine.pool.release(connection)


def constraint_name(exc: BaseException) -> str | None:
    """The name of the database rule that refused a write, or None if ``exc`` is not one.

    Works for PostgreSQL's unique/check violations and for SQLite's UNIQUE failures and our
    CHECK triggers (messages ``CHECK constraint failed: name``).
    """
    name = getattr(exc, "constraint_name", None)
    if name:
        return str(name)
    text = str(exc)
    marker = "CHECK constraint failed: "
    if marker in text:
        return text.split(marker, 1)[1].split()[0].strip("'\"")
    if "UNIQUE constraint failed" in text:
        return "unique:" + text.split("UNIQUE constraint failed:", 1)[1].strip()
    return None


def for_update(query: LockableT) -> LockableT:
    """Lock the selected rows until the transaction ends, where the engine needs it.

    PostgreSQL's default isolation lets two transactions read the same row and both write
    (a lost update); ``SELECT ... FOR UPDATE`` makes the second wait. SQLite has no row locks
    and needs none: ``write_transaction`` already holds the database's write lock.
    """
    return query if is_sqlite() else query.lock_rows()


def contains_text(columns: Iterable[Column], text: str) -> Combinable | None:
    """A condition: every whitespace-separated word of ``text`` occurs (case-insensitively, as
    a plain substring: no wildcards, no escaping pitfalls) in at least one of ``columns``.

    The search engine's database fallback (``marketplace.search``) relies on it. Returns None
    when ``text`` has no words.
    """

    find = "instr({hay}, {{}}) > 0" if is_sqlite() else "strpos({hay}, {{}}) > 0"
    condition: Combinable | None = None
    for word in text.split()[:10]:
        word = word.lower()
        any_column: Combinable | None = None
        for column in columns:
            name = f'lower("{column._meta.table._meta.tablename}"."{column._meta.db_column_name}")'
            part = WhereRaw(find.format(hay=name), word)
            any_column = part if any_column is None else any_column | part
        if any_column is not None:  # None only when ``columns`` is empty
            condition = any_column if condition is None else condition & any_column
    return condition
