"""What an operator sees: a request id on every response and in the log, and the Prometheus
metrics endpoint, behind a token or an allow-list, whose figures move with what happens."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import re
from ipaddress import ip_network

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from marketplace.accounts.services import LoginFailed, LoginLocked, authenticate
from marketplace.core import clock
from marketplace.core.logs import JsonFormatter, RequestIdFilter, request_id
from marketplace.core.tables import Outbox
from marketplace.settings import OpsConfig, get_settings
from tests.accounts.helpers import make_user
from tests.factories import make_scenario

TOKEN = "metrics-token-0123456789abcdef"


async def _app_client(ops: OpsConfig, base_url: str = "http://testserver") -> httpx.AsyncClient:
    from marketplace.app import create_app

    app = create_app(dataclasses.replace(get_settings(), ops=ops), use_pool=False)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    """{(sample name, sorted labels): value} of an exposition text."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def _scrape(client: httpx.AsyncClient) -> dict[tuple[str, tuple], float]:
    response = await client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return _samples(response.text)


# --- request id ----------------------------------------------------------------------------


async def test_every_response_carries_a_request_id_and_a_proxys_id_is_kept(db, client):
    page = await client.get("/login")
    assert re.fullmatch(r"[0-9a-f]{32}", page.headers["x-request-id"])
    assert (await client.get("/login")).headers["x-request-id"] != page.headers["x-request-id"]
    # The router's own 404 (no route, no middleware) has one too.
    assert re.fullmatch(r"[0-9a-f]{32}", (await client.get("/no/such/page")).headers["x-request-id"])
    kept = await client.get("/healthz", headers={"X-Request-ID": "edge-7f3a:42"})
    assert kept.headers["x-request-id"] == "edge-7f3a:42"
    for junk in ("x" * 65, "a b", "<script>"):
        replaced = await client.get("/healthz", headers={"X-Request-ID": junk})
        assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["x-request-id"])


async def test_the_access_log_line_names_the_request_id_and_the_route(db, client, caplog):
    caplog.set_level(logging.INFO, logger="marketplace.access")
    response = await client.get("/scenarios/424242", headers={"X-Request-ID": "trace-1"})
    assert response.status_code == 404
    [record] = [r for r in caplog.records if r.name == "marketplace.access"]
    assert record.request_id == "trace-1"
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "trace-1" and line["level"] == "info"
    assert line["route"] == "/scenarios/{scenario_id}" and line["path"] == "/scenarios/424242"
    assert line["status"] == 404 and line["duration_ms"] >= 0


def test_json_lines_carry_the_current_request_id_from_any_logger():
    record = logging.LogRecord(
        "marketplace.proposals", logging.WARNING, __file__, 1, "提交失败：%s", ("超时",), None
    )
    token = request_id.set("req-99")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id.reset(token)
    line = json.loads(JsonFormatter().format(record))
    assert line == {
        "time": line["time"],
        "level": "warning",
        "logger": "marketplace.proposals",
        "message": "提交失败：超时",
        "request_id": "req-99",
    }
    assert dt.datetime.fromisoformat(line["time"]).tzinfo is not None


# --- metrics: who may read them --------------------------------------------------------------


async def test_metrics_need_the_token_or_an_allowed_address(db):
    # ASGITransport's client address is 127.0.0.1.
    async with await _app_client(OpsConfig(metrics_token=TOKEN, metrics_allow=())) as c:
        assert (await c.get("/metrics")).status_code == 404
        assert (
            await c.get("/metrics", headers={"Authorization": "Bearer wrong-token-0123456789"})
        ).status_code == 404
        assert (await c.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}x"})).status_code == 404
        ok = await c.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200 and "marketplace_http_requests_total" in ok.text
    async with await _app_client(OpsConfig(metrics_allow=(ip_network("10.0.0.0/8"),))) as c:
        assert (await c.get("/metrics")).status_code == 404  # 127.0.0.1 is not in 10/8
    async with await _app_client(OpsConfig(metrics_allow=(ip_network("127.0.0.0/8"),))) as c:
        assert (await c.get("/metrics")).status_code == 200
    async with await _app_client(OpsConfig()) as c:  # neither: nobody
        assert (await c.get("/metrics")).status_code == 404


