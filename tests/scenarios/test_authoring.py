"""Writing drafts: the form's parsing and rules, the writing checks that guide staff, capability
suggestions from the text, and who may create and edit which scenario."""

from __future__ import annotations

import datetime as dt

import pytest

from marketplace.core.audit import Actor
from marketplace.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from marketplace.core.tables import AuditEvent, Outbox
from marketplace.scenarios import forms as sf
from marketplace.scenarios import publishing
from marketplace.scenarios.suggest import suggest_capabilities
from marketplace.scenarios.tables import Scenario, ScenarioCapability, ScenarioCriterion
from tests.scenarios.helpers import NOW, complete_input, make_world


def _form(w, **changes) -> dict[str, str]:
    form = sf.form_values(complete_input(w))
    form.update(changes)
    return form


# --- the form ---------------------------------------------------------------------------------


async def test_form_round_trips_a_complete_scenario(db):
    w = await make_world()
    data = complete_input(w)
    parsed = sf.parse_scenario_form(sf.form_values(data))
    assert parsed == data
    form = sf.form_values(data)
    assert form["budget_min"] == "30" and form["budget_max"] == "50"  # 万元
    assert form["proposal_deadline"] == "2026-12-21T10:00"  # park time


async def test_form_reports_every_bad_field_at_once(db):
    w = await make_world()
    form = _form(
        w,
        title="",
        domain="一网乱管",
        budget_min="三十",
        budget_max="10",
        pilot_months="0",
        question_deadline="2026-13-40",
        proposal_deadline="2026-11-01T10:00",
        capability_0=str(w.cap_video),
        capability_weight_0="150",
        capability_1="",
        capability_weight_1="20",
        criterion_name_0="",
        criterion_weight_0="60",
    )
    with pytest.raises(ValidationFailed) as info:
        sf.parse_scenario_form(form)
    errors = info.value.errors
    assert set(errors) >= {
        "title",
        "domain",
        "budget_min",
        "pilot_months",
        "question_deadline",
        "proposal_deadline",
        "capability_weight_0",
        "capability_1",
        "criterion_name_0",
    }
    assert errors["proposal_deadline"] == "方案截止时间必须晚于现在。"
    assert "1 到 100" in errors["capability_weight_0"]


async def test_weights_must_add_up_to_100(db):
    w = await make_world()
    with pytest.raises(ValidationFailed) as info:
        sf.parse_scenario_form(_form(w, capability_weight_0="50", criterion_weight_1="30"))
    assert info.value.errors["capabilities"] == "所需能力的权重之和必须为 100，现在是 80。"
    assert info.value.errors["criteria"] == "评审标准的权重之和必须为 100，现在是 90。"


async def test_deadlines_must_be_in_order_and_budget_too(db):
    w = await make_world()
    with pytest.raises(ValidationFailed) as info:
        sf.parse_scenario_form(_form(w, question_deadline="2026-12-30T10:00", budget_min="60"))
    assert info.value.errors == {
        "question_deadline": "答疑截止时间不能晚于方案截止时间。",
        "budget_max": "预算上限不能低于下限。",
    }


async def test_duplicate_capability_and_unknown_capability_are_refused(db):
    w = await make_world()
    with pytest.raises(ValidationFailed) as info:
        sf.parse_scenario_form(
            _form(w, capability_1=str(w.cap_video)), known_capabilities={w.cap_video, w.cap_asr}
        )
    assert info.value.errors["capability_1"] == "这项能力已经选过了。"
    with pytest.raises(ValidationFailed) as info:
        sf.parse_scenario_form(_form(w, capability_1="999999"), known_capabilities={w.cap_video, w.cap_asr})
    assert info.value.errors["capability_1"] == "请从能力分类中选择。"


async def test_writing_checks_guide_towards_a_problem_not_a_solution(db):
    w = await make_world()
    assert all(c.ok for c in sf.writing_checks(complete_input(w)))
    data = complete_input(
        w,
        description="建设一套河道漂浮物智能识别系统，部署 AI 摄像头，实现自动告警与派单。",
        expected_outcome="提升巡河效率。",
        budget_min=None,
        budget_max=None,
    )
    failing = {c.label: c for c in sf.writing_checks(data) if not c.ok}
    assert set(failing) == {"描述问题而不是方案", "可衡量的指标", "预算范围"}
    assert "建设一套" in failing["描述问题而不是方案"].message
    assert not any(c.blocking for c in failing.values())  # advice only
    empty = sf.writing_checks(sf.ScenarioInput(title="只有标题", domain="一网通办"))
    blocking = [c.label for c in empty if c.blocking and not c.ok]
    assert blocking == [
        "问题描述",
        "预期成效",
        "服务对象",
        "数据与资源",
        "试点周期",
        "所需能力",
        "评审标准",
        "方案截止时间",
        "答疑截止时间",
    ]


