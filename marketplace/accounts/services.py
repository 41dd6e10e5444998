"""Account use cases: sign-in with throttling, company registration and approval, staff and
admin accounts, password reset and invitations by one-time links, personal API tokens.

Every state change records an AuditEvent. Errors are ``core.errors`` (messages in Chinese);
``LoginFailed`` and ``LoginLocked`` say no more than a user may know.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import secrets
from dataclasses import dataclass
from typing import Any

from piccolo.columns import Column
from piccolo.custom_types import Combinable

from marketplace.accounts.credentials import (
    create_api_token,
    end_all_sessions,
    end_other_sessions,
    hash_secret,
    revoke_all_api_tokens,
)
from marketplace.accounts.links import (
    email_change_page,
    invitation_page,
    member_home_page,
    password_reset_page,
)
from marketplace.accounts.passwords import (
    hash_password,
    hash_password_in_thread,
    needs_rehash,
    password_problem,
    timing_equaliser_hash,
    verify_password_in_thread,
)
from marketplace.accounts.tables import ApiToken, LoginThrottle, OneTimeToken, User
from marketplace.companies.credit_code import is_valid_credit_code
from marketplace.companies.labels import SIZE_LABELS
from marketplace.companies.tables import Company
from marketplace.core import clock
from marketplace.core.audit import Actor, record
from marketplace.core.db import constraint_name, for_update, write_transaction
from marketplace.core.errors import Conflict, DomainError, NotAllowed, NotFound, ValidationFailed
from marketplace.core.mail import send_mail
from marketplace.core.metrics import LOGIN_LOCKOUTS, LOGIN_REFUSED_LOCKED
from marketplace.core.outbox import enqueue
from marketplace.core.pagination import Page
from marketplace.departments.tables import Department
from marketplace.settings import get_settings

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_FAILURES = 10
LOCK_MINUTES = 15
RESET_LINK_HOURS = 2
INVITATION_DAYS = 7
EMAIL_CHANGE_HOURS = 24


class LoginFailed(DomainError):
    status_code = 401


class LoginLocked(DomainError):
    status_code = 429


def normalize_email(email: str) -> str:
    return email.strip().lower()


def _check_email(email: str, errors: dict) -> str:
    email = normalize_email(email)
    if not EMAIL_RE.match(email) or len(email) > 254:
        errors["email"] = "请输入有效的邮箱地址。"
    return email


# --- sign-in and throttling -------------------------------------------------------------------


def _throttle_keys(email: str, ip_address: str) -> list[str]:
    keys = [f"email:{normalize_email(email)}"[:300]]
    if ip_address:
        keys.append(f"ip:{ip_address}"[:300])
    return keys


def _locked_message(until: dt.datetime) -> str:
    minutes = max(1, math.ceil((until - clock.now()).total_seconds() / 60))
    return f"连续输错密码次数过多，登录已被锁定，请在 {minutes} 分钟后再试。"


async def _reserve_guess(keys: list[str]) -> dt.datetime | None:
    """Count this guess against every key (account and address) *before* the password is
    checked, in one locked transaction, so that at most ``MAX_FAILURES`` guesses are ever
    evaluated per key before the lock, however many arrive at once.

    Raises ``LoginLocked`` while a key is locked (nothing is evaluated). Returns the lock's end
    when this guess is the last one allowed: the keys are locked already and stay locked unless
    this guess turns out right."""
    try:
        return await _count_guess(keys)
    except DomainError:
        raise
    except Exception as exc:
        if not constraint_name(exc):
            raise
        # Two first guesses for a new key both inserted its row; the row exists now.
        return await _count_guess(keys)


async def _count_guess(keys: list[str]) -> dt.datetime | None:
    now = clock.now()
    async with write_transaction():
        rows = await for_update(LoginThrottle.select().where(LoginThrottle.key.is_in(keys)))
        locks = [r["locked_until"] for r in rows if r["locked_until"] and r["locked_until"] > now]
        if locks:
            raise LoginLocked(_locked_message(max(locks)))
        existing = {r["key"]: r for r in rows}
        lock_end = None
        for key in keys:
            row = existing.get(key)
            failures = (row["failures"] if row else 0) + 1
            locked = None
            if failures >= MAX_FAILURES:
                lock_end = locked = now + dt.timedelta(minutes=LOCK_MINUTES)
                failures = 0
            if row is None:
                await LoginThrottle.insert(
                    LoginThrottle(key=key, failures=failures, locked_until=locked, updated_at=now)
                )
            else:
                await LoginThrottle.update(
                    {
                        LoginThrottle.failures: failures,
                        LoginThrottle.locked_until: locked,
                        LoginThrottle.updated_at: now,
                    }
                ).where(LoginThrottle.id == row["id"])
    return lock_end


async def authenticate(email: str, password: str, ip_address: str = "") -> int:
    """The id of the user with these credentials.

    Raises ``LoginLocked`` while the account or the address is locked (the tenth wrong password
    in a row locks both for 15 minutes; each guess is counted before it is checked, so a burst
    of parallel guesses gets no more than ten evaluated) and ``LoginFailed`` for anything else,
    without saying whether the email exists: an unknown, inactive or password-less account costs
    exactly one hash verification, like a known one. Hashing runs in a worker thread.
    """
    keys = _throttle_keys(email, ip_address)
    try:
        lock_end = await _reserve_guess(keys)
    except LoginLocked:
        LOGIN_REFUSED_LOCKED.inc()
        raise
    row = (
        await User.select(User.id, User.password_hash, User.active)
        .where(User.email == normalize_email(email))
        .first()
    )
    usable = row is not None and bool(row["active"]) and bool(row["password_hash"])
    stored = row["password_hash"] if row is not None and usable else await timing_equaliser_hash()
    right = await verify_password_in_thread(stored, password)
    if row is None or not (usable and right):
        if lock_end:
            LOGIN_LOCKOUTS.inc()
            raise LoginLocked(_locked_message(lock_end))
        raise LoginFailed("邮箱或密码不正确。")
    now = clock.now()
    new_hash = await hash_password_in_thread(password) if needs_rehash(row["password_hash"]) else None
    async with write_transaction():
        # The right password clears this caller's count, and the lock only if this very guess set
        # it: a lock set by another guess of the same burst stays.
        await LoginThrottle.update({LoginThrottle.failures: 0, LoginThrottle.updated_at: now}).where(
            LoginThrottle.key.is_in(keys) & LoginThrottle.locked_until.is_null()
        )
        if lock_end:
            await LoginThrottle.update(
                {LoginThrottle.locked_until: None, LoginThrottle.updated_at: now}
            ).where(LoginThrottle.key.is_in(keys) & (LoginThrottle.locked_until == lock_end))
        values: dict[Column | str, Any] = {User.last_login_at: now}
        if new_hash:
            values[User.password_hash] = new_hash
        await User.update(values).where(User.id == row["id"])
    return row["id"]


async def issue_api_token_for_credentials(email: str, password: str, ip_address: str, name: str) -> str:
    """``POST /api/v1/auth/token``: the same checks and throttling as the login form."""
    user_id = await authenticate(email, password, ip_address)
    _, token = await create_api_token(user_id, name)
    await record(
        Actor(user_id=user_id, label=normalize_email(email), role="user", ip_address=ip_address),
        "api_token.create",
        "user",
        user_id,
        after={"name": name},
    )
    return token


async def list_api_tokens(user_id: int) -> list[dict]:
    return (
        await ApiToken.select(
            ApiToken.id,
            ApiToken.name,
            ApiToken.prefix,
            ApiToken.created_at,
            ApiToken.last_used_at,
            ApiToken.revoked_at,
        )
        .where(ApiToken.user == user_id)
        .order_by(ApiToken.created_at, ascending=False)
    )


async def create_personal_token(user_id: int, name: str, actor: Actor) -> str:
    name = name.strip()
    if not name or len(name) > 80:
        raise ValidationFailed("请为令牌起一个名字（80 字以内）。", {"name": "请填写 1–80 个字符。"})
    token_id, token = await create_api_token(user_id, name)
    await record(actor, "api_token.create", "api_token", token_id, after={"name": name})
    return token


async def revoke_api_token(user_id: int, token_id: int, actor: Actor) -> None:
    """Revoke one of the user's own tokens. ``NotFound`` for another user's token."""
    async with write_transaction():
        row = (
            await ApiToken.select(ApiToken.id, ApiToken.revoked_at)
            .where((ApiToken.id == token_id) & (ApiToken.user == user_id))
            .first()
        )
        if row is None:
            raise NotFound("令牌不存在。")
        if row["revoked_at"] is None:
            await ApiToken.update({ApiToken.revoked_at: clock.now()}).where(ApiToken.id == token_id)
            await record(actor, "api_token.revoke", "api_token", token_id)


# --- registration and approval ----------------------------------------------------------------


def _check_application(
    company_name: str, credit_code: str, size: str, contact_name: str, errors: dict[str, str]
) -> tuple[str, str, str]:
    """The membership application's company fields, cleaned (name, credit code, contact); a
    message per bad field goes into ``errors``."""
    company_name = company_name.strip()
    if not 2 <= len(company_name) <= 120:
        errors["company_name"] = "请填写企业全称（2–120 个字符）。"
    credit_code = credit_code.strip().upper()
    if not is_valid_credit_code(credit_code):
        errors["credit_code"] = "统一社会信用代码应为 18 位，且校验位正确，请核对营业执照。"
    if size not in ("large", "sme"):
        errors["size"] = "请选择企业规模。"
    contact_name = contact_name.strip()
    if not 1 <= len(contact_name) <= 60:
        errors["contact_name"] = "请填写联系人姓名。"
    return company_name, credit_code, contact_name


async def register_company(
    *,
    company_name: str,
    credit_code: str,
    size: str,
    contact_name: str,
    email: str,
    password: str,
    ip_address: str = "",
) -> int:
    """A company applies for membership: the company (``pending``) and its manager account.

    Raises ``ValidationFailed`` with a message per field; nothing is stored then.
    """
    errors: dict[str, str] = {}
    company_name, credit_code, contact_name = _check_application(
        company_name, credit_code, size, contact_name, errors
    )
    email = _check_email(email, errors)
    problem = password_problem(password, email)
    if problem:
        errors["password"] = problem
    if errors:
        raise ValidationFailed("请修改标出的内容后再提交。", errors)
    async with write_transaction():
        if await Company.exists().where(Company.name == company_name):
            errors["company_name"] = "该企业已注册。如需加入，请联系本企业的管理员邀请您。"
        if await Company.exists().where(Company.credit_code == credit_code):
            errors["credit_code"] = "该统一社会信用代码已注册。"
        if await User.exists().where(User.email == email):
            errors["email"] = "该邮箱已注册，请直接登录或找回密码。"
        if errors:
            raise ValidationFailed("请修改标出的内容后再提交。", errors)
        now = clock.now()
        company = Company(
            name=company_name,
            credit_code=credit_code,
            size=size,
            status="pending",
            contact_name=contact_name,
            created_at=now,
            updated_at=now,
        )
        await company.save()
        user = User(
            email=email,
            display_name=contact_name,
            password_hash=hash_password(password),
            role="member",
            company=company.id,
            is_company_manager=True,
            created_at=now,
        )
        await user.save()
        actor = Actor(user_id=user.id, label=email, role="member", ip_address=ip_address)
        await record(
            actor,
            "company.register",
            "company",
            company.id,
            after={"name": company_name, "credit_code": credit_code, "status": "pending"},
        )
        await enqueue("company", company.id)
    return user.id


async def open_company_account(
    *, company_id: int, contact_name: str, email: str, password: str, ip_address: str = ""
) -> int:
    """The first account of an approved member company that has none yet (it was invited by
    mail to register): its manager. Returns the user id; audited as ``company.open_account``.

    Raises ``ValidationFailed`` per field (nothing stored), ``Conflict`` when the company has an
    account already or is not an approved member, ``NotFound`` when it is gone.
    """
    errors: dict[str, str] = {}
    contact_name = contact_name.strip()
    if not 1 <= len(contact_name) <= 60:
        errors["contact_name"] = "请填写联系人姓名。"
    email = _check_email(email, errors)
    problem = password_problem(password, email)
    if problem:
        errors["password"] = problem
    if errors:
        raise ValidationFailed("请修改标出的内容后再提交。", errors)
    async with write_transaction():
        company = await Company.select(Company.name, Company.status).where(Company.id == company_id).first()
        if company is None:
            raise NotFound("企业不存在。")
        if company["status"] != "approved":
            raise Conflict("该企业不是已审核通过的会员企业，不能通过邀请开通账号。")
        if await User.exists().where((User.company == company_id) & (User.active == True)):
            raise Conflict("该企业已开通平台账号。如需加入，请联系本企业的管理员邀请您。")
        if await User.exists().where(User.email == email):
            raise ValidationFailed(
                "请修改标出的内容后再提交。", {"email": "该邮箱已注册，请直接登录或找回密码。"}
            )
        user = User(
            email=email,
            display_name=contact_name,
            password_hash=hash_password(password),
            role="member",
            company=company_id,
            is_company_manager=True,
            created_at=clock.now(),
        )
        await user.save()
        actor = Actor(user_id=user.id, label=email, role="member", ip_address=ip_address)
        await record(
            actor, "company.open_account", "company", company_id, after={"user": user.id, "email": email}
        )
    return user.id


COMPANY_TRANSITIONS = {
    ("pending", "approved"): "approve",
    ("suspended", "approved"): "reinstate",
    ("approved", "suspended"): "suspend",
    ("pending", "suspended"): "suspend",
    ("pending", "rejected"): "reject",
}
# What a company's users are told when an admin acts (the reason goes with it).
_STATUS_MAILS = {
    "reject": (
        "数园区：贵企业的会员申请未通过",
        "{name} 的会员申请未通过协会审核。\n\n原因：{reason}\n\n"
        "请登录数园区，在会员中心按原因修改企业信息后重新提交申请：\n{link}\n",
    ),
}


async def set_company_status(company_id: int, target: str, actor: Actor, reason: str = "") -> None:
    """Approve, suspend, reinstate or reject (a pending application) a member company (admins).

    Suspending and rejecting need a reason (``ValidationFailed``, nothing stored); ``Conflict``
    if the company's status does not allow the action. A rejection's reason is kept on the
    company (its users see it at home) and mailed to its users and its contact address."""
    async with write_transaction():
        row = await for_update(
            Company.select(Company.name, Company.status, Company.approved_at, Company.contact_email).where(
                Company.id == company_id
            )
        ).first()
        if row is None:
            raise NotFound("企业不存在。")
        action = COMPANY_TRANSITIONS.get((row["status"], target))
        if action is None:
            raise Conflict("该企业当前状态不能进行此操作。")
        if target == "suspended" and not reason.strip():
            raise ValidationFailed("暂停会员资格需要填写原因。", {"reason": "请填写原因。"})
        if target == "rejected" and not reason.strip():
            raise ValidationFailed("驳回会员申请需要填写原因。", {"reason": "请填写原因。"})
        now = clock.now()
        values: dict[Column | str, Any] = {
            Company.status: target,
            Company.updated_at: now,
            Company.rejection_reason: reason.strip() if target == "rejected" else "",
        }
        if target == "approved" and row["approved_at"] is None:
            values[Company.approved_at] = now
        await Company.update(values).where(Company.id == company_id)
        await record(
            actor,
            f"company.{action}",
            "company",
            company_id,
            before={"status": row["status"]},
            after={"status": target},
            reason=reason.strip(),
        )
        await enqueue("company", company_id)
    if action in _STATUS_MAILS:
        await _mail_company(company_id, row, action, reason.strip())


async def _mail_company(company_id: int, company: dict, action: str, reason: str) -> None:
    """Mail an admin's decision to the company's active users and its contact address."""
    users = await User.select(User.email).where((User.company == company_id) & (User.active == True))
    recipients = sorted({u["email"] for u in users} | ({company["contact_email"]} - {""}))
    subject, body = _STATUS_MAILS[action]
    text = body.format(
        name=company["name"], reason=reason, link=f"{get_settings().base_url}{member_home_page()}"
    )
    for address in recipients:
        await send_mail(address, subject, text)


async def reapply_company(
    user_id: int,
    *,
    company_name: str,
    credit_code: str,
    size: str,
    contact_name: str,
    actor: Actor,
) -> None:
    """A rejected company's manager corrects the application and submits it again: the company
    goes back to ``pending`` for the admins, the old reason is cleared (the audit log keeps it).

    ``NotAllowed`` for anyone but the manager of a rejected company; ``ValidationFailed`` per
    field as at registration (nothing stored then)."""
    errors: dict[str, str] = {}
    company_name, credit_code, contact_name = _check_application(
        company_name, credit_code, size, contact_name, errors
    )
    async with write_transaction():
        user = await User.select(User.company, User.is_company_manager).where(User.id == user_id).first()
        if user is None or user["company"] is None or not user["is_company_manager"]:
            raise NotAllowed("只有企业管理员可以重新提交会员申请。")
        company_id = user["company"]
        row = await for_update(
            Company.select(Company.status, Company.name, Company.credit_code, Company.rejection_reason).where(
                Company.id == company_id
            )
        ).first()
        if row is None or row["status"] != "rejected":
            raise NotAllowed("只有未通过审核的会员申请可以重新提交。")
        others = Company.id != company_id
        if "company_name" not in errors and await Company.exists().where(
            others & (Company.name == company_name)
        ):
            errors["company_name"] = "该企业名称已被其他企业注册。"
        if "credit_code" not in errors and await Company.exists().where(
            others & (Company.credit_code == credit_code)
        ):
            errors["credit_code"] = "该统一社会信用代码已被其他企业注册。"
        if errors:
            raise ValidationFailed("请修改标出的内容后再提交。", errors)
        await Company.update(
            {
                Company.name: company_name,
                Company.credit_code: credit_code,
                Company.size: size,
                Company.contact_name: contact_name,
                Company.status: "pending",
                Company.rejection_reason: "",
                Company.updated_at: clock.now(),
            }
        ).where(Company.id == company_id)
        await record(
            actor,
            "company.reapply",
            "company",
            company_id,
            before={"status": "rejected", "name": row["name"], "credit_code": row["credit_code"]},
            after={"status": "pending", "name": company_name, "credit_code": credit_code},
            reason=row["rejection_reason"],
        )
        await enqueue("company", company_id)


# --- staff, admins, invitations and password reset --------------------------------------------


async def create_user(
    *,
    email: str,
    role: str,
    department_key: str | None = None,
    department_id: int | None = None,
    display_name: str = "",
    actor: Actor,
    password: str | None = None,
    is_cdo: bool = False,
    is_evaluator: bool = False,
) -> int:
    """Create an admin or a staff user of one department. Without ``password`` the user sets
    one through the emailed link (see ``send_set_password_link``). Raises ValidationFailed or
    Conflict (email taken)."""
    errors: dict[str, str] = {}
    email = _check_email(email, errors)
    if role not in ("admin", "staff"):
        errors["role"] = "角色只能是协会管理员（admin）或部门工作人员（staff）。"
    if password is not None:
        problem = password_problem(password, email)
        if problem:
            errors["password"] = problem
    async with write_transaction():
        if role == "staff":
            if department_id is None and department_key:
                dep = await Department.select(Department.id).where(Department.key == department_key).first()
                department_id = dep["id"] if dep else None
                if dep is None:
                    errors["department"] = f"部门「{department_key}」不存在。"
            elif department_id is not None and not await Department.exists().where(
                Department.id == department_id
            ):
                errors["department"] = "部门不存在。"
            if department_id is None and "department" not in errors:
                errors["department"] = "请选择部门：部门工作人员必须属于一个部门。"
        if errors:
            raise ValidationFailed("请修改标出的内容后再提交。", errors)
        if await User.exists().where(User.email == email):
            raise Conflict(f"邮箱 {email} 已被使用。")
        user = User(
            email=email,
            role=role,
            department=department_id if role == "staff" else None,
            display_name=display_name.strip(),
            is_cdo=is_cdo and role == "staff",
            is_evaluator=is_evaluator and role == "staff",
            password_hash=hash_password(password) if password else "",
            created_at=clock.now(),
        )
        await user.save()
        await record(
            actor,
            "user.create",
            "user",
            user.id,
            after={
                "email": email,
                "role": role,
                "department": department_id,
                "is_cdo": user.is_cdo,
                "is_evaluator": user.is_evaluator,
            },
        )
    return user.id


LINK_PAGES = {
    "password_reset": password_reset_page,
    "invitation": invitation_page,
    "email_change": email_change_page,
}


async def _issue_one_time_link(
    user_id: int, purpose: str, lifetime: dt.timedelta, new_email: str = ""
) -> str:
    token = secrets.token_urlsafe(32)
    now = clock.now()
    await OneTimeToken.insert(
        OneTimeToken(
            purpose=purpose,
            token_hash=hash_secret(token),
            user=user_id,
            created_at=now,
            expires_at=now + lifetime,
            new_email=new_email,
        )
    )
    return f"{get_settings().base_url}{LINK_PAGES[purpose](token)}"


async def send_set_password_link(user_id: int) -> str:
    """Email a new user the link to choose a password (7 days); returns the link."""
    user = await User.select(User.email, User.display_name).where(User.id == user_id).first()
    assert user is not None  # the caller has just created the account
    link = await _issue_one_time_link(user_id, "invitation", dt.timedelta(days=INVITATION_DAYS))
    await send_mail(
        user["email"],
        "数园区：请设置您的登录密码",
        f"{user['display_name'] or user['email']}，您好：\n\n已为您开通数园区场景开放平台账号。"
        f"请在 {INVITATION_DAYS} 天内打开下面的链接设置密码：\n\n{link}\n\n如非本人操作，请忽略本邮件。\n",
    )
    return link


async def invite_company_user(*, manager_id: int, email: str, display_name: str, actor: Actor) -> int:
    """A company's manager invites a colleague; the colleague sets a password via the link."""
    errors: dict[str, str] = {}
    email = _check_email(email, errors)
    if not display_name.strip():
        errors["display_name"] = "请填写同事的姓名。"
    if errors:
        raise ValidationFailed("请修改标出的内容后再提交。", errors)
    manager = (
        await User.select(User.company, User.is_company_manager, User.company.status)
        .where(User.id == manager_id)
        .first()
    )
    if manager is None or not manager["is_company_manager"] or manager["company"] is None:
        raise NotAllowed("只有企业管理员可以邀请同事。")
    if manager["company.status"] != "approved":
        raise NotAllowed("企业会员资格审核通过后才能邀请同事。")
    async with write_transaction():
        if await User.exists().where(User.email == email):
            raise Conflict("该邮箱已注册。")
        user = User(
            email=email,
            display_name=display_name.strip(),
            role="member",
            company=manager["company"],
            created_at=clock.now(),
        )
        await user.save()
        await record(
            actor, "user.invite", "user", user.id, after={"email": email, "company": manager["company"]}
        )
    await send_set_password_link(user.id)
    return user.id


