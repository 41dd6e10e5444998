"""Matching as users meet it: staff open an open demo scenario's recommended companies (with
reasons and a consortium suggestion) and invite one; a demo member sees recommended scenarios
with a fit band and why; a newly approved company with an empty profile is told there is no
sufficient match instead of being shown weak ones."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from marketplace.companies.credit_code import demo_credit_code


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
    expect(items.first.get_by_text(re.compile(r"契合度 \d+（[高中低]）"))).to_be_visible()
    expect(page.get_by_text(re.compile("匹配度|相同词语"))).to_have_count(0)


def test_a_company_with_an_empty_profile_is_told_there_is_no_sufficient_match(page: Page, live_server):
    page.goto("/")
    page.get_by_role("link", name="企业注册").click()
    page.get_by_label("企业全称").fill("相城古籍装帧工作室有限公司")
    page.get_by_label("统一社会信用代码").fill(demo_credit_code("e2e-matching-empty"))
    page.get_by_label("中小企业").check()
    page.get_by_label("联系人姓名").fill("沈砚")
    page.get_by_label("联系人邮箱（登录账号）").fill("shenyan@example.com")
    page.get_by_label("密码").fill("xiangcheng-books-2026!")
    page.get_by_role("button", name="提交注册申请").click()
    expect(page.get_by_text("正在等待协会管理员审核")).to_be_visible()

    _login(page, "admin@example.com", live_server)
    page.get_by_role("link", name="会员企业").first.click()
    page.get_by_role("link", name="待审核").click()
    row = page.get_by_role("row").filter(has_text="相城古籍装帧工作室有限公司")
    row.get_by_role("button", name=re.compile("批准")).click()
    expect(page.get_by_text("已批准。")).to_be_visible()
    page.get_by_role("button", name="退出").first.click()

    page.goto("/login")
    page.get_by_label("邮箱").fill("shenyan@example.com")
    page.get_by_label("密码").fill("xiangcheng-books-2026!")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="为您推荐的征集中场景")).to_be_visible()
    expect(page.get_by_text(re.compile("暂无足够匹配的征集中场景"))).to_be_visible()
    expect(page.locator(".recommendation")).to_have_count(0)
