"""The search outbox: services call ``enqueue`` in the transaction that changed an indexed row."""

from __future__ import annotations

from marketplace.core import clock
from marketplace.core.tables import Outbox

INDEXED_KINDS = ("scenario", "company", "proposal")


async def enqueue(kind: str, entity_id: int) -> None:
    """Note that the ``kind`` row ``entity_id`` changed; the indexer re-reads it later."""
    if kind not in INDEXED_KINDS:
        raise ValueError(f"unknown outbox kind {kind!r}")
    await Outbox.insert(Outbox(kind=kind, entity_id=entity_id, created_at=clock.now()))
