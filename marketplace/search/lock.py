"""One indexer at a time, across processes and hosts: the lock the outbox drainer and
``reindex`` share (``core.locks``: an advisory lock on PostgreSQL, a file lock on SQLite).

Why one drainer rather than ``FOR UPDATE SKIP LOCKED`` claims: two workers each holding a claim
on a different outbox row for the same scenario could read the row at different times and send
their documents in the opposite order, leaving the older version in the index. A single drainer
that waits for each Meilisearch task before the next batch keeps updates in order; a batch
carries hundreds of rows, so one drainer is not the bottleneck (see BENCHMARKS.md).
"""

from __future__ import annotations

import zlib

from marketplace.core.locks import ProcessLock

# The lock file and advisory key of earlier versions, so that a rolling upgrade never runs an
# old and a new drainer side by side.
LOCK_NAME = "search-indexer"
LOCK_KEY = zlib.crc32(b"marketplace.search.indexer")


class IndexerLock(ProcessLock):
    def __init__(self) -> None:
        super().__init__(LOCK_NAME, LOCK_KEY)
