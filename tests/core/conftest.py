"""tests/core: ``test_database_outage.py`` is collected only on PostgreSQL.

It makes the database refuse connections for a while, which only a server database can do; on
SQLite it is not collected at all (rather than skipped): CI runs it in the PostgreSQL run. pytest
always collects a file named on the command line, so such a file's tests are deselected then."""

from __future__ import annotations

import os
from pathlib import Path

POSTGRES_ONLY = {"test_database_outage.py"}


def _on_postgres() -> bool:
    return (os.environ.get("TEST_DATABASE_URL") or "").startswith(("postgres://", "postgresql://"))


def pytest_ignore_collect(collection_path: Path, config) -> bool | None:
    if collection_path.name in POSTGRES_ONLY and not _on_postgres():
        return True
    return None


def pytest_collection_modifyitems(config, items) -> None:
    if _on_postgres():
        return
    dropped = [item for item in items if item.path.name in POSTGRES_ONLY]
    if dropped:
        items[:] = [item for item in items if item.path.name not in POSTGRES_ONLY]
        config.hook.pytest_deselected(items=dropped)
