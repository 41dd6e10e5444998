"""Every page, for every role, at desktop (1366x900) and phone (390x844) width: axe-core finds no
serious or critical violation, the page never scrolls sideways on a phone (wide tables scroll
inside their own focusable region), the header stays folded behind its 菜单 button, and no page
answers a server error.

The pages come from the app's named GET routes (``page_walker.page_routes``); each role starts
from its own parameterless pages and follows the links it is shown, which fills the ids from the
demo data. Each role must reach every page listed for it below, and together the roles (plus the
few pages the demo data gives no way to reach, which test_a11y_rare_pages.py checks after
creating their data) must cover every page route: a new page fails
``test_every_page_route_belongs_to_a_role`` until it is listed.

On a finding the page is kept as ``test-results/every_page__<role>__<page>__<width>.png`` (and
``.html``). The file's name sorts it before the journeys, so the walk sees the demo data as
seeded (and the demo accounts' passwords); it only follows links (GET) and changes nothing but the
roles' sessions. It runs in the SQLite run only (tests/e2e/conftest.py).
"""

from __future__ import annotations

import json
import os
import re

import pytest
from playwright.sync_api import Page, expect

from marketplace.app import create_app
from tests.e2e import page_walker
from tests.e2e.page_walker import DESKTOP, Route

RESULTS_DIR = page_walker.REPO_ROOT / os.environ.get("TEST_RESULTS_DIR", "test-results")

PUBLIC = {"home", "scenarios:list", "scenarios:detail", "companies:list", "companies:detail", "statistics"}
SIGNED_IN = {"account", "account:notifications", "notifications:list"}
MEMBER_AREA = {
    "account:company",
    "member:home",
    "member:profile",
    "member:profile:items:new",
    "member:clarifications",
    "member:pilots",
    "member:results",
}

# Which pages each role must reach (route names). The e-mail address is a seeded demo account.
ROLES: dict[str, tuple[str | None, set[str]]] = {
    "visitor": (
        None,
        PUBLIC
        | {
            "login",
            "register",
            "password:forgot",
            "password:reset",
            "invitations:accept",
            "scenarios:invitation:register",
        },
    ),
    "pending": ("pending@example.com", PUBLIC | SIGNED_IN | MEMBER_AREA),
    "member": (
        "member@example.com",
        PUBLIC
        | SIGNED_IN
        | MEMBER_AREA
        | {
            "member:profile:items:edit",
            "member:proposals",
            "member:proposals:detail",
            "member:proposals:receipt",
            "member:proposals:version",
            "member:results:detail",
        },
    ),
    # staff@example.com is also one of the demo evaluators: the scoring pages are walked as well.
    "staff": (
        "staff@example.com",
        PUBLIC
        | SIGNED_IN
        | {
            "staff:home",
            "staff:scenarios:new",
            "staff:scenarios:detail",
            "staff:scenarios:amend",
            "staff:dashboard",
            "staff:evaluations",
            "staff:affiliations",
            "staff:matches",
            "staff:proposals",
            "staff:proposals:detail",
            "staff:evaluation",
            "staff:evaluation:conflicts",
            "staff:evaluation:score",
            "staff:evaluation:score:proposal",
            "staff:evaluation:report",
            "staff:decision",
            "staff:pilot",
        },
    ),
    "admin": (
        "admin@example.com",
        PUBLIC
        | SIGNED_IN
        | {
            "admin:dashboard",
            "admin:audit",
            "admin:companies",
            "admin:companies:detail",
            "admin:departments",
            "admin:departments:edit",
            "admin:staff",
            "admin:taxonomy",
            "admin:taxonomy:edit",
        },
    ),
}

# Pages the seeded demo data links to for no demo account, and who sees them:
# tests/e2e/test_a11y_rare_pages.py writes the state that shows each (a fresh department and
# fresh companies, after every other browser test) and checks them the same way as the walk.
RARE_PAGES = {
    "member:proposals:edit": "lead",  # a draft proposal
    "member:proposals:withdraw:confirm": "lead",  # a submitted proposal before its deadline
    "member:clarifications:detail": "lead",  # a clarification staff asked
    "member:pilots:detail": "lead",  # the pilot of its awarded proposal
    "member:invitations:detail": "partner",  # invited into the lead's consortium
    "account:email:confirm": "partner",  # the link mailed to a new e-mail address
    "staff:scenarios:edit": "staff",  # a draft scenario of the department
}

