"""``seed_evaluation``: proposals, evaluations, decisions and pilots for the demo scenarios that
are past their deadline, so every evaluation screen has real content.

Runs after the catalog import (``seed_demo``). Idempotent: a scenario that already has
proposals is left alone, so re-seeding adds nothing. Deterministic: choices come from a random
generator seeded with the scenario key.

What each status gets:
- closed: 3-5 submitted proposals (some consortia with SMEs), versions with content hashes;
- evaluating: the same under review, evaluators (two per scenario) with conflict declarations
  (one conflicted), eligibility reviews (one clarification), scores with comments: one evaluator
  submitted, the other still scoring; one proposal with a large disagreement;
- shortlisted: every evaluator submitted, a shortlist of two with reasons and a pitch invitation;
  ``INTERNAL_DECISION`` also has a selected partner that is not published (the scenario is
  awarded internally, the public still sees "evaluating");
- awarded / piloting / completed: the result published (ScenarioOutcome, proposal statuses,
  the scenario's award and publication times); piloting and completed get a pilot with the
  selected proposal's milestones and updates; completed pilots an outcome note.

Evaluators: in the demo's first department the demo accounts evaluator@example.com and
staff@example.com (created here without a password when ``seed_demo_accounts`` has not run yet;
it sets their password later); elsewhere two reviewer accounts per department without a
password (they cannot sign in; they only make the evaluation records complete).
"""

from __future__ import annotations

import datetime as dt
import random
import zlib
from collections import Counter
from typing import Any

from piccolo.columns import Column

from marketplace.accounts.tables import User
from marketplace.companies.tables import Company, CompanyCapability
from marketplace.core import clock
from marketplace.core.db import write_transaction
from marketplace.departments.tables import Department
from marketplace.evaluation.pilots import milestones_from_timeline
from marketplace.evaluation.tables import (
    EvaluationScore,
    EvaluatorAssignment,
    Pilot,
    PilotMilestone,
    PilotUpdate,
    ProposalReview,
    ScenarioOutcome,
)
from marketplace.proposals.services import (
    CONTENT_FIELDS,
    canonical_content,
    content_hash,
    publish_proposal_outcome,
    receipt_number,
    start_proposal_review,
)
from marketplace.proposals.tables import ConflictDeclaration, Proposal, ProposalMember, ProposalVersion
from marketplace.scenarios.tables import Scenario, ScenarioCapability, ScenarioCriterion

SEEDED_STATUSES = ("closed", "evaluating", "shortlisted", "awarded", "piloting", "completed")
PUBLISHED = ("awarded", "piloting", "completed")
INTERNAL_DECISION = "sc-enterprise-credit-portrait"  # shortlisted in the file; decided, not published
DAY = dt.timedelta(days=1)

