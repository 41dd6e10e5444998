"""The pages the demo data gives no way to reach (``RARE_PAGES`` of
tests/e2e/test_a11y_every_page.py), checked like every other page: axe-core finds no serious or
critical violation at desktop (1366x900) and phone (390x844) width, the page does not scroll
sideways on a phone, the header stays folded and its 菜单 button opens the menu.

The state that shows them is written into the live server's database first, by a separate
process through the factories and the app's own services (the evaluation and the pilot are
started, the clarification is asked by staff): a department of its own with a fresh staff
member, and two fresh approved companies with a manager each. The lead company has a draft
proposal with the second company invited into its consortium, a submitted proposal it may still
withdraw, a proposal under evaluation that staff asked a clarification about, and the awarded
proposal of a scenario whose pilot runs; the department has a draft scenario; the second
company's manager asked to change its e-mail address (the confirmation link's page). Nothing here uses a
demo account, and tests/e2e/conftest.py runs this file after every other browser test, so no
walk or journey sees these rows. SQLite run only, like the walk.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from playwright.sync_api import Page

from tests.e2e import page_walker
from tests.e2e.conftest import REPO_ROOT
from tests.e2e.page_walker import Route
from tests.e2e.test_a11y_every_page import RARE_PAGES, _keep, _login, axe_context, routes  # noqa: F401

SETUP = r"""
import asyncio, datetime as dt, json
import piccolo_conf  # noqa: F401  (the engine from DATABASE_URL)
from urllib.parse import urlsplit
from marketplace.accounts.services import request_email_change
from marketplace.core import clock
from marketplace.core.audit import Actor
from marketplace.evaluation.assignments import start_evaluation
from marketplace.evaluation.eligibility import request_clarification
from marketplace.evaluation.pilots import start_pilot
from marketplace.evaluation.tables import ProposalReview, ScenarioOutcome
from marketplace.proposals.tables import ProposalVersion
from tests.accounts.helpers import PASSWORD, make_user
from tests.evaluation.helpers import insert_submitted_proposal
from tests.factories import make_company, make_department, make_proposal, make_scenario

TIMELINE = [{"title": "需求调研", "due": "2027-01-15", "deliverable": "调研报告"},
            {"title": "试运行与验收", "due": "2027-06-30", "deliverable": "试运行报告"}]

