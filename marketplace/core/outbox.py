"""The search outbox: services call ``enqueue`` in the transaction that changed an indexed row.
The same call notes the change in the kept ``ChangeJournal`` that the public change feed reads."""

from __future__ import annotations

from marketplace.core import clock
from marketplace.core.tables import ChangeJournal, Outbox

INDEXED_KINDS = ("scenario", "company", "proposal")
JOURNALED_KINDS = ("scenario", "company")  # the public lists' kinds


async def enqueue(kind: str, entity_id: int) -> None:
    """Note that the ``kind`` row ``entity_id`` changed; the indexer re-reads it later."""
    if kind not in INDEXED_KINDS:
        raise ValueError(f"unknown outbox kind {kind!r}")
    now = clock.now()
    await Outbox.insert(Outbox(kind=kind, entity_id=entity_id, created_at=now))
    if kind in JOURNALED_KINDS:
        await ChangeJournal.insert(ChangeJournal(kind=kind, entity_id=entity_id, created_at=now))
