"""``marketplace backup DIR`` and ``marketplace restore DIR``: the database, attachments included.

Attachments live in the database (``core.files``), so a copy of the database is the whole
site's data; the search indexes are rebuilt from it after a restore (the CLI does that), and the
secrets (``SECRET_KEY``, the Meilisearch key) are configuration, never part of a backup.

* SQLite: an online copy through the ``sqlite3`` backup API, consistent even while the app
  writes (readers and writers go on; the copy restarts pages that changed under it).
* PostgreSQL: ``pg_dump --format=custom`` (a consistent snapshot while the app runs). A restore
  drops every table of the schema and loads the dump (``pg_restore`` into ``psql``) in one
  transaction. The client programs are looked up as ``scripts/pg-cluster.sh`` does (the newest
  ``/usr/lib/postgresql/*/bin``), then on ``PATH``; their major version must be at least the
  server's.

A backup folder holds the copy and ``manifest.json`` (format, engine, time, size and SHA-256
of the copy, the last migration applied). ``restore`` checks the manifest and the checksum, and
refuses a backup of the other engine.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

from piccolo.apps.migrations.tables import Migration

from marketplace.settings import DatabaseConfig

FORMAT = "marketplace-backup/1"
MANIFEST = "manifest.json"
FILES = {"sqlite": "database.sqlite", "postgres": "database.pgdump"}


class BackupError(RuntimeError):
    """Why a backup or a restore cannot go ahead, in words for the operator (Chinese)."""


@dataclass(frozen=True)
class Manifest:
    format: str
    engine: str
    created_at: str
    file: str
    size: int
    sha256: str
    last_migration: str


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def pg_tool(name: str) -> Path:
    """``pg_dump`` or ``pg_restore``: the newest installed PostgreSQL's, else the one on PATH."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: [int(x) if x.isdigit() else 0 for x in p.parent.parent.name.split(".")],
    )
    if candidates:
        return candidates[-1]
    found = shutil.which(name)
    if found:
        return Path(found)
    raise BackupError(f"找不到 {name}：请安装 PostgreSQL 客户端（Debian 包 postgresql-client）。")


def _pg_env(db: DatabaseConfig) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update({"PGHOST": db.host, "PGPORT": str(db.port), "PGUSER": db.user, "PGDATABASE": db.database})
    if db.password:
        env["PGPASSWORD"] = db.password
    return env


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{what}失败（退出码 {done.returncode}）：{done.stderr.strip()[-2000:]}")


async def _last_migration() -> str:
    row = (
        await Migration.select(Migration.name).order_by(Migration._meta.primary_key, ascending=False).first()
    )
    return row["name"] if row else ""


def _prepare_target(target: Path) -> None:
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(f"{target} 已存在且不是空目录：请指定一个新的备份目录。")
    target.mkdir(parents=True, exist_ok=True)


def _sqlite_copy(source: Path, destination: Path) -> None:
    """Copy one SQLite database into another through the backup API (both may be in use)."""
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    try:
        dst = sqlite3.connect(destination, timeout=30)
        try:
            src.backup(dst, pages=1024)
        finally:
            dst.close()
    finally:
        src.close()


async def _copy_out(db: DatabaseConfig, file: Path) -> None:
    if db.is_sqlite:
        assert db.sqlite_path is not None  # settings give SQLite a path
        if not db.sqlite_path.exists():
            raise BackupError(f"数据库文件 {db.sqlite_path} 不存在。")
        await asyncio.to_thread(_sqlite_copy, db.sqlite_path, file)
    else:
        command = [
            str(pg_tool("pg_dump")),
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            "--file",
            str(file),
        ]
        await asyncio.to_thread(_run, command, _pg_env(db), "pg_dump ")


