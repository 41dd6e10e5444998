"""Notification use cases: write (``notify``, inside the caller's transaction), read (the bell's
count, the list), mark read, and mail the pending ones (``deliver_pending_emails``).

Raises ``NotFound`` when a user touches a notification that is not theirs (its id reveals
nothing). Imports nothing from Litestar.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from marketplace.accounts.tables import User
from marketplace.core import clock
from marketplace.core.audit import Actor, record
from marketplace.core.db import write_transaction
from marketplace.core.errors import NotFound, ValidationFailed
from marketplace.core.mail import send_mail
from marketplace.core.pagination import Page
from marketplace.notifications.labels import EMAIL_OFF_BY_DEFAULT, KIND_LABELS, KINDS_BY_ROLE
from marketplace.notifications.tables import NOTIFICATION_KINDS, Notification, NotificationSetting
from marketplace.settings import get_settings

log = logging.getLogger(__name__)

PAGE_SIZE = 30
DELIVERY_BATCH = 100


@dataclass(frozen=True)
class Message:
    """What to tell: a one-line title, a plain-text body and a link on this site."""

    kind: str
    title: str
    body: str = ""
    link: str = ""


async def notify(
    user_ids: Iterable[int], message: Message, *, dedupe_key: str | None = None, email: bool = True
) -> list[int]:
    """Write one notification per user (duplicates in ``user_ids`` collapse) and queue its mail.

    Call it inside the transaction of the change it reports, so the notification exists exactly
    when the change does. With ``dedupe_key`` (the per-user key is ``{dedupe_key}:u{user id}``),
    a user who already has that notification gets nothing new: the reminder tasks rely on this
    to never send the same reminder twice. Inactive users get nothing.

    Each user's settings for the kind decide (``NotificationSetting``; without one, the kind's
    default: in the app, and mailed when ``email`` and the kind is not in
    ``EMAIL_OFF_BY_DEFAULT``): mail off, no mail; in-app off, the row is written already read
    (no bell; still in the list, and still mailed if mail is on); both off, nothing at all.
    Returns the ids of the users notified now (in the app or by mail).
    """
    if message.kind not in NOTIFICATION_KINDS:
        raise ValueError(f"unknown notification kind {message.kind!r}")
    wanted = sorted(set(user_ids))
    if not wanted:
        return []
    active = {
        r["id"] for r in await User.select(User.id).where(User.id.is_in(wanted) & (User.active == True))
    }
    targets = [u for u in wanted if u in active]
    if dedupe_key and targets:
        keys = {f"{dedupe_key}:u{u}": u for u in targets}
        seen = await Notification.select(Notification.dedupe_key).where(
            Notification.dedupe_key.is_in(list(keys))
        )
        already = {keys[r["dedupe_key"]] for r in seen}
        targets = [u for u in targets if u not in already]
    if not targets:
        return []
    choices = await _choices(targets, message.kind, email)
    targets = [u for u in targets if any(choices[u])]
    if not targets:
        return []
    now = clock.now()
    await Notification.insert(
        *[
            Notification(
                user=u,
                kind=message.kind,
                title=message.title[:200],
                body=message.body,
                link=message.link[:300],
                created_at=now,
                read_at=None if choices[u][0] else now,
                dedupe_key=f"{dedupe_key}:u{u}" if dedupe_key else None,
                email_status="pending" if choices[u][1] else "none",
            )
            for u in targets
        ]
    )
    return targets


def _default_email(kind: str, email: bool = True) -> bool:
    return email and kind not in EMAIL_OFF_BY_DEFAULT


async def _choices(user_ids: list[int], kind: str, email: bool) -> dict[int, tuple[bool, bool]]:
    """(in the app, by mail) per user for one kind: their setting, else the default."""
    rows = await NotificationSetting.select(
        NotificationSetting.user, NotificationSetting.in_app, NotificationSetting.email
    ).where(NotificationSetting.user.is_in(user_ids) & (NotificationSetting.kind == kind))
    chosen = {r["user"]: (r["in_app"], r["email"]) for r in rows}
    default = (True, _default_email(kind, email))
    return {u: chosen.get(u, default) for u in user_ids}


@dataclass(frozen=True)
class KindSetting:
    """One line of the settings page: a kind of notification and how the user gets it."""

    kind: str
    label: str
    in_app: bool
    email: bool


def _role_of(user: dict) -> str:
    return user["role"] if user["role"] in KINDS_BY_ROLE else "member"


async def list_notification_settings(user_id: int) -> list[KindSetting]:
    """The kinds the user's role can receive, each with the user's choice (or the default)."""
    user = await User.select(User.role).where(User.id == user_id).first()
    if user is None:
        raise NotFound("用户不存在。")
    rows = await NotificationSetting.select(
        NotificationSetting.kind, NotificationSetting.in_app, NotificationSetting.email
    ).where(NotificationSetting.user == user_id)
    chosen = {r["kind"]: (r["in_app"], r["email"]) for r in rows}
    out = []
    for kind in KINDS_BY_ROLE[_role_of(user)]:
        in_app, mail = chosen.get(kind, (True, _default_email(kind)))
        out.append(KindSetting(kind, KIND_LABELS[kind], in_app, mail))
    return out


def _summary(settings: list[KindSetting]) -> dict[str, list[str]]:
    return {
        "in_app_off": [s.label for s in settings if not s.in_app],
        "email_off": [s.label for s in settings if not s.email],
    }


async def save_notification_settings(
    user_id: int, actor: Actor, *, in_app: set[str], email: set[str]
) -> list[KindSetting]:
    """Set, for every kind the user's role can receive, whether it shows in the app (``in_app``:
    the kinds ticked) and whether it is mailed (``email``). Unknown kinds are refused
    (``ValidationFailed``); audited as ``notification.settings`` with what changed."""
    before = await list_notification_settings(user_id)
    known = {s.kind for s in before}
    unknown = (in_app | email) - known
    if unknown:
        raise ValidationFailed("通知设置中有无法识别的通知类型，请刷新页面后重试。")
    now = clock.now()
    async with write_transaction():
        await NotificationSetting.delete().where(NotificationSetting.user == user_id)
        await NotificationSetting.insert(
            *[
                NotificationSetting(
                    user=user_id, kind=k, in_app=k in in_app, email=k in email, updated_at=now
                )
                for k in sorted(known)
            ]
        )
        after = [KindSetting(s.kind, s.label, s.kind in in_app, s.kind in email) for s in before]
        if after != before:
            await record(
                actor,
                "notification.settings",
                "user",
                user_id,
                before=_summary(before),
                after=_summary(after),
            )
    return after


async def unread_count(user_id: int) -> int:
    return await Notification.count().where((Notification.user == user_id) & Notification.read_at.is_null())


@dataclass(frozen=True)
class NotificationItem:
    """One notification as the bell's list and the member home show it."""

    id: int
    kind: str
    title: str
    body: str
    link: str
    created_at: dt.datetime
    read_at: dt.datetime | None


