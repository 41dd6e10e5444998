"""Search in the app's lifespan: the engine on ``app.state.search`` and the indexer task.

At start-up the indexer brings the indexes up to date (settings, a fill of any new index, the
pending outbox) before the app answers, for at most ``MEILI_STARTUP_SYNC`` seconds; if
Meilisearch is down it gives up at once and the pages answer from the database until it is back.
The task then keeps draining the outbox until shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from litestar import Litestar

from marketplace.search.client import SearchEngine
from marketplace.search.indexer import Indexer
from marketplace.settings import SearchConfig

log = logging.getLogger("marketplace.search")


class SearchRuntime:
    def __init__(self, config: SearchConfig):
        self.engine = SearchEngine(config)
        self.indexer = Indexer(self.engine)
        self._stop = asyncio.Event()
        self._task: asyncio.Task | None = None

    async def start(self, app: Litestar) -> None:
        config = self.engine.config
        if not config.enabled:
            log.warning(
                "MEILI_URL is not set: search answers from the database "
                "(`marketplace serve` starts a local Meilisearch by itself)"
            )
            return
        if not config.indexer:
            return
        self._stop = asyncio.Event()
        self.indexer = Indexer(self.engine)
        self._task = asyncio.create_task(self.indexer.run(self._stop), name="search-indexer")
        if config.startup_sync:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(self.indexer.ready.wait()), config.startup_sync)

    async def stop(self, app: Litestar) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        self._stop.set()
        try:
            await asyncio.wait_for(task, timeout=10)
        except (TimeoutError, asyncio.CancelledError):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
