"""Matching as users meet it: staff open an open demo scenario's recommended companies (with
reasons and a consortium suggestion) and invite one; a demo member sees recommended scenarios
with why."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect


def _login(page: Page, email: str, live_server) -> None:
    password = (live_server.var_dir / "demo_password").read_text().strip()
    page.goto("/login")
    page.get_by_label("邮箱").fill(email)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def test_staff_see_recommended_companies_and_invite(page: Page, live_server):
    _login(page, "staff@example.com", live_server)
    row = page.get_by_role("row").filter(has_text="征集中").first
    row.get_by_role("link").first.click()
    page.get_by_role("link", name="推荐企业与联合体建议").click()
    expect(page.get_by_role("heading", name=re.compile("推荐企业"))).to_be_visible()
    first = page.locator(".recommendation").first
    expect(first.get_by_text(re.compile("所需能力覆盖"))).to_be_visible()
    expect(page.get_by_role("heading", name="联合体建议")).to_be_visible()
    first.get_by_role(
        "button", name=re.compile("邀请申报|再次")
    ).click()  # (another journey may have invited it)
    expect(
        page.get_by_text(re.compile("发送站内邀请申报通知|收到本场景的邀请|还没有平台账号|发送注册邀请邮件"))
    ).to_be_visible()


def test_member_sees_recommended_scenarios_with_why(page: Page, live_server):
    _login(page, "member@example.com", live_server)
    expect(page.get_by_role("heading", name="为您推荐的征集中场景")).to_be_visible()
    items = page.locator(".recommendation")
    assert items.count() >= 1
    expect(items.first.get_by_text("推荐理由：")).to_be_visible()