REVIEWER_NAMES = (
    "李文博",
    "张晓雯",
    "黄志远",
    "周敏",
    "吴昊",
    "郑丽华",
    "孙建国",
    "马琳",
    "朱晨",
    "胡静",
    "何立新",
    "高雅",
    "林涛",
    "罗佳",
    "梁宇",
    "宋雪",
    "谢东",
    "唐颖",
    "韩冰",
    "冯晓",
)
APPROACHES = (
    "以{cap0}为核心，先在部门现有系统旁路部署，再分两批切换到正式环境",
    "采用“平台+模型+运营”的方式：{cap0}和{cap1}模块复用公司在长三角的成熟产品，针对园区数据重新训练",
    "由牵头单位负责总体架构和{cap0}，联合体成员负责{cap1}和现场实施，双周迭代",
    "基于国产化软硬件环境建设，{cap0}与{cap1}以微服务方式提供，便于部门后续自行扩展",
    "先用三个月做小范围试点验证{cap0}效果，指标达标后再推广，降低一次性投入风险",
)
UNDERSTANDINGS = (
    "部门的痛点不在于缺少系统，而在于{title}相关数据分散、规则靠人工记忆，处理效率随业务量波动明显。",
    "我们理解本场景的关键是把{title}中重复、规则明确的环节交给系统，把人的精力留给复杂个案。",
    "{title}涉及多个部门和历史数据，方案首先要解决数据口径不一致和接口不统一的问题，其次才是算法效果。",
)
SCORE_COMMENTS = {
    "high": (
        "方案扎实，{c}论证充分，有同类项目实测数据支撑。",
        "{c}方面考虑周全，明显优于其他方案。",
        "{c}描述具体，可落地性强。",
    ),
    "mid": (
        "{c}基本满足要求，但部分细节需在试点中进一步明确。",
        "{c}思路可行，缺少量化的验证计划。",
        "{c}中规中矩，与现有系统的衔接说明偏少。",
    ),
    "low": (
        "{c}描述笼统，未回应场景的关键难点。",
        "{c}存在明显短板，建议补充说明。",
        "{c}与部门需求匹配度不高。",
    ),
}
UPDATE_NOTES = (
    "已完成与部门的需求对接会，确认了数据接口清单和联调时间表。",
    "测试环境部署完成，首批历史数据已导入并完成清洗。",
    "模型在留出样本上的准确率达到预期，已提交阶段报告。",
    "试运行第一周系统运行平稳，业务人员反馈操作比原流程简单。",
)
OUTCOME_NOTES = (
    "试点按计划完成全部里程碑。上线后相关业务平均办理时间缩短约六成，差错率明显下降，部门已决定在全区推广。",
    "试点期间系统稳定运行，核心指标全部达到方案承诺值，部门与合作企业已启动运维服务的续约。",
)


def _rng(key: str) -> random.Random:
    return random.Random(zlib.crc32(key.encode("utf-8")))


def _band(score: int) -> str:
    return "high" if score >= 8 else ("mid" if score >= 5 else "low")


def _timeline(start: dt.date, months: int, caps: list[str]) -> list[dict]:
    steps = [
        ("需求调研与数据对接", "需求规格说明书和数据接口清单"),
        (f"{caps[0] if caps else '核心功能'}模块开发与联调", "测试环境可用的系统和联调报告"),
        ("小范围试运行", "试运行报告和问题整改清单"),
        ("试点验收与推广建议", "验收报告和推广方案"),
    ]
    span = max(months, 3) * 30 // len(steps)
    return [
        {"title": title, "due": (start + dt.timedelta(days=span * (i + 1))).isoformat(), "deliverable": out}
        for i, (title, out) in enumerate(steps)
    ]


async def _department_users(department_id: int, first_department: int, names: list[str]) -> list[int]:
    """Two evaluators of the department (demo accounts in the first department)."""
    if department_id == first_department:
        wanted = [("evaluator@example.com", "刘洋", True), ("staff@example.com", "王磊", False)]
    else:
        department = await Department.select(Department.key).where(Department.id == department_id).first()
        assert department is not None  # the scenario's own department
        key = department["key"]
        wanted = [
            (f"reviewer{i}.{key}@example.com", names.pop(0) if names else f"评审专家{i}", True)
            for i in (1, 2)
        ]
    ids = []
    for email, name, evaluator in wanted:
        row = await User.select(User.id).where(User.email == email).first()
        if row is None:
            user = User(
                email=email,
                role="staff",
                display_name=name,
                department=department_id,
                is_evaluator=evaluator,
                active=True,
                password_hash="",
            )
            await user.save()
            row = {"id": user.id}
        ids.append(row["id"])
    return ids


async def _candidates(scenario_id: int) -> list[dict]:
    """Approved companies by how many of the scenario's capabilities they declare, best first."""
    caps = [
        r["capability"]
        for r in await ScenarioCapability.select(ScenarioCapability.capability).where(
            ScenarioCapability.scenario == scenario_id
        )
    ]
    overlap = (
        Counter(
            r["company"]
            for r in await CompanyCapability.select(CompanyCapability.company).where(
                CompanyCapability.capability.is_in(caps)
            )
        )
        if caps
        else Counter()
    )
    companies = (
        await Company.select(Company.id, Company.name, Company.size, Company.key)
        .where(Company.status == "approved")
        .order_by(Company.key)
    )
    return sorted(companies, key=lambda c: (-overlap.get(c["id"], 0), c["key"] or ""))


