"""Notifications: written once per user (idempotent with a dedupe key), shown behind the bell and
on /notifications, marked read by their owner only, mailed afterwards (claimed, never twice)."""

from __future__ import annotations

import email
import shutil
from email import policy

import pytest

from marketplace.core import mail
from marketplace.core.errors import NotFound
from marketplace.notifications import services
from marketplace.notifications.services import Message
from marketplace.notifications.tables import Notification
from marketplace.settings import get_settings
from tests.accounts.helpers import make_user, post_form, sign_in
from tests.pages.html import parse

MESSAGE = Message(
    "question_answered", "您的提问已答复：河道漂浮物", "可以提供夜间样本。", "/scenarios/1#sec-qa"
)


@pytest.fixture
def mailbox():
    folder = get_settings().mail.outbox_dir
    if folder.exists():
        shutil.rmtree(folder)
    yield folder


def _mails(folder) -> list:
    return [
        email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(folder.glob("*.eml"))
    ]


async def test_notify_once_per_user_and_skip_inactive(db):
    a = await make_user("a@example.com")
    b = await make_user("b@example.com")
    gone = await make_user("gone@example.com", active=False)
    assert await services.notify([a, b, a, gone], MESSAGE) == [a, b]
    assert await Notification.count() == 2
    with pytest.raises(ValueError):
        await services.notify([a], Message("nonsense", "x"))


async def test_a_dedupe_key_makes_it_idempotent(db):
    a = await make_user("a@example.com")
    b = await make_user("b@example.com")
    assert await services.notify([a], MESSAGE, dedupe_key="reminder:1:7d") == [a]
    assert await services.notify([a, b], MESSAGE, dedupe_key="reminder:1:7d") == [b]
    assert await services.notify([a, b], MESSAGE, dedupe_key="reminder:1:7d") == []
    assert await Notification.count() == 2
    # The database refuses a duplicate key even if a caller skipped the check.
    with pytest.raises(Exception):  # noqa: B017 - SQLite and PostgreSQL raise different classes
        await Notification.insert(
            Notification(user=a, kind="deadline_reminder", title="x", dedupe_key=f"reminder:1:7d:u{a}")
        )


async def test_pending_mails_are_sent_once(db, mailbox):
    a = await make_user("a@example.com")
    await services.notify([a], MESSAGE)
    await services.notify([a], Message("amendment", "站内提醒", "不发邮件"), email=False)
    assert await services.deliver_pending_emails() == 1
    assert await services.deliver_pending_emails() == 0
    [sent] = _mails(mailbox)
    assert sent["To"] == "a@example.com" and sent["Subject"] == "【数园区】您的提问已答复：河道漂浮物"
    body = sent.get_body().get_content()
    assert "可以提供夜间样本。" in body and f"{get_settings().base_url}/scenarios/1#sec-qa" in body
    rows = {
        r["title"]: r["email_status"]
        for r in await Notification.select(Notification.title, Notification.email_status)
    }
    assert rows == {"您的提问已答复：河道漂浮物": "sent", "站内提醒": "none"}


async def test_a_failing_mail_server_marks_the_mail_failed_and_goes_on(db, mailbox, monkeypatch):
    a = await make_user("a@example.com")
    b = await make_user("b@example.com")
    await services.notify([a, b], MESSAGE)
    real_send = services.send_mail

    async def flaky(to, subject, body):
        if to == "a@example.com":
            raise OSError("connection refused")
        await real_send(to, subject, body)

    monkeypatch.setattr(services, "send_mail", flaky)
    assert await services.deliver_pending_emails() == 1
    rows = {
        r["user"]: (r["email_status"], r["email_error"])
        for r in await Notification.select(
            Notification.user, Notification.email_status, Notification.email_error
        )
    }
    assert rows == {a: ("failed", "connection refused"), b: ("sent", "")}
    assert [m["To"] for m in _mails(mailbox)] == ["b@example.com"]
    assert mail  # (core.mail writes the .eml files when SMTP is not configured)


async def test_marking_read_is_for_the_owner_only(db):
    a = await make_user("a@example.com")
    b = await make_user("b@example.com")
    await services.notify([a, b], MESSAGE)
    mine = (await Notification.select(Notification.id).where(Notification.user == a).first())["id"]
    with pytest.raises(NotFound):
        await services.mark_read(b, mine)
    assert await services.unread_count(a) == 1
    assert await services.mark_read(a, mine) == "/scenarios/1#sec-qa"
    assert await services.unread_count(a) == 0 and await services.unread_count(b) == 1
    await services.notify([b], MESSAGE)
    assert await services.mark_all_read(b) == 2
    assert await services.unread_count(b) == 0


async def test_the_notifications_page(db, client):
    assert (await client.get("/notifications")).status_code in (302, 303)
    a = await make_user("a@example.com")
    b = await make_user("b@example.com")
    await services.notify([a], MESSAGE)
    await services.notify(
        [a], Message("amendment", "场景内容变更：河道漂浮物", "变更原因：预算调整。", "/scenarios/1")
    )
    await sign_in(client, a)
    doc = parse((await client.get("/notifications")).text)
    items = doc.find("ul", "notification-list").find_all("li")
    assert [i.find("p", "notification-title").text() for i in items] == [
        "未读： 场景内容变更：河道漂浮物",
        "未读： 您的提问已答复：河道漂浮物",
    ]
    assert doc.find("a", "bell").find("span", "bell-count").text() == "2"
    first = (await Notification.select(Notification.id).order_by(Notification.id).first())["id"]
    read = await post_form(client, f"/notifications/{first}/read", {}, token_from="/notifications")
    assert read.status_code == 303
    assert (
        parse((await client.get("/notifications")).text).find("a", "bell").find("span", "bell-count").text()
        == "1"
    )
    await post_form(client, "/notifications/read-all", {}, token_from="/notifications")
    doc = parse((await client.get("/notifications?done=all")).text)
    assert doc.find("span", "bell-count") is None and "已全部标为已读" in doc.text()

    await sign_in(client, b)  # someone else's notification: 404, nothing revealed
    assert (
        await post_form(client, f"/notifications/{first}/open", {}, token_from="/notifications")
    ).status_code == 404
    assert "暂时没有通知" in (await client.get("/notifications")).text