async def _consume_one_time_token(token: str, purpose: str) -> int:
    """The user id behind an unused, unexpired link; marks it used. ``NotFound`` otherwise."""
    async with write_transaction():
        row = await for_update(
            OneTimeToken.select().where(
                (OneTimeToken.token_hash == hash_secret(token)) & (OneTimeToken.purpose == purpose)
            )
        ).first()
        if row is None or row["used_at"] is not None or row["expires_at"] < clock.now():
            raise NotFound("链接无效或已过期，请重新申请。")
        await OneTimeToken.update({OneTimeToken.used_at: clock.now()}).where(OneTimeToken.id == row["id"])
    return row["user"]


async def check_one_time_link(token: str, purpose: str) -> bool:
    row = (
        await OneTimeToken.select(OneTimeToken.used_at, OneTimeToken.expires_at)
        .where((OneTimeToken.token_hash == hash_secret(token)) & (OneTimeToken.purpose == purpose))
        .first()
    )
    return row is not None and row["used_at"] is None and row["expires_at"] >= clock.now()


async def set_password_with_link(token: str, purpose: str, password: str, ip_address: str = "") -> int:
    """Set a password through a reset or invitation link; ends the user's other sessions."""
    if len(token) > 200:
        raise NotFound("链接无效或已过期，请重新申请。")
    if not await check_one_time_link(token, purpose):
        raise NotFound("链接无效或已过期，请重新申请。")
    link = (
        await OneTimeToken.select(OneTimeToken.user)
        .where(OneTimeToken.token_hash == hash_secret(token))
        .first()
    )
    assert link is not None  # check_one_time_link found it
    user = await User.select(User.id, User.email).where(User.id == link["user"]).first()
    assert user is not None  # a token belongs to a user (foreign key)
    problem = password_problem(password, user["email"])
    if problem:
        raise ValidationFailed(problem, {"password": problem})
    user_id = await _consume_one_time_token(token, purpose)
    await User.update({User.password_hash: hash_password(password)}).where(User.id == user_id)
    await end_all_sessions(user_id)
    await record(
        Actor(user_id=user_id, label=user["email"], role="user", ip_address=ip_address),
        "user.set_password",
        "user",
        user_id,
        reason=purpose,
    )
    return user_id


