"""Test setup shared by every domain's tests.

The database is chosen before anything imports the app: ``TEST_DATABASE_URL`` (PostgreSQL in
CI's second run) or a fresh SQLite file in a temporary folder. The schema is built once per
session by the real migrations; ``db`` empties every table before a test, ``demo_db`` loads the
demo data (once, for read-only tests), and ``client`` talks to the app in the test's own loop.

Cheap on purpose, as the suite runs twice in CI: on SQLite, emptying the database copies a
template file made right after the migrations, and shared data sets (and worlds made with
``build_once``) come back from snapshot files; on PostgreSQL only the tables holding rows are
truncated, and the session's loop queries through a connection pool. The app is built once.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from pathlib import Path

_TMP = Path(tempfile.mkdtemp(prefix="marketplace-tests-"))
os.environ["MARKETPLACE_VAR_DIR"] = str(_TMP / "var")
os.environ["DATABASE_URL"] = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{_TMP / 'test.sqlite'}"
os.environ.setdefault("MARKETPLACE_ENV", "test")
for _name in [n for n in os.environ if n.startswith("MEILI_")]:
    del os.environ[_name]  # apps under test get their search engine from the tests (tests/search)

import httpx  # noqa: E402
import pytest  # noqa: E402
from piccolo.engine import engine_finder  # noqa: E402
from piccolo.table import sort_table_classes  # noqa: E402

import piccolo_conf  # noqa: E402,F401
from marketplace import wiring  # noqa: E402
from marketplace.core import clock  # noqa: E402
from marketplace.core.migrations import migrate  # noqa: E402
from marketplace.piccolo_app import APP_CONFIG  # noqa: E402
from marketplace.taxonomy.tables import Capability  # noqa: E402

wiring.connect()  # domain event handlers, as the app and the CLI connect them
TABLES = sort_table_classes(list(APP_CONFIG.table_classes))
# What the database holds: "empty", "dirty" (a writing test ran), or the name of a shared
# read-only data set ("demo", "api_catalog", "search_catalog") that fixtures load once.
_state = {"contents": "unknown"}

# SQLite: the migrated, empty database is kept as a template file and copied over the test
# database to empty it (a few ms, against a DELETE per table on a connection each). Shared data
# sets are kept the same way once loaded (see ``restore_snapshot``).
_SNAPSHOTS = _TMP / "snapshots"


def is_postgres() -> bool:
    return engine_finder().engine_type == "postgres"


def _sqlite_path() -> Path:
    return Path(engine_finder().path)


class _SessionLoopPool:
    """The test session's asyncpg pool, seen by Piccolo only from the session's event loop.

    Piccolo's ``PostgresEngine`` without a pool opens a new connection per query (about 8 ms here
    against 0.2 ms from a pool), which made the PostgreSQL run much slower than SQLite. Code that
    runs on another loop (schemathesis' ASGI calls, threads) sees a false ``engine.pool`` and
    keeps opening its own connections, as it did before.
    """

    def __init__(self, pool, loop: asyncio.AbstractEventLoop) -> None:
        self._pool = pool
        self._loop = loop

    def __bool__(self) -> bool:
        try:
            return asyncio.get_running_loop() is self._loop
        except RuntimeError:
            return False

    def __getattr__(self, name: str):
        return getattr(self._pool, name)


async def _reset_schema() -> None:
    engine = engine_finder()
    if engine.engine_type == "postgres":
        await engine.run_ddl("DROP SCHEMA IF EXISTS public CASCADE")
        await engine.run_ddl("CREATE SCHEMA public")
    await migrate()


def _pg_empty_sql() -> str:
    """One server-side block that truncates only the tables holding rows and restarts every
    table's id sequence: the same end state as TRUNCATE of all tables RESTART IDENTITY, for a
    fraction of the cost (a test dirties a few of the tables)."""
    names = ", ".join(f"'{t._meta.tablename}'" for t in TABLES)
    return f"""
DO $$
DECLARE
    t text;
    has_rows boolean;
    dirty text[] := '{{}}';
BEGIN
    FOREACH t IN ARRAY ARRAY[{names}] LOOP
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I)', t) INTO has_rows;
        IF has_rows THEN
            dirty := dirty || format('%I', t);
        END IF;
    END LOOP;
    IF cardinality(dirty) > 0 THEN
        EXECUTE 'TRUNCATE ' || array_to_string(dirty, ', ') || ' RESTART IDENTITY CASCADE';
    END IF;
    PERFORM setval(s.oid, 1, false)
    FROM pg_class s
    JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i')
    JOIN pg_class owner ON owner.oid = d.refobjid
    WHERE s.relkind = 'S' AND owner.relname = ANY (ARRAY[{names}]);
    -- The truncation's triggers put reference_version rows back (one per kind truncated): its
    -- ids must go on after them, or the next kind's first row takes an id already used.
    PERFORM setval(pg_get_serial_sequence('reference_version', 'id'),
                   COALESCE((SELECT max(id) FROM reference_version), 0) + 1, false);
