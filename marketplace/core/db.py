"""Database helpers: the engine, write transactions, and constraint-error detection."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol, Self, TypeVar, cast

from piccolo.columns import Column
from piccolo.columns.combination import WhereRaw
from piccolo.custom_types import Combinable
from piccolo.engine import engine_finder
from piccolo.engine.base import BaseTransaction, Engine
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
            connection.terminate()
            if inner.engine.pool:
                await inner.engine.pool.release(connection)
        finally:
            inner.engine.current_transaction.reset(inner.context)
        return False


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
