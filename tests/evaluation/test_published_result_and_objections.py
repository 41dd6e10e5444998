"""What a published result says (as Prozorro publishes it): proposals received and eligible, the
shortlisted ranking with names only where the company agreed, the award amount and the date;
and the 质疑 window after it: an applicant objects within the stated days, the department
answers, the parties see both, the public sees the counts, and no pilot starts while one is
open. Nothing of it shows before publication."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from marketplace.core import clock
from marketplace.core.audit import Actor
from marketplace.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from marketplace.core.tables import AuditEvent
from marketplace.evaluation import objections, publication
from marketplace.evaluation.pilots import start_pilot
from marketplace.evaluation.tables import Objection
from marketplace.notifications.tables import Notification
from marketplace.pages.reads import get_public_scenario_with_result
from marketplace.proposals.tables import Proposal
from marketplace.scenarios import follows
from marketplace.settings import get_settings
from tests.accounts.helpers import make_user, post_form, sign_in
from tests.evaluation.test_publication import decided_world

REASON = "我方方案的报价评分与招标文件的评分办法不一致，请复核。"


async def test_the_public_result_counts_ranks_and_names_only_with_consent(db, client):
    w = await decided_world(selected="a", publish=False)
    await Proposal.update({Proposal.disclose_name: True}).where(Proposal.id == w.proposal_b)
    follower = await make_user("f@example.com")
    await follows.follow_scenario(w.scenario, follower, Actor(user_id=follower))
    # Before publication: nothing of it on the public page.
    assert (await get_public_scenario_with_result(w.scenario)).result is None
    page = await client.get(f"/scenarios/{w.scenario}")
    assert "入围方案排名" not in page.text and "件质疑" not in page.text

    await publication.publish_result(w.scenario, w.actor(w.staff))
    result = (await get_public_scenario_with_result(w.scenario)).result
    assert (result.received, result.eligible) == (3, 3)
    price = await Proposal.select(Proposal.cost_estimate).where(Proposal.id == w.proposal_a).first()
    assert result.award_amount == price["cost_estimate"]
    assert [(a.rank, a.named, a.selected) for a in result.ranking] == [(1, True, True), (2, True, False)]
    b_name = (await Proposal.select(Proposal.company.name).where(Proposal.id == w.proposal_b).first())[
        "company.name"
    ]
    assert result.ranking[1].label == b_name  # B agreed to be named
    assert (result.objections_lodged, result.objections_answered, result.objections_open) == (0, 0, True)
    assert result.objection_deadline == result.published_at + dt.timedelta(days=get_settings().objection_days)
    # C was not shortlisted: it is not in the ranking at all.
    page = await client.get(f"/scenarios/{w.scenario}")
    assert "收到方案" in page.text and "资格审查合格" in page.text and "成交金额" in page.text
    assert "0 件质疑，0 件已答复" in page.text and f"{get_settings().objection_days} 天内" in page.text
    # The follower was told of the result.
    titles = [
        r["title"] for r in await Notification.select(Notification.title).where(Notification.user == follower)
    ]
    assert any(t.startswith("关注的场景已公布结果") for t in titles)
    api = (await client.get(f"/api/v1/scenarios/{w.scenario}")).json()["result"]
    assert api["received"] == 3 and len(api["ranking"]) == 2


async def test_without_consent_a_company_is_a_letter(db):
    w = await decided_world(selected="b", publish=True)  # A shortlisted, not selected, no consent
    result = (await get_public_scenario_with_result(w.scenario)).result
    labels = [a.label for a in result.ranking]
    assert "申报方 A" in labels
    a_name = (await Proposal.select(Proposal.company.name).where(Proposal.id == w.proposal_a).first())[
        "company.name"
    ]
    assert a_name not in labels


async def test_an_applicant_objects_the_department_answers_and_the_pilot_waits(db, client):
    w = await decided_world(selected="a", publish=True)
    # Only applicants of this scenario may object; a reason is required.
    stranger = await make_user("s@example.com")
    with pytest.raises(NotFound):
        await objections.raise_objection(w.scenario, Actor(user_id=stranger, role="member"), REASON)
    with pytest.raises(ValidationFailed):
        await objections.raise_objection(w.scenario, w.actor(w.member_c), "太短")
    assert await Objection.count() == 0

    # C objects through its result page.
    await sign_in(client, w.member_c)
    path = f"/member/results/{w.proposal_c}"
    page = await client.get(path)
    assert "提出质疑" in page.text
    done = await post_form(client, f"{path}/objections", {"reason": REASON}, token_from=path)
    assert done.status_code == 303
    page = await client.get(path)
    assert REASON in page.text and "等待部门答复" in page.text
    staff_told = await Notification.select(Notification.user).where(Notification.kind == "objection_raised")
    assert w.staff in {n["user"] for n in staff_told}
    assert await AuditEvent.exists().where(AuditEvent.action == "objection.raise")
    # Another applicant does not see C's objection; the public sees the count only.
    client.cookies.clear()
    await sign_in(client, w.member_b)
    assert REASON not in (await client.get(f"/member/results/{w.proposal_b}")).text
    client.cookies.clear()
    public = await client.get(f"/scenarios/{w.scenario}")
    assert "1 件质疑，0 件已答复" in public.text and REASON not in public.text

    # The pilot cannot start while it is open.
    with pytest.raises(Conflict, match="质疑未答复"):
        await start_pilot(w.scenario, w.actor(w.staff))

    # The department answers on its decision page; another department cannot, nor an admin.
    objection = (await Objection.select(Objection.id).first())["id"]
    with pytest.raises(NotFound):
        await objections.answer_objection(objection, w.actor(w.outsider), "别的部门来答复这件质疑。")
    with pytest.raises(NotAllowed):
        await objections.answer_objection(objection, w.actor(w.admin), "协会管理员来答复这件质疑。")
    await sign_in(client, w.staff)
    board = await client.get(f"/staff/scenarios/{w.scenario}/decision")
    assert REASON in board.text
    answered = await post_form(
        client,
        f"/staff/scenarios/{w.scenario}/objections/{objection}/answer",
        {"answer": "经复核，报价评分按评分办法第三条计算，结果维持不变。"},
        token_from=f"/staff/scenarios/{w.scenario}/decision",
    )
    assert answered.status_code == 303
    event = await AuditEvent.select().where(AuditEvent.action == "objection.answer").first()
    assert "结果维持不变" in json.loads(event["after"])["answer"]
    with pytest.raises(Conflict):
        await objections.answer_objection(objection, w.actor(w.staff), "第二次答复同一件质疑。")
    told = await Notification.select(Notification.user).where(Notification.kind == "objection_answered")
    assert w.member_c in {n["user"] for n in told}
    client.cookies.clear()
    assert "1 件质疑，1 件已答复" in (await client.get(f"/scenarios/{w.scenario}")).text
    assert await start_pilot(w.scenario, w.actor(w.staff))


async def test_the_objection_window_closes(db, client):
    w = await decided_world(selected="a", publish=True)
    clock.set_now(clock.now() + dt.timedelta(days=get_settings().objection_days, minutes=1))
    with pytest.raises(Conflict, match="质疑期已于"):
        await objections.raise_objection(w.scenario, w.actor(w.member_c), REASON)
    await sign_in(client, w.member_c)
    page = await client.get(f"/member/results/{w.proposal_c}")
    assert "质疑期已于" in page.text and "提出质疑</button>" not in page.text
    refused = await post_form(
        client, f"/member/results/{w.proposal_c}/objections", {"reason": REASON}, token_from="/member"
    )
    assert refused.status_code == 409 and await Objection.count() == 0


async def test_no_objection_before_publication(db, client):
    w = await decided_world(selected="a", publish=False)
    with pytest.raises(NotFound):
        await objections.raise_objection(w.scenario, w.actor(w.member_c), REASON)
    await sign_in(client, w.member_c)
    refused = await post_form(
        client, f"/member/results/{w.proposal_c}/objections", {"reason": REASON}, token_from="/member"
    )
    assert refused.status_code == 404


async def test_who_may_object_and_answer_through_the_pages(db, client):
    w = await decided_world(selected="a", publish=True)
    # Another company cannot object with (or read) C's result page; the public cannot at all.
    await sign_in(client, w.member_b)
    refused = await post_form(
        client, f"/member/results/{w.proposal_c}/objections", {"reason": REASON}, token_from="/member"
    )
    assert refused.status_code == 404
    client.cookies.clear()
    anonymous = await client.post(f"/member/results/{w.proposal_c}/objections", data={"reason": REASON})
    assert anonymous.status_code in (401, 403)
    assert await Objection.count() == 0
    objection = await objections.raise_objection(w.scenario, w.actor(w.member_c), REASON)
    # Staff of another department, and members, cannot answer it through the page.
    for user in (w.outsider, w.member_c):
        client.cookies.clear()
        await sign_in(client, user)
        response = await post_form(
            client,
            f"/staff/scenarios/{w.scenario}/objections/{objection}/answer",
            {"answer": "不相关的人来答复这件质疑。"},
            token_from="/account",
        )
        assert response.status_code in (403, 404)
    assert await objections.open_objections(w.scenario) == 1
