"""Signing users in for tests: sessions are created directly (no login form), CSRF tokens are
read from a page like a browser would."""

from __future__ import annotations

import re

import httpx

from marketplace.accounts.credentials import create_api_token, start_session
from marketplace.accounts.middleware import SESSION_COOKIE
from marketplace.accounts.passwords import hash_password
from marketplace.accounts.tables import User
from tests.factories import make_company, make_department, make_scenario

PASSWORD = "correct-horse-battery-42"
_CSRF_RE = re.compile(r'name="_csrf_token" value="([^"]+)"')


_PASSWORD_HASH = hash_password(PASSWORD)  # hashed once: argon2 is slow on purpose


async def make_user(email: str, role: str = "member", **values) -> int:
    user = User(email=email, role=role, password_hash=_PASSWORD_HASH, **values)
    await user.save()
    return user.id


async def sign_in(client: httpx.AsyncClient, user_id: int) -> None:
    # The domain a response from http://testserver sets, so a later login replaces this cookie.
    client.cookies.set(SESSION_COOKIE, await start_session(user_id), domain="testserver.local")


async def csrf_token(client: httpx.AsyncClient, path: str = "/login") -> str:
    response = await client.get(path)
    if response.status_code == 303:  # signed in: the login form sends us home; use our account page
        response = await client.get("/account")
    if response.status_code != 200:  # a role without an account page form: any public form page
        response = await client.get("/password/forgot")
    match = _CSRF_RE.search(response.text)
    assert match, f"no CSRF field on {path}"
    return match.group(1)


async def post_form(
    client: httpx.AsyncClient, path: str, data: dict, *, token_from: str = "/login"
) -> httpx.Response:
    token = await csrf_token(client, token_from)
    return await client.post(path, data={"_csrf_token": token, **data})


async def make_world() -> dict:
    """One user per role of the access matrix; returns {role name: user id} plus ids of things."""
    dept_x = await make_department(key="dept-x", name="部门X")
    dept_y = await make_department(key="dept-y", name="部门Y")
    company_a = await make_company(name="甲公司", status="approved")
    company_b = await make_company(name="乙公司", status="approved")
    company_p = await make_company(name="待审公司", status="pending")
    return {
        "member_a": await make_user("a@example.com", company=company_a, is_company_manager=True),
        "member_b": await make_user("b@example.com", company=company_b, is_company_manager=True),
        "pending": await make_user("p@example.com", company=company_p, is_company_manager=True),
        "staff_x": await make_user("x@example.com", role="staff", department=dept_x),
        "staff_y": await make_user("y@example.com", role="staff", department=dept_y),
        "evaluator": await make_user("e@example.com", role="staff", department=dept_x, is_evaluator=True),
        "admin": await make_user("admin@example.com", role="admin"),
        "company_a": company_a,
        "company_p": company_p,
        "open_x": await _open_scenario(dept_x),
        "draft_x": await make_scenario("draft", department=dept_x, title="部门X的草稿"),
    }


async def _open_scenario(department: int) -> int:
    import datetime as dt

    from marketplace.core import clock

    soon = clock.now() + dt.timedelta(days=20)
    return await make_scenario(
        "open",
        department=department,
        title="部门X的征集中场景",
        question_deadline=soon,
        proposal_deadline=soon + dt.timedelta(days=5),
        public_status="open",
        opened_at=clock.now(),
    )


async def bearer(user_id: int) -> dict:
    _, token = await create_api_token(user_id, "test")
    return {"Authorization": f"Bearer {token}"}
