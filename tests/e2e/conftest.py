"""Browser journeys against a real server process.

Fixtures:

* ``live_server`` (session): a real ``marketplace serve`` process on a free port of 127.0.0.1,
  with its own ``MARKETPLACE_VAR_DIR`` and its own database: a fresh ``marketplace_e2e_<hex>``
  database on the server of ``TEST_DATABASE_URL`` when that is a postgres URL (created here,
  dropped at teardown), else a SQLite file in a temporary folder. ``marketplace migrate`` and
  ``marketplace seed-demo`` run first, so the demo data is there. ``serve`` starts its managed
  Meilisearch (data and key in the server's own var dir, a free port) and indexes the data at
  start-up; the fixture waits until /healthz reports search ready. The value is a ``str`` (the
  base URL, no trailing slash) that also carries ``.url``, ``.database_url``, ``.var_dir``,
  ``.log_path`` and ``.env`` (the environment the server runs with, for extra CLI calls).
* ``browser`` (session): Debian's chromium through ``playwright.sync_api``, headless.
* ``page`` (function): a page in a new context (locale zh-CN, 1280x900, ``base_url`` set to the
  live server, so ``page.goto("/scenarios")`` works). On failure a screenshot and the page's
  HTML are saved to ``test-results/<module>__<test>.png`` / ``.html`` (``$TEST_RESULTS_DIR`` if set).

Every test under ``tests/e2e`` gets the ``e2e`` marker (``pytest -m "not e2e"`` skips them) and
runs after all other tests. Tests here are plain sync functions using sync fixtures only: once
the session's Playwright has started, its event loop counts as running in the main thread, so
pytest-asyncio cannot run an async test or function-scoped async fixture any more. Put data in
place through the browser, HTTP, or ``marketplace`` CLI calls with ``live_server.env``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

E2E_DIR = Path(__file__).resolve().parent
REPO_ROOT = E2E_DIR.parent.parent
# scripts/run-tests.sh all gives each of its two runs its own folder.
RESULTS_DIR = REPO_ROOT / os.environ.get("TEST_RESULTS_DIR", "test-results")

# The console script installed next to the interpreter running the tests (.venv/bin/marketplace).
MARKETPLACE = Path(sys.executable).parent / "marketplace"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]

STARTUP_TIMEOUT = 60.0  # seconds until /healthz must answer 200 (start-up indexes the demo data)
STOP_TIMEOUT = 10.0  # seconds between SIGTERM and SIGKILL
CLI_TIMEOUT = 300.0  # seconds for migrate / seed-demo
DEFAULT_TIMEOUT_MS = 10_000  # Playwright actions and expectations
NAVIGATION_TIMEOUT_MS = 15_000

# Never send requests to 127.0.0.1 through a proxy from the environment.
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


# --- collection and outcome hooks ----------------------------------------------------------


def _is_e2e(item: pytest.Item) -> bool:
    path = Path(str(item.path)).resolve()
    return path == E2E_DIR or E2E_DIR in path.parents


# The page walk (every page, every role, two widths, axe-core) takes about two minutes: CI runs
# it once, in the SQLite run. It only follows links, so the database adds nothing to what it
# checks; the journeys run on both databases. Not collected at all on PostgreSQL (never skipped).
SQLITE_ONLY = {"test_a11y_every_page.py", "test_a11y_rare_pages.py"}
# Files that write rows no other browser test expects (a department, scenarios, companies of their
# own): they run after all the other e2e tests, so no walk or journey sees those rows.
RUN_LAST = {"test_a11y_rare_pages.py"}


def _on_postgres() -> bool:
    return _is_postgres(os.environ.get("TEST_DATABASE_URL"))


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if collection_path.name in SQLITE_ONLY and _on_postgres():
        return True
    return None


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test under tests/e2e with ``e2e`` and run them after all the others.

    This hook sees the whole session's items, hence the path check. The order matters: while the
    session's Playwright is alive its event loop counts as running in the main thread, and
    pytest-asyncio then refuses to run async tests and fixtures ("Runner.run() cannot be called
    from a running event loop"). So the async tests go first, and e2e tests and their fixtures
    must be sync (session fixtures set up before the browser, like the autouse schema fixture,
    are fine).
    """
    if _on_postgres():  # a file named on the command line is collected anyway: deselect it
        dropped = [item for item in items if item.path.name in SQLITE_ONLY]
        if dropped:
            items[:] = [item for item in items if item.path.name not in SQLITE_ONLY]
            config.hook.pytest_deselected(items=dropped)
    e2e = [item for item in items if _is_e2e(item)]
    for item in e2e:
        item.add_marker(pytest.mark.e2e)
    if e2e:
        others = [item for item in items if not _is_e2e(item)]
        e2e.sort(key=lambda item: item.path.name in RUN_LAST)  # stable: the rest keep their order
        items[:] = others + e2e


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator:
    """Keep each phase's report on the item (``item.rep_setup``/``rep_call``) for ``page``."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


# --- live server ---------------------------------------------------------------------------


class LiveServer(str):
    """The base URL of the running server (a ``str``), plus what a test may need to know."""

    url: str
    database_url: str
    var_dir: Path
    log_path: Path
    env: dict[str, str]

    def __new__(
        cls, url: str, *, database_url: str, var_dir: Path, log_path: Path, env: dict[str, str]
    ) -> LiveServer:
        self = super().__new__(cls, url)
        self.url = url
        self.database_url = database_url
        self.var_dir = var_dir
        self.log_path = log_path
        self.env = env
        return self

    def log(self) -> str:
        """The server's output so far."""
        return _read(self.log_path)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return "(no output)"


