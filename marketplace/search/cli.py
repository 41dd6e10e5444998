"""Search commands (``marketplace index``, ``marketplace reindex``) and the managed server that
``marketplace serve`` runs when ``MEILI_URL`` is unset.

Which Meilisearch a command uses: ``MEILI_URL`` when set; else the managed server of this
``var/`` if one is running (``serve`` writes its URL to ``var/meili.url``); else a managed server
started for the command and stopped after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable

from marketplace.settings import Settings, get_settings

console = Console()
URL_FILE = "meili.url"

_KIND_LABELS = {"scenario": "场景", "company": "企业", "proposal": "方案"}


def _url_file(settings: Settings) -> Path:
    return settings.var_dir / URL_FILE


def _running_managed(settings: Settings) -> str | None:
    """The URL in ``var/meili.url`` if a server answers there and accepts this var/'s key
    (a stale file left by a killed process may name a port now used by something else)."""
    import urllib.error
    import urllib.request

    from marketplace.search.server import KEY_FILE

    path, key_path = _url_file(settings), settings.var_dir / KEY_FILE
    if not (path.exists() and key_path.exists()):
        return None
    url = path.read_text().strip()
    request = urllib.request.Request(
        f"{url}/version", headers={"Authorization": f"Bearer {key_path.read_text().strip()}"}
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=0.5) as response:
            return url if response.status == 200 else None
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError, ValueError):
        return None


@contextlib.contextmanager
def managed_search(settings: Settings | None = None, *, quiet: bool = False) -> Iterator[str | None]:
    """Make sure ``MEILI_URL``/``MEILI_MASTER_KEY`` point at a server for the code inside.

    Yields the URL, or None when no server could be had (the message says why; the site then
    answers from the database). Sets the environment and clears the settings cache, so
    ``get_settings()`` (and app workers started inside) see the server.
    """
    from marketplace.search.server import (
        STATUS_FILE,
        ManagedMeilisearch,
        MeiliSupervisor,
        MeiliUnavailable,
        master_key,
    )

    settings = settings or get_settings()
    if settings.search.url:
        yield settings.search.url
        return
    url = _running_managed(settings)
    supervisor = None
    if url is None:
        server = ManagedMeilisearch.for_var_dir(settings.var_dir, port=settings.search.managed_port)
        # Restarted (same port, same data) whenever it dies, for as long as the command runs.
        supervisor = MeiliSupervisor(server, status_path=settings.var_dir / STATUS_FILE)
        try:
            supervisor.start()
        except MeiliUnavailable as exc:
            console.print(f"[yellow]Search disabled:[/] {exc}", highlight=False)
            console.print(
                "[yellow]The site still works: lists and the API answer from the database "
                "with a notice that search is degraded.[/]",
                highlight=False,
            )
            yield None
            return
        url = server.url
        _url_file(settings).write_text(url)
        if not quiet:
            console.print(f"Meilisearch {url} (managed; data in {server.db_path})", highlight=False)
    old = {k: os.environ.get(k) for k in ("MEILI_URL", "MEILI_MASTER_KEY")}
    os.environ["MEILI_URL"] = url
    os.environ["MEILI_MASTER_KEY"] = master_key(settings.var_dir)
    get_settings.cache_clear()
    try:
        yield url
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()
        if supervisor is not None:
            supervisor.stop()
            with contextlib.suppress(FileNotFoundError):
                if _url_file(settings).read_text().strip() == url:
                    _url_file(settings).unlink()


def _engine():
    from marketplace.search.client import SearchEngine

    return SearchEngine(get_settings().search)


@click.command("index")
@click.option("--drain", is_flag=True, help="Send every pending outbox row to Meilisearch, then exit.")
@click.option("--status", is_flag=True, help="Show pending and parked outbox rows and the index sizes.")
def index_command(drain: bool, status: bool) -> None:
    """Keep the search indexes in line with the database (the outbox indexer)."""
    if not (drain or status):
        raise click.UsageError("say --drain or --status")
    from marketplace.search.client import SearchUnavailable
    from marketplace.search.indexer import Indexer, parked_rows, pending_count

    with managed_search(quiet=True) as url:
        if url is None:
            raise click.ClickException("no Meilisearch server available")
        engine = _engine()
        if drain:
            indexer = Indexer(engine)
            started = time.monotonic()
            try:
                report = asyncio.run(_drain(indexer))
            except SearchUnavailable as exc:
                raise click.ClickException(f"Meilisearch: {exc} (the rows stay pending)") from None
            if report.skipped_locked:
                console.print("另一个索引进程正在处理，本次未执行。")
            else:
                console.print(
                    f"已处理 {report.processed} 条变更（更新 {report.upserted} 个文档，删除 "
                    f"{report.deleted} 个），{report.batches} 批，用时 "
                    f"{time.monotonic() - started:.1f} 秒；剩余 {report.pending} 条。"
                )
        if status:
            pending = asyncio.run(pending_count())
            parked = asyncio.run(parked_rows())
            console.print(f"待处理变更：{pending}（其中搁置 {len(parked)}）")
            for row in parked[:20]:
                console.print(
                    f"  搁置 #{row['id']} {row['kind']} {row['entity_id']}: {row['last_error']}",
                    highlight=False,
                )
            stats = asyncio.run(_stats(engine))
            for kind, n in stats.items():
                console.print(f"索引 {engine.uid(kind)}：{n} 个文档")


async def _drain(indexer):
    from marketplace.search.indexes import ensure_indexes

    await _open_pool()
    try:
        await ensure_indexes(indexer.engine)
        return await indexer.drain(lock_timeout=60)
    finally:
        await _close_pool()


async def _stats(engine) -> dict[str, int | str]:
    from marketplace.search.client import SearchUnavailable
    from marketplace.search.indexes import KINDS

    out: dict[str, int | str] = {}
    for kind in KINDS:
        try:
            stats = await engine.call(engine.index_client.index(engine.uid(kind)).get_stats)
            out[kind] = stats.number_of_documents
        except SearchUnavailable as exc:
            out[kind] = f"unavailable ({exc})"
    return out


async def _open_pool() -> None:
    from piccolo.engine import engine_finder
    from piccolo.engine.postgres import PostgresEngine

    engine = engine_finder()
    if isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(min_size=1, max_size=4)


async def _close_pool() -> None:
    from piccolo.engine import engine_finder
    from piccolo.engine.postgres import PostgresEngine

    engine = engine_finder()
    if isinstance(engine, PostgresEngine):
        await engine.close_connection_pool()


@click.command("reindex")
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    type=click.Choice(["scenario", "company", "proposal"]),
    help="Only these indexes (default: all).",
)
def reindex_command(kinds: tuple[str, ...]) -> None:
    """Rebuild the search indexes from the database into fresh indexes and swap them in."""
    from marketplace.search.client import SearchUnavailable
    from marketplace.search.indexes import KINDS
    from marketplace.search.reindex import LockBusy, rebuild

    with managed_search(quiet=True) as url:
        if url is None:
            raise click.ClickException("no Meilisearch server available")
        engine = _engine()
        started = time.monotonic()
        progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[phase]}"),
            TimeElapsedColumn(),
            console=console,
        )
        tasks: dict[str, TaskID] = {}

        def on_start(kind: str, total: int) -> None:
            tasks[kind] = progress.add_task(
                f"{_KIND_LABELS[kind]} → {engine.uid(kind)}", total=total or 1, phase="读取并发送"
            )

        def on_progress(kind: str, n: int) -> None:
            progress.advance(tasks[kind], n)

        def on_phase(kind: str, phase: str) -> None:
            label = {"indexing": "索引中", "swap": "切换", "done": "完成"}[phase]
            if phase == "done":
                task = progress.tasks[tasks[kind]]
                progress.update(tasks[kind], completed=task.total)
            progress.update(tasks[kind], phase=label)

        async def run():
            await _open_pool()
            try:
                return await rebuild(
                    engine,
                    tuple(kinds) or KINDS,
                    on_start=on_start,
                    on_progress=on_progress,
                    on_phase=on_phase,
                )
            finally:
                await _close_pool()

        try:
            with progress:
                results = asyncio.run(run())
        except LockBusy as exc:
            raise click.ClickException(f"{exc}; try again shortly") from None
        except SearchUnavailable as exc:
            raise click.ClickException(
                f"Meilisearch: {exc}; the live indexes were left as they were"
            ) from None
        table = RichTable(title="重建索引")
        for col in ("索引", "文档数", "用时（秒）"):
            table.add_column(col)
        for r in results:
            table.add_row(r.uid, str(r.documents), f"{r.seconds:.1f}")
        console.print(table)
        console.print(f"共用时 {time.monotonic() - started:.1f} 秒。")


def rebuild_all() -> list[tuple[str, int]]:
    """Rebuild every index from the database (fresh indexes swapped in), for ``restore``;
    returns (index uid, documents). Raises ``SearchUnavailable`` or ``LockBusy``."""
    from marketplace.search.indexes import KINDS
    from marketplace.search.reindex import rebuild

    engine = _engine()

    async def run():
        await _open_pool()
        try:
            return await rebuild(engine, KINDS)
        finally:
            await _close_pool()

    return [(r.uid, r.documents) for r in asyncio.run(run())]
