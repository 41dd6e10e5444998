"""Clarification Q&A: approved members ask until the question deadline, staff of the department
answer, and the answer is public on the scenario page without naming the company."""

from __future__ import annotations

import datetime as dt

import pytest

from marketplace.core import clock
from marketplace.core.audit import Actor
from marketplace.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from marketplace.core.tables import AuditEvent
from marketplace.notifications.tables import Notification
from marketplace.scenarios import publishing, questions
from marketplace.scenarios.services import get_public_scenario
from marketplace.scenarios.tables import Question
from tests.accounts.helpers import post_form, sign_in
from tests.pages.html import parse
from tests.scenarios.helpers import NOW, complete_input, make_world, set_active


async def _open_scenario(w, **changes) -> int:
    sid = await publishing.create_scenario_draft(w.actor(w.author), complete_input(w, **changes))
    await publishing.submit_for_review(sid, w.actor(w.author))
    await publishing.approve_scenario_for_publication(sid, w.actor(w.cdo_x))
    return sid


async def test_member_asks_staff_answer_and_the_answer_is_public(db):
    w = await make_world()
    sid = await _open_scenario(w)
    qid = await questions.ask_question(sid, Actor(user_id=w.member_a), "  能否提供夜间的视频样本？ ")
    row = await Question.select().where(Question.id == qid).first()
    assert (row["company"], row["asked_by"], row["question"], row["published"]) == (
        w.company_a,
        w.member_a,
        "能否提供夜间的视频样本？",
        False,
    )
    assert (await get_public_scenario(sid)).questions == []  # not public before it is answered
    staff_notes = await Notification.select(Notification.user, Notification.email_status).where(
        Notification.kind == "question_asked"
    )
    assert {n["user"] for n in staff_notes} == {w.author, w.colleague, w.cdo_x}
    assert {n["email_status"] for n in staff_notes} == {"none"}  # in-app only

    await questions.answer_question(qid, w.actor(w.colleague), "可以提供近三个月的夜间样本。")
    public = (await get_public_scenario(sid)).questions
    assert [(q.question, q.answer) for q in public] == [
        ("能否提供夜间的视频样本？", "可以提供近三个月的夜间样本。")
    ]
    note = (
        await Notification.select()
        .where((Notification.user == w.member_a) & (Notification.kind == "question_answered"))
        .first()
    )
    assert note["body"] == "可以提供近三个月的夜间样本。" and note["link"] == f"/scenarios/{sid}#sec-qa"
    assert await AuditEvent.count().where(AuditEvent.action == "question.answer") == 1
    await questions.answer_question(qid, w.actor(w.colleague), "可以提供近六个月的夜间样本。")
    assert (await get_public_scenario(sid)).questions[0].answer == "可以提供近六个月的夜间样本。"
    assert await AuditEvent.count().where(AuditEvent.action == "question.edit_answer") == 1


async def test_the_public_page_never_names_the_asking_company(db, client):
    w = await make_world()
    sid = await _open_scenario(w)
    qid = await questions.ask_question(sid, Actor(user_id=w.member_a), "能否提供夜间的视频样本？")
    await questions.answer_question(qid, w.actor(w.author), "可以提供。")
    html = (await client.get(f"/scenarios/{sid}")).text
    assert "能否提供夜间的视频样本？" in html and "可以提供。" in html
    assert "甲视觉科技有限公司" not in html
    await sign_in(client, w.member_b)  # another company does not see A's name either
    assert "甲视觉科技有限公司" not in (await client.get(f"/scenarios/{sid}")).text


async def test_asking_after_the_question_deadline_is_refused(db):
    w = await make_world()
    sid = await _open_scenario(w)
    clock.set_now(NOW + dt.timedelta(days=10, seconds=1))  # question deadline + 1 s
    with pytest.raises(Conflict, match="答疑已截止"):
        await questions.ask_question(sid, Actor(user_id=w.member_a), "还能问吗？")
    assert await Question.count() == 0


async def test_without_a_question_deadline_questions_close_with_proposals(db):
    w = await make_world()
    sid = await _open_scenario(w)
    from marketplace.scenarios.tables import Scenario

    # Imported scenarios may have no question deadline.
    await Scenario.update({Scenario.question_deadline: None}).where(Scenario.id == sid)
    clock.set_now(NOW + dt.timedelta(days=19))
    await questions.ask_question(sid, Actor(user_id=w.member_a), "最后一天的问题。")
    clock.set_now(NOW + dt.timedelta(days=20))
    with pytest.raises(Conflict):
        await questions.ask_question(sid, Actor(user_id=w.member_a), "截止时刻的问题。")


async def test_who_may_not_ask(db):
    w = await make_world()
    sid = await _open_scenario(w)
    with pytest.raises(NotAllowed, match="尚未审核通过"):
        await questions.ask_question(sid, Actor(user_id=w.pending), "待审企业的问题。")
    for user in (w.author, w.admin):
        with pytest.raises(NotAllowed):
            await questions.ask_question(sid, Actor(user_id=user), "工作人员的问题。")
    with pytest.raises(NotAllowed):
        await questions.ask_question(sid, Actor(), "匿名的问题。")
    await set_active(w.member_a, False)
    with pytest.raises(NotAllowed):
        await questions.ask_question(sid, Actor(user_id=w.member_a), "停用账号的问题。")
    with pytest.raises(ValidationFailed):
        await questions.ask_question(sid, Actor(user_id=w.member_b), "短")
    assert await Question.count() == 0


