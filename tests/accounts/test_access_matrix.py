"""Every role against every protected page and API route, with the exact status of each cell.

Pages answer 303 (to the login form) for anonymous visitors, 403 for a role that may not use
them; the API answers 401 and 403. Members' own things answer 404 to others (tested with the
domains that own such things)."""

from __future__ import annotations

import pytest

from tests.accounts.helpers import bearer, make_world, sign_in
from tests.conftest import build_once

ROLES = ["anonymous", "member_a", "member_b", "pending", "staff_x", "staff_y", "evaluator", "admin"]

#                 anon  A    B    pend staffX staffY eval admin
PAGES = {
    "/account": [303, 200, 200, 200, 200, 200, 200, 200],
    "/account/company": [303, 200, 200, 200, 403, 403, 403, 403],
    "/member": [303, 200, 200, 200, 403, 403, 403, 403],
    "/member/proposals": [303, 200, 200, 200, 403, 403, 403, 403],
    "/member/profile": [303, 200, 200, 200, 403, 403, 403, 403],
    "/member/profile/projects/new": [303, 200, 200, 200, 403, 403, 403, 403],
    "/admin/companies/{company_a}": [303, 403, 403, 403, 403, 403, 403, 200],
    "/staff": [303, 403, 403, 403, 200, 200, 200, 403],
    "/admin": [303, 403, 403, 403, 403, 403, 403, 200],
    "/admin/companies": [303, 403, 403, 403, 403, 403, 403, 200],
    "/admin/staff": [303, 403, 403, 403, 403, 403, 403, 200],
    "/admin/audit": [303, 403, 403, 403, 403, 403, 403, 200],
    "/admin/audit.csv": [303, 403, 403, 403, 403, 403, 403, 200],
    "/admin/departments": [303, 403, 403, 403, 403, 403, 403, 200],
    "/admin/taxonomy": [303, 403, 403, 403, 403, 403, 403, 200],
    "/notifications": [303, 200, 200, 200, 200, 200, 200, 200],
    "/staff/scenarios/new": [303, 403, 403, 403, 200, 200, 200, 403],
    # Another department's draft is not even known to exist: 404.
    "/staff/scenarios/{draft_x}": [303, 403, 403, 403, 200, 404, 200, 403],
    "/staff/scenarios/{draft_x}/matches": [303, 404, 404, 404, 200, 404, 200, 200],
    "/staff/scenarios/{open_x}/matches": [303, 403, 403, 403, 200, 403, 200, 200],
    # Proposals of a scenario: own department's staff and admins; another department's: 404.
    "/staff/scenarios/{open_x}/proposals": [303, 403, 403, 403, 200, 404, 200, 200],
    "/staff/scenarios/{open_x}/proposals.csv": [303, 403, 403, 403, 200, 404, 200, 200],
    "/staff/proposals/999999": [303, 403, 403, 403, 404, 404, 404, 404],
    # Evaluation: the department's staff and admins run it; only assigned evaluators declare.
    "/staff/scenarios/{open_x}/evaluation": [303, 403, 403, 403, 200, 403, 200, 200],
    "/staff/scenarios/{open_x}/evaluation/conflicts": [303, 403, 403, 403, 403, 403, 403, 403],
    "/staff/scenarios/{open_x}/evaluation/score": [303, 403, 403, 403, 403, 403, 403, 403],
    "/staff/evaluations": [303, 403, 403, 403, 200, 200, 200, 200],
    "/staff/affiliations": [303, 403, 403, 403, 200, 200, 200, 200],
    "/member/clarifications": [303, 200, 200, 200, 403, 403, 403, 403],
    # Decision and exports: department staff and admins (409 while the call is open), other
    # departments 404; applicants read their own results.
    "/staff/scenarios/{open_x}/decision": [303, 403, 403, 403, 409, 404, 409, 409],
    "/staff/scenarios/{open_x}/evaluation/export.xlsx": [303, 403, 403, 403, 409, 404, 409, 409],
    "/staff/scenarios/{open_x}/evaluation/ranking.csv": [303, 403, 403, 403, 409, 404, 409, 409],
    "/staff/scenarios/{open_x}/evaluation/report": [303, 403, 403, 403, 409, 404, 409, 409],
    "/member/results": [303, 200, 200, 200, 403, 403, 403, 403],
    # Pilots: the department's staff on the scenario (another department: 404); partners' members.
    "/staff/scenarios/{open_x}/pilot": [303, 403, 403, 403, 200, 404, 200, 403],
    "/member/pilots": [303, 200, 200, 200, 403, 403, 403, 403],
    # Dashboards: staff see their department, admins every department; statistics are public.
    "/staff/dashboard": [303, 403, 403, 403, 200, 200, 200, 200],
    "/statistics": [200, 200, 200, 200, 200, 200, 200, 200],
}
API = {
    ("GET", "/api/v1/me"): [401, 200, 200, 200, 200, 200, 200, 200],
    ("GET", "/api/v1/me/tokens"): [401, 200, 200, 200, 200, 200, 200, 200],
    ("GET", "/api/v1/me/company/profile"): [401, 200, 200, 200, 403, 403, 403, 403],
    ("GET", "/api/v1/scenarios"): [200, 200, 200, 200, 200, 200, 200, 200],
    ("GET", "/api/v1/scenarios/{draft_x}"): [404, 404, 404, 404, 404, 404, 404, 404],
    ("GET", "/api/v1/scenarios/{open_x}"): [200, 200, 200, 200, 200, 200, 200, 200],
    ("GET", "/api/v1/proposals"): [401, 200, 200, 200, 200, 200, 200, 200],
    ("GET", "/api/v1/search/proposals"): [401, 403, 403, 403, 200, 200, 200, 200],
    ("POST", "/api/v1/scenarios/{open_x}/proposals"): [401, 201, 201, 403, 403, 403, 403, 403],
    ("GET", "/api/v1/scenarios/{draft_x}/matches"): [401, 404, 404, 404, 200, 404, 200, 200],
    ("GET", "/api/v1/scenarios/{open_x}/matches"): [401, 403, 403, 403, 200, 403, 200, 200],
    ("GET", "/api/v1/companies/{company_a}/recommendations"): [401, 200, 403, 403, 200, 200, 200, 200],
}


