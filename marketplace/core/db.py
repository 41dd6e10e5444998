"""Database helpers: the engine, write transactions, and constraint-error detection."""

from __future__ import annotations

from piccolo.engine import engine_finder
from piccolo.engine.sqlite import TransactionType


def engine():
    return engine_finder()


def is_sqlite() -> bool:
    return engine().engine_type == "sqlite"


def write_transaction():
    """A transaction for a use case that reads then writes.

    On SQLite it is ``BEGIN IMMEDIATE``: the write lock is taken up front, so concurrent writers
    wait (busy timeout) instead of failing with "database is locked" when they upgrade a read.
    """
    db = engine()
    if db.engine_type == "sqlite":
        return db.transaction(transaction_type=TransactionType.immediate)
    return db.transaction()


def constraint_name(exc: BaseException) -> str | None:
    """The name of the database rule that refused a write, or None if ``exc`` is not one.

    Works for PostgreSQL's unique/check violations and for SQLite's UNIQUE failures and our
    CHECK triggers (messages ``CHECK constraint failed: name``).
    """
    name = getattr(exc, "constraint_name", None)
    if name:
        return name
    text = str(exc)
    marker = "CHECK constraint failed: "
    if marker in text:
        return text.split(marker, 1)[1].split()[0].strip("'\"")
    if "UNIQUE constraint failed" in text:
        return "unique:" + text.split("UNIQUE constraint failed:", 1)[1].strip()
    return None


def for_update(query):
    """Lock the selected rows until the transaction ends, where the engine needs it.

    PostgreSQL's default isolation lets two transactions read the same row and both write
    (a lost update); ``SELECT ... FOR UPDATE`` makes the second wait. SQLite has no row locks
    and needs none: ``write_transaction`` already holds the database's write lock.
    """
    return query if is_sqlite() else query.lock_rows()


def contains_text(columns, text: str):
    """A condition: every whitespace-separated word of ``text`` occurs (case-insensitively, as
    a plain substring: no wildcards, no escaping pitfalls) in at least one of ``columns``.

    The search engine's database fallback (``marketplace.search``) relies on it. Returns None
    when ``text`` has no words.
    """
    from piccolo.columns.combination import WhereRaw

    find = "instr({hay}, {{}}) > 0" if is_sqlite() else "strpos({hay}, {{}}) > 0"
    condition = None
    for word in text.split()[:10]:
        word = word.lower()
        any_column = None
        for column in columns:
            name = f'lower("{column._meta.table._meta.tablename}"."{column._meta.db_column_name}")'
            part = WhereRaw(find.format(hay=name), word)
            any_column = part if any_column is None else any_column | part
        condition = any_column if condition is None else condition & any_column
    return condition