async def test_no_questions_on_drafts_or_closed_scenarios(db):
    w = await make_world()
    draft = await publishing.create_scenario_draft(w.actor(w.author), complete_input(w))
    with pytest.raises(NotFound):
        await questions.ask_question(draft, Actor(user_id=w.member_a), "草稿上的问题？")
    sid = await _open_scenario(w)
    clock.set_now(NOW + dt.timedelta(days=21))
    from marketplace.scenarios.periodic import run_periodic_tasks

    await run_periodic_tasks()
    with pytest.raises(Conflict, match="不在征集中"):
        await questions.ask_question(sid, Actor(user_id=w.member_a), "截止后的问题？")


async def test_only_staff_of_the_department_answer(db):
    w = await make_world()
    sid = await _open_scenario(w)
    qid = await questions.ask_question(sid, Actor(user_id=w.member_a), "能否提供夜间的视频样本？")
    with pytest.raises(NotFound):
        await questions.answer_question(qid, w.actor(w.staff_y), "别的部门来答。")
    with pytest.raises(NotAllowed):
        await questions.answer_question(qid, Actor(user_id=w.member_b), "别的企业来答。")
    with pytest.raises(ValidationFailed):
        await questions.answer_question(qid, w.actor(w.author), "   ")
    assert (await Question.select(Question.answer).where(Question.id == qid).first())["answer"] == ""


async def test_pages_member_asks_and_reads_the_public_answer(db, client):
    w = await make_world()
    sid = await _open_scenario(w)
    await sign_in(client, w.member_a)
    page = await client.get(f"/scenarios/{sid}")
    assert f'action="/scenarios/{sid}/questions"' in page.text
    empty = await post_form(
        client, f"/scenarios/{sid}/questions", {"question": "  "}, token_from=f"/scenarios/{sid}"
    )
    assert empty.status_code == 400
    doc = parse(empty.text)
    textarea = doc.find("textarea", id="f-question")
    assert (
        textarea.attrs["aria-invalid"] == "true" and "f-question-error" in textarea.attrs["aria-describedby"]
    )
    kept = await post_form(
        client, f"/scenarios/{sid}/questions", {"question": "短"}, token_from=f"/scenarios/{sid}"
    )
    assert kept.status_code == 400 and ">短</textarea>" in kept.text  # what was typed is kept
    done = await post_form(
        client,
        f"/scenarios/{sid}/questions",
        {"question": "夜间样本能提供吗？"},
        token_from=f"/scenarios/{sid}",
    )
    assert done.status_code == 303 and done.headers["location"] == f"/scenarios/{sid}?asked=1#my-questions"
    page = parse((await client.get(f"/scenarios/{sid}?asked=1")).text)
    assert "问题已提交" in page.find("div", "alert-success").text()
    assert "等待部门答复" in page.find("div", "my-questions").text()

    qid = (await Question.select(Question.id).first())["id"]
    await sign_in(client, w.author)
    answered = await post_form(
        client,
        f"/staff/scenarios/{sid}/questions/{qid}/answer",
        {f"answer_{qid}": "可以提供脱敏的夜间样本。"},
        token_from=f"/staff/scenarios/{sid}",
    )
    assert answered.status_code == 303

    client.cookies.clear()
    public = parse((await client.get(f"/scenarios/{sid}")).text)
    qa = public.find("dl", "qa-list").text()
    assert "夜间样本能提供吗？" in qa and "可以提供脱敏的夜间样本。" in qa
    assert "会员企业 登录 后可以在答疑截止前提问" in public.text()


async def test_pages_pending_member_may_not_ask(db, client):
    w = await make_world()
    sid = await _open_scenario(w)
    await sign_in(client, w.pending)
    page = await client.get(f"/scenarios/{sid}")
    assert "会员资格审核通过后才能提问" in page.text and 'name="question"' not in page.text
    refused = await post_form(
        client, f"/scenarios/{sid}/questions", {"question": "待审企业能提问吗？"}, token_from="/account"
    )
    assert refused.status_code == 403
    assert await Question.count() == 0


async def test_pages_after_the_deadline_the_form_is_gone(db, client):
    w = await make_world()
    sid = await _open_scenario(w)
    clock.set_now(NOW + dt.timedelta(days=11))
    await sign_in(client, w.member_a)  # sessions follow the clock too
    page = await client.get(f"/scenarios/{sid}")
    assert "答疑已截止" in page.text and 'name="question"' not in page.text
    refused = await post_form(
        client, f"/scenarios/{sid}/questions", {"question": "截止后还能提问吗？"}, token_from="/account"
    )
    assert refused.status_code == 409 and "答疑已截止" in refused.text
