"""Browser journeys of the accounts issue, against a real server with the demo data:
a company registers and is approved by the demo admin; staff see their area; the admin
suspends a member and creates a staff account whose owner sets a password by the emailed link."""

from __future__ import annotations

import email
import re
from email import policy

from playwright.sync_api import Page, expect

from marketplace.companies.credit_code import demo_credit_code
from tests.e2e.signin import demo_password, sign_in


def _logout(page: Page) -> None:
    page.get_by_role("button", name="退出").first.click()
    expect(page.get_by_role("link", name="登录")).to_be_visible()


def test_company_registers_and_is_approved(page: Page, live_server):
    password = demo_password(live_server)
    page.goto("/")
    page.get_by_role("link", name="企业注册").click()
    page.get_by_label("企业全称").fill("金鸡湖数智测试有限公司")
    page.get_by_label("统一社会信用代码").fill(demo_credit_code("e2e-journey"))
    page.get_by_label("中小企业").check()
    page.get_by_label("联系人姓名").fill("顾晨")
    page.get_by_label("联系人邮箱（登录账号）").fill("guchen@example.com")
    page.get_by_label("密码").fill("jinji-lake-2026!")
    page.get_by_role("button", name="提交注册申请").click()
    expect(page.get_by_text("正在等待协会管理员审核")).to_be_visible()

    sign_in(page, "guchen@example.com", "jinji-lake-2026!")
    expect(page).to_have_url(re.compile(r"/member$"))
    expect(page.get_by_text("会员申请审核中")).to_be_visible()
    _logout(page)

    sign_in(page, "admin@example.com", password)
    expect(page).to_have_url(re.compile(r"/admin$"))
    page.get_by_role("link", name="会员企业").first.click()
    page.get_by_role("link", name="待审核").click()
    row = page.get_by_role("row").filter(has_text="金鸡湖数智测试有限公司")
    row.get_by_role("button", name=re.compile("批准")).click()
    expect(page.get_by_text("已批准。")).to_be_visible()
    _logout(page)

    sign_in(page, "guchen@example.com", "jinji-lake-2026!")
    expect(page.get_by_role("heading", name=re.compile("会员中心"))).to_be_visible()
    expect(page.get_by_text("会员申请审核中")).to_have_count(0)


def test_staff_sees_the_department_area(page: Page, live_server):
    sign_in(page, "staff@example.com", demo_password(live_server))
    expect(page).to_have_url(re.compile(r"/staff$"))
    expect(page.get_by_role("heading", name=re.compile("部门工作台"))).to_be_visible()
    assert page.get_by_role("row").count() > 2
    page.goto("/admin")
    expect(page.get_by_text("此功能仅向协会管理员开放")).to_be_visible()


def test_admin_suspends_a_member_and_creates_staff(page: Page, live_server):
    sign_in(page, "admin@example.com", demo_password(live_server))
    page.goto("/admin/companies?status=approved")
    row = page.get_by_role("row").nth(1)
    name = row.get_by_role("rowheader").inner_text()
    row.get_by_label(re.compile("的原因")).fill("年审材料逾期未交")
    row.get_by_role("button", name=re.compile("暂停")).click()
    expect(page.get_by_text("已暂停会员资格。")).to_be_visible()
    # The audit log, filtered by a chosen action, reads as a Chinese sentence and fits the screen.
    page.set_viewport_size({"width": 1366, "height": 900})
    page.get_by_role("link", name="审计日志").click()
    page.get_by_label("操作", exact=True).select_option(label="企业 · 暂停")
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"action=company\.suspend"))
    entry = page.locator(".audit-entry").first
    expect(entry.locator(".audit-sentence")).to_have_text(
        re.compile(rf"（协会管理员）暂停了企业 #\d+《{re.escape(name)}》$")
    )
    expect(entry.get_by_text("已批准")).to_be_visible()
    expect(entry.get_by_text("年审材料逾期未交")).to_be_visible()
    assert "\\u" not in entry.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: the cards still fit
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/companies")
    expect(page.get_by_text(name, exact=True)).to_have_count(0)

    page.goto("/admin/staff")
    form = page.locator("form[action='/admin/staff']")
    form.get_by_label("姓名").fill("钱晓")
    form.get_by_label("邮箱").fill("qianxiao@example.com")
    form.get_by_label("所属部门").select_option(index=1)
    form.get_by_label(re.compile("评审专家")).check()
    form.get_by_role("button", name=re.compile("创建")).click()
    expect(page.get_by_text("已创建 qianxiao@example.com")).to_be_visible()
    _logout(page)

    mails = sorted((live_server.var_dir / "mail").glob("*.eml"))
    message = email.message_from_bytes(mails[-1].read_bytes(), policy=policy.default)
    assert message["To"] == "qianxiao@example.com"
    link = re.search(r"/invitations/\S+", message.get_body().get_content()).group(0)
    page.goto(link)
    page.get_by_label("新密码", exact=True).fill("evaluator-lake-88")
    page.get_by_label("再次输入新密码").fill("evaluator-lake-88")
    page.get_by_role("button", name="保存密码").click()
    expect(page.get_by_text("密码已设置")).to_be_visible()
    sign_in(page, "qianxiao@example.com", "evaluator-lake-88")
    expect(page).to_have_url(re.compile(r"/staff$"))
