"""Clarification Q&A: approved members ask until the question deadline, the department's staff
answer, and answers are published on the scenario page without naming the asking company.

``NotAllowed`` for a user who may not ask or answer, ``Conflict`` when the scenario is not open
or the question deadline has passed, ``ValidationFailed`` for an empty or overlong text. Each
change is audited, reaches the search index (the scenario's public Q&A) and notifies: new
questions the people concerned (``audience.concerned_staff``; in the app only unless they ask for
mail), answers the member who asked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from marketplace.accounts.tables import User
from marketplace.core import clock
from marketplace.core.audit import Actor, record
from marketplace.core.db import for_update, write_transaction
from marketplace.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from marketplace.core.outbox import enqueue
from marketplace.notifications.services import Message, notify
from marketplace.scenarios import audience
from marketplace.scenarios.links import scenario_page, staff_scenario_page
from marketplace.scenarios.policy import staff_member
from marketplace.scenarios.tables import Question, Scenario

MIN_QUESTION = 5
MAX_QUESTION = 2000
MAX_ANSWER = 5000


def question_deadline_of(row: dict) -> dt.datetime | None:
    """Questions close at the question deadline, or at the proposal deadline if none was set."""
    return row.get("question_deadline") or row.get("proposal_deadline")


def can_ask_now(row: dict, now: dt.datetime | None = None) -> bool:
    deadline = question_deadline_of(row)
    return row.get("status") == "open" and (deadline is None or (now or clock.now()) < deadline)


async def ask_question(scenario_id: int, actor: Actor, text: str) -> int:
    """An approved member's company asks a question on an open scenario; returns its id."""
    text = (text or "").replace("\r\n", "\n").strip()
    if actor.user_id is None:
        raise NotAllowed("请先登录。")
    user = (
        await User.select(User.role, User.active, User.company, User.company.status)
        .where(User.id == actor.user_id)
        .first()
    )
    if user is None or not user["active"] or user["role"] != "member" or user["company"] is None:
        raise NotAllowed("只有会员企业用户可以提问。")
    if user["company.status"] != "approved":
        raise NotAllowed("贵企业的会员资格尚未审核通过（或已暂停），暂时不能提问。")
    if len(text) < MIN_QUESTION:
        raise ValidationFailed("问题太短了。", {"question": f"请把问题写清楚（至少 {MIN_QUESTION} 字）。"})
    if len(text) > MAX_QUESTION:
        raise ValidationFailed(
            "问题太长了。", {"question": f"问题最多 {MAX_QUESTION} 字，现在 {len(text)} 字。"}
        )
    async with write_transaction():
        row = await for_update(
            Scenario.select(
                Scenario.title,
                Scenario.status,
                Scenario.public_status,
                Scenario.department,
                Scenario.question_deadline,
                Scenario.proposal_deadline,
            ).where(Scenario.id == scenario_id)
        ).first()
        if row is None or row["public_status"] is None:
            raise NotFound("场景不存在或尚未公开。")
        if row["status"] != "open":
            raise Conflict("场景已不在征集中，不能再提问。")
        if not can_ask_now(row):
            raise Conflict("答疑已截止，不能再提问。")
        now = clock.now()
        question = Question(
            scenario=scenario_id, company=user["company"], asked_by=actor.user_id, question=text, asked_at=now
        )
        await question.save()
        await record(actor, "question.ask", "question", question.id, after={"scenario": scenario_id})
        await notify(
            await audience.concerned_staff(scenario_id, row["department"]),
            Message(
                "question_asked",
                f"新的提问：{row['title']}",
                text[:200],
                staff_scenario_page(scenario_id) + "#questions",
            ),
            email=False,
        )
    return question.id


