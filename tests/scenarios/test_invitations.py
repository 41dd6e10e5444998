"""Inviting a company to apply from the staff match page: what staff are told, the mailed
invitation to register for a company with no account, the record of every invitation, and the
registration link that opens the company's first account."""

from __future__ import annotations

import email
import re
from email import policy
from pathlib import Path

import pytest

from marketplace.accounts.tables import User
from marketplace.companies.tables import Company
from marketplace.core.audit import SYSTEM
from marketplace.core.tables import AuditEvent
from marketplace.departments.tables import Department
from marketplace.importing.services import import_catalog
from marketplace.notifications.tables import Notification
from marketplace.scenarios.tables import Scenario, ScenarioInvitation
from marketplace.settings import get_settings
from tests.accounts.helpers import make_user, post_form, sign_in
from tests.importing.test_import import load


@pytest.fixture
def mails():
    folder = Path(get_settings().mail.outbox_dir)
    for p in folder.glob("*.eml") if folder.exists() else []:
        p.unlink()

    def read() -> list[str]:
        return [
            email.message_from_bytes(p.read_bytes(), policy=policy.default).get_body().get_content()
            for p in sorted(folder.glob("*.eml"))
        ]

    return read


async def _world() -> dict:
    """The small catalog; 园声 (the hotline's best match) has no account yet."""
    await import_catalog(load(), SYSTEM)
    dept = (await Department.select(Department.id).where(Department.key == "dept-data").first())["id"]
    other = (await Department.select(Department.id).where(Department.key == "dept-city").first())["id"]
    voice = (await Company.select(Company.id).where(Company.key == "co-voice").first())["id"]
    await Company.update({Company.contact_email: "hello@yuansheng.example.com"}).where(Company.id == voice)
    hotline = (await Scenario.select(Scenario.id).where(Scenario.key == "sc-hotline").first())["id"]
    return {
        "staff": await make_user("s@example.com", role="staff", department=dept),
        "other_staff": await make_user("o@example.com", role="staff", department=other),
        "voice": voice,
        "hotline": hotline,
    }


def _page(w) -> str:
    return f"/staff/scenarios/{w['hotline']}/matches"


async def _invite(client, w, *, by_email: bool = False, **data):
    path = _page(w) + ("/invite-email" if by_email else "/invite")
    return await post_form(client, path, {"company": str(w["voice"]), **data}, token_from=_page(w))


async def test_a_company_without_an_account_is_not_said_to_be_invited(db, client):
    w = await _world()
    await sign_in(client, w["staff"])
    response = await _invite(client, w)
    assert response.status_code == 303
    page = await client.get(response.headers["location"])
    assert "还没有平台账号" in page.text and "未发送任何邀请" in page.text
    assert "此前已收到" not in page.text and "已于" not in page.text
    assert "hello@yuansheng.example.com" in page.text  # the listed contact, offered for the mail
    assert await ScenarioInvitation.count() == 0 and await Notification.count() == 0
    assert await AuditEvent.count().where(AuditEvent.action.like("scenario.invite%")) == 0


async def test_the_mailed_invitation_is_recorded_shown_and_not_repeated(db, client, mails):
    w = await _world()
    await sign_in(client, w["staff"])
    response = await _invite(client, w, by_email=True, invite_email="hello@yuansheng.example.com")
    assert response.status_code == 303
    page = await client.get(response.headers["location"])
    assert "已向「园声智能科技有限公司」的联系邮箱发送注册邀请邮件" in page.text
    assert re.search(
        r"已于 \d{4}-\d\d-\d\d \d\d:\d\d 邀请（注册邀请邮件：hello@yuansheng.example.com）", page.text
    )
    sent = mails()
    assert len(sent) == 1 and "12345热线" in sent[0] and "/register/invited/" in sent[0]
    row = await ScenarioInvitation.select().first()
    assert row["channel"] == "email" and row["invited_by"] == w["staff"] and row["company"] == w["voice"]
    audit = await AuditEvent.select().where(AuditEvent.action == "scenario.invite_company_by_email")
    assert len(audit) == 1 and audit[0]["actor_user_id"] == w["staff"]
    admin = await make_user("admin@example.com", role="admin")
    client.cookies.clear()
    await sign_in(client, admin)
    log = (await client.get("/admin/audit")).text
    assert "邮件邀请企业注册并申报" in log and "注册邀请邮件" in log  # the action and the channel, in Chinese
    client.cookies.clear()
    await sign_in(client, w["staff"])

    again = await _invite(client, w, by_email=True, invite_email="hello@yuansheng.example.com")
    page = await client.get(again.headers["location"])
    assert "收到本场景的邀请（注册邀请邮件），本次未重复发送" in page.text
    assert len(mails()) == 1 and await ScenarioInvitation.count() == 1

    resent = await _invite(client, w, by_email=True, invite_email="hello@yuansheng.example.com", resend="1")
    page = await client.get(resent.headers["location"])
    assert len(mails()) == 2 and await ScenarioInvitation.count() == 2
    assert "共邀请 2 次" in page.text


