"""The application's own Prometheus metrics (``prometheus_client``), counted where things happen
and exposed at ``/metrics`` (``web.observability``) beside the request metrics.

With several worker processes (``marketplace serve --workers N``), ``serve`` points
``PROMETHEUS_MULTIPROC_DIR`` at a fresh folder under ``var/`` before the workers start, and
``prometheus_client`` then keeps each process's counts in files there that the scrape adds up:
any worker answers ``/metrics`` with the figures of all of them. Each host is scraped on its own.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from prometheus_client import Counter

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

SEARCH_FALLBACKS = Counter(
    "marketplace_search_fallbacks_total",
    "Searches answered from the database because Meilisearch was down, slow or not configured",
    ["index"],
)
LOGIN_LOCKOUTS = Counter(
    "marketplace_login_lockouts_total",
    "Wrong passwords that locked an account and an address (the tenth in a row)",
)
LOGIN_REFUSED_LOCKED = Counter(
    "marketplace_login_refused_locked_total",
    "Sign-in attempts refused because the account or the address was locked",
)
PERIODIC_ROUNDS = Counter(
    "marketplace_periodic_rounds_total",
    "Rounds of the periodic tasks: ran here, or skipped because another process held the lock",
    ["outcome"],
)


def prepare_multiprocess_dir(folder: Path) -> None:
    """Empty ``folder`` and point ``PROMETHEUS_MULTIPROC_DIR`` at it, before any worker starts
    (the files of an earlier run would otherwise be added to this one's)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ[MULTIPROC_ENV] = str(folder)
