"""A small world for the publishing tests: two departments with their staff and CDOs, a
taxonomy, approved and pending member companies, and a complete scenario draft."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from marketplace.accounts.tables import User
from marketplace.companies.tables import CompanyCapability
from marketplace.core import clock
from marketplace.core.audit import Actor
from marketplace.scenarios.forms import CriterionInput, ScenarioInput
from tests.accounts.helpers import make_user
from tests.factories import make_capability, make_company, make_department

NOW = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)  # 10:00 in the park


@dataclass
class World:
    dept_x: int
    dept_y: int
    group: int
    cap_video: int
    cap_asr: int
    cap_chain: int
    company_a: int  # approved, declares video analysis
    company_b: int  # approved, declares blockchain only
    company_p: int  # pending
    author: int  # staff of X, not CDO
    colleague: int  # staff of X, not CDO
    cdo_x: int
    staff_y: int
    cdo_y: int
    member_a: int
    member_a2: int
    member_b: int
    pending: int
    admin: int

    def actor(self, user_id: int) -> Actor:
        return Actor(user_id=user_id, label=f"user{user_id}", role="staff")


async def make_world() -> World:
    clock.set_now(NOW)
    dept_x = await make_department(key="dept-water", name="园区水务局", cdo_name="李华")
    dept_y = await make_department(key="dept-traffic", name="园区交通局")
    group = await make_capability(key="grp-ai", name="人工智能")
    cap_video = await make_capability(
        parent=group,
        key="cap-video",
        name="视频分析",
        name_en="Video analytics",
        synonyms=["视频识别", "视频智能分析"],
    )
    cap_asr = await make_capability(
        parent=group, key="cap-asr", name="语音识别", name_en="ASR", synonyms=["智能语音"]
    )
    cap_chain = await make_capability(parent=group, key="cap-chain", name="区块链存证", synonyms=["区块链"])
    company_a = await make_company(name="甲视觉科技有限公司", status="approved")
    company_b = await make_company(name="乙链数据有限公司", status="approved")
    company_p = await make_company(name="丙待审公司", status="pending")
    await CompanyCapability.insert(
        CompanyCapability(company=company_a, capability=cap_video),
        CompanyCapability(company=company_b, capability=cap_chain),
    )
    return World(
        dept_x=dept_x,
        dept_y=dept_y,
        group=group,
        cap_video=cap_video,
        cap_asr=cap_asr,
        cap_chain=cap_chain,
        company_a=company_a,
        company_b=company_b,
        company_p=company_p,
        author=await make_user("author@example.com", role="staff", department=dept_x, display_name="王磊"),
        colleague=await make_user("colleague@example.com", role="staff", department=dept_x),
        cdo_x=await make_user("cdo@example.com", role="staff", department=dept_x, is_cdo=True),
        staff_y=await make_user("y@example.com", role="staff", department=dept_y),
        cdo_y=await make_user("cdo-y@example.com", role="staff", department=dept_y, is_cdo=True),
        member_a=await make_user("a@example.com", company=company_a, is_company_manager=True),
        member_a2=await make_user("a2@example.com", company=company_a),
        member_b=await make_user("b@example.com", company=company_b, is_company_manager=True),
        pending=await make_user("p@example.com", company=company_p, is_company_manager=True),
        admin=await make_user("admin@example.com", role="admin"),
    )


def complete_input(w: World, **changes) -> ScenarioInput:
    """A scenario that passes every blocking writing check."""
    data = ScenarioInput(
        title="河道漂浮物发现慢、处置滞后",
        summary="河道漂浮物靠人工巡河发现，平均两小时后才处置。",
        domain="一网统管",
        description="园区 120 公里河道目前依靠人工巡河发现漂浮物，巡查频次低，夜间和雨天基本无法覆盖，"
        "从出现到处置平均需要两小时，群众投诉较多。需要视频识别类能力。",
        expected_outcome="漂浮物发现时间缩短到 10 分钟以内，识别准确率不低于 90%。",
        target_users="河长办巡河人员约 40 人、河道保洁公司调度员。",
        data_offered="河道视频监控 120 路（脱敏录像样本）。",
        resources_offered="两段试点河段和机房。",
        budget_min=300_000,
        budget_max=500_000,
        pilot_months=6,
        question_deadline=NOW + dt.timedelta(days=10),
        proposal_deadline=NOW + dt.timedelta(days=20),
        sealed=False,
        capabilities=((w.cap_video, 70), (w.cap_asr, 30)),
        criteria=(CriterionInput("识别准确率", "测试集上的准确率", 60), CriterionInput("报价", "", 40)),
    )
    return data.with_changes(**changes)


async def set_active(user_id: int, active: bool) -> None:
    await User.update({User.active: active}).where(User.id == user_id)
