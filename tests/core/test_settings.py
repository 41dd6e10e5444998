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
