"""Issue 13, defect 7 (web level): security headers on answers no route produced, HSTS when the
site is served over HTTPS, a framework body limit above the app's own upload limit, and search
text judged on what the user sent."""

from __future__ import annotations

import dataclasses
import datetime as dt

import httpx
import pytest

from marketplace.core import clock
from marketplace.proposals import attachments as pa
from marketplace.proposals import services as ps
from marketplace.proposals.tables import ProposalAttachment
from marketplace.settings import get_settings
from tests.accounts.helpers import csrf_token, sign_in
from tests.proposals.helpers import actor, proposal_world

SECURITY_HEADERS = (
    "content-security-policy",
    "x-frame-options",
    "referrer-policy",
    "x-content-type-options",
    "permissions-policy",
)


def assert_security_headers(response: httpx.Response) -> None:
    missing = [h for h in SECURITY_HEADERS if h not in response.headers]
    assert not missing, (
        f"{response.request.method} {response.request.url.path} -> {response.status_code}: {missing}"
    )
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


async def test_unmatched_routes_carry_the_security_headers(db, client):
    for method, path, status in [
        ("GET", "/no-such-page", 404),
        ("GET", "/api/v1/no-such-thing", 404),
        ("DELETE", "/healthz", 405),
        ("PUT", "/login", 405),
        ("GET", "/login", 200),
    ]:
        response = await client.request(method, path)
        assert response.status_code == status, (method, path, response.status_code)
        assert_security_headers(response)


async def _app_client(**settings_changes):
    from marketplace.app import create_app

    settings = dataclasses.replace(get_settings(), **settings_changes)
    app = create_app(settings, use_pool=False)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://testserver")


async def test_hsts_only_when_the_site_is_served_over_https(db):
    async with await _app_client(cookie_secure=True, production=True) as https_site:
        for path in ("/login", "/no-such-page", "/api/v1/scenarios"):
            response = await https_site.get(path)
            hsts = response.headers.get("strict-transport-security", "")
            assert hsts.startswith("max-age=") and int(hsts.split("=")[1].split(";")[0]) >= 15_552_000, path
    async with await _app_client(cookie_secure=False, production=False) as http_site:
        response = await http_site.get("/login")
        assert "strict-transport-security" not in response.headers


@pytest.fixture
async def w(db):
    clock.set_now(dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC))
    w = await proposal_world()
    w["pid"] = await ps.create_draft(w["scenario"], actor(w["lead_manager"]))
    return w


def _pdf_of_size(size: int) -> bytes:
    head, tail = b"%PDF-1.7\n1 0 obj\n<<>>\nstream\n", b"\nendstream\nendobj\ntrailer <<>>\n%%EOF\n"
    return head + b"0" * (size - len(head) - len(tail)) + tail


async def test_uploads_between_the_framework_default_and_the_app_limit_reach_the_app(client, w):
    """10,000,000 bytes (Litestar's default body limit) < file <= 10 MiB (the app's limit): the file
    is stored; a file just over 10 MiB gets the app's own Chinese message, not a generic 413."""
    await sign_in(client, w["lead_manager"])
    token = await csrf_token(client, f"/member/proposals/{w['pid']}")
    url = f"/member/proposals/{w['pid']}/attachments"

    fits = _pdf_of_size(pa.MAX_BYTES - 1000)
    assert len(fits) > 10_000_000
    r = await client.post(
        url, data={"_csrf_token": token}, files={"attachment": ("大文件.pdf", fits, "application/pdf")}
    )
    assert r.status_code == 303, (r.status_code, r.text[:300])
    assert await ProposalAttachment.count() == 1

    too_big = _pdf_of_size(pa.MAX_BYTES + 1000)
    r = await client.post(
        url, data={"_csrf_token": token}, files={"attachment": ("过大.pdf", too_big, "application/pdf")}
    )
    assert r.status_code == 400 and "文件过大：最大 10 MB。" in r.text
    assert await ProposalAttachment.count() == 1


@pytest.mark.parametrize("path", ["/api/v1/scenarios", "/api/v1/companies", "/scenarios"])
async def test_search_text_of_control_characters_is_refused(demo_db, client, path):
    response = await client.get(path, params={"q": "\x01" * 221})  # the probe of the issue
    assert response.status_code == 400 and "200" in response.text
    for q in ("\x01", "\x00", "数据\x07平台", "\x1b[31m数据", "数据\x1c"):
        response = await client.get(path, params={"q": q})
        assert response.status_code == 400, (path, repr(q), response.status_code)
        assert "控制字符" in response.text
    # whitespace (tabs, newlines, ideographic spaces) is collapsed, not refused
    assert (await client.get(path, params={"q": "数据\t平台\n"})).status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/scenarios", "/api/v1/companies"])
async def test_search_text_length_is_judged_on_what_was_sent(demo_db, client, path):
    assert (await client.get(path, params={"q": "数" * 200})).status_code == 200
    response = await client.get(path, params={"q": "数" * 200 + " " * 21})
    assert response.status_code == 400 and "200" in response.json()["errors"]["q"]