async def request_password_reset(email: str) -> None:
    """Email a one-time reset link if the account exists; says nothing either way."""
    row = (
        await User.select(User.id, User.email, User.active)
        .where(User.email == normalize_email(email))
        .first()
    )
    if row is None or not row["active"]:
        return
    link = await _issue_one_time_link(row["id"], "password_reset", dt.timedelta(hours=RESET_LINK_HOURS))
    await send_mail(
        row["email"],
        "数园区：重置密码",
        f"您好：\n\n有人（希望是您）申请重置数园区账号的密码。请在 {RESET_LINK_HOURS} 小时内打开下面的链接"
        f"设置新密码，链接只能使用一次：\n\n{link}\n\n如非本人操作，请忽略本邮件，您的密码不会改变。\n",
    )


async def update_staff_account(
    user_id: int, *, is_cdo: bool, is_evaluator: bool, active: bool, actor: Actor
) -> None:
    """Change a staff user's duties (CDO, evaluator) or deactivate the account (admins).

    Deactivating ends the user's sessions; their API tokens stop working with the account."""
    async with write_transaction():
        row = await for_update(
            User.select(User.role, User.is_cdo, User.is_evaluator, User.active).where(User.id == user_id)
        ).first()
        if row is None or row["role"] != "staff":
            raise NotFound("工作人员账号不存在。")
        after = {"is_cdo": is_cdo, "is_evaluator": is_evaluator, "active": active}
        before = {k: row[k] for k in after}
        if before == after:
            return
        await User.update({User.is_cdo: is_cdo, User.is_evaluator: is_evaluator, User.active: active}).where(
            User.id == user_id
        )
        await record(actor, "user.update_staff", "user", user_id, before=before, after=after)
    if not active:
        await end_all_sessions(user_id)


