"""An evaluation world for tests: a scenario past its deadline with three criteria, three
submitted proposals from three companies (one a consortium with an SME), the department's staff,
two evaluators, staff of another department and an admin.

Proposals are inserted as rows (Proposal, ProposalMember, ProposalVersion): the proposal forms
are another module's business. ``make_evaluation_world(status=...)`` gives the scenario in
``closed`` (nothing started) or ``evaluating`` (evaluation started through the service:
evaluators assigned, proposals under review); ``declare_no_conflicts``, ``mark_all_eligible``
and ``score_all`` move further along the way a user would.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field

from marketplace.core import clock
from marketplace.core.audit import Actor
from marketplace.proposals.tables import Proposal, ProposalMember, ProposalVersion
from marketplace.scenarios.tables import Scenario, ScenarioCriterion
from tests.accounts.helpers import make_user
from tests.factories import make_company, make_department, make_scenario

NOW = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)  # 10:00 in the park
DEADLINE = NOW - dt.timedelta(days=1)
CRITERIA = (("技术方案", 50), ("实施能力", 30), ("报价合理性", 20))


@dataclass
class EvaluationWorld:
    scenario: int
    department: int
    other_department: int
    criteria: list[int]  # ScenarioCriterion ids, in position order
    company_a: int  # large, leads proposal_a alone
    company_b: int  # large, leads proposal_b with company_sme as a consortium member
    company_sme: int  # SME, member of proposal_b
    company_c: int  # SME, leads proposal_c alone
    proposal_a: int
    proposal_b: int
    proposal_c: int
    staff: int  # department staff (not an evaluator), runs the evaluation
    evaluator_1: int  # department staff, assigned
    evaluator_2: int  # department staff, assigned
    outsider: int  # staff of another department
    admin: int
    member_a: int  # company_a's manager
    member_b: int  # company_b's manager
    member_sme: int  # company_sme's manager
    member_c: int  # company_c's manager
    names: dict = field(default_factory=dict)

    @property
    def proposals(self) -> list[int]:
        return [self.proposal_a, self.proposal_b, self.proposal_c]

    @property
    def evaluators(self) -> list[int]:
        return [self.evaluator_1, self.evaluator_2]

    def actor(self, user_id: int) -> Actor:
        role = (
            "admin"
            if user_id == self.admin
            else "member"
            if user_id in (self.member_a, self.member_b, self.member_sme, self.member_c)
            else "staff"
        )
        return Actor(user_id=user_id, label=f"user{user_id}", role=role)


PROPOSAL_TEXT = {
    "understanding": "河道漂浮物靠人工巡查发现，夜间和雨天覆盖不足。",
    "approach": "在现有 120 路视频上部署漂浮物识别模型，告警推送至河长办工单系统。",
    "data_needs": "河道视频监控的脱敏录像样本。",
    "team": "算法工程师 3 人，实施工程师 2 人。",
    "pilot_plan": "两段试点河段，三个月。",
    "success_indicators": "发现时间 10 分钟以内，准确率 90% 以上。",
}


async def insert_submitted_proposal(
    scenario: int,
    company: int,
    summary: str,
    *,
    members: list[tuple[int, str, int]] = (),
    lead_share: int = 100,
    cost: int = 400_000,
    created_by: int | None = None,
    status: str = "submitted",
) -> int:
    """A submitted proposal with its lead member row, consortium members (company, role, share;
    accepted) and version 1 holding the content."""
    content = {
        "summary": summary,
        **PROPOSAL_TEXT,
        "cost_estimate": cost,
        "timeline": [{"title": "模型训练", "month": 1}, {"title": "试点上线", "month": 3}],
    }
    digest = hashlib.sha256(json.dumps(content, ensure_ascii=False, sort_keys=True).encode()).hexdigest()
    submitted_at = DEADLINE - dt.timedelta(days=2)
    row = Proposal(
        scenario=scenario,
        company=company,
        status=status,
        summary=summary,
        understanding=PROPOSAL_TEXT["understanding"],
        approach=PROPOSAL_TEXT["approach"],
        data_needs=PROPOSAL_TEXT["data_needs"],
        team=PROPOSAL_TEXT["team"],
        pilot_plan=PROPOSAL_TEXT["pilot_plan"],
        success_indicators=PROPOSAL_TEXT["success_indicators"],
        timeline=content["timeline"],
        cost_estimate=cost,
        declaration_accepted=True,
        version=1,
        content_hash=digest,
        submitted_at=submitted_at,
        created_by=created_by,
    )
    await row.save()
    await Proposal.update({Proposal.number: f"SYQ-2026-{row.id:05d}"}).where(Proposal.id == row.id)
    await ProposalMember.insert(
        ProposalMember(
            proposal=row.id,
            company=company,
            role="牵头单位",
            work_share=lead_share,
            status="accepted",
            is_lead=True,
        )
    )
    for other, role, share in members:
        await ProposalMember.insert(
            ProposalMember(
                proposal=row.id,
                company=other,
                role=role,
                work_share=share,
                status="accepted",
                answered_at=submitted_at,
            )
        )
    await ProposalVersion.insert(
        ProposalVersion(
            proposal=row.id, version=1, content=content, content_hash=digest, submitted_at=submitted_at
        )
    )
    return row.id


async def make_evaluation_world(status: str = "closed", *, sealed: bool = False) -> EvaluationWorld:
    """The world with the clock at NOW, a day after the scenario's proposal deadline."""
    clock.set_now(NOW)
    dept = await make_department(key="dept-water", name="园区水务局")
    other = await make_department(key="dept-traffic", name="园区交通局")
    scenario = await make_scenario(
        "closed",
        department=dept,
        criteria=CRITERIA,
        title="河道漂浮物智能发现",
        domain="一网统管",
        summary="河道漂浮物发现慢、处置滞后。",
        proposal_deadline=DEADLINE,
        question_deadline=DEADLINE - dt.timedelta(days=5),
        opened_at=DEADLINE - dt.timedelta(days=30),
        closed_at=DEADLINE,
        public_status="closed",
        sealed=sealed,
    )
    criteria = [
        r["id"]
        for r in await ScenarioCriterion.select(ScenarioCriterion.id)
        .where(ScenarioCriterion.scenario == scenario)
        .order_by(ScenarioCriterion.position)
    ]
    company_a = await make_company(name="甲视觉科技有限公司", size="large")
    company_b = await make_company(name="乙数据集团有限公司", size="large")
    company_sme = await make_company(name="丙感知小微科技有限公司", size="sme")
    company_c = await make_company(name="丁智能科技有限公司", size="sme")
    w = EvaluationWorld(
        scenario=scenario,
        department=dept,
        other_department=other,
        criteria=criteria,
        company_a=company_a,
        company_b=company_b,
        company_sme=company_sme,
        company_c=company_c,
        proposal_a=0,
        proposal_b=0,
        proposal_c=0,
        staff=await make_user("staff@example.com", role="staff", department=dept, display_name="王主管"),
        evaluator_1=await make_user(
            "eval1@example.com", role="staff", department=dept, is_evaluator=True, display_name="评审甲"
        ),
        evaluator_2=await make_user(
            "eval2@example.com", role="staff", department=dept, is_evaluator=True, display_name="评审乙"
        ),
        outsider=await make_user(
            "other@example.com", role="staff", department=other, display_name="外局员工"
        ),
        admin=await make_user("admin@example.com", role="admin", display_name="协会管理员"),
        member_a=await make_user("a@example.com", company=company_a, is_company_manager=True),
        member_b=await make_user("b@example.com", company=company_b, is_company_manager=True),
        member_sme=await make_user("sme@example.com", company=company_sme, is_company_manager=True),
        member_c=await make_user("c@example.com", company=company_c, is_company_manager=True),
    )
    w.proposal_a = await insert_submitted_proposal(
        scenario, company_a, "甲方案：视频识别漂浮物", created_by=w.member_a
    )
    w.proposal_b = await insert_submitted_proposal(
        scenario,
        company_b,
        "乙方案：联合体感知网络",
        lead_share=70,
        members=[(company_sme, "传感器部署", 30)],
        created_by=w.member_b,
    )
    w.proposal_c = await insert_submitted_proposal(
        scenario, company_c, "丁方案：无人机巡河", created_by=w.member_c
    )
    w.names = {
        w.proposal_a: "甲方案：视频识别漂浮物",
        w.proposal_b: "乙方案：联合体感知网络",
        w.proposal_c: "丁方案：无人机巡河",
    }
    if status == "evaluating":
        await begin_evaluation(w)
    elif status != "closed":
        await Scenario.update({Scenario.status: status}).where(Scenario.id == scenario)
    return w


