"""The connection to Meilisearch: the official (synchronous) client, called off the event loop and
always with a timeout, plus a short memory of failures.

``SearchEngine`` is built once per app (``app.state.search``) and by the CLI commands. Queries use a
client with the short query timeout (``MEILI_TIMEOUT``); indexing uses one with the longer
``MEILI_INDEX_TIMEOUT``. After a failed query the engine is considered down for
``MEILI_RETRY_AFTER`` seconds, during which pages answer from the database at once instead of
waiting for the timeout again on every request.

Every failure to reach or use Meilisearch surfaces as ``SearchUnavailable``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

import meilisearch
import requests
from meilisearch.errors import MeilisearchApiError, MeilisearchError

from marketplace.settings import SearchConfig

log = logging.getLogger("marketplace.search")

T = TypeVar("T")

_local = threading.local()

INDEX_NAMES = {"scenario": "scenarios", "company": "companies", "proposal": "proposals"}


def _client(config: SearchConfig, timeout: float) -> meilisearch.Client:
    """A Meilisearch client for an enabled ``config``. The client annotates ``timeout`` as an
    int, but hands it to ``requests`` unchanged, which takes seconds as a float."""
    if not config.url:
        raise RuntimeError("Meilisearch is not configured (MEILI_URL)")
    return meilisearch.Client(config.url, config.master_key or None, timeout=cast(int, timeout))


class SearchUnavailable(Exception):
    """Meilisearch is not configured, unreachable, too slow, or refused the request."""


class TaskFailed(SearchUnavailable):
    """Meilisearch processed a task and refused it (``code`` is its error code)."""

    def __init__(self, message: str, code: str = ""):
        super().__init__(message)
        self.code = code


class SearchEngine:
    """Meilisearch as the site uses it. Safe to share between requests (no per-request state)."""

    def __init__(self, config: SearchConfig):
        self.config = config
        self._down_until = 0.0
        self.last_error = ""
        self._query_client: meilisearch.Client | None = None
        self._index_client: meilisearch.Client | None = None
        if config.enabled:
            self._query_client = _client(config, config.timeout)
            self._index_client = _client(config, config.index_timeout)

    @property
    def query_client(self) -> meilisearch.Client:
        """The client for queries (short timeout). Only while ``enabled``."""
        if self._query_client is None:
            raise RuntimeError("Meilisearch is not configured (MEILI_URL)")
        return self._query_client

    @property
    def index_client(self) -> meilisearch.Client:
        """The client for indexing calls and task waits (long timeout). Only while ``enabled``."""
        if self._index_client is None:
            raise RuntimeError("Meilisearch is not configured (MEILI_URL)")
        return self._index_client

    # --- names ---------------------------------------------------------------------------

    @property
    def enabled(self) -> bool:
        return self.config.enabled

    def uid(self, kind: str) -> str:
        """The live index of ``kind`` (scenario, company, proposal)."""
        return f"{self.config.index_prefix}{INDEX_NAMES[kind]}"

    # --- availability --------------------------------------------------------------------

    @property
    def available(self) -> bool:
        """Configured and not failed in the last ``retry_after`` seconds."""
        return self.enabled and time.monotonic() >= self._down_until

    def mark_down(self, exc: BaseException) -> None:
        self.last_error = f"{type(exc).__name__}: {exc}"[:500]
        self._down_until = time.monotonic() + self.config.retry_after

    def mark_up(self) -> None:
        self._down_until = 0.0
        self.last_error = ""

    # --- calls ---------------------------------------------------------------------------

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a blocking client call in a worker thread; errors become ``SearchUnavailable``."""
        if not self.enabled:
            raise SearchUnavailable("search is not configured (MEILI_URL)")
        try:
            return await asyncio.to_thread(fn, *args, **kwargs)
        except (MeilisearchError, requests.RequestException, OSError, ValueError) as exc:
            raise SearchUnavailable(describe(exc)) from exc

    async def query(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """A read for a page or the API: skipped while the engine is marked down."""
        if not self.available:
            raise SearchUnavailable(self.last_error or "search is not available")
        try:
            result = await self.call(fn, *args, **kwargs)
        except SearchUnavailable as exc:
            self.mark_down(exc.__cause__ or exc)
            raise
        return result

    def _multi_search(self, queries: list[dict]) -> dict:
        """The official client's request (its headers, error mapping, timeout) over a kept-alive
        connection of this worker thread, instead of a new connection per query. Gzip is
        refused (``Accept-Encoding: identity``): with keep-alive it added ~40 ms per response
        here (delayed-ACK interaction, see PITFALLS)."""
        session = getattr(_local, "session", None)
        if session is None:
            session = _local.session = requests.Session()
            session.headers["Accept-Encoding"] = "identity"
        return self.query_client.http.send_request(
            session.post, "multi-search", {"queries": queries}, "application/json"
        )

    async def multi_search(self, queries: list[dict]) -> list[dict]:
        result = await self.query(self._multi_search, queries)
        return result["results"]

    async def health(self) -> dict:
        """``{"status": "ok"|"unavailable"|"disabled"}`` from a live /health call (1 s). Public
        (``/healthz``): the cause of a failure (with the server's address in it) goes to the log
        only."""
        if not self.enabled:
            return {"status": "disabled"}
        probe = _client(self.config, min(1.0, self.config.timeout))
        try:
            await self.call(probe.health)
        except SearchUnavailable as exc:
            log.warning("Meilisearch health check failed: %s", exc)
            return {"status": "unavailable"}
        return {"status": "ok"}

    async def wait_for_task(self, task_uid: int, timeout: float | None = None) -> dict:
        """Wait until a task finished; return it as a dict. ``SearchUnavailable`` if it failed,
        was cancelled, or did not finish within ``timeout`` (default: the indexing timeout)."""
        deadline = time.monotonic() + (timeout or self.config.index_timeout)
        delay = 0.01
        while True:
            task = await self.call(self.index_client.http.get, f"tasks/{task_uid}")
            status = task.get("status")
            if status == "succeeded":
                return task
            if status in ("failed", "canceled"):
                error = task.get("error") or {}
                raise TaskFailed(
                    f"task {task_uid} {status}: {error.get('code', '')} {error.get('message', '')}".strip(),
                    code=error.get("code", "") or status,
                )
            if time.monotonic() >= deadline:
                raise SearchUnavailable(f"task {task_uid} still {status} after the timeout")
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, 0.25)


def describe(exc: BaseException) -> str:
    if isinstance(exc, MeilisearchApiError):
        return f"{exc.code}: {exc.message}"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:300]


def is_not_found(exc: BaseException) -> bool:
    cause = exc.__cause__ if isinstance(exc, SearchUnavailable) else exc
    return isinstance(cause, MeilisearchApiError) and cause.code in ("index_not_found", "document_not_found")