async def test_suggestions_come_from_the_text(db):
    w = await make_world()
    found = await suggest_capabilities(
        "需要对河道视频进行视频识别，并用区块链存证处置记录。视频识别要支持夜间。"
    )
    assert [s.id for s in found] == [w.cap_video, w.cap_chain]
    assert found[0].matched == "视频识别" and found[0].hits == 2 and found[0].group == "人工智能"
    assert await suggest_capabilities("视频识别", exclude={w.cap_video}) == []
    assert [s.id for s in await suggest_capabilities("支持 ASR 转写")] == [w.cap_asr]
    assert await suggest_capabilities("basrelief") == []  # English words match whole words only


# --- drafts -----------------------------------------------------------------------------------


async def test_staff_creates_a_draft_in_their_department(db):
    w = await make_world()
    sid = await publishing.create_scenario_draft(w.actor(w.author), complete_input(w))
    row = await Scenario.select().where(Scenario.id == sid).first()
    assert row["department"] == w.dept_x and row["created_by"] == w.author and row["status"] == "draft"
    assert row["public_status"] is None and row["budget_min"] == 300_000
    assert await ScenarioCapability.count().where(ScenarioCapability.scenario == sid) == 2
    assert await ScenarioCriterion.count().where(ScenarioCriterion.scenario == sid) == 2
    assert await publishing.load_scenario_input(sid) == complete_input(w)
    event = await AuditEvent.select().where(AuditEvent.entity_id == sid).first()
    assert event["action"] == "scenario.create"
    assert await Outbox.count().where(Outbox.entity_id == sid) == 1


async def test_a_draft_may_be_incomplete_but_never_break_the_rules(db):
    w = await make_world()
    sid = await publishing.create_scenario_draft(
        w.actor(w.author), sf.ScenarioInput(title="草稿", domain="一网通办")
    )
    assert (await Scenario.select(Scenario.status).where(Scenario.id == sid).first())["status"] == "draft"
    with pytest.raises(ValidationFailed):
        await publishing.create_scenario_draft(
            w.actor(w.author), complete_input(w, capabilities=((w.cap_video, 10),))
        )


async def test_only_staff_write_drafts(db):
    w = await make_world()
    for user in (w.member_a, w.admin):
        with pytest.raises(NotAllowed):
            await publishing.create_scenario_draft(Actor(user_id=user), complete_input(w))
    with pytest.raises(NotAllowed):
        await publishing.create_scenario_draft(Actor(), complete_input(w))


async def test_colleagues_edit_a_draft_and_the_edit_is_audited(db):
    w = await make_world()
    sid = await publishing.create_scenario_draft(w.actor(w.author), complete_input(w))
    changed = await publishing.update_scenario_draft(
        sid, w.actor(w.colleague), complete_input(w, title="河道漂浮物发现慢", pilot_months=8)
    )
    assert changed == ["title", "pilot_months"]
    event = (
        await AuditEvent.select().where(AuditEvent.action == "scenario.edit").output(load_json=True).first()
    )
    assert event["before"] == {"title": "河道漂浮物发现慢、处置滞后", "pilot_months": 6}
    assert event["after"] == {"title": "河道漂浮物发现慢", "pilot_months": 8}
    assert (
        await publishing.update_scenario_draft(
            sid, w.actor(w.colleague), complete_input(w, title="河道漂浮物发现慢", pilot_months=8)
        )
        == []
    )


async def test_staff_of_another_department_cannot_see_or_edit(db):
    w = await make_world()
    sid = await publishing.create_scenario_draft(w.actor(w.author), complete_input(w))
    with pytest.raises(NotFound):
        await publishing.update_scenario_draft(sid, w.actor(w.staff_y), complete_input(w))
    with pytest.raises(NotFound):
        await publishing.get_staff_scenario(sid, w.actor(w.cdo_y))


async def test_editing_an_open_scenario_without_an_amendment_is_refused(db):
    w = await make_world()
    sid = await publishing.create_scenario_draft(w.actor(w.author), complete_input(w))
    await publishing.submit_for_review(sid, w.actor(w.author))
    with pytest.raises(Conflict, match="不能编辑"):
        await publishing.update_scenario_draft(sid, w.actor(w.author), complete_input(w, title="改标题"))
    await publishing.approve_scenario_for_publication(sid, w.actor(w.cdo_x))
    with pytest.raises(Conflict, match="请发布变更公告"):
        await publishing.update_scenario_draft(sid, w.actor(w.author), complete_input(w, title="改标题"))
    row = await Scenario.select(Scenario.title).where(Scenario.id == sid).first()
    assert row["title"] == "河道漂浮物发现慢、处置滞后"


async def test_local_datetimes_are_park_time():
    value = sf.parse_local_datetime("2026-12-21T17:00")
    assert value == dt.datetime(2026, 12, 21, 9, 0, tzinfo=dt.UTC)
    assert sf.local_datetime_value(value) == "2026-12-21T17:00"
    assert sf.local_datetime_value(NOW) == "2026-12-01T10:00"