def test_production_allows_no_address_by_default(monkeypatch):
    from marketplace.settings import load_ops_config

    monkeypatch.delenv("METRICS_ALLOW", raising=False)
    assert load_ops_config(production=True).metrics_allow == ()
    assert load_ops_config(production=True).json_logs
    assert [str(n) for n in load_ops_config(production=False).metrics_allow] == ["127.0.0.1/32", "::1/128"]
    monkeypatch.setenv("METRICS_ALLOW", "10.1.0.0/16, 192.168.0.7")
    assert [str(n) for n in load_ops_config(production=True).metrics_allow] == [
        "10.1.0.0/16",
        "192.168.0.7/32",
    ]


# --- metrics: the figures move -------------------------------------------------------------


LOCAL = OpsConfig(metrics_allow=(ip_network("127.0.0.1/32"),))


async def test_requests_are_counted_by_route_template_with_their_latency(db):
    scenario = await make_scenario(
        "open", public_status="open", proposal_deadline=clock.now() + dt.timedelta(days=30)
    )
    async with await _app_client(LOCAL) as c:
        route = "/scenarios/{scenario_id}"
        before = await _scrape(c)
        for _ in range(3):
            assert (await c.get(f"/scenarios/{scenario}")).status_code == 200
        assert (await c.get("/scenarios/987654")).status_code == 404
        after = await _scrape(c)

    def moved(name, **labels):
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0) - before.get(key, 0)

    assert moved("marketplace_http_requests_total", method="GET", route=route, status="200") == 3
    assert moved("marketplace_http_requests_total", method="GET", route=route, status="404") == 1
    assert moved("marketplace_http_request_duration_seconds_count", method="GET", route=route) == 4
    assert moved("marketplace_http_request_duration_seconds_sum", method="GET", route=route) > 0
    assert not any("987654" in dict(labels).get("route", "") for _, labels in after)


async def test_outbox_lag_search_fallbacks_and_login_lockouts_show(db):
    now = clock.now()
    await Outbox.insert(
        Outbox(kind="scenario", entity_id=1, created_at=now - dt.timedelta(minutes=3)),
        Outbox(kind="scenario", entity_id=2, created_at=now - dt.timedelta(minutes=1)),
        Outbox(kind="scenario", entity_id=3, created_at=now - dt.timedelta(hours=2), attempts=10),  # parked
    )
    await make_user("locked@example.com")
    async with await _app_client(LOCAL) as c:
        before = await _scrape(c)
        assert before[("marketplace_outbox_pending", ())] == 2
        assert before[("marketplace_outbox_parked", ())] == 1
        assert 180 <= before[("marketplace_outbox_lag_seconds", ())] < 600

        # This test app has no Meilisearch: a text search is answered by the database.
        assert (await c.get("/scenarios", params={"q": "数据"})).status_code == 200
        for _ in range(10):
            with pytest.raises((LoginFailed, LoginLocked)):  # nine LoginFailed, then the lock
                await authenticate("locked@example.com", "wrong password", "203.0.113.9")
        with pytest.raises(LoginLocked):
            await authenticate("locked@example.com", "wrong password", "203.0.113.9")
        await Outbox.update({Outbox.processed_at: now}).where(Outbox.attempts < 10)
        after = await _scrape(c)

    def moved(name, **labels):
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0) - before.get(key, 0)

    assert moved("marketplace_search_fallbacks_total", index="scenario") == 1
    assert moved("marketplace_login_lockouts_total") == 1
    assert moved("marketplace_login_refused_locked_total") == 1
    assert after[("marketplace_outbox_pending", ())] == 0
    assert after[("marketplace_outbox_lag_seconds", ())] == 0
