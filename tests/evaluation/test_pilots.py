"""Pilots after the award: who may start them and when, milestones from the proposal's timeline,
who may post updates and move milestones, and completion as public track record."""

from __future__ import annotations

import datetime as dt

import pytest

from marketplace.core import clock
from marketplace.evaluation.pilots import list_completed_pilots, milestones_from_timeline
from marketplace.evaluation.tables import Pilot, PilotMilestone, PilotUpdate, ScenarioOutcome
from marketplace.notifications.tables import Notification
from marketplace.proposals.tables import ProposalVersion
from marketplace.scenarios.tables import Scenario
from tests.accounts.helpers import make_user, post_form, sign_in
from tests.factories import make_company, make_department, make_proposal, make_scenario

pytestmark = pytest.mark.usefixtures("db")

TIMELINE_V1 = [{"title": "旧计划", "due": "2026-12-01", "deliverable": "旧交付物"}]
TIMELINE = [
    {"title": "需求调研与数据对接", "due": "2027-01-15", "deliverable": "调研报告和数据接口清单"},
    {"title": "模型训练与联调", "due": "2027-03-31", "deliverable": "测试环境可用的系统"},
    {"title": "试运行与验收", "due": "2027-06-30", "deliverable": "试运行报告"},
]


async def _world(*, published: bool = True) -> dict:
    dept = await make_department(name="数据局")
    other_dept = await make_department(name="交通局")
    lead = await make_company(name="澄云计算科技有限公司", size="large")
    sme = await make_company(name="安巡应急科技有限公司", size="sme")
    invited_only = await make_company(name="未接受邀请公司", size="sme")
    outsider = await make_company(name="其他公司", size="large")
    now = clock.now()
    scenario = await make_scenario(
        "awarded",
        department=dept,
        title="网格事件智能分拨",
        opened_at=now - dt.timedelta(days=90),
        proposal_deadline=now - dt.timedelta(days=40),
        awarded_at=now - dt.timedelta(days=5),
        public_status="awarded" if published else "evaluating",
        result_published_at=now - dt.timedelta(days=2) if published else None,
    )
    proposal = await make_proposal(
        scenario,
        lead,
        status="selected",
        timeline=TIMELINE_V1,
        outcome_published=published,
        members=[(sme, 30, "accepted"), (invited_only, 10, "declined")],
    )
    for version, timeline in ((1, TIMELINE_V1), (2, TIMELINE)):
        await ProposalVersion.insert(
            ProposalVersion(
                proposal=proposal,
                version=version,
                content_hash="x" * 64,
                content={"summary": "方案", "timeline": timeline},
            )
        )
    await ScenarioOutcome.insert(
        ScenarioOutcome(
            scenario=scenario,
            result="awarded",
            selected_proposal=proposal,
            published_at=now - dt.timedelta(days=2) if published else None,
        )
    )
    return {
        "scenario": scenario,
        "proposal": proposal,
        "lead": lead,
        "sme": sme,
        "staff": await make_user("staff@example.com", role="staff", department=dept),
        "other_staff": await make_user("other@example.com", role="staff", department=other_dept),
        "lead_user": await make_user("lead@example.com", company=lead),
        "sme_user": await make_user("sme@example.com", company=sme),
        "declined_user": await make_user("declined@example.com", company=invited_only),
        "outsider": await make_user("out@example.com", company=outsider),
        "admin": await make_user("admin@example.com", role="admin"),
    }


async def _start(client, w) -> int:
    await sign_in(client, w["staff"])
    response = await post_form(client, f"/staff/scenarios/{w['scenario']}/pilot/start", {})
    assert response.status_code == 303, response.text
    return (await Pilot.select(Pilot.id).where(Pilot.scenario == w["scenario"]).first())["id"]


def test_milestones_from_timeline_keeps_order_and_skips_untitled_items():
    rows = milestones_from_timeline(
        [
            {"title": " 调研 ", "due": "2027-01-15", "deliverable": "报告"},
            {"title": "", "due": "2027-02-01"},
            {"title": "验收", "due": "不是日期"},
            "garbage",
        ]
    )
    assert rows == [
        {"title": "调研", "due_date": dt.date(2027, 1, 15), "note": "报告"},
        {"title": "验收", "due_date": None, "note": ""},
    ]