async def test_a_bad_address_is_refused_in_chinese_and_nothing_is_stored(db, client, mails):
    w = await _world()
    await sign_in(client, w["staff"])
    response = await _invite(client, w, by_email=True, invite_email="not an address")
    assert response.status_code == 400 and "请填写有效的邮箱地址" in response.text
    assert 'aria-invalid="true"' in response.text
    assert await ScenarioInvitation.count() == 0 and mails() == []


async def test_staff_of_another_department_may_not_invite(db, client, mails):
    w = await _world()
    await sign_in(client, w["other_staff"])
    response = await _invite(client, w, by_email=True, invite_email="hello@yuansheng.example.com")
    assert response.status_code == 403
    assert await ScenarioInvitation.count() == 0 and mails() == []


async def test_the_link_opens_the_companys_first_account_and_leads_to_the_scenario(db, client, mails):
    w = await _world()
    await sign_in(client, w["staff"])
    await _invite(client, w, by_email=True, invite_email="hello@yuansheng.example.com")
    link = re.search(r"http://\S+(/register/invited/\S+)", mails()[0]).group(1)
    client.cookies.clear()
    form = await client.get(link)
    assert form.status_code == 200 and "园声智能科技有限公司" in form.text and "12345热线" in form.text
    assert 'value="hello@yuansheng.example.com"' in form.text
    bad = await post_form(
        client,
        link,
        {"contact_name": "", "email": "hello@yuansheng.example.com", "password": "x"},
        token_from=link,
    )
    assert bad.status_code == 400 and "请填写联系人姓名" in bad.text
    assert not await User.exists().where(User.company == w["voice"])
    done = await post_form(
        client,
        link,
        {"contact_name": "王芳", "email": "wang@yuansheng.example.com", "password": "tai-hu-lake-2026!"},
        token_from=link,
    )
    assert done.status_code == 303
    assert (
        done.headers["location"].startswith("/login?")
        and f"%2Fscenarios%2F{w['hotline']}" in done.headers["location"]
    )
    user = await User.select().where(User.email == "wang@yuansheng.example.com").first()
    assert user["company"] == w["voice"] and user["is_company_manager"] and user["role"] == "member"
    assert await AuditEvent.count().where(AuditEvent.action == "company.open_account") == 1
    assert (await client.get(link)).status_code == 404  # used up

    client.cookies.clear()
    await sign_in(client, w["staff"])
    page = await client.get(_page(w))
    assert "企业已通过邀请开通账号" in page.text


async def test_a_company_with_users_is_told_in_the_app_once_unless_resent(db, client):
    w = await _world()
    member = await make_user("m@example.com", company=w["voice"], is_company_manager=True)
    await sign_in(client, w["staff"])
    first = await _invite(client, w)
    page = await client.get(first.headers["location"])
    assert "已向「园声智能科技有限公司」的 1 位用户发送站内邀请申报通知" in page.text
    assert "已于" in page.text and "站内通知，1 位用户" in page.text
    again = await _invite(client, w)
    assert "本次未重复发送" in (await client.get(again.headers["location"])).text
    await _invite(client, w, resend="1")
    rows = await Notification.select().where(Notification.kind == "invitation_to_apply")
    assert [r["user"] for r in rows] == [member, member]
    assert await ScenarioInvitation.count().where(ScenarioInvitation.channel == "in_app") == 2
    assert await AuditEvent.count().where(AuditEvent.action == "scenario.invite_company") == 2


async def test_a_refused_mail_is_said_and_the_invitation_can_be_resent(db, client, mails, monkeypatch):
    from marketplace.scenarios import invitations

    w = await _world()
    await sign_in(client, w["staff"])

    async def refused(to, subject, body):
        raise OSError("connection refused")

    monkeypatch.setattr(invitations, "send_mail", refused)
    response = await _invite(client, w, by_email=True, invite_email="hello@yuansheng.example.com")
    page = await client.get(response.headers["location"])
    assert "邮件服务器未能发出注册邀请邮件" in page.text and "再次发送注册邀请" in page.text
    assert await ScenarioInvitation.count() == 1 and mails() == []
    monkeypatch.undo()
    await _invite(client, w, by_email=True, invite_email="hello@yuansheng.example.com", resend="1")
    assert len(mails()) == 1
