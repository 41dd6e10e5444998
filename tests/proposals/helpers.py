"""A small world for proposal tests: an open scenario with two required capabilities and a
budget, two approved companies (a large lead and an SME) with a manager and a plain user each."""

from __future__ import annotations

import datetime as dt

from marketplace.core import clock
from marketplace.core.audit import Actor
from tests.accounts.helpers import make_user
from tests.factories import make_capability, make_company, make_department, make_scenario

COMPLETE = {
    "summary": "用语音识别和知识库建设一网通办智能客服。",
    "understanding": "群众来电高峰时排队久，常见问题重复。",
    "approach": "ASR 转写，意图识别，知识库检索，人工兜底。",
    "data_needs": "近一年的工单数据（脱敏）和政策文件。",
    "team": "项目经理 1 人，算法工程师 3 人。",
    "timeline": [{"title": "需求调研", "due": "2027-01-15", "deliverable": "调研报告"}],
    "cost_estimate": 800_000,
    "pilot_plan": "在政务服务中心试点三个月。",
    "success_indicators": "接通率提升到 95%。",
    "declaration_accepted": True,
}


def actor(user_id: int) -> Actor:
    return Actor(user_id=user_id, label=f"u{user_id}", role="member")


async def proposal_world() -> dict:
    dept = await make_department()
    asr = await make_capability(name="语音识别")
    kb = await make_capability(name="知识图谱")
    deadline = clock.now() + dt.timedelta(days=10)
    scenario = await make_scenario(
        "open",
        department=dept,
        title="智能客服",
        capabilities=[(asr, 60), (kb, 40)],
        proposal_deadline=deadline,
        public_status="open",
        opened_at=clock.now(),
        budget_min=300_000,
        budget_max=1_000_000,
    )
    lead = await make_company(name="大企业科技有限公司", size="large")
    sme = await make_company(name="小微智能有限公司", size="sme")
    pending = await make_company(name="待审企业有限公司", status="pending")
    n = clock.now().microsecond
    return {
        "dept": dept,
        "asr": asr,
        "kb": kb,
        "scenario": scenario,
        "deadline": deadline,
        "lead": lead,
        "sme": sme,
        "pending": pending,
        "n": n,
        "lead_manager": await make_user(
            f"lead{n}@example.com", company=lead, is_company_manager=True, display_name="牵头经理"
        ),
        "lead_user": await make_user(f"leaduser{n}@example.com", company=lead),
        "sme_manager": await make_user(f"sme{n}@example.com", company=sme, is_company_manager=True),
        "sme_user": await make_user(f"smeuser{n}@example.com", company=sme),
        "pending_manager": await make_user(f"pend{n}@example.com", company=pending, is_company_manager=True),
    }


def complete_content(w: dict) -> dict:
    return {
        **COMPLETE,
        "capability_answers": {
            str(w["asr"]): "自研 ASR 引擎，方言识别。",
            str(w["kb"]): "政策知识图谱，已在两个区县上线。",
        },
    }