# More ways into a page than its links: each status of the catalog (one scenario page per
# status), paging, a search with highlights, a refused parameter, links that expired, no page.
VISITOR_EXTRA_STARTS = [
    *(
        f"/scenarios?status={status}"
        for status in (
            "open",
            "closed",
            "evaluating",
            "awarded",
            "piloting",
            "completed",
            "cancelled",
            "unsuccessful",
        )
    ),
    "/scenarios?page=2",
    "/scenarios?q=数字孪生",
    "/scenarios?deadline=someday",
    "/companies?page=2",
    "/companies?q=语音识别",
    "/password/reset/no-such-token",
    "/invitations/no-such-token",
    "/register/invited/no-such-token",
    "/no-such-page",
]


# How many URLs of a route each walk takes (see page_walker.default_limit). The visitor walks the
# public pages in every variant; signed-in roles see them with their own header and panels, once.
VISITOR_LIMITS = {"scenarios:detail": 8, "companies:detail": 2}
# Staff see every scenario of their department (a dozen, each status its own panels and links).
SIGNED_IN_LIMITS = {
    "staff:scenarios:detail": 12,
    "member:profile:items:new": 1,
    "member:profile:items:edit": 1,
}


def _limits(role: str):
    def limit(route: Route) -> int:
        if role == "visitor":
            return VISITOR_LIMITS.get(route.name, page_walker.default_limit(route))
        if route.name in PUBLIC:
            return 1
        return SIGNED_IN_LIMITS.get(route.name, page_walker.default_limit(route))

    return limit


@pytest.fixture(scope="module")
def routes() -> list[Route]:
    return page_walker.page_routes(create_app(use_pool=False))


def test_every_page_route_belongs_to_a_role(routes: list[Route]) -> None:
    names = {route.name for route in routes}
    assert len(names) > 50, "the page routes were not found"
    listed = set(RARE_PAGES).union(*(pages for _, pages in ROLES.values()))
    assert names - listed == set(), "pages no role walks: add them to ROLES (or RARE_PAGES)"
    assert listed - names == set(), "listed pages that are no longer routes"


def _starts(routes: list[Route], pages: set[str], role: str) -> list[str]:
    starts = [route.path for route in routes if route.name in pages and "{" not in route.path]
    return starts + (VISITOR_EXTRA_STARTS if role == "visitor" else [])


def _login(page: Page, email_address: str, password: str) -> None:
    page.goto("/login")
    page.locator("main").get_by_label("邮箱").fill(email_address)
    page.locator("main").get_by_label("密码").fill(password)
    page.locator("main").get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="退出")).to_be_visible()


def axe_context(browser, base_url: str):
    """A browser context at desktop width with axe-core added to every page."""
    context = browser.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport=DESKTOP, base_url=base_url
    )
    context.set_default_timeout(10_000)
    context.set_default_navigation_timeout(15_000)
    context.add_init_script(page_walker.axe_init_script())
    return context


def _keep(role: str):
    def keep(page: Page, url: str, width: int) -> None:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^A-Za-z0-9_.\-]+", "_", url).strip("_")[:120] or "home"
        name = f"every_page__{role}__{slug}__{width}"
        page.screenshot(path=str(RESULTS_DIR / f"{name}.png"), full_page=True)
        (RESULTS_DIR / f"{name}.html").write_text(page.content(), encoding="utf-8")

    return keep


@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_passes_axe_at_desktop_and_phone_width(browser, live_server, routes, role: str) -> None:
    email_address, pages = ROLES[role]
    context = axe_context(browser, live_server.url)
    try:
        page = context.new_page()
        if email_address:
            _login(page, email_address, (live_server.var_dir / "demo_password").read_text().strip())
        walk = page_walker.walk(
            page,
            live_server.url,
            routes,
            _starts(routes, pages, role),
            on_problem=_keep(role),
            limit=_limits(role),
        )
    finally:
        context.close()

    # What was walked, for the record: each page and its route, in test-results/.
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / f"every_page__{role}.json").write_text(
        json.dumps({"role": role, "pages": walk.visited}, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    assert walk.problems == [], "\n".join(walk.problems)
    assert walk.findings == [], (
        f"axe-core, serious or critical ({role}):\n{page_walker.describe(walk.findings)}"
    )
    assert pages - walk.route_names == set(), f"pages {role} did not reach (walked: {sorted(walk.visited)})"
