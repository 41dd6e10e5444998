"""Reference data held in memory, and told when it changes, in every process on every host.

Pages read the capability taxonomy and the departments on nearly every request; they change a
few times a year. A ``Cached`` value keeps what its loader returned together with the version of
its kind in ``reference_version`` (see ``core.tables.ReferenceVersion``: database triggers give
the kind a new random version in the same transaction as any write to its table). Each read
costs one primary-key lookup of that version; the loader runs again only when it differs.

Why a version row and not PostgreSQL's LISTEN/NOTIFY: it works the same on SQLite and
PostgreSQL, needs no long-lived listening connection per worker (nor reconnection logic when it
drops, during which a worker would serve stale data), and catches every writer, since the
triggers live in the database: admin forms, ``marketplace import``, seeds, restores and SQL typed
by hand. Its cost is one indexed read per cached read (well under a millisecond, against the
several queries and the Python it saves).

Rules that keep it correct:
  * the version is read *before* the data, so a value is never labelled newer than it is;
  * inside a transaction the loader always runs and nothing is kept: the transaction may see
    its own uncommitted writes (and a new version that may yet roll back);
  * without a version row (a database being emptied by tests) nothing is kept either.
Values must be treated as read-only by callers; loaders that hand out mutable structures copy.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from marketplace.core.db import engine
from marketplace.core.tables import ReferenceVersion

T = TypeVar("T")

_VERSION_SQL = "SELECT version FROM reference_version WHERE name = {}"


async def current_version(kind: str) -> int | None:
    """The kind's version now, or None when the database has no row for it."""
    rows = await ReferenceVersion.raw(_VERSION_SQL, kind)
    return int(rows[0]["version"]) if rows else None


def in_transaction() -> bool:
    return engine().current_transaction.get() is not None


class Cached(Generic[T]):
    """One kind's value, loaded by ``load`` and kept until the kind's version changes."""

    def __init__(self, kind: str, load: Callable[[], Awaitable[T]]) -> None:
        self.kind = kind
        self._load = load
        self._version: int | None = None
        self._value: T | None = None
        self.loads = 0  # how often the loader ran (for tests and the curious)

    async def get(self) -> T:
        if in_transaction():
            return await self._run_loader()
        version = await current_version(self.kind)
        if version is not None and version == self._version and self._value is not None:
            return self._value
        value = await self._run_loader()
        if version is not None:
            self._version, self._value = version, value
        return value

    async def _run_loader(self) -> T:
        self.loads += 1
        return await self._load()

    def forget(self) -> None:
        """Drop the kept value (the next read loads again)."""
        self._version, self._value = None, None
