"""Inviting a member company to apply to an open scenario (staff acting on a recommendation).

Two channels. A company with active users is told in the app (and by mail, as each user's
notification settings say): ``invite_company_to_apply``. A company with no account yet has
nobody to tell in the app: staff mail its contact an invitation to register, with a one-time
link that opens the company's first account and leads to the scenario
(``invite_company_by_email``, then ``open_invited_account``). Every invitation is a
``ScenarioInvitation`` row and an audit event; a company already invited to the scenario is not
invited again unless staff ask for a resend explicitly.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass

from piccolo.columns import ForeignKey

from marketplace.accounts.credentials import hash_secret
from marketplace.accounts.services import EMAIL_RE, normalize_email, open_company_account
from marketplace.accounts.tables import User
from marketplace.companies.tables import Company
from marketplace.core import clock
from marketplace.core.audit import Actor, record
from marketplace.core.db import for_update, write_transaction
from marketplace.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from marketplace.core.mail import send_mail
from marketplace.notifications.services import Message, notify
from marketplace.scenarios.links import invited_registration_page, scenario_page
from marketplace.scenarios.tables import Scenario, ScenarioInvitation
from marketplace.settings import get_settings

log = logging.getLogger(__name__)

INVITATION_LINK_DAYS = 30
_EMAIL_FIELD = "invite_email"


@dataclass(frozen=True)
class InvitationOutcome:
    """What an invite action did, for staff to be told exactly.

    ``sent``: ``in_app`` (``users`` users notified) or ``email`` (mailed to ``email``);
    ``already``: nothing sent, the company was invited before (``previous`` says when);
    ``no_account``: nothing sent, the company has no active user (offer the mail instead);
    ``mail_failed``: the mailed invitation is recorded but the mail server refused it."""

    result: str  # sent | already | no_account | mail_failed
    channel: str = ""  # in_app | email (for sent and already)
    users: int = 0
    email: str = ""
    previous: dt.datetime | None = None


@dataclass(frozen=True)
class CompanyInvitationStatus:
    """The latest invitation of one company to one scenario, as the match page shows it."""

    company_id: int
    channel: str
    at: dt.datetime
    users: int
    email: str
    times: int  # how many invitations in all (resends included)
    claimed: bool  # the mailed link was used to open the company's account


async def _check_may_invite(
    scenario_id: int, *, actor_department_id: int | None, actor_is_admin: bool
) -> dict:
    scenario = (
        await Scenario.select(Scenario.title, Scenario.department, Scenario.department.name, Scenario.status)
        .where(Scenario.id == scenario_id)
        .first()
    )
    if scenario is None:
        raise NotFound("场景不存在。")
    if not actor_is_admin and actor_department_id != scenario["department"]:
        raise NotAllowed("只有发布该场景的部门工作人员可以邀请企业。")
    if scenario["status"] != "open":
        raise Conflict("只有征集中的场景才能邀请企业申报。")
    return scenario


async def _approved_company(company_id: int) -> dict:
    company = (
        await Company.select(Company.name, Company.status, Company.contact_email)
        .where(Company.id == company_id)
        .first()
    )
    if company is None:
        raise NotFound("企业不存在。")
    if company["status"] != "approved":
        raise Conflict("只能邀请已审核通过的会员企业。")
    return company


async def _active_users(company_id: int) -> list[int]:
    rows = await User.select(User.id).where((User.company == company_id) & (User.active == True))
    return [r["id"] for r in rows]


async def _previous(scenario_id: int, company_id: int) -> list[dict]:
    """The company's invitations to the scenario, newest first. Locks the scenario row first, so
    two staff inviting at once are told in turn (the second sees the first's invitation)."""
    await for_update(Scenario.select(Scenario.id).where(Scenario.id == scenario_id))
    return (
        await ScenarioInvitation.select(ScenarioInvitation.channel, ScenarioInvitation.created_at)
        .where((ScenarioInvitation.scenario == scenario_id) & (ScenarioInvitation.company == company_id))
        .order_by(ScenarioInvitation.id, ascending=False)
    )


async def invite_company_to_apply(
    scenario_id: int,
    company_id: int,
    actor: Actor,
    *,
    actor_department_id: int | None,
    actor_is_admin: bool,
    resend: bool = False,
) -> InvitationOutcome:
    """Notify every active user of an approved company that staff invite it to apply.

    Nothing is sent when the company was already invited to this scenario (``already``) unless
    ``resend``, or when it has no active user (``no_account``: see ``invite_company_by_email``).
    Records a ``ScenarioInvitation`` (channel ``in_app``) and ``scenario.invite_company``.

    Raises NotFound (no such scenario or company), NotAllowed (not the scenario's department
    staff or an admin) and Conflict (the scenario is not open, the company is not approved).
    """
    scenario = await _check_may_invite(
        scenario_id, actor_department_id=actor_department_id, actor_is_admin=actor_is_admin
    )
    company = await _approved_company(company_id)
    async with write_transaction():
        previous = await _previous(scenario_id, company_id)
        if previous and not resend:
            return InvitationOutcome("already", previous[0]["channel"], previous=previous[0]["created_at"])
        users = await _active_users(company_id)
        if not users:
            return InvitationOutcome("no_account")
        notified = await notify(
            users,
            Message(
                kind="invitation_to_apply",
                title=f"邀请申报：{scenario['title']}",
                body=f"{company['name']}：{scenario['department.name']}认为贵企业的能力与场景"
                f"「{scenario['title']}」相符，欢迎提交方案。",
                link=scenario_page(scenario_id),
            ),
            dedupe_key=f"invite:s{scenario_id}:c{company_id}:{len(previous)}",
        )
        await ScenarioInvitation.insert(
            ScenarioInvitation(
                scenario=scenario_id,
                company=company_id,
                channel="in_app",
                invited_by=actor.user_id,
                users_notified=len(notified),
                resend=bool(previous),
                created_at=clock.now(),
            )
        )
        await record(
            actor,
            "scenario.invite_company",
            "scenario",
            scenario_id,
            after={
                "company": company_id,
                "channel": "in_app",
                "users": len(notified),
                "resend": bool(previous),
            },
        )
    return InvitationOutcome("sent", "in_app", users=len(notified))


def _invitation_mail(company: str, scenario: dict, scenario_id: int, link: str) -> str:
    base = get_settings().base_url
    return (
        f"{company}：\n\n{scenario['department.name']}通过数园区场景开放平台邀请贵企业申报场景"
        f"「{scenario['title']}」。\n\n贵企业尚未开通平台账号。请在 {INVITATION_LINK_DAYS} 天内打开下面的链接，"
        f"为贵企业开通账号（企业信息已预先填好，只需填写联系人和密码），随后即可查看场景并提交方案：\n\n"
        f"{link}\n\n场景详情：{base}{scenario_page(scenario_id)}\n\n如贵企业无意申报，请忽略本邮件。\n"
    )


async def invite_company_by_email(
    scenario_id: int,
    company_id: int,
    email: str,
    actor: Actor,
    *,
    actor_department_id: int | None,
    actor_is_admin: bool,
    resend: bool = False,
) -> InvitationOutcome:
    """Mail a company that has no account yet an invitation to register, with a one-time link
    (``INVITATION_LINK_DAYS`` days) that opens its first account and leads to the scenario.

    Nothing is sent when the company was already invited to this scenario (``already``) unless
    ``resend``. Records a ``ScenarioInvitation`` (channel ``email``) and
    ``scenario.invite_company_by_email``; the mail goes out after the record is committed.

    Raises ValidationFailed (``invite_email``: not an e-mail address), Conflict (the company has
    an account: invite it in the app), and what ``invite_company_to_apply`` raises.
    """
    scenario = await _check_may_invite(
        scenario_id, actor_department_id=actor_department_id, actor_is_admin=actor_is_admin
    )
    company = await _approved_company(company_id)
    address = normalize_email(email or "")
    if not EMAIL_RE.match(address) or len(address) > 254:
        message = "请填写有效的邮箱地址，例如 contact@example.com。"
        raise ValidationFailed(message, {_EMAIL_FIELD: message})
    token = secrets.token_urlsafe(32)
    async with write_transaction():
        if await _active_users(company_id):
            raise Conflict("该企业已开通平台账号，请使用站内邀请。")
        previous = await _previous(scenario_id, company_id)
        if previous and not resend:
            return InvitationOutcome("already", previous[0]["channel"], previous=previous[0]["created_at"])
        now = clock.now()
        await ScenarioInvitation.insert(
            ScenarioInvitation(
                scenario=scenario_id,
                company=company_id,
                channel="email",
                invited_by=actor.user_id,
                email=address,
                resend=bool(previous),
                token_hash=hash_secret(token),
                expires_at=now + dt.timedelta(days=INVITATION_LINK_DAYS),
                created_at=now,
            )
        )
        await record(
            actor,
            "scenario.invite_company_by_email",
            "scenario",
            scenario_id,
            after={"company": company_id, "channel": "email", "email": address, "resend": bool(previous)},
        )
    link = f"{get_settings().base_url}{invited_registration_page(token)}"
    try:
        await send_mail(
            address,
            f"【数园区】邀请贵企业开通账号并申报：{scenario['title']}",
            _invitation_mail(company["name"], scenario, scenario_id, link),
        )
    except Exception as exc:  # the mail server's problem: the invitation stays recorded, staff may resend
        log.warning("invitation mail to company %s failed: %s", company_id, exc)
        return InvitationOutcome("mail_failed", "email", email=address)
    return InvitationOutcome("sent", "email", email=address)


async def invitation_statuses(scenario_id: int) -> dict[int, CompanyInvitationStatus]:
    """Company id -> its latest invitation to the scenario (for the match page)."""
    rows = (
        await ScenarioInvitation.select(
            ScenarioInvitation.company,
            ScenarioInvitation.channel,
            ScenarioInvitation.created_at,
            ScenarioInvitation.users_notified,
            ScenarioInvitation.email,
            ScenarioInvitation.claimed_at,
        )
        .where(ScenarioInvitation.scenario == scenario_id)
        .order_by(ScenarioInvitation.id)
    )
    out: dict[int, CompanyInvitationStatus] = {}
    for r in rows:
        before = out.get(r["company"])
        out[r["company"]] = CompanyInvitationStatus(
            company_id=r["company"],
            channel=r["channel"],
            at=r["created_at"],
            users=r["users_notified"],
            email=r["email"],
            times=(before.times if before else 0) + 1,
            claimed=(before.claimed if before else False) or r["claimed_at"] is not None,
        )
    return out


@dataclass(frozen=True)
class InvitationTarget:
    """A company as the invite form needs it: its name, its listed contact e-mail, whether it
    has an account."""

    company_id: int
    name: str
    contact_email: str
    has_account: bool


async def invitation_target(company_id: int) -> InvitationTarget | None:
    company = (
        await Company.select(Company.name, Company.contact_email).where(Company.id == company_id).first()
    )
    if company is None:
        return None
    return InvitationTarget(
        company_id, company["name"], company["contact_email"], bool(await _active_users(company_id))
    )


@dataclass(frozen=True)
class MailedInvitation:
    """What the registration page of a mailed invitation shows."""

    company_name: str
    scenario_id: int
    scenario_title: str
    department_name: str
    email: str


async def _live_invitation(token: str) -> dict:
    department = ScenarioInvitation.scenario.department
    assert isinstance(department, ForeignKey)  # joined foreign key (Piccolo types it Column | Any)
    row = (
        await ScenarioInvitation.select(
            ScenarioInvitation.id,
            ScenarioInvitation.company,
            ScenarioInvitation.company.name,
            ScenarioInvitation.scenario,
            ScenarioInvitation.scenario.title,
            department.name,
            ScenarioInvitation.email,
            ScenarioInvitation.expires_at,
            ScenarioInvitation.claimed_at,
        )
        .where(ScenarioInvitation.token_hash == hash_secret(token or ""))
        .first()
    )
    if row is None or row["claimed_at"] is not None or (row["expires_at"] or clock.now()) <= clock.now():
        raise NotFound("邀请链接无效、已使用或已过期。请联系邀请您的部门重新发送。")
    return row


async def get_mailed_invitation(token: str) -> MailedInvitation:
    """The invitation behind a mailed link; ``NotFound`` when unknown, used or expired."""
    row = await _live_invitation(token)
    return MailedInvitation(
        company_name=row["company.name"],
        scenario_id=row["scenario"],
        scenario_title=row["scenario.title"],
        department_name=row["scenario.department.name"],
        email=row["email"],
    )


async def open_invited_account(
    token: str, *, contact_name: str, email: str, password: str, ip_address: str = ""
) -> int:
    """Open the invited company's first account through the mailed link (used up by it);
    returns the scenario id to lead the new user to. Raises what ``get_mailed_invitation`` and
    ``accounts.services.open_company_account`` raise."""
    async with write_transaction():
        row = await _live_invitation(token)
        await for_update(
            ScenarioInvitation.select(ScenarioInvitation.id).where(ScenarioInvitation.id == row["id"])
        )
        await open_company_account(
            company_id=row["company"],
            contact_name=contact_name,
            email=email,
            password=password,
            ip_address=ip_address,
        )
        await ScenarioInvitation.update({ScenarioInvitation.claimed_at: clock.now()}).where(
            ScenarioInvitation.id == row["id"]
        )
    return row["scenario"]