async def test_staff_start_the_pilot_with_milestones_from_the_latest_submitted_version(client):
    w = await _world()
    await sign_in(client, w["staff"])
    page = await client.get(f"/staff/scenarios/{w['scenario']}/pilot")
    assert page.status_code == 200 and "启动试点" in page.text and "安巡应急科技有限公司" in page.text

    pilot_id = await _start(client, w)

    milestones = (
        await PilotMilestone.select()
        .where(PilotMilestone.pilot == pilot_id)
        .order_by(PilotMilestone.position)
    )
    assert [(m["title"], m["due_date"], m["note"], m["status"]) for m in milestones] == [
        ("需求调研与数据对接", dt.date(2027, 1, 15), "调研报告和数据接口清单", "planned"),
        ("模型训练与联调", dt.date(2027, 3, 31), "测试环境可用的系统", "planned"),
        ("试运行与验收", dt.date(2027, 6, 30), "试运行报告", "planned"),
    ]
    scenario = (
        await Scenario.select(Scenario.status, Scenario.public_status)
        .where(Scenario.id == w["scenario"])
        .first()
    )
    assert scenario == {"status": "piloting", "public_status": "piloting"}
    page = await client.get(f"/staff/scenarios/{w['scenario']}/pilot?done=started")
    assert "试点已启动" in page.text and "模型训练与联调" in page.text

    # The partner companies' members are told (the lead and the accepted member; nobody else).
    told = {
        n["user"]
        for n in await Notification.select(Notification.user).where(Notification.kind == "pilot_started")
    }
    assert told == {w["lead_user"], w["sme_user"]}

    again = await post_form(client, f"/staff/scenarios/{w['scenario']}/pilot/start", {})
    assert again.status_code == 409 and "试点已经启动" in again.text
    assert await Pilot.count().where(Pilot.scenario == w["scenario"]) == 1


async def test_without_a_version_the_milestones_come_from_the_proposal_timeline(client):
    w = await _world()
    await ProposalVersion.delete().where(ProposalVersion.proposal == w["proposal"])
    pilot_id = await _start(client, w)
    titles = [
        m["title"]
        for m in await PilotMilestone.select(PilotMilestone.title).where(PilotMilestone.pilot == pilot_id)
    ]
    assert titles == ["旧计划"]


async def test_no_pilot_before_the_award_is_published(client):
    w = await _world(published=False)
    await sign_in(client, w["staff"])
    page = await client.get(f"/staff/scenarios/{w['scenario']}/pilot")
    assert "评审结果公布后才能启动试点" in page.text
    response = await post_form(client, f"/staff/scenarios/{w['scenario']}/pilot/start", {})
    assert response.status_code == 409 and "评审结果公布后才能启动试点" in response.text
    assert await Pilot.count() == 0
    assert (await Scenario.select(Scenario.status).where(Scenario.id == w["scenario"]).first())[
        "status"
    ] == "awarded"
    # Nor on the public page: nothing about the pilot or the partner while unpublished.
    public = await client.get(f"/scenarios/{w['scenario']}")
    assert "试点进展" not in public.text


async def test_no_pilot_on_a_scenario_that_is_not_awarded(client):
    w = await _world()
    await Scenario.update({Scenario.status: "shortlisted"}).where(Scenario.id == w["scenario"])
    await sign_in(client, w["staff"])
    response = await post_form(client, f"/staff/scenarios/{w['scenario']}/pilot/start", {})
    assert response.status_code == 409 and "已选定合作伙伴" in response.text
    assert await Pilot.count() == 0


async def test_other_departments_neither_see_nor_start_the_pilot(client):
    w = await _world()
    await sign_in(client, w["other_staff"])
    assert (await client.get(f"/staff/scenarios/{w['scenario']}/pilot")).status_code == 404
    response = await post_form(client, f"/staff/scenarios/{w['scenario']}/pilot/start", {})
    assert response.status_code == 404
    assert await Pilot.count() == 0


async def test_partner_members_post_updates_and_move_milestones(client):
    w = await _world()
    pilot_id = await _start(client, w)
    first = (
        await PilotMilestone.select(PilotMilestone.id)
        .where(PilotMilestone.pilot == pilot_id)
        .order_by(PilotMilestone.position)
        .first()
    )["id"]

    for user, note in ((w["lead_user"], "已完成数据接口联调"), (w["sme_user"], "现场标注人员已到位")):
        await sign_in(client, user)
        listing = await client.get("/member/pilots")
        assert listing.status_code == 200 and "网格事件智能分拨" in listing.text
        response = await post_form(
            client, f"/member/pilots/{pilot_id}/updates", {"note": note, "milestone": str(first)}
        )
        assert response.status_code == 303
        page = await client.get(f"/member/pilots/{pilot_id}")
        assert note in page.text

    response = await post_form(
        client, f"/member/pilots/{pilot_id}/milestones/{first}", {"status": "done", "note": "调研报告已提交"}
    )
    assert response.status_code == 303
    milestone = (
        await PilotMilestone.select(PilotMilestone.status, PilotMilestone.completed_at)
        .where(PilotMilestone.id == first)
        .first()
    )
    assert milestone["status"] == "done" and milestone["completed_at"] is not None
    notes = [
        u["note"] for u in await PilotUpdate.select(PilotUpdate.note).where(PilotUpdate.pilot == pilot_id)
    ]
    assert "里程碑「需求调研与数据对接」状态：未开始 → 已完成。调研报告已提交" in notes

    bad = await post_form(client, f"/member/pilots/{pilot_id}/milestones/{first}", {"status": "finished"})
    assert bad.status_code == 400 and "请选择里程碑状态" in bad.text
    empty = await post_form(client, f"/member/pilots/{pilot_id}/updates", {"note": "   "})
    assert empty.status_code == 400 and "请填写进展说明" in empty.text
    assert await PilotUpdate.count().where(PilotUpdate.pilot == pilot_id) == 3


