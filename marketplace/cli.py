"""The ``marketplace`` command: serve, migrate, seed-demo, import, create-user, close-expired, tick.

Every subcommand uses the same settings (``DATABASE_URL`` and friends) as the web app.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table as RichTable

from marketplace.settings import SettingsError, get_settings

console = Console()


def _run(coro):
    return asyncio.run(coro)


def _bootstrap_db():
    """Import the engine configuration (piccolo_conf) before any query runs."""
    import piccolo_conf  # noqa: F401  (picks the engine from DATABASE_URL)
    from marketplace import wiring

    wiring.connect()


@click.group()
def main() -> None:
    """数园区 scenario marketplace."""
    try:
        get_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    _bootstrap_db()


@main.command()
def migrate() -> None:
    """Create or upgrade the database schema."""
    from marketplace.core.migrations import migrate as run_migrations

    applied = _run(run_migrations())
    click.echo(
        f"已执行 {applied} 个数据库迁移，数据库已是最新结构。"
        if applied
        else "数据库已是最新结构，无需迁移。"
    )


def _print_report(report, *, list_unmapped: bool = True) -> None:
    from marketplace.importing.labels import SECTION_LABELS

    table = RichTable(title="导入结果")
    for col in ("部分", "新增", "更新", "未变"):
        table.add_column(col)
    for section in report.created:
        table.add_row(
            SECTION_LABELS.get(section, section),
            str(report.created[section]),
            str(report.updated[section]),
            str(report.unchanged[section]),
        )
    console.print(table)
    if not list_unmapped and report.unmapped_words:
        console.print(f"{len(report.unmapped_words)} 条记录中有未能映射到能力分类的词，已保留为标签。")
    for key, words in report.unmapped_words.items() if list_unmapped else ():
        console.print(f"[yellow]{key}[/]: 未能映射到能力分类的词已保留为标签：{'、'.join(words)}")
    for f in report.failures:
        console.print(f"[red]失败[/] {f.section} key={f.key}: {f.reason}")


@main.command("seed-demo")
def seed_demo_command() -> None:
    """Load the demo data (idempotent). Refused in production mode."""
    if get_settings().production:
        raise click.ClickException("seed-demo 不能在生产模式（MARKETPLACE_ENV=production）下运行。")
    import os

    from marketplace.demo.seed import DEMO_ACCOUNTS, demo_password, seed_demo, seed_demo_accounts

    report = _run(seed_demo())
    _print_report(report, list_unmapped=False)  # the demo's free words are meant as tags
    if report.failures:
        sys.exit(1)
    password, generated = demo_password(get_settings().var_dir, os.environ.get("MARKETPLACE_DEMO_PASSWORD"))
    _run(seed_demo_accounts(password))
    emails = "、".join(email for email, *_ in DEMO_ACCOUNTS)
    source = (
        "MARKETPLACE_DEMO_PASSWORD"
        if os.environ.get("MARKETPLACE_DEMO_PASSWORD")
        else ("新生成，保存在 var/demo_password" if generated else "保存在 var/demo_password")
    )
    console.print(f"演示账号：{emails}")
    console.print(f"演示账号密码（{source}）：[bold]{password}[/]", highlight=False)


@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def import_command(file: Path, as_json: bool) -> None:
    """Upsert departments, capabilities, companies and scenarios from a JSON FILE.

    Bad records are reported by key and the rest still land; the exit status is 1 when any
    record failed, 0 otherwise.
    """
    from marketplace.core.audit import Actor
    from marketplace.importing.services import import_catalog

    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise click.ClickException(f"{file} 不是有效的 UTF-8 JSON：{exc}") from None
    report = _run(
        _import_with_progress(data, Actor(label=f"import {file.name}", role="system"), import_catalog)
    )
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print_report(report)
    if report.failures:
        sys.exit(1)


async def _import_with_progress(data, actor, import_catalog):
    """Run the import with a progress bar per section on stderr: done/total, records per
    second, elapsed time (stdout stays clean for ``--json``)."""
    import time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

    from marketplace.importing.services import SECTION_LABELS

    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    )
    tasks: dict[str, tuple[TaskID, float]] = {}

    def on_batch(section: str, done: int, total: int) -> None:
        if section not in tasks:
            tasks[section] = (
                progress.add_task(SECTION_LABELS[section], total=total, rate=""),
                time.monotonic(),
            )
        task, started = tasks[section]
        rate = done / max(time.monotonic() - started, 1e-6)
        progress.update(task, completed=done, rate=f"{rate:,.0f} 条/秒")

    with progress:
        await _start_database_pool()
        try:
            return await import_catalog(data, actor, progress=on_batch)
        finally:
            await _stop_database_pool()


async def _start_database_pool() -> None:
    """Kept connections for a long command, as the app has them (SQLite: ``core.sqlite_pool``
    also skips Piccolo's PRAGMA before every statement of a transaction)."""
    from piccolo.engine import engine_finder
    from piccolo.engine.postgres import PostgresEngine

    from marketplace.core.sqlite_pool import PooledSQLiteEngine

    engine = engine_finder()
    if isinstance(engine, PooledSQLiteEngine):
        await engine.start_connection_pool()
    elif isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(min_size=1, max_size=4)


async def _stop_database_pool() -> None:
    from piccolo.engine import engine_finder

    engine = engine_finder()
    close = getattr(engine, "close_connection_pool", None)
    if close is not None and (getattr(engine, "pool", None) or getattr(engine, "sqlite_pool", None)):
        await close()


@main.command("close-expired")
def close_expired_command() -> None:
    """Close every open scenario whose proposal deadline has passed."""
    from marketplace.core.audit import SYSTEM
    from marketplace.scenarios.services import close_expired_scenarios

    closed = _run(close_expired_scenarios(SYSTEM))
    click.echo(f"已截止 {len(closed)} 个场景。")


@main.command("tick")
def tick_command() -> None:
    """One round of the periodic tasks the app runs every minute: open scheduled scenarios,
    close expired ones, send deadline reminders, mail pending notifications. Takes the same lock
    as the app's rounds (waits up to a minute for a round another process is running)."""
    from marketplace.scenarios.periodic import run_periodic_round

    report = _run(run_periodic_round(lock_timeout=60))
    if report is None:
        raise click.ClickException("另一个进程正在执行定时任务，一分钟内未结束，请稍后再试。")
    click.echo(
        f"已公开 {len(report.opened)} 个、已截止 {len(report.closed)} 个场景；"
        f"截止提醒 {report.reminders} 条；发送邮件 {report.mailed} 封。"
    )


@main.command("create-user")
@click.option("--email", required=True)
@click.option("--role", type=click.Choice(["admin", "staff"]), required=True)
@click.option("--department", help="Department key (staff only).")
@click.option("--name", "display_name", default="")
def create_user_command(email: str, role: str, department: str | None, display_name: str) -> None:
    """Create an association admin or a bureau staff account (passwords arrive with accounts)."""
    from marketplace.accounts.services import create_user
    from marketplace.core.audit import Actor
    from marketplace.core.errors import DomainError

    try:
        user_id = _run(
            create_user(
                email=email,
                role=role,
                department_key=department,
                display_name=display_name,
                actor=Actor(label="cli", role="system"),
            )
        )
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"已创建用户 {email}（id={user_id}，角色 {role}）。")


