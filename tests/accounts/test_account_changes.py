"""The account page: changing the password (needs the current one, ends the other sessions and
API tokens, audited, mailed) and changing the e-mail through a link mailed to the new address
(single use, expiring, the old address told); and an admin rejecting a pending company with a
reason that is mailed and shown, after which the company corrects and re-applies."""

from __future__ import annotations

import datetime as dt
import email
import json
import re
from email import policy
from pathlib import Path

import pytest

from marketplace.accounts.tables import User, UserSession
from marketplace.companies.credit_code import demo_credit_code
from marketplace.companies.tables import Company
from marketplace.core import clock
from marketplace.core.tables import AuditEvent
from marketplace.settings import get_settings
from tests.accounts.helpers import PASSWORD, bearer, make_user, post_form, sign_in
from tests.factories import make_company

NEW_PASSWORD = "lotus-pond-evening-77"


def _mails() -> list[tuple[str, str, str]]:
    """(to, subject, body) of every mail written so far."""
    folder = Path(get_settings().mail.outbox_dir)
    found = []
    for path in sorted(folder.glob("*.eml")) if folder.exists() else []:
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        found.append((str(message["To"]), str(message["Subject"]), message.get_body().get_content()))
    return found


@pytest.fixture(autouse=True)
def clean_mail():
    folder = Path(get_settings().mail.outbox_dir)
    if folder.exists():
        for p in folder.glob("*.eml"):
            p.unlink()
    yield


async def test_changing_the_password_needs_the_current_one_and_ends_other_ways_in(db, client, app):
    user = await make_user("a@example.com")
    other_browser = await _other_session(user)
    headers = await bearer(user)
    await sign_in(client, user)

    wrong = await post_form(
        client,
        "/account/password",
        {"current_password": "not-it", "new_password": NEW_PASSWORD, "new_password_confirm": NEW_PASSWORD},
        token_from="/account",
    )
    assert wrong.status_code == 400 and "当前密码不正确" in wrong.text
    weak = await post_form(
        client,
        "/account/password",
        {"current_password": PASSWORD, "new_password": "password123", "new_password_confirm": "password123"},
        token_from="/account",
    )
    assert weak.status_code == 400 and "太常见" in weak.text
    differ = await post_form(
        client,
        "/account/password",
        {
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "new_password_confirm": "x" + NEW_PASSWORD,
        },
        token_from="/account",
    )
    assert differ.status_code == 400 and "不一致" in differ.text
    assert await UserSession.count().where(UserSession.user == user) == 2
    assert not await AuditEvent.exists().where(AuditEvent.action == "user.change_password")

    done = await post_form(
        client,
        "/account/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "new_password_confirm": NEW_PASSWORD},
        token_from="/account",
    )
    assert done.status_code == 200 and "密码已修改" in done.text
    assert "1 处登录已退出" in done.text and "1 个 API 令牌已撤销" in done.text
    # This browser stays signed in; the other one and the API token are out.
    assert (await client.get("/account")).status_code == 200
    assert await UserSession.count().where(UserSession.user == user) == 1
    assert not await UserSession.exists().where(UserSession.id == other_browser)
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 401
    event = await AuditEvent.select().where(AuditEvent.action == "user.change_password").first()
    assert event["entity_id"] == user
    assert any(to == "a@example.com" and "密码已修改" in subject for to, subject, _ in _mails())
    # The new password signs in, the old one no more.
    client.cookies.clear()
    old = await post_form(client, "/login", {"email": "a@example.com", "password": PASSWORD})
    assert old.status_code == 401
    new = await post_form(client, "/login", {"email": "a@example.com", "password": NEW_PASSWORD})
    assert new.status_code == 303


async def _other_session(user_id: int) -> int:
    from marketplace.accounts.credentials import start_session

    await start_session(user_id)
    row = await UserSession.select(UserSession.id).where(UserSession.user == user_id).first()
    return row["id"]


def _confirm_path(body: str) -> str:
    return re.search(r"http://[^/\s]+(/account/email/confirm/\S+)", body).group(1)