async def backup(db: DatabaseConfig, target: Path) -> Manifest:
    """Copy the database to the new folder ``target``; returns the manifest written beside it.
    Raises ``BackupError``."""
    _prepare_target(target)
    file = target / FILES[db.engine]
    try:
        await _copy_out(db, file)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)  # no half backup left to be mistaken for one
        raise
    manifest = Manifest(
        format=FORMAT,
        engine=db.engine,
        created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        file=file.name,
        size=file.stat().st_size,
        sha256=await asyncio.to_thread(_sha256, file),
        last_migration=await _last_migration(),
    )
    (target / MANIFEST).write_text(json.dumps(asdict(manifest), ensure_ascii=False, indent=2) + "\n")
    return manifest


def read_manifest(source: Path, engine: str) -> Manifest:
    """The checked manifest of the backup in ``source``. Raises ``BackupError`` when it is
    missing, of another format or engine, or the copy does not match its checksum."""
    try:
        raw = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
        manifest = Manifest(**raw)
    except (OSError, ValueError, TypeError) as exc:
        raise BackupError(
            f"{source} 不是 marketplace backup 生成的备份（{MANIFEST} 无法读取：{exc}）。"
        ) from None
    if manifest.format != FORMAT:
        raise BackupError(f"不认识的备份格式 {manifest.format!r}。")
    if manifest.engine != engine:
        raise BackupError(
            f"这是 {manifest.engine} 数据库的备份，当前 DATABASE_URL 指向 {engine}：只能恢复到同一种数据库。"
        )
    file = source / manifest.file
    if not file.is_file() or file.stat().st_size != manifest.size or _sha256(file) != manifest.sha256:
        raise BackupError(f"备份文件 {file} 缺失或已损坏（大小或 SHA-256 与清单不符）。")
    return manifest


# Every table and function of the schema goes first (those a later version added too, which the
# backup does not know and ``migrate`` would then fail to create), in the restore's transaction.
_DROP_TABLES = """
DO $$
DECLARE t record;
BEGIN
    FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = current_schema() LOOP
        EXECUTE format('DROP TABLE IF EXISTS %I CASCADE', t.tablename);
    END LOOP;
    FOR t IN SELECT p.oid::regprocedure AS signature FROM pg_proc p
             WHERE p.pronamespace = current_schema()::regnamespace LOOP
        EXECUTE format('DROP FUNCTION IF EXISTS %s CASCADE', t.signature);
    END LOOP;
END $$;
"""


def _pg_restore(db: DatabaseConfig, file: Path) -> None:
    """``pg_restore`` writes the dump as SQL into ``psql``, which runs it after dropping the
    current tables, in one transaction: a failure leaves the database as it was."""
    env = _pg_env(db)
    script = subprocess.Popen(
        [str(pg_tool("pg_restore")), "--no-owner", "--no-privileges", "--file", "-", str(file)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert script.stdout is not None  # stdout=PIPE
    try:
        load = subprocess.run(
            [
                str(pg_tool("psql")),
                "-X",
                "-q",
                "--single-transaction",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                _DROP_TABLES,
                "-f",
                "-",
            ],
            env=env,
            stdin=script.stdout,
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        script.stdout.close()
        script_errors = script.stderr.read().decode(errors="replace") if script.stderr else ""
        script.wait()
    if load.returncode != 0:  # first: psql stopping early also breaks pg_restore's pipe
        raise BackupError(
            f"psql 恢复失败（退出码 {load.returncode}），数据库保持原样：{load.stderr.strip()[-2000:]}"
        )
    if script.returncode != 0:
        raise BackupError(f"pg_restore 失败（退出码 {script.returncode}）：{script_errors.strip()[-2000:]}")


async def restore(db: DatabaseConfig, source: Path) -> Manifest:
    """Replace the database's contents with the backup in ``source``. Stop the app first: users'
    writes between the backup and the restore are lost, and nobody should write meanwhile.
    Raises ``BackupError``; the caller then migrates and rebuilds the search indexes."""
    manifest = await asyncio.to_thread(read_manifest, source, db.engine)
    file = source / manifest.file
    if db.is_sqlite:
        assert db.sqlite_path is not None
        db.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(_sqlite_copy, file, db.sqlite_path)
    else:
        await asyncio.to_thread(_pg_restore, db, file)
    return manifest