@main.command("export-ocds")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def export_ocds_command(file: Path) -> None:
    """Write every public release as one OCDS 1.1 release package (JSON) to FILE."""
    from marketplace.opendata.services import export_package

    async def export() -> dict:
        await _start_database_pool()
        try:
            return await export_package(get_settings().base_url)
        finally:
            await _stop_database_pool()

    package = _run(export())
    file.write_text(json.dumps(package, ensure_ascii=False, indent=2), encoding="utf-8")
    click.echo(f"已导出 {len(package['releases'])} 条 OCDS 发布（release）到 {file}。")


@main.command("backup")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def backup_command(directory: Path) -> None:
    """Back up the database, attachments included, into the new folder DIRECTORY (online: the
    site keeps running). SQLite through its backup API, PostgreSQL with pg_dump."""
    from marketplace.core.backup import BackupError, backup

    try:
        manifest = _run(backup(get_settings().database, directory))
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"已备份到 {directory}：{manifest.file}（{manifest.size / 1024 / 1024:.1f} MB，"
        f"SHA-256 {manifest.sha256[:12]}…，数据库结构 {manifest.last_migration}），附件包含在数据库中。"
    )


@main.command("restore")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask before replacing the database.")
def restore_command(directory: Path, yes: bool) -> None:
    """Replace the database with the backup in DIRECTORY, bring its schema up to date and rebuild
    the search indexes from it. Stop the app first."""
    from marketplace.core.backup import BackupError, read_manifest, restore
    from marketplace.core.migrations import migrate as run_migrations

    settings = get_settings()
    try:
        manifest = read_manifest(directory, settings.database.engine)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    if not yes:
        click.confirm(
            f"将用 {manifest.created_at} 的备份替换当前数据库的全部内容（请先停止网站）。继续吗？", abort=True
        )
    try:
        _run(restore(settings.database, directory))
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    applied = _run(run_migrations())
    click.echo(
        f"已恢复 {manifest.created_at} 的备份" + (f"，并执行了 {applied} 个数据库迁移。" if applied else "。")
    )
    _rebuild_search_after_restore()


