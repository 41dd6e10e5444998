"""Following a scenario: any signed-in user follows a public scenario from its page (not a draft),
sees it on their home, and is told of amendments, new answers, deadline extensions, the
approaching deadline and the cancellation; unfollowing stops it. Each follow is audited."""

from __future__ import annotations

import datetime as dt

import pytest

from marketplace.core import clock
from marketplace.core.audit import Actor
from marketplace.core.errors import NotFound
from marketplace.core.tables import AuditEvent
from marketplace.notifications.tables import Notification
from marketplace.scenarios import follows, publishing, questions
from marketplace.scenarios.periodic import send_deadline_reminders
from marketplace.scenarios.tables import ScenarioFollow
from tests.accounts.helpers import make_user, post_form, sign_in
from tests.factories import make_company
from tests.scenarios.helpers import NOW, complete_input, make_world


async def _open_scenario(w) -> int:
    sid = await publishing.create_scenario_draft(w.actor(w.author), complete_input(w))
    await publishing.submit_for_review(sid, w.actor(w.author))
    await publishing.approve_scenario_for_publication(sid, w.actor(w.cdo_x))
    await Notification.delete(force=True)
    return sid


async def _titles(user_id: int) -> list[str]:
    rows = (
        await Notification.select(Notification.title)
        .where(Notification.user == user_id)
        .order_by(Notification.id)
    )
    return [r["title"] for r in rows]


async def test_a_follower_hears_of_changes_answers_extensions_and_the_deadline(db):
    w = await make_world()
    sid = await _open_scenario(w)
    outsider_company = await make_company(name="己观察公司")
    follower = await make_user("f@example.com", company=outsider_company)  # no proposal, no match
    bystander = await make_user("n@example.com", company=outsider_company)
    assert await follows.follow_scenario(sid, follower, Actor(user_id=follower))
    assert not await follows.follow_scenario(sid, follower, Actor(user_id=follower))  # once
    assert await ScenarioFollow.count() == 1
    assert await AuditEvent.count().where(AuditEvent.action == "scenario.follow") == 1

    await publishing.amend_scenario(
        sid, w.actor(w.author), complete_input(w, budget_max=800_000), "预算调整。"
    )
    qid = await questions.ask_question(sid, Actor(user_id=w.member_a), "能否提供夜间样本？")
    await questions.answer_question(qid, w.actor(w.author), "可以提供。")
    await publishing.extend_scenario_deadline(
        sid, w.actor(w.author), NOW + dt.timedelta(days=30), "答疑较多，延期十天。"
    )
    titles = await _titles(follower)
    assert [t.split("：")[0] for t in titles] == ["场景内容变更", "关注的场景有新的答疑", "截止时间延期"]
    answer_note = (
        await Notification.select(Notification.body)
        .where((Notification.user == follower) & (Notification.kind == "question_answered"))
        .first()
    )
    assert "能否提供夜间样本" in answer_note["body"] and "甲视觉" not in answer_note["body"]
    # The asker gets their own message, not a second one as a follower.
    assert (await _titles(w.member_a)).count("关注的场景有新的答疑：河道漂浮物发现慢、处置滞后") == 0
    assert await _titles(bystander) == []

    clock.set_now(NOW + dt.timedelta(days=29, hours=12))
    await send_deadline_reminders()
    assert any(t.startswith("距方案截止不足 1 天") for t in await _titles(follower))

    assert await follows.unfollow_scenario(sid, follower, Actor(user_id=follower))
    await publishing.amend_scenario(
        sid,
        w.actor(w.author),
        complete_input(w, budget_max=900_000, proposal_deadline=NOW + dt.timedelta(days=30)),
        "再调整。",
    )
    assert len(await _titles(follower)) == 4  # nothing new after unfollowing


async def test_only_public_scenarios_can_be_followed(db):
    w = await make_world()
    draft = await publishing.create_scenario_draft(w.actor(w.author), complete_input(w))
    with pytest.raises(NotFound):
        await follows.follow_scenario(draft, w.member_a, Actor(user_id=w.member_a))
    with pytest.raises(NotFound):
        await follows.follow_scenario(99_999, w.member_a, Actor(user_id=w.member_a))


async def test_following_from_the_page_and_the_home_list(db, client):
    w = await make_world()
    sid = await _open_scenario(w)
    draft = await publishing.create_scenario_draft(w.actor(w.author), complete_input(w, title="草稿场景标题"))
    # Anonymous visitors are asked to sign in; the route refuses them.
    page = await client.get(f"/scenarios/{sid}")
    assert "登录</a> 后可以关注此场景" in page.text
    assert (await client.post(f"/scenarios/{sid}/follow")).status_code in (401, 403)

    await sign_in(client, w.member_b)
    page = await client.get(f"/scenarios/{sid}")
    assert "关注此场景" in page.text
    done = await post_form(client, f"/scenarios/{sid}/follow", {}, token_from=f"/scenarios/{sid}")
    assert done.status_code == 303
    page = await client.get(done.headers["location"])
    assert "已关注。" in page.text and "取消关注" in page.text
    home = await client.get("/member")
    assert "我关注的场景" in home.text and "河道漂浮物发现慢、处置滞后" in home.text
    # A draft is not found, and following it leaves no trace.
    refused = await post_form(client, f"/scenarios/{draft}/follow", {}, token_from=f"/scenarios/{sid}")
    assert refused.status_code == 404
    assert await ScenarioFollow.count() == 1

    undone = await post_form(client, f"/scenarios/{sid}/unfollow", {}, token_from=f"/scenarios/{sid}")
    assert undone.status_code == 303
    assert "尚未关注场景" in (await client.get("/member")).text

    # Staff may follow too (any signed-in user).
    client.cookies.clear()
    await sign_in(client, w.staff_y)
    assert (
        await post_form(client, f"/scenarios/{sid}/follow", {}, token_from=f"/scenarios/{sid}")
    ).status_code == 303
    assert await follows.is_following(sid, w.staff_y)


async def test_the_api_follows_with_a_token_and_refuses_drafts_and_strangers(db, client):
    from tests.accounts.helpers import bearer

    w = await make_world()
    sid = await _open_scenario(w)
    draft = await publishing.create_scenario_draft(w.actor(w.author), complete_input(w, title="草稿场景标题"))
    assert (await client.put(f"/api/v1/scenarios/{sid}/follow")).status_code == 401
    headers = await bearer(w.member_b)
    done = await client.put(f"/api/v1/scenarios/{sid}/follow", headers=headers)
    assert done.status_code == 200 and done.json() == {"scenario_id": sid, "following": True}
    assert (await client.put(f"/api/v1/scenarios/{draft}/follow", headers=headers)).status_code == 404
    listed = (await client.get("/api/v1/me/follows", headers=headers)).json()
    assert [f["id"] for f in listed] == [sid] and listed[0]["title"] == "河道漂浮物发现慢、处置滞后"
    # Another user's list is their own.
    assert (await client.get("/api/v1/me/follows", headers=await bearer(w.member_a))).json() == []
    gone = await client.delete(f"/api/v1/scenarios/{sid}/follow", headers=headers)
    assert gone.status_code == 200 and gone.json()["following"] is False
    assert (await client.get("/api/v1/me/follows", headers=headers)).json() == []
