"""Signing in: CSRF on the form, lockout after ten wrong passwords, session rotation and expiry,
API tokens and their revocation, cookies ignored for API writes."""

from __future__ import annotations

import datetime as dt

from marketplace.accounts.middleware import SESSION_COOKIE
from marketplace.accounts.tables import UserSession
from marketplace.core import clock
from marketplace.core.tables import AuditEvent
from tests.accounts.helpers import PASSWORD, bearer, csrf_token, make_user, post_form, sign_in


async def _login(client, email, password=PASSWORD):
    return await post_form(client, "/login", {"email": email, "password": password})


async def test_login_form_needs_its_csrf_token(db, client):
    await make_user("a@example.com")
    refused = await client.post("/login", data={"email": "a@example.com", "password": PASSWORD})
    assert refused.status_code == 403
    assert "表单已过期" in refused.text
    assert SESSION_COOKIE not in client.cookies
    forged = await client.post(
        "/login", data={"_csrf_token": "forged", "email": "a@example.com", "password": PASSWORD}
    )
    assert forged.status_code == 403
    accepted = await _login(client, "a@example.com")
    assert accepted.status_code == 303 and accepted.headers["location"] == "/member"


async def test_login_goes_back_to_a_local_next_page_only(db, client):
    await make_user("x@example.com", role="admin")
    response = await post_form(
        client, "/login", {"email": "x@example.com", "password": PASSWORD, "next": "/admin/audit"}
    )
    assert response.headers["location"] == "/admin/audit"
    client.cookies.clear()
    response = await post_form(
        client, "/login", {"email": "x@example.com", "password": PASSWORD, "next": "//evil.example/phish"}
    )
    assert response.headers["location"] == "/admin"


async def test_tenth_wrong_password_locks_and_says_so(db, client):
    await make_user("a@example.com")
    start = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    clock.set_now(start)
    for _ in range(9):
        response = await _login(client, "a@example.com", "wrong-password")
        assert response.status_code == 401 and "邮箱或密码不正确" in response.text
    tenth = await _login(client, "a@example.com", "wrong-password")
    assert tenth.status_code == 429 and "锁定" in tenth.text and "15 分钟" in tenth.text
    # Locked: even the right password is refused, and no session is created.
    assert (await _login(client, "a@example.com")).status_code == 429
    assert await UserSession.count() == 0
    clock.set_now(start + dt.timedelta(minutes=16))
    assert (await _login(client, "a@example.com")).status_code == 303


async def test_the_address_is_locked_too(db, client):
    await make_user("a@example.com")
    await make_user("b@example.com")
    for i in range(10):
        await _login(client, f"nobody{i}@example.com", "wrong-password")
    response = await _login(client, "b@example.com")
    assert response.status_code == 429


async def test_api_token_endpoint_shares_the_throttle(db, client):
    await make_user("a@example.com")
    for _ in range(9):
        response = await client.post(
            "/api/v1/auth/token", json={"email": "a@example.com", "password": "nope"}
        )
        assert response.status_code == 401
    response = await client.post("/api/v1/auth/token", json={"email": "a@example.com", "password": "nope"})
    assert response.status_code == 429 and "锁定" in response.json()["detail"]


async def test_login_rotates_the_session(db, client):
    user = await make_user("a@example.com")
    await sign_in(client, user)
    old = client.cookies[SESSION_COOKIE]
    await _login(client, "a@example.com")
    new = client.cookies[SESSION_COOKIE]
    assert new != old
    assert await UserSession.count() == 1  # the old session ended
    client.cookies.set(SESSION_COOKIE, old, domain="testserver.local")
    assert (await client.get("/member")).status_code == 303


async def test_logout_ends_the_session(db, client):
    user = await make_user("a@example.com")
    await sign_in(client, user)
    token = await csrf_token(client, "/account")
    assert (await client.post("/logout", data={"_csrf_token": token})).status_code == 303
    assert await UserSession.count() == 0
    assert (await client.get("/member")).status_code == 303


async def test_idle_session_expires(db, client):
    start = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    clock.set_now(start)
    user = await make_user("a@example.com")
    await sign_in(client, user)
    clock.set_now(start + dt.timedelta(minutes=119))
    assert (await client.get("/account")).status_code == 200
    clock.set_now(start + dt.timedelta(minutes=119 + 121))
    response = await client.get("/account")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


async def test_active_session_still_ends_after_its_absolute_lifetime(db, client):
    start = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    clock.set_now(start)
    user = await make_user("a@example.com")
    await sign_in(client, user)
    for hour in range(1, 24):
        clock.set_now(start + dt.timedelta(hours=hour))
        assert (await client.get("/account")).status_code == 200
    clock.set_now(start + dt.timedelta(hours=24, minutes=1))
    assert (await client.get("/account")).status_code == 303


async def test_revoked_token_stops_working(db, client):
    user = await make_user("a@example.com")
    headers = await bearer(user)
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
    token_id = (await client.get("/api/v1/me/tokens", headers=headers)).json()[0]["id"]
    assert (await client.delete(f"/api/v1/me/tokens/{token_id}", headers=headers)).status_code == 204
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 401
    assert await AuditEvent.exists().where(AuditEvent.action == "api_token.revoke")


async def test_tokens_from_credentials_and_from_the_account_page(db, client):
    await make_user("a@example.com")
    response = await client.post("/api/v1/auth/token", json={"email": "A@example.com", "password": PASSWORD})
    assert response.status_code == 201
    token = response.json()["token"]
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["email"] == "a@example.com"
    user = me.json()["id"]
    await sign_in(client, user)
    page = await post_form(client, "/account/tokens", {"name": "对接系统"}, token_from="/account")
    import re

    assert page.status_code == 200
    shown = re.search(r'id="new-token">(syq_[A-Za-z0-9_-]{20,})<', page.text).group(1)
    assert (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {shown}"})).status_code == 200
    listing = await client.get("/account")
    assert "对接系统" in listing.text
    assert shown not in listing.text  # shown once, never again


async def test_one_users_token_cannot_be_revoked_by_another(db, client):
    alice = await make_user("a@example.com")
    bob = await make_user("b@example.com")
    alice_headers = await bearer(alice)
    token_id = (await client.get("/api/v1/me/tokens", headers=alice_headers)).json()[0]["id"]
    response = await client.delete(f"/api/v1/me/tokens/{token_id}", headers=await bearer(bob))
    assert response.status_code == 404
    assert (await client.get("/api/v1/me", headers=alice_headers)).status_code == 200


async def test_cookies_do_not_authenticate_api_writes(db, client):
    """A foreign page could make a browser send the cookie; API writes need a bearer token."""
    user = await make_user("a@example.com")
    headers = await bearer(user)
    token_id = (await client.get("/api/v1/me/tokens", headers=headers)).json()[0]["id"]
    await sign_in(client, user)
    assert (await client.get("/api/v1/me")).status_code == 200  # reads with the cookie are fine
    assert (await client.delete(f"/api/v1/me/tokens/{token_id}")).status_code == 401
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 200


async def test_invalid_bearer_token_is_401(db, client):
    response = await client.get("/api/v1/me", headers={"Authorization": "Bearer syq_not-a-token"})
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"


async def test_security_headers(db, client):
    response = await client.get("/login")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "same-origin"
    assert response.headers["x-content-type-options"] == "nosniff"