async def list_companies_for_admin(status: str | None, page: int, page_size: int = 50) -> Page[dict]:
    """Every company whatever its status (admins), pending first, with its manager's email."""
    where: Combinable = Company.id.is_not_null()
    if status:
        where &= Company.status == status
    total = await Company.count().where(where)
    rows = (
        await Company.select(
            Company.id,
            Company.name,
            Company.credit_code,
            Company.size,
            Company.status,
            Company.contact_name,
            Company.created_at,
            Company.approved_at,
            Company.rejection_reason,
        )
        .where(where)
        .order_by(Company.status, ascending=False)
        .order_by(Company.created_at, ascending=False)
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    managers = await User.select(User.company, User.email).where(
        User.company.is_in([r["id"] for r in rows] or [0]) & (User.is_company_manager == True)
    )
    by_company = {m["company"]: m["email"] for m in managers}
    for r in rows:
        r["manager_email"] = by_company.get(r["id"], "")
        r["size_label"] = SIZE_LABELS[r["size"]]
    return Page(items=rows, total=total, page=page, page_size=page_size)


@dataclass(frozen=True)
class StaffAccount:
    """A department staff or admin account as the association's staff list shows it (never the
    password hash: only whether a password was set)."""

    id: int
    email: str
    role: str
    active: bool
    display_name: str
    department_name: str
    is_cdo: bool
    is_evaluator: bool
    activated: bool
    last_login_at: dt.datetime | None


async def list_staff_accounts() -> list[StaffAccount]:
    """Every staff and admin account, admins first, by email."""
    rows = (
        await User.select(
            User.id,
            User.email,
            User.role,
            User.active,
            User.display_name,
            User.department.name.as_alias("department_name"),
            User.is_cdo,
            User.is_evaluator,
            User.password_hash,
            User.last_login_at,
        )
        .where(User.role.is_in(["staff", "admin"]))
        .order_by(User.role)
        .order_by(User.email)
    )
    return [
        StaffAccount(
            id=r["id"],
            email=r["email"],
            role=r["role"],
            active=r["active"],
            display_name=r["display_name"],
            department_name=r["department_name"] or "",
            is_cdo=r["is_cdo"],
            is_evaluator=r["is_evaluator"],
            activated=bool(r["password_hash"]),
            last_login_at=r["last_login_at"],
        )
        for r in rows
    ]


async def count_staff_accounts() -> int:
    return await User.count().where(User.role == "staff")


# --- the account page: change password, change e-mail ----------------------------------------


async def _check_current_password(user_id: int, password: str) -> dict:
    row = await User.select(User.id, User.email, User.password_hash).where(User.id == user_id).first()
    if row is None:
        raise NotFound("账号不存在。")
    if not row["password_hash"] or not await verify_password_in_thread(row["password_hash"], password):
        raise ValidationFailed("当前密码不正确。", {"current_password": "当前密码不正确。"})
    return row


@dataclass(frozen=True)
class PasswordChanged:
    """What changing the password ended: the user's other sessions and their API tokens."""

    sessions_ended: int
    tokens_revoked: int


async def change_password(
    user_id: int,
    *,
    current_password: str,
    new_password: str,
    confirm: str,
    keep_session: str | None,
    actor: Actor,
) -> PasswordChanged:
    """A signed-in user changes their password, proving the current one.

    Every other session of the user ends and every API token is revoked (whoever may have known
    the old password keeps no way in); the session ``keep_session`` (the caller's cookie) stays.
    Raises ``ValidationFailed`` (wrong current password, a weak new one, confirmation differs);
    nothing changes then. Audited as ``user.change_password``; the user is mailed a notice."""
    row = await _check_current_password(user_id, current_password)
    errors: dict[str, str] = {}
    problem = password_problem(new_password, row["email"])
    if problem:
        errors["new_password"] = problem
    elif new_password == current_password:
        errors["new_password"] = "新密码不能与当前密码相同。"
    if new_password != confirm:
        errors["new_password_confirm"] = "两次输入的新密码不一致。"
    if errors:
        raise ValidationFailed("请修改标出的内容后再提交。", errors)
    new_hash = await hash_password_in_thread(new_password)
    async with write_transaction():
        await User.update({User.password_hash: new_hash}).where(User.id == user_id)
        sessions = await end_other_sessions(user_id, keep_session)
        tokens = await revoke_all_api_tokens(user_id)
        await record(
            actor,
            "user.change_password",
            "user",
            user_id,
            after={"sessions_ended": sessions, "tokens_revoked": tokens},
        )
    await send_mail(
        row["email"],
        "数园区：您的密码已修改",
        "您好：\n\n您的数园区账号密码刚刚被修改，其他设备上的登录已退出，API 令牌已全部撤销。"
        "\n\n如非本人操作，请立即通过“忘记密码”重置密码并联系协会管理员。\n",
    )
    return PasswordChanged(sessions_ended=sessions, tokens_revoked=tokens)


async def request_email_change(user_id: int, *, password: str, new_email: str, actor: Actor) -> str:
    """Ask to change the account's e-mail: a one-time link (valid ``EMAIL_CHANGE_HOURS``) goes to
    the new address, and the old address is told. Nothing changes until the link is used; an
    earlier unused link for the same account stops working. Returns the link.

    Raises ``ValidationFailed`` (wrong password, invalid or taken address, the same address)."""
    errors: dict[str, str] = {}
    new_email = _check_email(new_email, errors)
    row = await _check_current_password(user_id, password)
    if not errors and new_email == row["email"]:
        errors["email"] = "新邮箱与当前邮箱相同。"
    if not errors and await User.exists().where(User.email == new_email):
        errors["email"] = "该邮箱已被其他账号使用。"
    if errors:
        raise ValidationFailed("请修改标出的内容后再提交。", errors)
    async with write_transaction():
        await OneTimeToken.update({OneTimeToken.used_at: clock.now()}).where(
            (OneTimeToken.user == user_id)
            & (OneTimeToken.purpose == "email_change")
            & OneTimeToken.used_at.is_null()
        )
        link = await _issue_one_time_link(
            user_id, "email_change", dt.timedelta(hours=EMAIL_CHANGE_HOURS), new_email=new_email
        )
        await record(actor, "user.request_email_change", "user", user_id, after={"email": new_email})
    await send_mail(
        new_email,
        "数园区：请确认您的新邮箱",
        f"您好：\n\n有人（希望是您）申请把数园区账号 {row['email']} 的登录邮箱改为本邮箱。"
        f"请在 {EMAIL_CHANGE_HOURS} 小时内打开下面的链接确认，链接只能使用一次：\n\n{link}\n\n"
        "如非本人操作，请忽略本邮件。\n",
    )
    await send_mail(
        row["email"],
        "数园区：有人申请修改您的登录邮箱",
        f"您好：\n\n有人申请把您的数园区账号登录邮箱改为 {new_email}。"
        "新邮箱确认之前，登录邮箱不会改变。\n\n如非本人操作，请立即修改密码并联系协会管理员。\n",
    )
    return link


async def pending_email_change(token: str) -> str | None:
    """The new address an unused, unexpired e-mail confirmation link would set, else None."""
    if len(token) > 200:
        return None
    row = (
        await OneTimeToken.select(OneTimeToken.new_email, OneTimeToken.used_at, OneTimeToken.expires_at)
        .where((OneTimeToken.token_hash == hash_secret(token)) & (OneTimeToken.purpose == "email_change"))
        .first()
    )
    if row is None or row["used_at"] is not None or row["expires_at"] < clock.now():
        return None
    return row["new_email"]


async def confirm_email_change(token: str, ip_address: str = "") -> str:
    """Use an e-mail confirmation link: the account's e-mail becomes the confirmed address, the
    old address is told. Returns the new address. ``NotFound`` for an unknown, used or expired
    link; ``Conflict`` if another account took the address meanwhile (nothing changes)."""
    if await pending_email_change(token) is None:
        raise NotFound("链接无效或已过期，请重新申请。")
    async with write_transaction():
        link = await for_update(
            OneTimeToken.select(OneTimeToken.id, OneTimeToken.user, OneTimeToken.new_email).where(
                (OneTimeToken.token_hash == hash_secret(token))
                & (OneTimeToken.purpose == "email_change")
                & OneTimeToken.used_at.is_null()
            )
        ).first()
        if link is None:
            raise NotFound("链接无效或已过期，请重新申请。")
        await OneTimeToken.update({OneTimeToken.used_at: clock.now()}).where(OneTimeToken.id == link["id"])
        user = await User.select(User.email).where(User.id == link["user"]).first()
        assert user is not None  # a token belongs to a user (foreign key)
        new_email = link["new_email"]
        if await User.exists().where((User.email == new_email) & (User.id != link["user"])):
            raise Conflict("该邮箱已被其他账号使用，请重新申请。")
        await User.update({User.email: new_email}).where(User.id == link["user"])
        await record(
            Actor(user_id=link["user"], label=new_email, role="user", ip_address=ip_address),
            "user.change_email",
            "user",
            link["user"],
            before={"email": user["email"]},
            after={"email": new_email},
        )
    await send_mail(
        user["email"],
        "数园区：您的登录邮箱已修改",
        f"您好：\n\n您的数园区账号登录邮箱已改为 {new_email}，今后请用新邮箱登录，通知也将发往新邮箱。"
        "\n\n如非本人操作，请立即联系协会管理员。\n",
    )
    return new_email