async def list_notifications(user_id: int, page: int = 1) -> Page[NotificationItem]:
    """The user's notifications, newest first."""
    where = Notification.user == user_id
    total = await Notification.count().where(where)
    rows = (
        await Notification.select(
            Notification.id,
            Notification.kind,
            Notification.title,
            Notification.body,
            Notification.link,
            Notification.created_at,
            Notification.read_at,
        )
        .where(where)
        .order_by(Notification.created_at, ascending=False)
        .order_by(Notification.id, ascending=False)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    )
    return Page(items=[NotificationItem(**r) for r in rows], total=total, page=page, page_size=PAGE_SIZE)


async def mark_read(user_id: int, notification_id: int) -> str:
    """Mark one of the user's notifications read; return its link. ``NotFound`` if not theirs."""
    async with write_transaction():
        row = (
            await Notification.select(Notification.link, Notification.read_at)
            .where((Notification.id == notification_id) & (Notification.user == user_id))
            .first()
        )
        if row is None:
            raise NotFound("通知不存在。")
        if row["read_at"] is None:
            await Notification.update({Notification.read_at: clock.now()}).where(
                Notification.id == notification_id
            )
    return row["link"]


async def mark_all_read(user_id: int) -> int:
    """Mark every unread notification of the user read; return how many."""
    async with write_transaction():
        n = await unread_count(user_id)
        await Notification.update({Notification.read_at: clock.now()}).where(
            (Notification.user == user_id) & Notification.read_at.is_null()
        )
    return n


def _mail_text(row: dict) -> str:
    base = get_settings().base_url
    parts = [row["title"], ""]
    if row["body"]:
        parts += [row["body"], ""]
    if row["link"]:
        parts += [f"查看详情：{base}{row['link']}", ""]
    parts += ["——", "数园区场景开放平台。您在平台上的通知也可在「通知」页面查看。"]
    return "\n".join(parts)


async def deliver_pending_emails(limit: int = DELIVERY_BATCH) -> int:
    """Mail pending notifications (through ``core.mail``: SMTP, or .eml files in development).

    Each row is claimed (pending -> sending) before it is sent, so two workers never send the
    same mail; a failed send is marked ``failed`` with the error and not retried automatically.
    Returns the number sent.
    """
    rows = (
        await Notification.select(
            Notification.id,
            Notification.title,
            Notification.body,
            Notification.link,
            Notification.user.email,
        )
        .where(Notification.email_status == "pending")
        .order_by(Notification.id)
        .limit(limit)
    )
    sent = 0
    for row in rows:
        claimed = (
            await Notification.update({Notification.email_status: "sending"})
            .where((Notification.id == row["id"]) & (Notification.email_status == "pending"))
            .returning(Notification.id)
        )
        if not claimed:
            continue  # another worker has it
        try:
            await send_mail(row["user.email"], f"【数园区】{row['title']}", _mail_text(row))
        except Exception as exc:  # the mail server's problem, not the user's: keep going
            log.warning("notification %s: mail failed: %s", row["id"], exc)
            await Notification.update(
                {Notification.email_status: "failed", Notification.email_error: str(exc)[:500]}
            ).where(Notification.id == row["id"])
            continue
        await Notification.update(
            {Notification.email_status: "sent", Notification.emailed_at: clock.now()}
        ).where(Notification.id == row["id"])
        sent += 1
    return sent
