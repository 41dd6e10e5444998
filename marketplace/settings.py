"""Typed settings, read once from the environment.

Everything configurable lives here; no other module reads ``os.environ``. ``get_settings()`` is
cached, so tests set the environment (or call ``get_settings.cache_clear()``) before the app or
the database engine is imported.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlparse

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(ValueError):
    """A configuration value is malformed; the message names the variable."""


@dataclass(frozen=True)
class DatabaseConfig:
    """Where the data lives: ``engine`` is ``sqlite`` or ``postgres``."""

    engine: str
    sqlite_path: Path | None = None
    host: str = "127.0.0.1"
    port: int = 5432
    user: str = ""
    password: str = ""
    database: str = ""

    @property
    def is_sqlite(self) -> bool:
        return self.engine == "sqlite"


@dataclass(frozen=True)
class MailConfig:
    """SMTP when ``smtp_host`` is set; otherwise mail is written as .eml files to ``outbox_dir``."""

    smtp_host: str
    smtp_port: int
    smtp_user: str
    smtp_password: str = field(repr=False)
    smtp_starttls: bool
    sender: str
    outbox_dir: Path


@dataclass(frozen=True)
class Settings:
    var_dir: Path
    database: DatabaseConfig
    host: str
    port: int
    production: bool
    secret_key: str = field(repr=False)
    timezone: str
    page_size: int
    max_page_size: int
    base_url: str  # how users reach the site; used in emailed links
    session_idle_minutes: int
    session_max_hours: int
    cookie_secure: bool
    mail: MailConfig


def parse_database_url(url: str | None, var_dir: Path) -> DatabaseConfig:
    """Turn ``DATABASE_URL`` into a :class:`DatabaseConfig`.

    Accepts ``sqlite:///absolute/path.sqlite`` and ``postgres://user:pw@host:port/db`` (also
    ``postgresql://``). Unset means a SQLite file under ``var/``. Raises ``SettingsError``.
    """
    if not url:
        return DatabaseConfig(engine="sqlite", sqlite_path=var_dir / "marketplace.sqlite")
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        # sqlite:///abs/path -> path "/abs/path"; sqlite:///relative is taken from the cwd.
        raw = unquote(parsed.path)
        if not raw or raw == "/":
            raise SettingsError("DATABASE_URL: sqlite URL needs a file path, e.g. sqlite:///srv/db.sqlite")
        return DatabaseConfig(engine="sqlite", sqlite_path=Path(raw))
    if parsed.scheme in ("postgres", "postgresql"):
        if not parsed.path.strip("/"):
            raise SettingsError("DATABASE_URL: postgres URL needs a database name")
        return DatabaseConfig(
            engine="postgres",
            host=parsed.hostname or "127.0.0.1",
            port=parsed.port or 5432,
            user=unquote(parsed.username or ""),
            password=unquote(parsed.password or ""),
            database=parsed.path.strip("/"),
        )
    raise SettingsError(f"DATABASE_URL: unsupported scheme {parsed.scheme!r} (use sqlite or postgres)")


def _secret_key(var_dir: Path, env_value: str | None) -> str:
    """The session/CSRF secret: ``SECRET_KEY`` if set, else generated once into ``var/``."""
    if env_value:
        return env_value
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def _int(name: str, default: int, lo: int = 1, hi: int = 65535) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None
    if not lo <= value <= hi:
        raise SettingsError(f"{name} must be between {lo} and {hi}, got {value}")
    return value


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


def load_settings() -> Settings:
    var_dir = Path(os.environ.get("MARKETPLACE_VAR_DIR") or PROJECT_ROOT / "var").resolve()
    production = os.environ.get("MARKETPLACE_ENV", "development") == "production"
    host = os.environ.get("HOST") or "127.0.0.1"
    port = _int("PORT", 8000)
    return Settings(
        var_dir=var_dir,
        database=parse_database_url(os.environ.get("DATABASE_URL"), var_dir),
        host=host,
        port=port,
        production=production,
        secret_key=_secret_key(var_dir, os.environ.get("SECRET_KEY")),
        timezone="Asia/Shanghai",
        page_size=20,
        max_page_size=100,
        base_url=(os.environ.get("BASE_URL") or f"http://{host}:{port}").rstrip("/"),
        session_idle_minutes=_int("SESSION_IDLE_MINUTES", 120, hi=7 * 24 * 60),
        session_max_hours=_int("SESSION_MAX_HOURS", 24, hi=24 * 90),
        cookie_secure=_bool("COOKIE_SECURE", production),
        mail=MailConfig(
            smtp_host=os.environ.get("SMTP_HOST", ""),
            smtp_port=_int("SMTP_PORT", 587),
            smtp_user=os.environ.get("SMTP_USER", ""),
            smtp_password=os.environ.get("SMTP_PASSWORD", ""),
            smtp_starttls=_bool("SMTP_STARTTLS", True),
            sender=os.environ.get("MAIL_FROM", "数园区 <noreply@localhost>"),
            outbox_dir=var_dir / "mail",
        ),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