@pytest.fixture
async def world(db) -> dict:
    """``make_world()`` in an empty database (built once, then restored from a snapshot on SQLite:
    every case starts from the same world)."""
    return dict(await build_once("access-matrix", make_world))


PAGE_CASES = [(path, role, PAGES[path][i]) for path in PAGES for i, role in enumerate(ROLES)]
API_CASES = [
    (method, path, role, API[(method, path)][i]) for (method, path) in API for i, role in enumerate(ROLES)
]


@pytest.mark.parametrize(("path", "role", "expected"), PAGE_CASES)
async def test_pages(world, client, path, role, expected):
    if role != "anonymous":
        await sign_in(client, world[role])
    response = await client.get(path.format(**world))
    assert response.status_code == expected, response.text[:300]
    if expected == 303:
        assert response.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize(("method", "path", "role", "expected"), API_CASES)
async def test_api(world, client, method, path, role, expected):
    headers = await bearer(world[role]) if role != "anonymous" else {}
    response = await client.request(method, path.format(**world), headers=headers)
    assert response.status_code == expected, response.text[:300]
    if role != "anonymous" and path == "/api/v1/me":
        assert response.json()["id"] == world[role]


ACTIONS = [
    # (role, expected status) for admin approving a pending company
    ("anonymous", 303),
    ("member_a", 403),
    ("pending", 403),
    ("staff_x", 403),
    ("evaluator", 403),
    ("admin", 303),
]


@pytest.mark.parametrize(("role", "expected"), ACTIONS)
async def test_only_admins_approve_companies(world, client, role, expected):
    from marketplace.companies.tables import Company
    from tests.accounts.helpers import post_form

    if role != "anonymous":
        await sign_in(client, world[role])
    response = await post_form(
        client, f"/admin/companies/{world['company_p']}/status", {"target": "approved"}
    )
    assert response.status_code == expected
    status = (await Company.select(Company.status).where(Company.id == world["company_p"]).first())["status"]
    assert status == ("approved" if role == "admin" else "pending")
    if role == "anonymous":
        assert response.headers["location"].startswith("/login")


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous", 303),
        ("member_a", 200),
        ("member_b", 200),
        ("pending", 403),
        ("staff_x", 403),
        ("admin", 403),
    ],
)
async def test_only_approved_company_managers_invite(world, client, role, expected):
    from marketplace.accounts.tables import User
    from tests.accounts.helpers import post_form

    if role != "anonymous":
        await sign_in(client, world[role])
    before = await User.count()
    response = await post_form(
        client, "/account/company/invite", {"email": "new@example.com", "display_name": "新同事"}
    )
    assert response.status_code == expected
    assert await User.count() == before + (1 if expected == 200 else 0)


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous", 303),
        ("member_a", 303),
        ("member_b", 303),
        ("pending", 403),
        ("staff_x", 403),
        ("admin", 403),
    ],
)
async def test_only_approved_members_ask_questions(world, client, role, expected):
    """A pending company cannot submit anything: here, a clarification question."""
    from marketplace.scenarios.tables import Question
    from tests.accounts.helpers import post_form

    if role != "anonymous":
        await sign_in(client, world[role])
    response = await post_form(
        client,
        f"/scenarios/{world['open_x']}/questions",
        {"question": "数据接口是否提供测试环境？"},
        token_from="/password/forgot",
    )
    assert response.status_code == expected
    assert await Question.count() == (1 if role in ("member_a", "member_b") else 0)
    if role == "anonymous":
        assert response.headers["location"].startswith("/login")