def _rebuild_search_after_restore() -> None:
    from marketplace.search.cli import managed_search, rebuild_all
    from marketplace.search.client import SearchUnavailable
    from marketplace.search.reindex import LockBusy

    later = "数据已恢复，但搜索索引未重建（{}）：请在搜索服务可用后运行 marketplace reindex。"
    with managed_search(quiet=True) as url:
        if url is None:
            raise click.ClickException(later.format("没有可用的 Meilisearch"))
        try:
            rebuilt = rebuild_all()
        except (SearchUnavailable, LockBusy) as exc:
            raise click.ClickException(later.format(exc)) from None
    for uid, documents in rebuilt:
        click.echo(f"已重建搜索索引 {uid}：{documents} 个文档。")


@main.command()
@click.option("--host", default=None, help="Bind address (default HOST or 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default PORT or 8000).")
@click.option("--workers", type=int, default=1, show_default=True)
def serve(host: str | None, port: int | None, workers: int) -> None:
    """Serve the web app with uvicorn.

    Without MEILI_URL, a managed local Meilisearch (var/meili) is started first and stopped after.
    Logs go to stderr, one JSON object a line in production (``LOG_FORMAT``), with one access line
    per request from the app (uvicorn's own access log is off). With several workers the
    Prometheus metrics are kept in multiprocess mode under ``var/prometheus/``.
    """
    import logging.config

    import uvicorn

    from marketplace.core.logs import logging_config
    from marketplace.search.cli import managed_search

    settings = get_settings()
    log_config = logging_config(settings.ops.json_logs)
    logging.config.dictConfig(log_config)
    if workers > 1:
        from marketplace.core.metrics import prepare_multiprocess_dir

        prepare_multiprocess_dir(settings.var_dir / "prometheus")
    with managed_search(settings):
        uvicorn.run(
            "marketplace.app:create_app",
            factory=True,
            host=host or settings.host,
            port=port or settings.port,
            workers=workers,
            # Forwarded headers only from the proxies named in TRUSTED_PROXIES: the client's address
            # (login throttle, audit log, metrics allow-list) is then the visitor's, not the proxy's.
            proxy_headers=bool(settings.ops.trusted_proxies),
            forwarded_allow_ips=settings.ops.trusted_proxies or None,
            log_config=log_config,
            access_log=False,
        )


from marketplace.matching.cli import eval_matching, matches  # noqa: E402
from marketplace.search.cli import index_command, reindex_command  # noqa: E402

main.add_command(matches)
main.add_command(eval_matching, "eval-matching")
main.add_command(index_command, "index")
main.add_command(reindex_command, "reindex")


if __name__ == "__main__":
    main()