async def _seed_proposals(scenario: dict, rng: random.Random) -> list[dict]:
    """3-5 submitted proposals with members, versions and receipts; returns them best first."""
    caps = (
        await ScenarioCapability.select(ScenarioCapability.capability, ScenarioCapability.capability.name)
        .where(ScenarioCapability.scenario == scenario["id"])
        .order_by(ScenarioCapability.weight, ascending=False)
    )
    cap_names = [c["capability.name"] for c in caps] or ["数据分析", "系统集成"]
    pool = await _candidates(scenario["id"])
    count = 3 + rng.randrange(3)
    leads = pool[:count]
    smes = [c for c in pool[count : count + 12] if c["size"] == "sme"]
    deadline = scenario["proposal_deadline"]
    budget_low = scenario["budget_min"] or 500_000
    budget_high = scenario["budget_max"] or budget_low * 2
    out = []
    for i, lead in enumerate(leads):
        partner = (
            smes.pop(0)
            if lead["size"] == "large" and smes and rng.random() < (0.6 if i == 0 else 0.35)
            else None
        )
        fmt = {
            "cap0": cap_names[0],
            "cap1": cap_names[min(1, len(cap_names) - 1)],
            "title": scenario["title"],
        }
        submitted = deadline - dt.timedelta(days=rng.randrange(1, 12), hours=rng.randrange(1, 9))
        row = Proposal(
            scenario=scenario["id"],
            company=lead["id"],
            status="submitted",
            version=1,
            summary=f"{lead['name']}提出的{scenario['title']}方案：{rng.choice(APPROACHES).format(**fmt)}。",
            understanding=rng.choice(UNDERSTANDINGS).format(**fmt),
            approach=(
                f"{rng.choice(APPROACHES).format(**fmt)}。系统与部门现有平台通过标准接口对接，"
                f"数据不出政务云；每两周向部门演示一次进展。"
            ),
            capability_answers={
                str(
                    c["capability"]
                ): f"{c['capability.name']}：由{lead['name'] if not partner or k % 2 == 0 else partner['name']}"
                f"负责，复用已在同类项目中验证过的组件，并针对园区数据调优。"
                for k, c in enumerate(caps)
            },
            data_needs="部门近三年的业务数据样本（脱敏）、现有系统接口文档，以及每周半天的业务骨干参与。",
            team=f"项目经理1名、架构师1名、算法工程师{2 + rng.randrange(3)}名、实施工程师{2 + rng.randrange(2)}名，试点期间驻场。",
            timeline=_timeline(
                deadline.date() + dt.timedelta(days=45), scenario["pilot_months"] or 6, cap_names
            ),
            cost_estimate=int(rng.uniform(budget_low, budget_high) // 10_000 * 10_000),
            pilot_plan=f"选取一个业务条线先行试点{scenario['pilot_months'] or 6}个月，每月向部门提交运行报告。",
            success_indicators="处理时长缩短50%以上；准确率不低于方案承诺值；业务人员满意度不低于90%。",
            declaration_accepted=True,
            created_at=submitted - 3 * DAY,
            updated_at=submitted,
            submitted_at=submitted,
        )
        await row.save()
        number = receipt_number(row.id, submitted)
        members = [
            ProposalMember(
                proposal=row.id,
                company=lead["id"],
                role="牵头单位",
                work_share=70 if partner else 100,
                status="accepted",
                is_lead=True,
                invited_at=submitted - 3 * DAY,
                answered_at=submitted - 3 * DAY,
            )
        ]
        if partner:
            members.append(
                ProposalMember(
                    proposal=row.id,
                    company=partner["id"],
                    role=f"{cap_names[-1]}实施",
                    work_share=30,
                    status="accepted",
                    invited_at=submitted - 3 * DAY,
                    answered_at=submitted - 2 * DAY,
                )
            )
        await ProposalMember.insert(*members)
        companies = {lead["id"]: lead, **({partner["id"]: partner} if partner else {})}
        content = await canonical_content(
            row.id,
            {"scenario": scenario["id"], **{f: getattr(row, f) for f in CONTENT_FIELDS}},
            [
                {
                    "company_id": m.company,
                    "name": companies[m.company]["name"],
                    "is_lead": m.is_lead,
                    "role": m.role,
                    "work_share": m.work_share,
                    "is_sme": companies[m.company]["size"] == "sme",
                    "status": m.status,
                }
                for m in members
            ],
        )
        digest = content_hash(content)
        await ProposalVersion.insert(
            ProposalVersion(
                proposal=row.id, version=1, content=content, content_hash=digest, submitted_at=submitted
            )
        )
        await Proposal.update({Proposal.number: number, Proposal.content_hash: digest}).where(
            Proposal.id == row.id
        )
        out.append(
            {
                "id": row.id,
                "company": lead["id"],
                "name": lead["name"],
                "quality": 8.3 - 0.9 * i,
                "timeline": row.timeline,
            }
        )
    return out


async def _seed_evaluation(
    scenario: dict,
    proposals: list[dict],
    evaluators: list[int],
    rng: random.Random,
    *,
    all_submitted: bool,
    disagreement: bool,
) -> dict[int, float]:
    """Reviews, assignments, conflicts and scores; returns each eligible proposal's weighted total."""
    deadline = scenario["proposal_deadline"]
    criteria = (
        await ScenarioCriterion.select(ScenarioCriterion.id, ScenarioCriterion.name, ScenarioCriterion.weight)
        .where(ScenarioCriterion.scenario == scenario["id"])
        .order_by(ScenarioCriterion.position)
    )
    manager = evaluators[-1]
    ineligible = proposals[-1]["id"] if len(proposals) >= 5 else None
    clarified = proposals[1]["id"] if not all_submitted else None
    reviews = []
    for p in proposals:
        review = ProposalReview(
            proposal=p["id"],
            scenario=scenario["id"],
            checked_by=manager,
            checked_at=deadline + DAY,
            eligibility="eligible",
            updated_at=deadline + DAY,
        )
        if p["id"] == ineligible:
            review.eligibility = "ineligible"
            review.eligibility_reason = "未按招募要求提供数据安全承诺书，联合体成员分工说明缺失。"
        if p["id"] == clarified:
            review.clarification_question = (
                "请说明试点期间驻场人员的具体安排，以及数据是否全部在政务云内处理。"
            )
            review.clarification_deadline = deadline + 5 * DAY
            review.clarification_answer = "试点期间安排3名工程师驻场；全部数据在政务云内处理，不出园区。"
            review.clarification_answered_at = deadline + 3 * DAY
        reviews.append(review)
    await ProposalReview.insert(*reviews)
    conflicted = (evaluators[1], proposals[2]["id"]) if len(proposals) >= 3 else None
    totals: dict[int, list[float]] = {}
    rows: list = []
    for n, evaluator in enumerate(evaluators):
        submitted = all_submitted or n == 0
        await EvaluatorAssignment.insert(
            EvaluatorAssignment(
                scenario=scenario["id"],
                evaluator=evaluator,
                assigned_by=manager,
                assigned_at=deadline + DAY,
                conflicts_declared_at=deadline + 2 * DAY,
                submitted_at=deadline + (8 + n) * DAY if submitted else None,
            )
        )
        await ConflictDeclaration.insert(
            *[
                ConflictDeclaration(
                    scenario=scenario["id"],
                    evaluator=evaluator,
                    proposal=p["id"],
                    company=p["company"],
                    conflicted=(evaluator, p["id"]) == conflicted,
                    declared_at=deadline + 2 * DAY,
                    relation="近三年与该公司有合作项目，申请回避。"
                    if (evaluator, p["id"]) == conflicted
                    else "",
                )
                for p in proposals
            ]
        )
        for p in proposals:
            is_conflicted = (evaluator, p["id"]) == conflicted
            if is_conflicted or p["id"] == ineligible:
                continue
            if not submitted and p is proposals[-1]:
                continue  # still scoring
            total = 0.0
            for k, c in enumerate(criteria):
                score = max(0, min(10, round(p["quality"] + rng.uniform(-1.2, 1.2))))
                if disagreement and p is proposals[0] and k == 0:
                    score = 9 if n == 0 else 3
                total += c["weight"] * score / 100
                rows.append(
                    EvaluationScore(
                        proposal=p["id"],
                        evaluator=evaluator,
                        criterion=c["id"],
                        score=score,
                        submitted=submitted,
                        comment=rng.choice(SCORE_COMMENTS[_band(score)]).format(c=c["name"]),
                        created_at=deadline + (3 + n) * DAY,
                        updated_at=deadline + (3 + n) * DAY,
                    )
                )
            totals.setdefault(p["id"], []).append(total)
    await EvaluationScore.insert(*rows)
    return {pid: sum(v) / len(v) for pid, v in totals.items()}


async def _seed_decision(
    scenario: dict,
    proposals: list[dict],
    totals: dict[int, float],
    manager: int,
    *,
    decide: bool,
    publish: bool,
) -> int | None:
    """Shortlist the best two (a pitch for the best), and select the best when ``decide``."""
    deadline = scenario["proposal_deadline"]
    ranked = sorted(totals, key=lambda pid: -totals[pid])
    shortlist = ranked[:2]
    for rank, pid in enumerate(shortlist):
        await ProposalReview.update(
            {
                ProposalReview.shortlisted: True,
                ProposalReview.shortlist_reason: "加权总分排名前列，技术路线清晰，可落地性强。",
                ProposalReview.pitch_at: deadline + 10 * DAY if rank == 0 else None,
                ProposalReview.pitch_place: "园区数据局三楼会议室" if rank == 0 else "",
                ProposalReview.pitch_note: "请准备20分钟方案演示和10分钟答疑。" if rank == 0 else "",
                ProposalReview.consensus_note: "评审专家对技术方案评分分歧较大，经合议以实测数据为准。"
                if rank == 0
                else "",
            }
        ).where(ProposalReview.proposal == pid)
    if not decide:
        return None
    winner = shortlist[0]
    now = clock.now()
    awarded = min(deadline + (12 + zlib.crc32(scenario["key"].encode()) % 24) * DAY, now - 2 * DAY)
    published = min(awarded + 3 * DAY, now - DAY) if publish else None
    for p in proposals:
        chosen = p["id"] == winner
        await ProposalReview.update(
            {
                ProposalReview.decision: "selected" if chosen else "not_selected",
                ProposalReview.decision_reason: "综合得分最高，试点方案和团队安排最符合部门需求。"
                if chosen
                else "综合得分低于选定方案，感谢参与。",
            }
        ).where(ProposalReview.proposal == p["id"])
        if publish:
            await publish_proposal_outcome(p["id"], chosen, at=published or now)
    await ScenarioOutcome.insert(
        ScenarioOutcome(
            scenario=scenario["id"],
            result="awarded",
            selected_proposal=winner,
            decided_by=manager,
            decided_at=awarded,
            reason="综合得分最高，试点方案和团队安排最符合部门需求。",
            published_by=manager if publish else None,
            published_at=published,
        )
    )
    values: dict[Column | str, Any] = {Scenario.awarded_at: awarded, Scenario.result_published_at: published}
    if not publish:
        values[Scenario.status] = "awarded"  # decided internally; the public still sees "evaluating"
    await Scenario.update(values).where(Scenario.id == scenario["id"])
    return winner


async def _seed_pilot(
    scenario: dict, proposal: dict, manager: int, rng: random.Random, *, completed: bool
) -> None:
    now = clock.now()
    published_row = (
        await Scenario.select(Scenario.result_published_at).where(Scenario.id == scenario["id"]).first()
    )
    assert published_row is not None  # the scenario being seeded
    published = published_row["result_published_at"] or now - 30 * DAY
    started = min(published + 7 * DAY, now - DAY)
    months = scenario["pilot_months"] or 6
    finished = min(started + months * 30 * DAY, now - DAY) if completed else None
    pilot = Pilot(
        scenario=scenario["id"],
        proposal=proposal["id"],
        status="completed" if completed else "active",
        started_at=started,
        completed_at=finished,
        created_by=manager,
        outcome_note=rng.choice(OUTCOME_NOTES) if completed else "",
    )
    await pilot.save()
    milestones = milestones_from_timeline(proposal["timeline"])
    lead_user = await User.select(User.id).where(User.company == proposal["company"]).first()
    for position, m in enumerate(milestones):
        status = "done" if completed or position == 0 else ("in_progress" if position == 1 else "planned")
        row = PilotMilestone(
            pilot=pilot.id,
            position=position,
            status=status,
            completed_at=started + (position + 1) * 20 * DAY if status == "done" else None,
            **m,
        )
        await row.save()
        if position < len(UPDATE_NOTES) and (completed or position < 2):
            author = lead_user["id"] if lead_user and position % 2 else manager
            await PilotUpdate.insert(
                PilotUpdate(
                    pilot=pilot.id,
                    milestone=row.id,
                    note=UPDATE_NOTES[position],
                    author=author,
                    created_at=min(started + (position + 1) * 15 * DAY, now),
                )
            )


async def _keep_internal_award(scenario_id: int) -> None:
    if await ScenarioOutcome.exists().where(
        (ScenarioOutcome.scenario == scenario_id) & ScenarioOutcome.published_at.is_null()
    ):
        await Scenario.update({Scenario.status: "awarded"}).where(Scenario.id == scenario_id)


def _first_department_key(keys: list[str]) -> str:
    return Counter(keys).most_common(1)[0][0]


async def seed_evaluation() -> int:
    """Seed every demo scenario past its deadline that has no proposals yet; returns how many."""
    rows = (
        await Scenario.select(
            Scenario.id,
            Scenario.key,
            Scenario.title,
            Scenario.status,
            Scenario.department,
            Scenario.proposal_deadline,
            Scenario.budget_min,
            Scenario.budget_max,
            Scenario.pilot_months,
        )
        .where(
            Scenario.key.is_not_null()
            & Scenario.status.is_in(list(SEEDED_STATUSES))
            & Scenario.proposal_deadline.is_not_null()
        )
        .order_by(Scenario.key)
    )
    if not rows:
        return 0
    departments = await Scenario.select(Scenario.department.key).where(Scenario.key.is_not_null())
    first_key = _first_department_key([d["department.key"] for d in departments])
    first_row = await Department.select(Department.id).where(Department.key == first_key).first()
    assert first_row is not None  # a key read from the scenarios' departments just above
    first = first_row["id"]
    names = list(REVIEWER_NAMES)
    evaluators: dict[int, list[int]] = {}
    seeded = 0
    disagreement_done = False
    async with write_transaction():
        for scenario in rows:
            if await Proposal.exists().where(Proposal.scenario == scenario["id"]):
                if scenario["key"] == INTERNAL_DECISION and scenario["status"] == "shortlisted":
                    await _keep_internal_award(scenario["id"])  # the import reset the file's status
                continue
            rng = _rng(scenario["key"])
            proposals = await _seed_proposals(scenario, rng)
            seeded += 1
            status = scenario["status"]
            if status == "closed":
                continue
            await start_proposal_review([p["id"] for p in proposals], at=clock.now())
            if scenario["department"] not in evaluators:
                evaluators[scenario["department"]] = await _department_users(
                    scenario["department"], first, names
                )
            team = evaluators[scenario["department"]]
            disagreement = not disagreement_done or status in ("shortlisted", *PUBLISHED)
            disagreement_done = True
            totals = await _seed_evaluation(
                scenario,
                proposals,
                team,
                rng,
                all_submitted=status != "evaluating",
                disagreement=disagreement,
            )
            if status == "evaluating":
                continue
            internal = scenario["key"] == INTERNAL_DECISION
            winner = await _seed_decision(
                scenario,
                proposals,
                totals,
                team[-1],
                decide=status in PUBLISHED or internal,
                publish=status in PUBLISHED,
            )
            if status in ("piloting", "completed"):
                chosen = next(p for p in proposals if p["id"] == winner)
                await _seed_pilot(scenario, chosen, team[-1], rng, completed=status == "completed")
    return seeded
