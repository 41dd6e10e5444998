"""The outbox indexer: brings Meilisearch in line with the database, in order, without losing a write.

Services write ``Outbox(kind, entity_id)`` rows in the transaction that changed an indexed row.
``Indexer.drain()`` (the app-lifespan task, and ``marketplace index --drain``) takes the oldest
pending rows in batches, re-reads the current rows by id (``documents.load``), sends the
documents and deletions, waits until Meilisearch reports the tasks *succeeded*, and only then
sets ``processed_at``. If Meilisearch is down, slow or killed, the rows stay pending (their
``attempts`` and ``last_error`` say why) and the loop retries with exponential backoff, so the
index catches up by itself when the server is back. Users' writes only insert an outbox row:
they never wait for or fail because of the search engine.

Only one drainer runs at a time (``IndexerLock``: advisory lock on PostgreSQL, file lock on
SQLite): several app workers may all run the loop; whoever holds the lock drains, in order.
Rows that Meilisearch refused ``MAX_ATTEMPTS`` times (a document it cannot take, never a mere
outage) are parked: skipped by the loop, shown by ``marketplace index --status``, and repaired
by ``marketplace reindex`` once the cause is fixed.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field

from piccolo.custom_types import Combinable

from marketplace.core import clock
from marketplace.core.tables import Outbox
from marketplace.search import documents
from marketplace.search.client import SearchEngine, SearchUnavailable, TaskFailed
from marketplace.search.indexes import KINDS, ensure_indexes
from marketplace.search.lock import IndexerLock

log = logging.getLogger("marketplace.search.indexer")

MAX_ATTEMPTS = 10  # refusals (not outages) before a row is parked
KEEP_PROCESSED = dt.timedelta(days=7)
SETTINGS_EVERY = 60.0  # seconds between checks of the index settings (synonyms may change)
MAX_BACKOFF = 15.0


@dataclass
class DrainReport:
    processed: int = 0  # outbox rows marked done
    upserted: int = 0
    deleted: int = 0
    batches: int = 0
    pending: int = 0  # still pending afterwards
    skipped_locked: bool = False  # another process holds the indexer lock
    errors: list[str] = field(default_factory=list)


async def pending_count(include_parked: bool = True) -> int:
    where: Combinable = Outbox.processed_at.is_null()
    if not include_parked:
        where &= Outbox.attempts < MAX_ATTEMPTS
    return await Outbox.count().where(where)


async def outbox_lag() -> tuple[int, float]:
    """(rows waiting to be indexed, seconds the oldest of them has waited): parked rows left out,
    as the loop skips them (``--status`` lists those)."""
    where = Outbox.processed_at.is_null() & (Outbox.attempts < MAX_ATTEMPTS)
    pending = await Outbox.count().where(where)
    oldest = await Outbox.select(Outbox.created_at).where(where).order_by(Outbox.id).first()
    waited = (clock.now() - oldest["created_at"]).total_seconds() if oldest else 0.0
    return pending, max(waited, 0.0)


async def parked_rows() -> list[dict]:
    return (
        await Outbox.select(Outbox.id, Outbox.kind, Outbox.entity_id, Outbox.attempts, Outbox.last_error)
        .where(Outbox.processed_at.is_null() & (Outbox.attempts >= MAX_ATTEMPTS))
        .order_by(Outbox.id)
    )


class Indexer:
    def __init__(self, engine: SearchEngine, batch_size: int | None = None):
        self.engine = engine
        self.batch_size = batch_size or engine.config.indexer_batch
        self.ready = asyncio.Event()  # set after the first sync attempt (success or not)
        self.last_sync_error = ""
        self._settings_checked = 0.0
        self._purged = 0.0
        self._isolate_until = 0.0  # after a refusal, one row per batch to find the bad one

    # --- one batch -----------------------------------------------------------------------

    async def _claim(self) -> list[dict]:
        return (
            await Outbox.select(Outbox.id, Outbox.kind, Outbox.entity_id)
            .where(Outbox.processed_at.is_null() & (Outbox.attempts < MAX_ATTEMPTS))
            .order_by(Outbox.id)
            .limit(1 if time.monotonic() < self._isolate_until else self.batch_size)
        )

    async def _send(self, kind: str, ids: list[int]) -> tuple[list[int], int, int]:
        """Send the current state of ``ids``; return (task uids, upserted, deleted)."""
        docs, gone = await documents.load(kind, ids)
        index = self.engine.index_client.index(self.engine.uid(kind))
        tasks = []
        if docs:
            tasks.append((await self.engine.call(index.add_documents, docs, "id")).task_uid)
        if gone:
            tasks.append(await delete_documents(self.engine, self.engine.uid(kind), gone))
        return tasks, len(docs), len(gone)

    async def drain_batch(self, report: DrainReport) -> int:
        """Send one batch of pending rows (caller holds the lock). Returns rows processed.

        Raises ``SearchUnavailable`` (rows stay pending, attempts counted when refused)."""
        rows = await self._claim()
        if not rows:
            return 0
        by_kind: dict[str, set[int]] = defaultdict(set)
        for row in rows:
            by_kind[row["kind"]].add(row["entity_id"])
        # Proposal documents show scenario titles, sealing and company names: refresh them too.
        for kind in ("scenario", "company"):
            if by_kind.get(kind):
                by_kind["proposal"].update(await documents.related_proposal_ids(kind, sorted(by_kind[kind])))
        row_ids = [r["id"] for r in rows]
        try:
            task_uids = []
            for kind in KINDS:
                if by_kind.get(kind):
                    uids, upserted, deleted = await self._send(kind, sorted(by_kind[kind]))
                    task_uids.extend(uids)
                    report.upserted += upserted
                    report.deleted += deleted
            for uid in task_uids:
                await self.engine.wait_for_task(uid)
        except TaskFailed as exc:
            if exc.code in ("index_not_found", "canceled"):
                self._settings_checked = 0.0  # recreate (and fill) the index on the next round
                await Outbox.update({Outbox.last_error: str(exc)[:1000]}).where(Outbox.id.is_in(row_ids))
                raise
            await Outbox.update(
                {Outbox.attempts: Outbox.attempts + 1, Outbox.last_error: str(exc)[:1000]}
            ).where(Outbox.id.is_in(row_ids))
            self._isolate_until = time.monotonic() + 300
            raise
        except SearchUnavailable as exc:
            # An outage: note it on the rows, but do not count it towards parking.
            await Outbox.update({Outbox.last_error: str(exc)[:1000]}).where(Outbox.id.is_in(row_ids))
            raise
        await Outbox.update({Outbox.processed_at: clock.now(), Outbox.last_error: ""}).where(
            Outbox.id.is_in(row_ids)
        )
        report.processed += len(row_ids)
        report.batches += 1
        return len(row_ids)

    # --- draining ------------------------------------------------------------------------

    async def drain(self, *, lock_timeout: float = 0.0, max_seconds: float | None = None) -> DrainReport:
        """Drain until nothing is pending (or ``max_seconds``). Raises ``SearchUnavailable``.

        With another drainer at work (lock taken) returns at once with ``skipped_locked``,
        unless ``lock_timeout`` allows waiting for it.
        """
        report = DrainReport()
        lock = IndexerLock()
        got = await (lock.acquire(lock_timeout) if lock_timeout else lock.try_acquire())
        if not got:
            report.skipped_locked = True
            return report
        started = time.monotonic()
        try:
            while await self.drain_batch(report):
                self.engine.mark_up()
                if max_seconds is not None and time.monotonic() - started > max_seconds:
                    break
        finally:
            await lock.release()
            report.pending = await pending_count(include_parked=False)
        return report

    async def sync(self) -> DrainReport:
        """Settings up to date, new (empty) indexes filled from the database, outbox drained."""
        lock = IndexerLock()
        if await lock.try_acquire():
            try:
                ensured = await ensure_indexes(self.engine)
                for kind in ensured.created:
                    # A new index (first start, or a server that lost its data): fill it. Rows
                    # written meanwhile stay in the outbox and are applied right after.
                    await fill(self.engine, kind)
                self._settings_checked = time.monotonic()
            finally:
                await lock.release()
        return await self.drain()

    async def _housekeeping(self) -> None:
        now = time.monotonic()
        if now - self._settings_checked > SETTINGS_EVERY:
            lock = IndexerLock()
            if await lock.try_acquire():
                try:
                    ensured = await ensure_indexes(self.engine)
                    for kind in ensured.created:
                        await fill(self.engine, kind)
                finally:
                    await lock.release()
            self._settings_checked = now
        if now - self._purged > 3600:
            await Outbox.delete().where(Outbox.processed_at < clock.now() - KEEP_PROCESSED)
            self._purged = now

    async def run(self, stop: asyncio.Event) -> None:
        """The lifespan loop: sync, then drain whenever rows are pending, backing off on failures."""
        failures = 0
        first = True
        while not stop.is_set():
            try:
                if first:
                    await self.sync()
                else:
                    await self._housekeeping()
                    if await pending_count(include_parked=False):
                        await self.drain()
                failures = 0
                self.last_sync_error = ""
                self.engine.mark_up()
                delay = self.engine.config.indexer_poll
            except SearchUnavailable as exc:
                failures += 1
                self.last_sync_error = str(exc)
                if failures in (1, 10) or failures % 100 == 0:
                    log.warning("search indexer: %s (attempt %d); retrying", exc, failures)
                delay = min(MAX_BACKOFF, 0.25 * 2 ** min(failures, 10)) * (0.75 + random.random() / 2)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a database hiccup: keep the loop alive
                failures += 1
                self.last_sync_error = f"{type(exc).__name__}: {exc}"
                log.exception("search indexer failed; retrying")
                delay = min(MAX_BACKOFF, 0.25 * 2 ** min(failures, 10))
            if first:
                first = False
                self.ready.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)


async def delete_documents(engine: SearchEngine, uid: str, ids: list[int]) -> int:
    """Delete documents by id; returns the task uid. (The client's ``delete_documents(ids)``
    warns that ids are deprecated there; the server's delete-batch route is the stable one.)"""
    info = await engine.call(
        engine.index_client.http.post, f"indexes/{uid}/documents/delete-batch", [str(i) for i in ids]
    )
    return info["taskUid"]


async def fill(
    engine: SearchEngine, kind: str, uid: str | None = None, *, batch: int = 5000, progress=None, waiting=None
) -> int:
    """Add every document of ``kind`` to ``uid`` (default: the live index); return the count.

    Each batch read is queued at once without waiting for the previous one, so Meilisearch
    indexes while the next batch is read (on 2 cores this overlap beat reading everything first
    and queueing it together: 32 s against 40 s for 100,000 scenarios). The tasks are awaited at
    the end. ``progress(docs)`` is called as batches are queued, ``waiting()`` once all are.
    """
    index = engine.index_client.index(uid or engine.uid(kind))
    task_uids: list[int] = []
    total = 0
    async for docs in documents.iter_all(kind, batch=batch):
        if not docs:
            continue
        task_uids.append((await engine.call(index.add_documents, docs, "id")).task_uid)
        total += len(docs)
        if progress:
            progress(len(docs))
    if waiting:
        waiting()
    for uid_ in task_uids:
        await engine.wait_for_task(uid_, timeout=max(engine.config.index_timeout, 600))
    return total