END $$;
"""


def _remove_sqlite_side_files(path: Path) -> None:
    for suffix in ("-journal", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def save_snapshot(name: str) -> None:
    """SQLite: keep the database as it is now under ``name`` (no-op on PostgreSQL)."""
    if is_postgres():
        return
    _SNAPSHOTS.mkdir(exist_ok=True)
    shutil.copyfile(_sqlite_path(), _SNAPSHOTS / f"{name}.sqlite")


def restore_snapshot(name: str) -> bool:
    """SQLite: put back the database saved under ``name``; False when there is none (always on
    PostgreSQL: the caller loads the data itself). Piccolo's SQLiteEngine keeps no connection
    open between queries, so the file can be replaced between tests."""
    if is_postgres():
        return False
    source = _SNAPSHOTS / f"{name}.sqlite"
    if not source.exists():
        return False
    path = _sqlite_path()
    _remove_sqlite_side_files(path)
    shutil.copyfile(source, path)
    return True


async def empty_all_tables() -> None:
    """Every table empty, ids restarting at 1; the schema and migration records stay."""
    engine = engine_finder()
    if engine.engine_type == "postgres":
        await engine.run_ddl(_pg_empty_sql())
    elif not restore_snapshot("empty"):
        for table in reversed(TABLES):
            if table is Capability:  # self-referencing: children before their groups
                await Capability.delete().where(Capability.parent.is_not_null())
            await table.delete(force=True)
    _state["contents"] = "empty"


async def load_shared(name: str, load) -> None:
    """Make the database hold the shared read-only data set ``name``: nothing to do when it
    already does; else the SQLite snapshot of it, or an empty database and ``await load()``."""
    if _state["contents"] == name:
        return
    if not restore_snapshot(name):
        await empty_all_tables()
        _state["contents"] = "dirty"
        await load()
        save_snapshot(name)
    _state["contents"] = name


_built: dict[str, object] = {}


async def build_once(name: str, build):
    """For a writing test that starts from a world ``await build()`` makes in an empty database:
    on SQLite the first call builds it and keeps a snapshot of the database and ``build()``'s
    result, later calls put the snapshot back (same rows, same ids) and return that result. On
    PostgreSQL it empties the database and builds the world each time. The caller uses ``db``."""
    if name in _built and restore_snapshot(f"built-{name}"):
        _state["contents"] = "dirty"
        return _built[name]
    await empty_all_tables()
    _state["contents"] = "dirty"
    result = await build()
    save_snapshot(f"built-{name}")
    _built[name] = result
    return result


@pytest.fixture(scope="session", autouse=True)
async def database_schema():
    await _reset_schema()
    save_snapshot("empty")
    _state["contents"] = "empty"
    engine = engine_finder()
    if engine.engine_type == "postgres":
        await engine.start_connection_pool(min_size=1, max_size=20)
        engine.pool = _SessionLoopPool(engine.pool, asyncio.get_running_loop())
    yield
    if engine.engine_type == "postgres" and isinstance(engine.pool, _SessionLoopPool):
        pool, engine.pool = engine.pool._pool, None
        await pool.close()
    shutil.rmtree(_SNAPSHOTS, ignore_errors=True)


@pytest.fixture(autouse=True)
def reset_clock():
    clock.set_now(None)
    yield
    clock.set_now(None)


@pytest.fixture
async def db():
    """An empty database (schema in place) for a test that writes."""
    await empty_all_tables()
    _state["contents"] = "dirty"
    yield


@pytest.fixture
async def demo_db():
    """The demo data, loaded once and shared: tests using it must not write."""

    async def load() -> None:
        from marketplace.demo.seed import seed_demo

        report = await seed_demo()
        assert report.ok, report.failures

    await load_shared("demo", load)
    yield


@pytest.fixture(scope="session")
def app():
    """One in-loop app for the whole session. Building it (routes, OpenAPI, a fresh Jinja
    environment whose templates then compile again on first use) cost about 0.2 s a test; it
    keeps no per-test state (sessions, tokens and caches live in the database or are keyed by its
    contents), and each test still gets its own client and cookies."""
    from marketplace.app import create_app

    return create_app(use_pool=False)


@pytest.fixture
async def client(app):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c
