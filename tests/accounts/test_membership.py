"""Registration, approval and suspension, staff accounts, invitations and password reset by
one-time links; each action recorded in the audit log."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from marketplace.accounts.tables import User
from marketplace.companies.credit_code import demo_credit_code
from marketplace.companies.tables import Company
from marketplace.core import clock
from marketplace.core.tables import AuditEvent
from marketplace.settings import get_settings
from tests.accounts.helpers import PASSWORD, make_user, post_form, sign_in
from tests.factories import make_department

VALID = {
    "company_name": "园区新锐数据科技有限公司",
    "credit_code": demo_credit_code("reg-1"),
    "size": "sme",
    "contact_name": "林晓",
    "email": "lin@example.com",
    "password": "hu-xin-lake-2026!",
}


def _mails() -> list[str]:
    folder = Path(get_settings().mail.outbox_dir)
    return (
        [p.read_bytes().decode("utf-8", "replace") for p in sorted(folder.glob("*.eml"))]
        if folder.exists()
        else []
    )


def _link(mail_text: str) -> str:
    import email
    from email import policy

    body = email.message_from_string(mail_text, policy=policy.default).get_body().get_content()
    return re.search(r"http://\S+/(password/reset|invitations)/(\S+)", body).group(0)


@pytest.fixture
def clean_mail():
    folder = Path(get_settings().mail.outbox_dir)
    if folder.exists():
        for p in folder.glob("*.eml"):
            p.unlink()
    yield


async def test_register_creates_a_pending_company_and_its_manager(db, client):
    response = await post_form(client, "/register", VALID)
    assert response.status_code == 200 and "等待协会管理员审核" in response.text
    company = await Company.select().where(Company.name == VALID["company_name"]).first()
    assert company["status"] == "pending" and company["credit_code"] == VALID["credit_code"]
    user = await User.select().where(User.email == "lin@example.com").first()
    assert user["company"] == company["id"] and user["is_company_manager"] and user["role"] == "member"
    assert user["password_hash"].startswith("$argon2id$")
    assert await AuditEvent.exists().where(AuditEvent.action == "company.register")
    # The pending member can sign in and sees that the company awaits approval.
    login = await post_form(client, "/login", {"email": "lin@example.com", "password": VALID["password"]})
    assert login.headers["location"] == "/member"
    assert "会员申请审核中" in (await client.get("/member")).text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("credit_code", "91320594MA1XXXXX00", "校验位"),
        ("credit_code", "123", "18 位"),
        ("email", "not-an-email", "有效的邮箱"),
        ("password", "short", "至少需要 10 个字符"),
        ("password", "password123", "太常见"),
        ("password", "qq12345678", "太常见"),
        ("company_name", "", "企业全称"),
        ("size", "giant", "企业规模"),
    ],
)
async def test_bad_registration_says_why_beside_the_field_and_stores_nothing(
    db, client, field, value, message
):
    response = await post_form(client, "/register", {**VALID, field: value})
    assert response.status_code == 400
    assert message in response.text
    assert 'aria-invalid="true"' in response.text or field == "size"
    if field != "company_name":
        assert VALID["company_name"] in response.text  # nothing typed is lost
    assert await Company.count() == 0 and await User.count() == 0


async def test_duplicates_are_refused(db, client):
    await post_form(client, "/register", VALID)
    again = await post_form(client, "/register", {**VALID, "email": "other@example.com"})
    assert again.status_code == 400 and "已注册" in again.text
    assert await Company.count() == 1


async def test_admin_approves_and_suspends(db, client):
    admin = await make_user("admin@example.com", role="admin")
    await post_form(client, "/register", VALID)
    company_id = (await Company.select(Company.id).first())["id"]
    await sign_in(client, admin)
    listing = await client.get("/admin/companies?status=pending")
    assert VALID["company_name"] in listing.text
    response = await post_form(
        client, f"/admin/companies/{company_id}/status", {"target": "approved"}, token_from="/account"
    )
    assert response.status_code == 303
    row = await Company.select(Company.status, Company.approved_at).where(Company.id == company_id).first()
    assert row["status"] == "approved" and row["approved_at"] is not None
    # Suspension needs a reason.
    refused = await post_form(
        client, f"/admin/companies/{company_id}/status", {"target": "suspended"}, token_from="/account"
    )
    assert refused.status_code == 400 and "原因" in refused.text
    await post_form(
        client,
        f"/admin/companies/{company_id}/status",
        {"target": "suspended", "reason": "资质年审未完成"},
        token_from="/account",
    )
    assert (await Company.select(Company.status).where(Company.id == company_id).first())[
        "status"
    ] == "suspended"
    actions = [r["action"] for r in await AuditEvent.select(AuditEvent.action).order_by(AuditEvent.id)]
    assert actions == ["company.register", "company.approve", "company.suspend"]
    audit = await client.get("/admin/audit?action=company.")
    assert "company.suspend" in audit.text and "资质年审未完成" in audit.text


async def test_admin_creates_staff_who_sets_a_password_by_link(db, client, clean_mail):
    admin = await make_user("admin@example.com", role="admin")
    dept = await make_department(name="园区大数据管理局")
    await sign_in(client, admin)
    response = await post_form(
        client,
        "/admin/staff",
        {
            "display_name": "陈静",
            "email": "cdo@example.com",
            "department": str(dept),
            "is_cdo": "on",
            "role": "staff",
        },
        token_from="/account",
    )
    assert response.status_code == 200 and "已创建 cdo@example.com" in response.text
    staff = await User.select().where(User.email == "cdo@example.com").first()
    assert (
        staff["role"] == "staff"
        and staff["department"] == dept
        and staff["is_cdo"]
        and not staff["password_hash"]
    )
    link = _link(_mails()[-1])
    client.cookies.clear()
    path = link.split("8000", 1)[1] if "8000" in link else "/" + link.split("/", 3)[3]
    assert (await client.get(path)).status_code == 200
    mismatch = await post_form(
        client, path, {"password": "a-long-password-1", "password_confirm": "different"}
    )
    assert mismatch.status_code == 400 and "不一致" in mismatch.text
    done = await post_form(
        client, path, {"password": "lake-view-staff-9", "password_confirm": "lake-view-staff-9"}
    )
    assert done.status_code == 303
    login = await post_form(client, "/login", {"email": "cdo@example.com", "password": "lake-view-staff-9"})
    assert login.headers["location"] == "/staff"
    assert (await client.get(path)).status_code == 404  # a link works once


async def test_staff_need_a_department(db, client):
    admin = await make_user("admin@example.com", role="admin")
    await sign_in(client, admin)
    response = await post_form(
        client,
        "/admin/staff",
        {"display_name": "无部门", "email": "s@example.com", "department": "", "role": "staff"},
        token_from="/account",
    )
    assert response.status_code == 400 and "请选择部门" in response.text
    assert not await User.exists().where(User.email == "s@example.com")


async def test_password_reset_by_one_time_link(db, client, clean_mail):
    await make_user("a@example.com")
    await post_form(client, "/password/forgot", {"email": "A@example.com"})
    await post_form(client, "/password/forgot", {"email": "nobody@example.com"})  # same answer, no mail
    mails = _mails()
    assert len(mails) == 1 and "a@example.com" in mails[0]
    path = "/" + _link(mails[0]).split("/", 3)[3]
    done = await post_form(
        client, path, {"password": "new-lake-pass-77", "password_confirm": "new-lake-pass-77"}
    )
    assert done.status_code == 303
    assert (
        await post_form(client, "/login", {"email": "a@example.com", "password": PASSWORD})
    ).status_code == 401
    assert (
        await post_form(client, "/login", {"email": "a@example.com", "password": "new-lake-pass-77"})
    ).status_code == 303
    assert await AuditEvent.exists().where(AuditEvent.action == "user.set_password")


async def test_reset_link_expires(db, client, clean_mail):
    start = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    clock.set_now(start)
    await make_user("a@example.com")
    await post_form(client, "/password/forgot", {"email": "a@example.com"})
    path = "/" + _link(_mails()[-1]).split("/", 3)[3]
    clock.set_now(start + dt.timedelta(hours=2, minutes=1))
    assert (await client.get(path)).status_code == 404


async def test_manager_invites_a_colleague(db, client, clean_mail):
    company = await Company(name="甲公司", status="approved").save()
    company_id = (await Company.select(Company.id).first())["id"]
    del company
    manager = await make_user("boss@example.com", company=company_id, is_company_manager=True)
    await sign_in(client, manager)
    response = await post_form(
        client,
        "/account/company/invite",
        {"email": "dev@example.com", "display_name": "开发"},
        token_from="/account",
    )
    assert response.status_code == 200 and "已向 dev@example.com 发送邀请" in response.text
    invited = await User.select().where(User.email == "dev@example.com").first()
    assert invited["company"] == company_id and not invited["is_company_manager"]
    assert "invitations" in _link(_mails()[-1])
    assert await AuditEvent.exists().where(AuditEvent.action == "user.invite")


def test_seed_demo_refuses_production(tmp_path):
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "MARKETPLACE_ENV": "production",
        "SECRET_KEY": "k" * 64,
        "SMTP_HOST": "mail.invalid",
        "MARKETPLACE_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'p.sqlite'}",
    }
    result = subprocess.run(
        [Path(sys.executable).with_name("marketplace"), "seed-demo"], env=env, capture_output=True, text=True
    )
    assert result.returncode != 0 and "生产模式" in result.stderr
