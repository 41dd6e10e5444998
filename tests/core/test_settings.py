from pathlib import Path

import pytest

from marketplace.settings import SettingsError, parse_database_url

VAR = Path("/srv/var")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (None, ("sqlite", VAR / "marketplace.sqlite")),
        ("", ("sqlite", VAR / "marketplace.sqlite")),
        ("sqlite:////data/market.sqlite", ("sqlite", Path("//data/market.sqlite"))),
        ("sqlite:///data/m.sqlite", ("sqlite", Path("/data/m.sqlite"))),
    ],
)
def test_sqlite_urls(url, expected):
    config = parse_database_url(url, VAR)
    assert (config.engine, config.sqlite_path) == expected


def test_postgres_url():
    config = parse_database_url("postgres://app:p%40ss@db.local:5433/market", VAR)
    assert (config.engine, config.host, config.port, config.user, config.password, config.database) == (
        "postgres",
        "db.local",
        5433,
        "app",
        "p@ss",
        "market",
    )
    assert parse_database_url("postgresql://u@h/d", VAR).port == 5432


@pytest.mark.parametrize("url", ["mysql://x/y", "postgres://h:5432/", "sqlite:///"])
def test_bad_urls_name_the_variable(url):
    with pytest.raises(SettingsError, match="DATABASE_URL"):
        parse_database_url(url, VAR)


def _production(monkeypatch, tmp_path, **env):
    from marketplace.settings import load_settings

    for name in ("SECRET_KEY", "SMTP_HOST", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MARKETPLACE_ENV", "production")
    monkeypatch.setenv("MARKETPLACE_VAR_DIR", str(tmp_path / "var"))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return load_settings


def test_production_needs_a_long_secret_key_from_the_environment(monkeypatch, tmp_path):
    load = _production(monkeypatch, tmp_path, SMTP_HOST="smtp.internal")
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        load()
    assert not (tmp_path / "var" / "secret_key").exists()  # never generated on a host's disk
    monkeypatch.setenv("SECRET_KEY", "too-short")
    with pytest.raises(SettingsError, match="至少需要 32 个字符"):
        load()
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    assert load().secret_key == "k" * 40


def test_production_needs_smtp(monkeypatch, tmp_path):
    load = _production(monkeypatch, tmp_path, SECRET_KEY="k" * 40)
    with pytest.raises(SettingsError, match="SMTP_HOST"):
        load()


def test_development_generates_the_key_once_outside_git(monkeypatch, tmp_path):
    from marketplace.settings import PROJECT_ROOT, load_settings

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("MARKETPLACE_ENV", "development")
    monkeypatch.setenv("MARKETPLACE_VAR_DIR", str(tmp_path / "var"))
    first = load_settings().secret_key
    assert len(first) == 64 and load_settings().secret_key == first
    assert (tmp_path / "var" / "secret_key").stat().st_mode & 0o777 == 0o600
    assert "var/" in (PROJECT_ROOT / ".gitignore").read_text().splitlines()


def test_serve_refuses_to_start_in_production_without_a_secret_key(tmp_path):
    import os
    import subprocess
    import sys

    env = {
        **{k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "SMTP_HOST")},
        "MARKETPLACE_ENV": "production",
        "SMTP_HOST": "smtp.internal",
        "MARKETPLACE_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'p.sqlite'}",
    }
    done = subprocess.run(
        [str(Path(sys.executable).with_name("marketplace")), "serve", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0 and "必须设置 SECRET_KEY" in done.stderr
