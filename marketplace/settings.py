"""Typed settings, read once from the environment.

Everything configurable lives here; no other module reads ``os.environ``. ``get_settings()`` is
cached, so tests set the environment (or call ``get_settings.cache_clear()``) before the app or
the database engine is imported.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_network
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
class SearchConfig:
    """Meilisearch. ``url`` None: no server configured; ``marketplace serve`` then starts a
    managed local one (and sets ``MEILI_URL``/``MEILI_MASTER_KEY`` for the app it serves), and an
    app built without one answers from the database (search disabled).

    ``timeout`` bounds every query (seconds); ``index_timeout`` every indexing call and task wait.
    ``index_prefix`` namespaces the index uids (several sites or test runs on one server).
    """

    url: str | None
    master_key: str = field(repr=False, default="")
    index_prefix: str = ""
    timeout: float = 2.0
    index_timeout: float = 60.0
    indexer: bool = True  # run the outbox indexer in the app's lifespan
    indexer_poll: float = 1.0  # seconds between looks at the outbox when idle
    indexer_batch: int = 500
    startup_sync: float = 30.0  # seconds the app waits at start-up for the first sync
    managed_port: int = 0  # port of the managed server; 0 picks a free one
    retry_after: float = 5.0  # after a failure, queries go to the database for this long

    @property
    def enabled(self) -> bool:
        return bool(self.url)


@dataclass(frozen=True)
class OpsConfig:
    """What an operator watches: the metrics endpoint's guard and the log format.

    ``/metrics`` answers a request that carries ``Authorization: Bearer <metrics_token>`` (when a
    token is set) or comes from an address in ``metrics_allow`` (networks; by default the host
    itself, outside production); anyone else gets 404. ``json_logs``: one JSON object a line with the request id
    (the default in production), else readable text.
    """

    metrics_token: str = field(repr=False, default="")
    metrics_allow: tuple[IPv4Network | IPv6Network, ...] = ()
    json_logs: bool = False
    tick_seconds: float = 60.0  # the periodic tasks' interval in each app process
    # Addresses of reverse proxies whose X-Forwarded-For/-Proto uvicorn believes (comma-separated).
    trusted_proxies: str = ""


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
    search: SearchConfig = field(default_factory=lambda: SearchConfig(url=None))
    ops: OpsConfig = field(default_factory=OpsConfig)
    # Days after a result's publication during which an applicant may lodge an objection (质疑).
    objection_days: int = 10
    # OCDS: the ocid prefix registered with the Open Contracting Partnership, then "sip-".
    ocds_ocid_prefix: str = "ocds-xxxxxx-sip-"


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


MIN_SECRET_KEY_LENGTH = 32


def _secret_key(var_dir: Path, env_value: str | None, production: bool) -> str:
    """The session/CSRF secret: ``SECRET_KEY`` if set, else (outside production) generated once
    into ``var/``. In production it must come from the environment and be long: every app host
    must sign with the same key, and a key generated on one host's disk would differ on the next
    (a form opened on one host would be refused by another)."""
    if production:
        if not env_value:
            raise SettingsError(
                "生产模式（MARKETPLACE_ENV=production）必须设置 SECRET_KEY，且每台应用主机取同一个值，"
                "例如 python3 -c 'import secrets; print(secrets.token_hex(32))' 生成的值。"
            )
        if len(env_value) < MIN_SECRET_KEY_LENGTH:
            raise SettingsError(f"SECRET_KEY 至少需要 {MIN_SECRET_KEY_LENGTH} 个字符。")
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


def _float(name: str, default: float, lo: float, hi: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if not lo <= value <= hi:
        raise SettingsError(f"{name} must be between {lo:g} and {hi:g}, got {value:g}")
    return value


def load_search_config() -> SearchConfig:
    """``MEILI_URL`` (unset: none configured), ``MEILI_MASTER_KEY``, ``MEILI_INDEX_PREFIX``,
    ``MEILI_TIMEOUT``, ``MEILI_INDEX_TIMEOUT``, ``MEILI_INDEXER`` (run the indexer in the app),
    ``MEILI_INDEXER_POLL``, ``MEILI_INDEXER_BATCH``, ``MEILI_STARTUP_SYNC``, ``MEILI_MANAGED_PORT``,
    ``MEILI_RETRY_AFTER``. Raises ``SettingsError``."""
    url = (os.environ.get("MEILI_URL") or "").strip().rstrip("/") or None
    if url and urlparse(url).scheme not in ("http", "https"):
        raise SettingsError(f"MEILI_URL must be an http(s) URL, got {url!r}")
    prefix = os.environ.get("MEILI_INDEX_PREFIX", "")
    if prefix and not all(ch.isalnum() or ch in "-_" for ch in prefix):
        raise SettingsError("MEILI_INDEX_PREFIX may contain only letters, digits, - and _")
    return SearchConfig(
        url=url,
        master_key=os.environ.get("MEILI_MASTER_KEY", ""),
        index_prefix=prefix,
        timeout=_float("MEILI_TIMEOUT", 2.0, 0.05, 60),
        index_timeout=_float("MEILI_INDEX_TIMEOUT", 60.0, 1, 3600),
        indexer=_bool("MEILI_INDEXER", True),
        indexer_poll=_float("MEILI_INDEXER_POLL", 1.0, 0.01, 60),
        indexer_batch=_int("MEILI_INDEXER_BATCH", 500, hi=10_000),
        startup_sync=_float("MEILI_STARTUP_SYNC", 30.0, 0, 600),
        managed_port=_int("MEILI_MANAGED_PORT", 0, lo=0),
        retry_after=_float("MEILI_RETRY_AFTER", 5.0, 0, 600),
    )


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


def _networks(name: str, default: str) -> tuple[IPv4Network | IPv6Network, ...]:
    raw = os.environ.get(name)
    raw = default if raw is None else raw
    try:
        return tuple(ip_network(part.strip(), strict=False) for part in raw.split(",") if part.strip())
    except ValueError as exc:
        raise SettingsError(f"{name} must list networks such as 10.0.0.0/8,127.0.0.1: {exc}") from None


def _trusted_proxies() -> str:
    raw = os.environ.get("TRUSTED_PROXIES", "")
    parts = [part.strip() for part in raw.split(",") if part.strip()]
    try:
        for part in parts:
            ip_network(part, strict=False)
    except ValueError as exc:
        raise SettingsError(f"TRUSTED_PROXIES must list addresses such as 10.0.0.5: {exc}") from None
    return ",".join(parts)


def load_ops_config(production: bool) -> OpsConfig:
    """``METRICS_TOKEN``, ``METRICS_ALLOW`` (default the loopback addresses, none in production),
    ``LOG_FORMAT`` (``json`` or ``text``; json in production), ``MARKETPLACE_TICK_SECONDS``,
    ``TRUSTED_PROXIES``."""
    log_format = (os.environ.get("LOG_FORMAT") or ("json" if production else "text")).lower()
    if log_format not in ("json", "text"):
        raise SettingsError(f"LOG_FORMAT must be json or text, got {log_format!r}")
    token = os.environ.get("METRICS_TOKEN", "")
    if token and len(token) < 16:
        raise SettingsError("METRICS_TOKEN must be at least 16 characters long")
    return OpsConfig(
        metrics_token=token,
        # Loopback only outside production. In production nothing by default: behind a reverse
        # proxy on the same host every visitor would come from 127.0.0.1.
        metrics_allow=_networks("METRICS_ALLOW", "" if production else "127.0.0.1/32,::1/128"),
        json_logs=log_format == "json",
        tick_seconds=_float("MARKETPLACE_TICK_SECONDS", 60.0, 0.1, 3600),
        trusted_proxies=_trusted_proxies(),
    )


def _check_production_mail(production: bool, smtp_host: str) -> None:
    if production and not smtp_host:
        raise SettingsError(
            "生产模式（MARKETPLACE_ENV=production）必须设置 SMTP_HOST：否则邮件只会写成发送它的那台主机上的文件。"
        )


OCID_PREFIX_PATTERN = re.compile(r"ocds-[a-z0-9]{6}-[a-z0-9-]*")


def _ocid_prefix() -> str:
    """``OCDS_OCID_PREFIX``: ``ocds-`` and the six characters the Open Contracting Partnership
    registered for the publisher, then the programme's part (default ``ocds-xxxxxx-sip-``, a
    placeholder until the prefix is registered); each scenario's ocid is it plus the id."""
    value = os.environ.get("OCDS_OCID_PREFIX") or "ocds-xxxxxx-sip-"
    if not OCID_PREFIX_PATTERN.fullmatch(value):
        raise SettingsError(
            f"OCDS_OCID_PREFIX={value!r}: expected ocds-XXXXXX- (6 lowercase letters or digits) and an optional suffix, e.g. ocds-a1b2c3-sip-"
        )
    return value


def load_settings() -> Settings:
    var_dir = Path(os.environ.get("MARKETPLACE_VAR_DIR") or PROJECT_ROOT / "var").resolve()
    production = os.environ.get("MARKETPLACE_ENV", "development") == "production"
    host = os.environ.get("HOST") or "127.0.0.1"
    port = _int("PORT", 8000)
    _check_production_mail(production, os.environ.get("SMTP_HOST", ""))
    return Settings(
        var_dir=var_dir,
        database=parse_database_url(os.environ.get("DATABASE_URL"), var_dir),
        host=host,
        port=port,
        production=production,
        secret_key=_secret_key(var_dir, os.environ.get("SECRET_KEY"), production),
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
        search=load_search_config(),
        ops=load_ops_config(production),
        objection_days=_int("OBJECTION_DAYS", 10, hi=365),
        ocds_ocid_prefix=_ocid_prefix(),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
