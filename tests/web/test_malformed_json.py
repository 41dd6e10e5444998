"""Issue 13, defect 3: a JSON body that is not valid JSON (invalid UTF-8, nesting deeper than
the decoder allows, truncated) answers 400 with a Chinese message in the API's error body, on
every JSON endpoint, signed in or not; nothing is stored."""

from __future__ import annotations

import datetime as dt

import pytest

from marketplace.accounts.tables import ApiToken, LoginThrottle
from marketplace.core import clock
from marketplace.core.tables import AuditEvent
from marketplace.proposals.tables import Proposal
from tests.accounts.helpers import bearer
from tests.proposals.helpers import proposal_world

INVALID_UTF8 = b'{"email":"\xff","password":"x"}'
DEEP = b"[" * 50_000
TRUNCATED = b'{"email":'
BODIES = [INVALID_UTF8, DEEP, TRUNCATED]
JSON = {"Content-Type": "application/json"}


@pytest.fixture
async def w(db):
    clock.set_now(dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC))
    w = await proposal_world()
    w["auth"] = await bearer(w["lead_manager"])
    return w


def assert_bad_json(response) -> None:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["status_code"] == 400
    assert "JSON" in body["detail"] and "请求体" in body["detail"], body
    assert "Traceback" not in response.text and "Error" not in response.text


@pytest.mark.parametrize("body", BODIES, ids=["invalid-utf8", "deep-nesting", "truncated"])
async def test_token_route_refuses_malformed_json_anonymously(client, w, body):
    tokens = await ApiToken.count()
    response = await client.post("/api/v1/auth/token", content=body, headers=JSON)
    assert_bad_json(response)
    assert await ApiToken.count() == tokens
    assert await LoginThrottle.count() == 0


@pytest.mark.parametrize("body", BODIES, ids=["invalid-utf8", "deep-nesting", "truncated"])
async def test_signed_in_write_routes_refuse_malformed_json(client, w, body):
    created = await client.post(f"/api/v1/scenarios/{w['scenario']}/proposals", headers=w["auth"])
    assert created.status_code == 201, created.text
    pid = created.json()["id"]
    before = await Proposal.select().where(Proposal.id == pid).first()
    events = await AuditEvent.count()

    for method, path in [
        ("PATCH", f"/api/v1/proposals/{pid}"),
        ("POST", f"/api/v1/proposals/{pid}/members"),
        ("POST", f"/api/v1/proposals/{pid}/withdraw"),
        ("PATCH", "/api/v1/me/company/profile"),
        ("PUT", "/api/v1/me/company/capabilities"),
    ]:
        response = await client.request(method, path, content=body, headers={**w["auth"], **JSON})
        assert_bad_json(response)

    assert await Proposal.select().where(Proposal.id == pid).first() == before
    assert await AuditEvent.count() == events
