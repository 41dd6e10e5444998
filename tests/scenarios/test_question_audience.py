"""Who hears about a new question: the scenario's department staff who run it (not its
evaluators at large), the evaluators assigned to that scenario, nobody of another department,
and not the admins; the asker hears about the answer."""

from __future__ import annotations

from marketplace.core.audit import Actor
from marketplace.evaluation.tables import EvaluatorAssignment
from marketplace.notifications.tables import Notification
from marketplace.scenarios import publishing, questions
from tests.accounts.helpers import make_user
from tests.scenarios.helpers import complete_input, make_world


async def _open(w) -> int:
    sid = await publishing.create_scenario_draft(w.actor(w.author), complete_input(w))
    await publishing.submit_for_review(sid, w.actor(w.author))
    await publishing.approve_scenario_for_publication(sid, w.actor(w.cdo_x))
    return sid


async def _told(kind: str) -> set[int]:
    return {r["user"] for r in await Notification.select(Notification.user).where(Notification.kind == kind)}


async def test_a_question_reaches_only_the_people_concerned(db):
    w = await make_world()
    evaluator_x = await make_user("eval-x@example.com", role="staff", department=w.dept_x, is_evaluator=True)
    assigned_x = await make_user("eval-x2@example.com", role="staff", department=w.dept_x, is_evaluator=True)
    evaluator_y = await make_user("eval-y@example.com", role="staff", department=w.dept_y, is_evaluator=True)
    sid = await _open(w)
    await EvaluatorAssignment.insert(EvaluatorAssignment(scenario=sid, evaluator=assigned_x))
    qid = await questions.ask_question(sid, Actor(user_id=w.member_a), "能否提供夜间的视频样本？")
    told = await _told("question_asked")
    assert told == {w.author, w.colleague, w.cdo_x, assigned_x}
    assert not told & {evaluator_x, evaluator_y, w.staff_y, w.cdo_y, w.admin, w.member_b}

    await questions.answer_question(qid, w.actor(w.colleague), "可以提供。")
    assert await _told("question_answered") == {w.member_a}
