"""``marketplace reindex``: rebuild every index from the database and swap it in.

Each index is built as ``<uid>__rebuild`` with the current settings (applied before any
document, so nothing is indexed twice), filled from the database, then swapped with the live
index in one Meilisearch task: searches see the old index until the new one is complete, never
an empty one. The old data (now under the rebuild name) is then deleted.

The indexer lock is held throughout, so the outbox drainer pauses; rows written during the
rebuild stay pending and are applied to the new index right after the swap.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from marketplace.search import documents
from marketplace.search.client import SearchEngine, SearchUnavailable, is_not_found
from marketplace.search.indexer import fill
from marketplace.search.indexes import KINDS, ensure_index, ensure_indexes, load_synonyms, settings_for
from marketplace.search.lock import IndexerLock

REBUILD_SUFFIX = "__rebuild"


@dataclass
class RebuildResult:
    kind: str
    uid: str
    documents: int
    seconds: float


class LockBusy(RuntimeError):
    pass


async def _delete_index(engine: SearchEngine, uid: str) -> None:
    try:
        task = await engine.call(engine.index_client.delete_index, uid)
    except SearchUnavailable as exc:
        if is_not_found(exc):
            return
        raise
    try:
        await engine.wait_for_task(task.task_uid)
    except SearchUnavailable as exc:
        if not is_not_found(exc) and "index_not_found" not in str(exc):
            raise


async def rebuild(
    engine: SearchEngine,
    kinds: tuple[str, ...] = KINDS,
    *,
    on_start: Callable[[str, int], None] | None = None,
    on_progress: Callable[[str, int], None] | None = None,
    on_phase: Callable[[str, str], None] | None = None,
    lock_timeout: float = 120.0,
    batch: int = 10_000,
) -> list[RebuildResult]:
    """Rebuild ``kinds``; callbacks report (kind, total), (kind, docs sent), (kind, phase).

    Raises ``SearchUnavailable`` (the live indexes are left as they were) or ``LockBusy``.
    """
    lock = IndexerLock()
    if not await lock.acquire(lock_timeout):
        raise LockBusy("another indexer or reindex holds the lock")
    results = []
    try:
        await ensure_indexes(engine, kinds)  # the live indexes exist (a swap needs both)
        synonyms = await load_synonyms()
        for kind in kinds:
            started = time.monotonic()
            live = engine.uid(kind)
            fresh = live + REBUILD_SUFFIX
            if on_start:
                on_start(kind, await documents.count(kind))
            await _delete_index(engine, fresh)  # leftovers of an interrupted rebuild
            await ensure_index(engine, fresh, settings_for(kind, synonyms))
            count = await fill(
                engine,
                kind,
                fresh,
                batch=batch,
                progress=(lambda n, k=kind: on_progress(k, n)) if on_progress else None,
                waiting=(lambda k=kind: on_phase(k, "indexing")) if on_phase else None,
            )
            if on_phase:
                on_phase(kind, "swap")
            task = await engine.call(engine.index_client.swap_indexes, [{"indexes": [live, fresh]}])
            await engine.wait_for_task(task.task_uid)
            await _delete_index(engine, fresh)
            results.append(RebuildResult(kind, live, count, time.monotonic() - started))
            if on_phase:
                on_phase(kind, "done")
    finally:
        await lock.release()
    return results
