"""Public Q&A for the demo: every public scenario gets one to three clarification questions from
approved member companies, answered and published by its department, so the scenario pages show
the Q&A feature. Idempotent: a scenario that already has questions is left alone.

The questions are the ones bidders typically ask about a scenario (data access, deployment,
pilot scope, intellectual property, consortia); the answers are written for this demo.
"""

from __future__ import annotations

import datetime as dt
import zlib

from marketplace.accounts.tables import User
from marketplace.companies.tables import Company
from marketplace.core import clock
from marketplace.scenarios.tables import Question, Scenario

# (question, answer): generic enough for any scenario, specific enough to read as real.
QUESTIONS: tuple[tuple[str, str], ...] = (
    (
        "试点期间能否提供近一年的历史数据样本，用于模型训练和效果评估？",
        "可以。中选后签订数据使用协议，在园区政务云内提供近十二个月的脱敏样本，数据不得带出政务云。",
    ),
    (
        "系统是否必须部署在园区政务云？能否采用企业自有的云服务？",
        "试点系统须部署在园区政务云或部门指定的专有环境，企业自有云仅可用于不含政务数据的研发测试。",
    ),
    (
        "试点范围是全园区还是部分片区？是否有指定的试点点位？",
        "首期在两个片区试点，具体点位在合作协议签订后由部门与中选单位共同确定。",
    ),
    (
        "试点成果的知识产权如何约定？企业能否在其他城市复用该方案？",
        "基于政务数据形成的成果归部门所有；企业原有的产品和算法知识产权仍归企业，可在脱敏后对外复用。",
    ),
    (
        "是否接受联合体申报？联合体成员数量有无上限？",
        "接受联合体申报，牵头单位须为会员企业，成员不超过四家，鼓励大企业带动中小企业共同参与。",
    ),
    (
        "需要对接哪些现有业务系统？接口文档何时提供？",
        "需对接部门现有的业务受理和事件处置系统。接口文档在答疑截止后向已报名企业统一提供。",
    ),
    (
        "评审时是否需要现场演示？演示环境由谁提供？",
        "入围企业须参加路演并现场演示，演示可使用企业自备环境和模拟数据。",
    ),
    (
        "预算是否包含后续运维费用？试点结束后如何衔接推广？",
        "预算仅覆盖试点期。试点成功的项目将移交园区国资运营公司统一建设运营，运维另行约定。",
    ),
)
PUBLIC_STATUSES = ("open", "closed", "evaluating", "shortlisted", "awarded", "piloting", "completed")


async def seed_questions() -> int:
    """Add published Q&A to every public scenario without questions; returns how many got some."""
    scenarios = await Scenario.select(
        Scenario.id, Scenario.key, Scenario.department, Scenario.opened_at, Scenario.proposal_deadline
    ).where(Scenario.status.is_in(list(PUBLIC_STATUSES)))
    asked = {r["scenario"] for r in await Question.select(Question.scenario)}
    companies = [
        r["id"]
        for r in await Company.select(Company.id).where(Company.status == "approved").order_by(Company.id)
    ]
    if not companies:
        return 0
    askers = {
        r["company"]: r["id"]
        for r in await User.select(User.id, User.company).where(User.company.is_in(companies))
    }
    now = clock.now()
    seeded = 0
    for scenario in scenarios:
        if scenario["id"] in asked:
            continue
        answerer = (
            await User.select(User.id)
            .where((User.department == scenario["department"]) & (User.role == "staff"))
            .order_by(User.id)
            .first()
        )
        seed = zlib.crc32(str(scenario["key"]).encode())
        opened = scenario["opened_at"] or now - dt.timedelta(days=30)
        rows = []
        for n in range(1 + seed % 3):
            question, answer = QUESTIONS[(seed + 3 * n) % len(QUESTIONS)]
            company = companies[(seed + n) % len(companies)]
            asked_at = min(opened + dt.timedelta(days=2 + 3 * n, hours=seed % 7), now - dt.timedelta(hours=2))
            rows.append(
                Question(
                    scenario=scenario["id"],
                    company=company,
                    asked_by=askers.get(company),
                    question=question,
                    asked_at=asked_at,
                    answer=answer,
                    answered_by=answerer["id"] if answerer else None,
                    answered_at=asked_at + dt.timedelta(days=1),
                    published=True,
                )
            )
        await Question.insert(*rows)
        seeded += 1
    return seeded