async def main():
    now = clock.now()
    dept = await make_department(key="a11y-rare", name="无障碍抽查局")
    staff = await make_user("a11y-staff@example.com", role="staff", department=dept,
                            is_evaluator=True, display_name="抽查主管")
    lead = await make_company(name="抽查牵头科技有限公司", size="large")
    partner = await make_company(name="抽查伙伴智能有限公司", size="sme")
    await make_user("a11y-lead@example.com", company=lead, is_company_manager=True, display_name="牵头经理")
    partner_manager = await make_user("a11y-partner@example.com", company=partner, is_company_manager=True,
                    display_name="伙伴经理")
    as_staff = Actor(user_id=staff, label="抽查主管", role="staff")

    def open_scenario(title):
        return make_scenario("open", department=dept, title=title, opened_at=now - dt.timedelta(days=3),
                             proposal_deadline=now + dt.timedelta(days=20), public_status="open")

    # A draft with the partner invited, and a submitted proposal before its deadline.
    draft = await make_proposal(await open_scenario("抽查：草稿方案场景"), lead, timeline=TIMELINE,
                                lead_share=70, members=[(partner, 30, "invited")])
    submitted = await make_proposal(await open_scenario("抽查：可撤回方案场景"), lead, status="submitted")

    # A closed scenario under evaluation: staff ask the lead a clarification.
    closed = await make_scenario("closed", department=dept, title="抽查：澄清场景",
                                 opened_at=now - dt.timedelta(days=30),
                                 proposal_deadline=now - dt.timedelta(days=1),
                                 closed_at=now - dt.timedelta(days=1), public_status="closed")
    asked = await insert_submitted_proposal(closed, lead, "抽查：待澄清方案")
    await start_evaluation(closed, [staff], as_staff)
    await request_clarification(asked, "请补充近三年同类项目的验收报告。", now + dt.timedelta(days=5), as_staff)
    review = await ProposalReview.select(ProposalReview.id).where(ProposalReview.proposal == asked).first()

    # An awarded scenario with its result published: staff start the pilot.
    awarded = await make_scenario("awarded", department=dept, title="抽查：试点场景",
                                  opened_at=now - dt.timedelta(days=90),
                                  proposal_deadline=now - dt.timedelta(days=40),
                                  awarded_at=now - dt.timedelta(days=5), public_status="awarded",
                                  result_published_at=now - dt.timedelta(days=2))
    selected = await make_proposal(awarded, lead, status="selected", timeline=TIMELINE, outcome_published=True,
                                   lead_share=80, members=[(partner, 20, "accepted")])
    await ProposalVersion.insert(ProposalVersion(proposal=selected, version=1, content_hash="x" * 64,
                                                 content={"summary": "方案", "timeline": TIMELINE}))
    await ScenarioOutcome.insert(ScenarioOutcome(scenario=awarded, result="awarded", selected_proposal=selected,
                                                 published_at=now - dt.timedelta(days=2)))
    pilot = await start_pilot(awarded, as_staff)

    # The partner's manager asked to change its e-mail: the page the mailed link opens.
    link = await request_email_change(partner_manager, password=PASSWORD, new_email="a11y-new@example.com",
                                      actor=Actor(user_id=partner_manager, label="伙伴经理", role="user"))

    editable = await make_scenario("draft", department=dept, title="抽查：待编辑场景",
                                   summary="草稿场景，尚未提交审核。")
    print(json.dumps({
        "password": PASSWORD,
        "member:proposals:edit": f"/member/proposals/{draft}/edit",
        "member:proposals:withdraw:confirm": f"/member/proposals/{submitted}/withdraw",
        "member:clarifications:detail": f"/member/clarifications/{review['id']}",
        "member:pilots:detail": f"/member/pilots/{pilot}",
        "member:invitations:detail": f"/member/invitations/{draft}",
        "account:email:confirm": urlsplit(link).path,
        "staff:scenarios:edit": f"/staff/scenarios/{editable}/edit",
    }))

asyncio.run(main())
"""

# The accounts the setup creates, by the name RARE_PAGES gives them.
ACCOUNTS = {
    "lead": "a11y-lead@example.com",  # manager of the lead company
    "partner": "a11y-partner@example.com",  # manager of the invited company
    "staff": "a11y-staff@example.com",  # staff (and evaluator) of the department
}


@pytest.fixture(scope="module")
def world(live_server) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", SETUP],
        env=live_server.env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_setup_makes_every_rare_page(world: dict) -> None:
    assert set(RARE_PAGES) <= set(world) and set(RARE_PAGES.values()) == set(ACCOUNTS)


@pytest.mark.parametrize("who", list(ACCOUNTS))
def test_rare_pages_pass_axe_at_desktop_and_phone_width(
    browser, live_server, routes: list[Route], world: dict, who: str
) -> None:
    names = [name for name, seen_by in RARE_PAGES.items() if seen_by == who]
    urls = [world[name] for name in names]
    context = axe_context(browser, live_server.url)
    try:
        page: Page = context.new_page()
        _login(page, ACCOUNTS[who], world["password"])
        # No link is followed (a limit of 0 per route): only these pages are walked.
        walk = page_walker.walk(
            page, live_server.url, routes, urls, on_problem=_keep(f"rare_{who}"), limit=lambda _: 0
        )
    finally:
        context.close()

    # Each URL answered its own page (not a redirect to another one, not an error page).
    assert [walk.visited[url] for url in urls] == names
    assert walk.problems == [], "\n".join(walk.problems)
    assert walk.findings == [], (
        f"axe-core, serious or critical ({who}):\n{page_walker.describe(walk.findings)}"
    )