async def begin_evaluation(w: EvaluationWorld, evaluators: list[int] | None = None) -> None:
    """Department staff start the evaluation and assign the two evaluators (or ``evaluators``)."""
    from marketplace.evaluation.assignments import start_evaluation

    await start_evaluation(w.scenario, w.evaluators if evaluators is None else evaluators, w.actor(w.staff))


async def declare_no_conflicts(w: EvaluationWorld, evaluator: int) -> None:
    from marketplace.evaluation.conflicts import ConflictAnswer, declare_conflicts

    answers = [ConflictAnswer(proposal_id=p, conflicted=False) for p in w.proposals]
    await declare_conflicts(w.scenario, answers, w.actor(evaluator))


async def mark_all_eligible(w: EvaluationWorld, proposals: list[int] | None = None) -> None:
    from marketplace.evaluation.eligibility import mark_eligible

    for p in w.proposals if proposals is None else proposals:
        await mark_eligible(p, w.actor(w.staff))


async def ready_to_score(w: EvaluationWorld) -> EvaluationWorld:
    """Evaluation started, both evaluators declared no conflict, every proposal eligible."""
    await begin_evaluation(w)
    for e in w.evaluators:
        await declare_no_conflicts(w, e)
    await mark_all_eligible(w)
    return w


async def score_all(
    w: EvaluationWorld, evaluator: int, scores: dict[int, tuple[int, ...]], *, submit: bool = True
) -> None:
    """``scores``: proposal id -> one score per criterion (in criterion order); comments filled."""
    from marketplace.evaluation.scoring import ScoreInput, save_scores, submit_scores

    for proposal, values in scores.items():
        entries = [
            ScoreInput(criterion_id=c, score=s, comment=f"评分{s}的理由")
            for c, s in zip(w.criteria, values, strict=False)
        ]
        await save_scores(proposal, entries, w.actor(evaluator))
    if submit:
        await submit_scores(w.scenario, w.actor(evaluator))
