"""Each user's notification settings (in the app / by mail, per kind), on the account's
notification settings page, and honoured by ``notify`` for every kind."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from marketplace.core.audit import Actor
from marketplace.core.tables import AuditEvent
from marketplace.notifications import services
from marketplace.notifications.labels import KIND_LABELS, KINDS_BY_ROLE
from marketplace.notifications.services import Message, deliver_pending_emails, notify
from marketplace.notifications.tables import NOTIFICATION_KINDS, Notification
from marketplace.settings import get_settings
from tests.accounts.helpers import make_user, post_form, sign_in

PAGE = "/account/notifications"


@pytest.fixture
def outbox():
    folder = Path(get_settings().mail.outbox_dir)
    for p in folder.glob("*.eml") if folder.exists() else []:
        p.unlink()
    return lambda: sorted(folder.glob("*.eml")) if folder.exists() else []


def test_every_kind_has_a_label_and_a_role():
    assert set(KIND_LABELS) == set(NOTIFICATION_KINDS)
    assert {k for kinds in KINDS_BY_ROLE.values() for k in kinds} == set(NOTIFICATION_KINDS)


async def test_mail_off_for_a_kind_keeps_the_in_app_notification_and_sends_no_mail(db, outbox):
    user = await make_user("m@example.com")
    other = await make_user("n@example.com")
    await services.save_notification_settings(
        user,
        Actor(user_id=user),
        in_app=set(KINDS_BY_ROLE["member"]),
        email=set(KINDS_BY_ROLE["member"]) - {"question_answered"},
    )
    await notify([user, other], Message("question_answered", "您的提问已答复：甲", "可以。", "/scenarios/1"))
    await notify([user], Message("amendment", "场景变更：甲"))
    assert await services.unread_count(user) == 2
    assert await deliver_pending_emails() == 2  # the amendment to user, the answer to other only
    mailed = {
        r["user"]: r["email_status"]
        for r in await Notification.select().where(Notification.kind == "question_answered")
    }
    assert mailed == {user: "none", other: "sent"}
    assert len(outbox()) == 2


async def test_in_app_off_means_no_bell_and_both_off_means_nothing(db, outbox):
    user = await make_user("m@example.com")
    kinds = set(KINDS_BY_ROLE["member"])
    await services.save_notification_settings(
        user, Actor(user_id=user), in_app=kinds - {"scenario_match", "amendment"}, email=kinds - {"amendment"}
    )
    assert await notify([user], Message("scenario_match", "新场景")) == [user]
    assert await notify([user], Message("amendment", "变更")) == []
    assert await services.unread_count(user) == 0
    assert [r["kind"] for r in await Notification.select(Notification.kind)] == ["scenario_match"]
    assert await deliver_pending_emails() == 1  # mailed all the same


async def test_the_settings_page_lists_the_roles_kinds_and_saves_them(db, client):
    user = await make_user("m@example.com")
    staff = await make_user("s@example.com", role="staff")
    await sign_in(client, user)
    page = await client.get(PAGE)
    assert (
        page.status_code == 200
        and "我的提问已答复" in page.text
        and "本部门场景收到新的提问" not in page.text
    )
    assert "通知设置" in (await client.get("/account")).text
    kinds = KINDS_BY_ROLE["member"]
    data = {f"in_app_{k}": "1" for k in kinds} | {
        f"email_{k}": "1" for k in kinds if k != "question_answered"
    }
    saved = await post_form(client, PAGE, data, token_from=PAGE)
    assert saved.status_code == 303
    page = await client.get(saved.headers["location"])
    assert "通知设置已保存" in page.text
    assert re.search(r'name="in_app_question_answered" value="1" checked', page.text)
    assert re.search(r'name="email_question_answered" value="1" aria-describedby', page.text)  # unticked
    assert re.search(r'name="email_amendment" value="1" checked', page.text)
    event = await AuditEvent.select().where(AuditEvent.action == "notification.settings").first()
    assert json.loads(event["after"])["email_off"] == ["我的提问已答复"]
    client.cookies.clear()
    await sign_in(client, staff)
    assert "本部门场景收到新的提问" in (await client.get(PAGE)).text


async def test_an_unknown_kind_is_refused_in_chinese_and_nothing_is_stored(db, client):
    user = await make_user("m@example.com")
    await sign_in(client, user)
    r = await post_form(client, PAGE, {"email_question_asked": "1"}, token_from=PAGE)  # a staff kind
    assert r.status_code == 400 and "无法识别的通知类型" in r.text
    assert await AuditEvent.count().where(AuditEvent.action == "notification.settings") == 0


async def test_signed_out_visitors_are_sent_to_log_in(db, client):
    r = await client.get(PAGE)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