async def answer_question(question_id: int, actor: Actor, answer: str) -> None:
    """Staff of the scenario's department answer (or correct their answer); the answer is
    published on the scenario page at once; the member who asked is notified, and the scenario's
    followers are told of a first answer."""
    staff = await staff_member(actor)
    answer = (answer or "").replace("\r\n", "\n").strip()
    if not answer:
        raise ValidationFailed("请填写答复。", {f"answer_{question_id}": "请填写答复。"})
    if len(answer) > MAX_ANSWER:
        raise ValidationFailed("答复太长了。", {f"answer_{question_id}": f"答复最多 {MAX_ANSWER} 字。"})
    async with write_transaction():
        row = await for_update(
            Question.select(Question.scenario, Question.question, Question.answer, Question.asked_by).where(
                Question.id == question_id
            )
        ).first()  # (no join: PostgreSQL locks no outer-joined rows)
        scenario = (
            row
            and await Scenario.select(Scenario.department, Scenario.title, Scenario.public_status)
            .where(Scenario.id == row["scenario"])
            .first()
        )
        if row is None or scenario is None or scenario["department"] != staff.department_id:
            raise NotFound("问题不存在。")
        row.update({f"scenario.{k}": v for k, v in scenario.items()})
        if row["scenario.public_status"] is None:
            raise Conflict("场景未公开，不能答复。")
        now = clock.now()
        first = not row["answer"]
        await Question.update(
            {
                Question.answer: answer,
                Question.answered_by: staff.user_id,
                Question.answered_at: now,
                Question.published: True,
            }
        ).where(Question.id == question_id)
        await record(
            actor,
            "question.answer" if first else "question.edit_answer",
            "question",
            question_id,
            before={"answer": row["answer"]} if not first else None,
            after={"answer": answer},
        )
        await enqueue("scenario", row["scenario"])
        if row["asked_by"]:
            await notify(
                [row["asked_by"]],
                Message(
                    "question_answered",
                    f"您的提问已答复：{row['scenario.title']}",
                    answer[:500],
                    scenario_page(row["scenario"]) + "#sec-qa",
                ),
            )
        if first:  # followers hear of each new public answer (never who asked)
            others = set(await audience.followers(row["scenario"])) - {row["asked_by"]}
            await notify(
                others,
                Message(
                    "question_answered",
                    f"关注的场景有新的答疑：{row['scenario.title']}",
                    f"问：{row['question'][:300]}\n答：{answer[:500]}",
                    scenario_page(row["scenario"]) + "#sec-qa",
                ),
            )


@dataclass(frozen=True)
class StaffQuestion:
    """A question on the scenario with the asking company's name, as the department's staff see it."""

    id: int
    question: str
    asked_at: dt.datetime
    answer: str
    answered_at: dt.datetime | None
    published: bool
    company_name: str | None  # None: the company is gone


async def list_questions_for_staff(scenario_id: int) -> list[StaffQuestion]:
    """Every question of the scenario (answered or not), oldest first, with the asking company
    (staff see it; the public never does)."""
    rows = (
        await Question.select(
            Question.id,
            Question.question,
            Question.asked_at,
            Question.answer,
            Question.answered_at,
            Question.published,
            Question.company.name,
        )
        .where(Question.scenario == scenario_id)
        .order_by(Question.asked_at)
        .order_by(Question.id)
    )
    return [
        StaffQuestion(
            id=r["id"],
            question=r["question"],
            asked_at=r["asked_at"],
            answer=r["answer"],
            answered_at=r["answered_at"],
            published=r["published"],
            company_name=r["company.name"],
        )
        for r in rows
    ]


@dataclass(frozen=True)
class CompanyQuestion:
    """One of the member company's own questions on a scenario, as the scenario page lists them."""

    id: int
    question: str
    asked_at: dt.datetime
    answer: str
    answered_at: dt.datetime | None


async def list_company_questions(scenario_id: int, company_id: int) -> list[CompanyQuestion]:
    """The member's own company's questions on a scenario, answered or not."""
    rows = (
        await Question.select(
            Question.id,
            Question.question,
            Question.asked_at,
            Question.answer,
            Question.answered_at,
        )
        .where((Question.scenario == scenario_id) & (Question.company == company_id))
        .order_by(Question.asked_at)
    )
    return [CompanyQuestion(**r) for r in rows]
