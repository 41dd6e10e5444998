"""Dashboard figures: the arithmetic on small tables, the staff dashboard on a known world (and
its department scoping), and the public statistics page that never counts what is not public."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from marketplace.core import clock
from marketplace.evaluation.dashboards import (
    count_by,
    median,
    public_statistics,
    sme_participation,
    staff_dashboard,
)
from marketplace.evaluation.tables import Pilot, ScenarioOutcome
from tests.accounts.helpers import make_user, sign_in
from tests.factories import make_company, make_department, make_proposal, make_scenario


@pytest.mark.parametrize(
    ("values", "expected"), [([], None), ([5], 5), ([3, 1, 2], 2), ([10, 20, 30, 40], 25)]
)
def test_median(values, expected):
    assert median(values) == expected


def test_count_by_lists_every_value_in_order_and_ignores_others():
    rows = [{"s": "open"}, {"s": "closed"}, {"s": "open"}, {"s": "weird"}]
    assert count_by(rows, "s", ("open", "closed", "awarded"), {"open": "征集中"}) == [
        {"key": "open", "label": "征集中", "count": 2},
        {"key": "closed", "label": "closed", "count": 1},
        {"key": "awarded", "label": "awarded", "count": 0},
    ]


def test_sme_participation():
    proposals = [
        {"lead_size": "sme", "members": []},  # SME lead
        {"lead_size": "large", "members": [{"company": 7, "size": "sme"}]},  # large brings SME 7
        {"lead_size": "large", "members": [{"company": 7, "size": "sme"}, {"company": 8, "size": "sme"}]},
        {"lead_size": "large", "members": [{"company": 9, "size": "large"}]},  # no SME
    ]
    assert sme_participation(proposals) == {
        "total": 4,
        "with_sme": 3,
        "share": 75.0,
        "smes_brought_by_large": 2,
        "large_leads_with_sme": 2,
    }
    assert sme_participation([])["share"] is None


async def _world() -> dict:
    now = clock.now()
    x = await make_department(name="数据局")
    y = await make_department(name="交通局")
    large = await make_company(name="大企业甲", size="large")
    large2 = await make_company(name="大企业乙", size="large")
    sme = await make_company(name="小企业丙", size="sme")
    sme2 = await make_company(name="小企业丁", size="sme")
    day = dt.timedelta(days=1)
    # Published award in X: opened 100 days ago, awarded 40 days ago (60 days), partner large + SME.
    awarded = await make_scenario(
        "piloting",
        department=x,
        title="已公布场景",
        domain="一网统管",
        opened_at=now - 100 * day,
        proposal_deadline=now - 70 * day,
        awarded_at=now - 40 * day,
        public_status="piloting",
        result_published_at=now - 30 * day,
    )
    won = await make_proposal(awarded, large, status="selected", members=[(sme, 40, "accepted")])
    await make_proposal(awarded, large2, status="not_selected")
    await make_proposal(awarded, sme2, status="withdrawn")  # withdrawn: not received
    await make_proposal(awarded, await make_company(size="sme"), status="draft")  # draft: not received
    await ScenarioOutcome.insert(
        ScenarioOutcome(
            scenario=awarded, result="awarded", selected_proposal=won, published_at=now - 30 * day
        )
    )
    await Pilot.insert(
        Pilot(scenario=awarded, proposal=won, status="completed", completed_at=now - day, outcome_note="成效")
    )
    # Internal award in X, not yet published: 20 days to award; must stay out of public figures.
    internal = await make_scenario(
        "awarded",
        department=x,
        title="内部已选定场景",
        domain="一网通办",
        opened_at=now - 50 * day,
        proposal_deadline=now - 35 * day,
        awarded_at=now - 30 * day,
        public_status="evaluating",
    )
    secret = await make_proposal(internal, sme2, status="selected")
    await make_proposal(internal, large2, status="not_selected", members=[(sme2, 20, "accepted")])
    await ScenarioOutcome.insert(
        ScenarioOutcome(scenario=internal, result="awarded", selected_proposal=secret)
    )
    # Sealed, open, deadline ahead in X: its proposals are counted by nobody.
    sealed = await make_scenario(
        "open",
        department=x,
        title="密封征集场景",
        domain="一网通办",
        sealed=True,
        opened_at=now - 5 * day,
        proposal_deadline=now + 10 * day,
        public_status="open",
    )
    await make_proposal(sealed, sme, status="submitted")
    # A draft in X and an evaluating scenario in Y.
    await make_scenario("draft", department=x, title="草稿场景")
    other = await make_scenario(
        "evaluating",
        department=y,
        title="交通局场景",
        domain="一网协同",
        opened_at=now - 60 * day,
        proposal_deadline=now - 20 * day,
        public_status="evaluating",
    )
    await make_proposal(other, large, status="under_review")
    return {
        "x": x,
        "y": y,
        "awarded": awarded,
        "internal": internal,
        "sealed": sealed,
        "other": other,
        "staff_x": await make_user("x@example.com", role="staff", department=x),
        "staff_y": await make_user("y@example.com", role="staff", department=y),
        "admin": await make_user("admin@example.com", role="admin"),
        "member": await make_user("m@example.com", company=large),
    }


async def test_staff_dashboard_figures_for_one_department(db):
    w = await _world()
    f = await staff_dashboard(w["x"])
    assert f.total_scenarios == 4
    assert {r["key"]: r["count"] for r in f.by_status} == {
        "draft": 1,
        "open": 1,
        "awarded": 1,
        "piloting": 1,
    }
    assert {r["key"]: r["count"] for r in f.by_domain} == {
        "一网通办": 3,
        "一网统管": 1,
        "一网提优": 0,
        "一网协同": 0,
    }
    assert {r.title: r.count for r in f.received} == {
        "已公布场景": 2,
        "内部已选定场景": 2,
        "密封征集场景": None,
    }
    assert sorted((r.title, r.days) for r in f.award_days) == [
        ("内部已选定场景", 20),
        ("已公布场景", 60),
    ]
    assert f.median_award_days == 40
    assert f.sme == {
        "total": 4,
        "with_sme": 3,
        "share": 75.0,
        "smes_brought_by_large": 2,
        "large_leads_with_sme": 2,
    }

    everything = await staff_dashboard(None)
    assert everything.total_scenarios == 5 and everything.sme["total"] == 5


async def test_staff_dashboard_page_is_scoped_to_the_department(db, client):
    w = await _world()
    await sign_in(client, w["staff_x"])
    page = await client.get("/staff/dashboard")
    assert page.status_code == 200
    assert "内部已选定场景" in page.text and "交通局场景" not in page.text and "密封至截止" in page.text
    await sign_in(client, w["staff_y"])
    page = await client.get("/staff/dashboard")
    assert "交通局场景" in page.text and "内部已选定场景" not in page.text and "已公布场景" not in page.text
    await sign_in(client, w["admin"])
    page = await client.get("/staff/dashboard")
    assert page.status_code == 200 and "交通局场景" in page.text and "内部已选定场景" in page.text
    await sign_in(client, w["member"])
    assert (await client.get("/staff/dashboard")).status_code == 403


async def test_public_statistics_count_only_published_results_and_proposals_after_deadline(db):
    await _world()
    f = await public_statistics()
    assert f.published_scenarios == 4  # the draft is not public
    assert {r["key"]: r["count"] for r in f.by_status} == {"open": 1, "evaluating": 2, "piloting": 1}
    # Received: the published award (2) and the internal one (2) and Y's (1) are past the deadline;
    # the sealed open scenario's proposal is not counted.
    assert f.received_total == 5 and f.closed_scenarios == 3
    assert [a.title for a in f.awards] == ["已公布场景"]
    assert [p.name for p in f.awards[0].partners] == ["大企业甲", "小企业丙"]
    assert f.sme_awards == 1 and f.sme_award_share == 100.0
    assert [p.scenario_title for p in f.completed_pilots] == ["已公布场景"]


async def test_public_statistics_page_renders_charts_data_and_tables_without_internal_names(db, client):
    await _world()
    page = await client.get("/statistics")
    assert page.status_code == 200
    html = page.text
    assert "内部已选定场景" not in html and "小企业丁" not in html  # the unpublished winner
    assert html.count("<canvas") == 4 and "/static/vendor/chart.js/dist/chart.umd.min.js" in html
    blocks = dict(re.findall(r'<script type="application/json" id="([^"]+)">(.*?)</script>', html, re.S))
    domain = json.loads(blocks["stat-domain-data"])
    assert domain["labels"] == ["一网通办", "一网统管", "一网提优", "一网协同"] and domain["datasets"][0][
        "data"
    ] == [2, 1, 0, 1]
    assert json.loads(blocks["stat-received-data"])["datasets"][0]["data"] == [2, 2, 0, 1]
    assert 'id="stat-awards-table"' in html and "大企业甲" in html and "小企业丙" in html
    assert (await client.get("/static/js/charts.js")).status_code == 200
    assert (await client.get("/static/vendor/chart.js/dist/chart.umd.min.js")).status_code == 200