async def test_changing_the_email_takes_a_confirmed_link_and_tells_the_old_address(db, client):
    user = await make_user("old@example.com")
    await make_user("taken@example.com")
    await sign_in(client, user)

    for data, message in [
        ({"email": "new@example.com", "password": "wrong"}, "当前密码不正确"),
        ({"email": "not-an-address", "password": PASSWORD}, "有效的邮箱"),
        ({"email": "taken@example.com", "password": PASSWORD}, "已被其他账号使用"),
        ({"email": "OLD@example.com", "password": PASSWORD}, "与当前邮箱相同"),
    ]:
        refused = await post_form(client, "/account/email", data, token_from="/account")
        assert refused.status_code == 400 and message in refused.text
    assert _mails() == []

    sent = await post_form(
        client, "/account/email", {"email": "New@Example.com", "password": PASSWORD}, token_from="/account"
    )
    assert sent.status_code == 200 and "确认邮件已发往 new@example.com" in sent.text
    assert (await User.select(User.email).where(User.id == user).first())["email"] == "old@example.com"
    mails = _mails()
    to_new = [m for m in mails if m[0] == "new@example.com"]
    to_old = [m for m in mails if m[0] == "old@example.com"]
    assert len(to_new) == 1 and len(to_old) == 1 and "new@example.com" in to_old[0][2]
    path = _confirm_path(to_new[0][2])

    # Opening the link (as a mail scanner would) changes nothing; the button does.
    page = await client.get(path)
    assert page.status_code == 200 and "new@example.com" in page.text
    assert (await User.select(User.email).where(User.id == user).first())["email"] == "old@example.com"
    confirmed = await post_form(client, path, {}, token_from=path)
    assert confirmed.status_code == 200 and "登录邮箱已改为 new@example.com" in confirmed.text
    assert (await User.select(User.email).where(User.id == user).first())["email"] == "new@example.com"
    assert any(to == "old@example.com" and "已修改" in subject for to, subject, _ in _mails())
    event = await AuditEvent.select().where(AuditEvent.action == "user.change_email").first()
    assert json.loads(event["before"]) == {"email": "old@example.com"}
    assert json.loads(event["after"]) == {"email": "new@example.com"}
    # Single use.
    assert (await client.get(path)).status_code == 404


async def test_an_email_link_expires_and_a_newer_request_replaces_it(db, client):
    user = await make_user("old@example.com")
    await sign_in(client, user)
    start = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    clock.set_now(start)
    await post_form(
        client, "/account/email", {"email": "one@example.com", "password": PASSWORD}, token_from="/account"
    )
    first = _confirm_path(next(b for to, _, b in _mails() if to == "one@example.com"))
    await post_form(
        client, "/account/email", {"email": "two@example.com", "password": PASSWORD}, token_from="/account"
    )
    second = _confirm_path(next(b for to, _, b in _mails() if to == "two@example.com"))
    assert (await client.get(first)).status_code == 404  # replaced by the newer request
    clock.set_now(start + dt.timedelta(hours=25))
    expired = await client.get(second)
    assert expired.status_code == 404 and "已过期" in expired.text
    assert (await User.select(User.email).where(User.id == user).first())["email"] == "old@example.com"


async def test_account_changes_need_a_signed_in_user(db, client):
    for path in ("/account/password", "/account/email"):
        response = await client.post(path, data={})
        assert response.status_code in (401, 403)


# --- rejecting a pending company -------------------------------------------------------------