def _is_postgres(url: str | None) -> bool:
    return bool(url) and urlsplit(url).scheme in ("postgres", "postgresql")


def _run_async(coro) -> object:
    """Run a coroutine on a fresh loop in a worker thread, whatever loop this thread has."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result(timeout=60)


def _pg_admin(server_url: str, sql: str) -> None:
    import asyncpg  # piccolo[postgres] brings it

    async def run() -> None:
        conn = await asyncpg.connect(server_url, timeout=15)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    _run_async(run())


def _run_cli(args: list[str], env: dict[str, str]) -> None:
    """Run ``marketplace <args>``; on failure stop the session with its full output."""
    cmd = [str(MARKETPLACE), *args]
    shown = " ".join(cmd)
    try:
        proc = subprocess.run(
            cmd,
            env=env,
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT,
            check=True,
        )
    except subprocess.CalledProcessError as exc:
        problem = f"`{shown}` exited with {exc.returncode}"
        out, err = exc.stdout, exc.stderr
    except subprocess.TimeoutExpired as exc:
        problem = f"`{shown}` took longer than {CLI_TIMEOUT:.0f} s"
        out, err = exc.stdout, exc.stderr
    else:
        problem = None
    if problem is not None:  # outside the except blocks: no chained traceback in the report
        pytest.fail(f"{problem}\n--- stdout ---\n{out or ''}\n--- stderr ---\n{err or ''}", pytrace=False)
    # Visible with -s, or in the captured output of the first test if it fails.
    sys.stdout.write(proc.stdout)
    sys.stderr.write(proc.stderr)


def _wait_healthy(proc: subprocess.Popen, url: str, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    last_error = "no answer yet"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(
                f"the server exited with {proc.returncode} before answering {url}/healthz\n"
                f"--- server log ---\n{_read(log_path)}",
                pytrace=False,
            )
        try:
            with _NO_PROXY.open(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
                last_error = f"HTTP {response.status}"
        except urllib.error.HTTPError as exc:
            last_error = f"HTTP {exc.code}"
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
            last_error = repr(exc)
        time.sleep(0.1)
    pytest.fail(
        f"{url}/healthz did not answer 200 within {STARTUP_TIMEOUT:.0f} s (last: {last_error})\n"
        f"--- server log ---\n{_read(log_path)}",
        pytrace=False,
    )


def _wait_search_ready(url: str, log_path: Path, timeout: float = 60.0) -> None:
    """``serve`` runs a managed Meilisearch and indexes the seeded data at start-up: wait until
    /healthz reports search ok with no outbox row pending, so pages show the whole catalog."""
    import json

    deadline = time.monotonic() + timeout
    body: dict = {}
    while time.monotonic() < deadline:
        try:
            with _NO_PROXY.open(f"{url}/healthz", timeout=2) as response:
                body = json.loads(response.read())
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError, ValueError):
            body = {}
        search = body.get("search") or {}
        if search.get("status") == "ok" and search.get("pending") == 0:
            return
        time.sleep(0.2)
    pytest.fail(
        f"search did not become ready within {timeout:.0f} s (last /healthz: {body})\n"
        f"--- server log ---\n{_read(log_path)}",
        pytrace=False,
    )


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM the server's process group, SIGKILL it if it is still there after 10 s."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=STOP_TIMEOUT)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    if not MARKETPLACE.exists():
        pytest.fail(f"{MARKETPLACE} not found: install the project (make install)", pytrace=False)

    base = tmp_path_factory.mktemp("live_server")
    var_dir = base / "var"
    var_dir.mkdir()
    log_path = base / "server.log"

    test_db_url = os.environ.get("TEST_DATABASE_URL")
    created_db: str | None = None
    if _is_postgres(test_db_url):
        created_db = f"marketplace_e2e_{secrets.token_hex(6)}"
        _pg_admin(test_db_url, f'CREATE DATABASE "{created_db}"')
        database_url = urlunsplit(urlsplit(test_db_url)._replace(path=f"/{created_db}"))
    else:
        # sqlite:// + an absolute path = sqlite:///abs/path (what settings.parse_database_url wants).
        database_url = f"sqlite://{base / 'e2e.sqlite'}"

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = dict(os.environ)
    env.pop("TEST_DATABASE_URL", None)
    for name in [n for n in env if n.startswith("MEILI_")]:
        env.pop(name)  # the server runs its own managed Meilisearch, never a developer's
    env.update(
        {
            "MARKETPLACE_VAR_DIR": str(var_dir),
            "DATABASE_URL": database_url,
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "PYTHONUNBUFFERED": "1",
        }
    )

    proc: subprocess.Popen | None = None
    try:
        _run_cli(["migrate"], env)
        _run_cli(["seed-demo"], env)
        with open(log_path, "wb") as log_file:
            proc = subprocess.Popen(
                [str(MARKETPLACE), "serve", "--host", "127.0.0.1", "--port", str(port)],
                env=env,
                cwd=REPO_ROOT,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: teardown signals all of it
            )
        _wait_healthy(proc, url, log_path)
        _wait_search_ready(url, log_path)
        yield LiveServer(url, database_url=database_url, var_dir=var_dir, log_path=log_path, env=env)
    finally:
        if proc is not None:
            _stop(proc)
        if created_db is not None:
            _pg_admin(test_db_url, f'DROP DATABASE IF EXISTS "{created_db}" WITH (FORCE)')


# --- browser -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"{CHROMIUM} not found: run scripts/system-deps.sh (Debian package chromium)", pytrace=False
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _artifact_name(item: pytest.Item) -> str:
    module = Path(str(item.path)).stem
    return re.sub(r"[^A-Za-z0-9_.\-]+", "_", f"{module}__{item.name}").strip("_")[:180]


@pytest.fixture
def page(browser, live_server: LiveServer, request: pytest.FixtureRequest):
    context = browser.new_context(
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 1280, "height": 900},
        base_url=live_server.url,
    )
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        failed = any(
            getattr(getattr(request.node, f"rep_{when}", None), "failed", False) for when in ("setup", "call")
        )
        if failed:
            RESULTS_DIR.mkdir(parents=True, exist_ok=True)
            name = _artifact_name(request.node)
            try:
                page.screenshot(path=str(RESULTS_DIR / f"{name}.png"), full_page=True)
                (RESULTS_DIR / f"{name}.html").write_text(page.content(), encoding="utf-8")
            except Exception as exc:  # a crashed page must not hide the test's own failure
                sys.stderr.write(f"could not save the failure screenshot for {request.node.nodeid}: {exc}\n")
        context.close()