async def test_other_members_and_other_departments_may_not_post(client):
    w = await _world()
    pilot_id = await _start(client, w)
    first = (await PilotMilestone.select(PilotMilestone.id).where(PilotMilestone.pilot == pilot_id).first())[
        "id"
    ]
    for user in (w["outsider"], w["declined_user"]):
        await sign_in(client, user)
        assert (await client.get(f"/member/pilots/{pilot_id}")).status_code == 404
        assert "网格事件智能分拨" not in (await client.get("/member/pilots")).text
        assert (
            await post_form(client, f"/member/pilots/{pilot_id}/updates", {"note": "冒充进展"})
        ).status_code == 404
        assert (
            await post_form(client, f"/member/pilots/{pilot_id}/milestones/{first}", {"status": "done"})
        ).status_code == 404
    await sign_in(client, w["other_staff"])
    assert (
        await post_form(client, f"/staff/scenarios/{w['scenario']}/pilot/updates", {"note": "冒充"})
    ).status_code == 404
    assert (
        await post_form(client, f"/staff/scenarios/{w['scenario']}/pilot/complete", {"outcome_note": "冒充"})
    ).status_code == 404
    assert await PilotUpdate.count() == 0
    assert (await PilotMilestone.select(PilotMilestone.status).where(PilotMilestone.id == first).first())[
        "status"
    ] == "planned"


async def test_partners_cannot_complete_the_pilot(client):
    w = await _world()
    pilot_id = await _start(client, w)
    await sign_in(client, w["lead_user"])
    response = await post_form(
        client, f"/staff/scenarios/{w['scenario']}/pilot/complete", {"outcome_note": "自称完成"}
    )
    assert response.status_code == 403
    assert (await Pilot.select(Pilot.status).where(Pilot.id == pilot_id).first())["status"] == "active"


async def test_completion_closes_the_scenario_and_becomes_public_track_record(client):
    w = await _world()
    pilot_id = await _start(client, w)
    await post_form(client, f"/staff/scenarios/{w['scenario']}/pilot/updates", {"note": "试运行第一周平稳"})

    empty = await post_form(client, f"/staff/scenarios/{w['scenario']}/pilot/complete", {"outcome_note": ""})
    assert empty.status_code == 400 and "请填写试点成效说明" in empty.text

    note = "试点期间分拨准确率达到92%，平均分拨时间从2小时缩短到8分钟。"
    response = await post_form(
        client, f"/staff/scenarios/{w['scenario']}/pilot/complete", {"outcome_note": note}
    )
    assert response.status_code == 303
    pilot = (
        await Pilot.select(Pilot.status, Pilot.outcome_note, Pilot.completed_at)
        .where(Pilot.id == pilot_id)
        .first()
    )
    assert pilot["status"] == "completed" and pilot["outcome_note"] == note and pilot["completed_at"]
    scenario = (
        await Scenario.select(Scenario.status, Scenario.public_status)
        .where(Scenario.id == w["scenario"])
        .first()
    )
    assert scenario == {"status": "completed", "public_status": "completed"}

    told = {
        n["user"]
        for n in await Notification.select(Notification.user).where(Notification.kind == "pilot_completed")
    }
    assert told == {w["lead_user"], w["sme_user"]}

    # Over: no more updates.
    late = await post_form(client, f"/staff/scenarios/{w['scenario']}/pilot/updates", {"note": "补充"})
    assert late.status_code == 409

    # The public scenario page shows the milestones and the outcome, not the internal updates.
    public = await client.get(f"/scenarios/{w['scenario']}")
    assert "试点进展" in public.text and note in public.text and "模型训练与联调" in public.text
    assert "试运行第一周平稳" not in public.text

    # Track record of both partners (lead and accepted member), not of the company that declined.
    lead_record = await list_completed_pilots(w["lead"])
    assert [(r.scenario_title, r.role, r.outcome_note) for r in lead_record] == [
        ("网格事件智能分拨", "牵头单位", note)
    ]
    assert [r.role for r in await list_completed_pilots(w["sme"])] == ["联合体成员"]

    # ... and on the public company pages.
    for company, role in ((w["lead"], "牵头单位"), (w["sme"], "联合体成员")):
        profile = await client.get(f"/companies/{company}")
        assert profile.status_code == 200
        assert "已完成的试点" in profile.text and "网格事件智能分拨" in profile.text and role in profile.text

    # Matching counts the completed scenario as the partners' track record.
    from marketplace.matching.services import load_matching_data

    companies = {c.id: c for c in (await load_matching_data()).companies}
    assert [(a.scenario_id, a.status, a.role) for a in companies[w["lead"]].awards] == [
        (w["scenario"], "completed", "lead")
    ]
    assert [a.role for a in companies[w["sme"]].awards] == ["member"]