async def test_admin_rejects_a_pending_company_with_a_mailed_reason_and_it_reapplies(db, client):
    company = await make_company(name="待审公司", status="pending", credit_code=demo_credit_code("p1"))
    await Company.update({Company.contact_email: "contact@example.com"}).where(Company.id == company)
    manager = await make_user("m@example.com", company=company, is_company_manager=True)
    colleague = await make_user("c@example.com", company=company)
    admin = await make_user("admin@example.com", role="admin")

    await sign_in(client, admin)
    no_reason = await post_form(
        client,
        f"/admin/companies/{company}/status",
        {"target": "rejected", "reason": " "},
        token_from="/admin",
    )
    assert no_reason.status_code == 400 and "原因" in no_reason.text
    assert (await Company.select(Company.status).where(Company.id == company).first())["status"] == "pending"
    done = await post_form(
        client,
        f"/admin/companies/{company}/status",
        {"target": "rejected", "reason": "营业执照信用代码与企业名称不符"},
        token_from="/admin",
    )
    assert done.status_code == 303
    detail = await client.get(f"/admin/companies/{company}")
    assert "驳回原因" in detail.text and "营业执照信用代码与企业名称不符" in detail.text
    listing = await client.get("/admin/companies?status=rejected")
    assert "待审公司" in listing.text and "营业执照信用代码与企业名称不符" in listing.text
    event = await AuditEvent.select().where(AuditEvent.action == "company.reject").first()
    assert event["reason"] == "营业执照信用代码与企业名称不符" and json.loads(event["after"]) == {
        "status": "rejected"
    }
    told = {to for to, subject, body in _mails() if "未通过" in subject and "信用代码与企业名称不符" in body}
    assert told == {"m@example.com", "c@example.com", "contact@example.com"}

    # The colleague sees the reason, but only the manager may re-apply.
    client.cookies.clear()
    await sign_in(client, colleague)
    home = await client.get("/member")
    assert "会员申请未通过审核" in home.text and "营业执照信用代码与企业名称不符" in home.text
    assert "修改并重新提交会员申请" not in home.text
    refused = await post_form(
        client,
        "/member/reapply",
        {
            "company_name": "待审公司",
            "credit_code": demo_credit_code("p1"),
            "size": "sme",
            "contact_name": "王",
        },
        token_from="/member",
    )
    assert refused.status_code == 403
    # A rejected company cannot act as a member.
    assert (await client.get("/member")).status_code == 200

    client.cookies.clear()
    await sign_in(client, manager)
    bad = await post_form(
        client,
        "/member/reapply",
        {"company_name": "待审公司", "credit_code": "123", "size": "sme", "contact_name": "王"},
        token_from="/member",
    )
    assert bad.status_code == 400 and "18 位" in bad.text
    assert (await Company.select(Company.status).where(Company.id == company).first())["status"] == "rejected"
    again = await post_form(
        client,
        "/member/reapply",
        {
            "company_name": "待审科技有限公司",
            "credit_code": demo_credit_code("p2"),
            "size": "sme",
            "contact_name": "王芳",
        },
        token_from="/member",
    )
    assert again.status_code == 303
    row = await Company.select().where(Company.id == company).first()
    assert row["status"] == "pending" and row["name"] == "待审科技有限公司" and row["rejection_reason"] == ""
    assert "会员申请审核中" in (await client.get("/member")).text
    event = await AuditEvent.select().where(AuditEvent.action == "company.reapply").first()
    assert json.loads(event["before"])["status"] == "rejected"
    assert json.loads(event["after"])["name"] == "待审科技有限公司"


async def test_only_pending_companies_can_be_rejected_and_only_by_admins(db, client):
    approved = await make_company(name="甲公司", status="approved")
    pending = await make_company(name="乙公司", status="pending")
    staff = await make_user("s@example.com", role="staff")
    member = await make_user("m@example.com", company=approved, is_company_manager=True)
    admin = await make_user("admin@example.com", role="admin")
    for user in (staff, member):
        client.cookies.clear()
        await sign_in(client, user)
        response = await post_form(
            client,
            f"/admin/companies/{pending}/status",
            {"target": "rejected", "reason": "x"},
            token_from="/account",
        )
        assert response.status_code == 403
    client.cookies.clear()
    await sign_in(client, admin)
    response = await post_form(
        client,
        f"/admin/companies/{approved}/status",
        {"target": "rejected", "reason": "x"},
        token_from="/admin",
    )
    assert response.status_code == 409
    assert (await Company.select(Company.status).where(Company.id == pending).first())["status"] == "pending"
