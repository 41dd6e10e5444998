"""Test setup shared by every domain's tests.

The database is chosen before anything imports the app: ``TEST_DATABASE_URL`` (PostgreSQL in
CI's second run) or a fresh SQLite file in a temporary folder. The schema is built once per
session by the real migrations; ``db`` empties every table before a test, ``demo_db`` loads the
demo data (once, for read-only tests), and ``client`` talks to the app in the test's own loop.
"""

from __future__ import annotations

import os
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
_state = {"contents": "unknown"}


def is_postgres() -> bool:
    return engine_finder().engine_type == "postgres"


async def _reset_schema() -> None:
    engine = engine_finder()
    if engine.engine_type == "postgres":
        await engine.run_ddl("DROP SCHEMA IF EXISTS public CASCADE")
        await engine.run_ddl("CREATE SCHEMA public")
    await migrate()


async def empty_all_tables() -> None:
    engine = engine_finder()
    if engine.engine_type == "postgres":
        names = ", ".join(f'"{t._meta.tablename}"' for t in TABLES)
        await engine.run_ddl(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    else:
        for table in reversed(TABLES):
            if table is Capability:  # self-referencing: children before their groups
                await Capability.delete().where(Capability.parent.is_not_null())
            await table.delete(force=True)
    _state["contents"] = "empty"


@pytest.fixture(scope="session", autouse=True)
async def database_schema():
    await _reset_schema()
    yield


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
    if _state["contents"] != "demo":
        from marketplace.demo.seed import seed_demo

        await empty_all_tables()
        report = await seed_demo()
        assert report.ok, report.failures
        _state["contents"] = "demo"
    yield


@pytest.fixture
async def app():
    from marketplace.app import create_app

    return create_app(use_pool=False)


@pytest.fixture
async def client(app):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c
