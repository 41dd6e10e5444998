"""Operations tests run the ``marketplace`` command as an operator does: real ``serve``,
``backup``, ``restore`` and ``reindex`` processes on a database of their own and the session's
Meilisearch.

* ``ops_env``: the environment for those processes: a fresh, migrated database (a new
  PostgreSQL database on the test cluster in the PostgreSQL run, dropped afterwards; else a
  SQLite file), the session's Meilisearch with an index prefix of its own, a shared
  ``SECRET_KEY``. ``ops_env.query(sql)`` reads that database from the test. ``blank_env``: the
  same before any migration.
* ``run_cli`` / ``run_script``: a ``marketplace`` command, or a Python snippet run with the
  environment (its last output line parsed as JSON).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import os
import secrets
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.search.conftest import meili  # noqa: F401  (the session's Meilisearch)

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
MARKETPLACE = Path(sys.executable).parent / "marketplace"
CLI_TIMEOUT = 300


def _run_async(coro) -> object:
    """Run a coroutine on a fresh loop in a worker thread (the test's loop may be running)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result(timeout=60)


def _pg(url: str, sql: str, fetch: bool = False) -> list[dict]:
    import asyncpg

    async def run() -> list[dict]:
        conn = await asyncpg.connect(url, timeout=15)
        try:
            if fetch:
                return [dict(r) for r in await conn.fetch(sql)]
            await conn.execute(sql)
            return []
        finally:
            await conn.close()

    return _run_async(run())  # type: ignore[return-value]


class OpsEnv(dict):
    """The environment (a ``dict``), plus the database URL and a way to read it."""

    database_url: str
    index_prefix: str

    def query(self, sql: str) -> list[dict]:
        if urlsplit(self.database_url).scheme.startswith("postgres"):
            return _pg(self.database_url, sql, fetch=True)
        path = self.database_url.removeprefix("sqlite://")
        conn = sqlite3.connect(path, timeout=30)
        conn.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in conn.execute(sql).fetchall()]
        finally:
            conn.close()


def run_cli(args: list[str], env: dict, *, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [str(MARKETPLACE), *args], env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=CLI_TIMEOUT
    )
    if check and done.returncode != 0:
        pytest.fail(
            f"`marketplace {' '.join(args)}` exited with {done.returncode}\n"
            f"--- stdout ---\n{done.stdout}\n--- stderr ---\n{done.stderr}",
            pytrace=False,
        )
    return done


def run_script(code: str, env: dict):
    """Run ``code`` with ``env`` (``import piccolo_conf`` first picks its database); returns the
    JSON its last line printed."""
    done = subprocess.run(
        [sys.executable, "-c", "import piccolo_conf\n" + code],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
    )
    if done.returncode != 0:
        pytest.fail(f"script failed:\n{done.stdout}\n{done.stderr}", pytrace=False)
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def blank_env(tmp_path: Path, meili) -> Iterator[OpsEnv]:
    """``ops_env`` before ``marketplace migrate``: an empty database."""
    test_url = os.environ.get("TEST_DATABASE_URL", "")
    created = None
    if urlsplit(test_url).scheme.startswith("postgres"):
        created = f"marketplace_ops_{secrets.token_hex(6)}"
        _pg(test_url, f'CREATE DATABASE "{created}"')
        database_url = urlunsplit(urlsplit(test_url)._replace(path=f"/{created}"))
    else:
        database_url = f"sqlite://{tmp_path / 'ops.sqlite'}"
    prefix = f"ops{secrets.token_hex(4)}_"
    env = OpsEnv({k: v for k, v in os.environ.items() if not k.startswith(("MEILI_", "TEST_DATABASE_URL"))})
    env.update(
        {
            "DATABASE_URL": database_url,
            "MARKETPLACE_VAR_DIR": str(tmp_path / "var"),
            "MARKETPLACE_ENV": "development",
            "SECRET_KEY": secrets.token_hex(32),
            "MEILI_URL": meili.url,
            "MEILI_MASTER_KEY": meili.key,
            "MEILI_INDEX_PREFIX": prefix,
            "MEILI_STARTUP_SYNC": "30",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.database_url = database_url
    env.index_prefix = prefix
    try:
        yield env
    finally:
        import meilisearch

        client = meilisearch.Client(meili.url, meili.key, timeout=10)
        for uid in ("scenarios", "companies", "proposals"):
            with contextlib.suppress(Exception):
                client.delete_index(prefix + uid)
        if created is not None:
            _pg(test_url, f'DROP DATABASE IF EXISTS "{created}" WITH (FORCE)')


@pytest.fixture
def ops_env(blank_env: OpsEnv) -> OpsEnv:
    run_cli(["migrate"], blank_env)
    return blank_env


def search_ids(meili, env: OpsEnv, query: str) -> list[int]:
    """Ids of the public scenarios Meilisearch finds for ``query`` in ``env``'s index."""
    import meilisearch

    client = meilisearch.Client(meili.url, meili.key, timeout=10)
    return [hit["id"] for hit in client.index(env.index_prefix + "scenarios").search(query)["hits"]]
