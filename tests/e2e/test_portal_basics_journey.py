"""Browser journeys of what people expect from a serious portal (issue 16): an admin rejects a
pending company with a reason, the company reads it at home and re-applies; its manager changes
the password and the e-mail (through the mailed link); a member follows a scenario and finds it
on the home page; a published result shows its counts, the ranking and the objection window."""

from __future__ import annotations

import email
import re
from email import policy

from playwright.sync_api import Page, expect

from marketplace.companies.credit_code import demo_credit_code
from tests.e2e.signin import demo_password, sign_in
from tests.e2e.test_publishing_journey import _logout

PASSWORD = "taihu-reed-2026!"
NEW_PASSWORD = "lotus-bridge-2027!"


def _last_mail_to(live_server, address: str) -> str:
    for path in sorted((live_server.var_dir / "mail").glob("*.eml"), reverse=True):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        if message["To"] == address:
            return message.get_body().get_content()
    raise AssertionError(f"no mail to {address}")


def test_rejected_company_reapplies_and_its_manager_changes_password_and_email(page: Page, live_server):
    page.goto("/register")
    page.get_by_label("企业全称").fill("太湖芦苇数据测试有限公司")
    page.get_by_label("统一社会信用代码").fill(demo_credit_code("e2e-reject"))
    page.get_by_label("中小企业").check()
    page.get_by_label("联系人姓名").fill("沈苇")
    page.get_by_label("联系人邮箱（登录账号）").fill("shenwei@example.com")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="提交注册申请").click()
    expect(page.get_by_text("正在等待协会管理员审核")).to_be_visible()

    sign_in(page, "admin@example.com", demo_password(live_server), expect_signed_in=True)
    page.goto("/admin/companies?status=pending")
    row = page.get_by_role("row").filter(has_text="太湖芦苇数据测试有限公司")
    row.get_by_label(re.compile("驳回 .* 的原因")).fill("企业全称与营业执照不一致")
    row.get_by_role("button", name=re.compile("驳回")).click()
    expect(page.get_by_text("已驳回会员申请")).to_be_visible()
    _logout(page)
    assert "企业全称与营业执照不一致" in _last_mail_to(live_server, "shenwei@example.com")

    sign_in(page, "shenwei@example.com", PASSWORD, expect_signed_in=True)
    expect(page.get_by_text("会员申请未通过审核")).to_be_visible()
    expect(page.get_by_text("原因：企业全称与营业执照不一致")).to_be_visible()
    page.get_by_label("企业全称").fill("太湖芦苇数据科技有限公司")
    page.get_by_role("button", name="重新提交申请").click()
    expect(page.get_by_text("会员申请审核中")).to_be_visible()

    # Change the password: a wrong current one is refused with a message; the right one works.
    page.goto("/account")
    form = page.locator("form[action='/account/password']")
    form.get_by_label("当前密码").fill("not-my-password")
    form.get_by_label("新密码", exact=True).fill(NEW_PASSWORD)
    form.get_by_label("再次输入新密码").fill(NEW_PASSWORD)
    form.get_by_role("button", name="修改密码").click()
    expect(page.get_by_role("alert").filter(has_text="当前密码不正确")).to_be_visible()
    form = page.locator("form[action='/account/password']")
    form.get_by_label("当前密码").fill(PASSWORD)
    form.get_by_label("新密码", exact=True).fill(NEW_PASSWORD)
    form.get_by_label("再次输入新密码").fill(NEW_PASSWORD)
    form.get_by_role("button", name="修改密码").click()
    expect(page.get_by_text("密码已修改。")).to_be_visible()

    # Change the e-mail through the link mailed to the new address.
    form = page.locator("form[action='/account/email']")
    form.get_by_label("新邮箱").fill("shenwei.new@example.com")
    form.get_by_label("当前密码").fill(NEW_PASSWORD)
    form.get_by_role("button", name="发送确认邮件").click()
    expect(page.get_by_text("确认邮件已发往 shenwei.new@example.com")).to_be_visible()
    assert "shenwei.new@example.com" in _last_mail_to(live_server, "shenwei@example.com")
    link = re.search(
        r"/account/email/confirm/\S+", _last_mail_to(live_server, "shenwei.new@example.com")
    ).group(0)
    page.goto(link)
    page.get_by_role("button", name="确认修改邮箱").click()
    expect(page.get_by_text("登录邮箱已改为 shenwei.new@example.com")).to_be_visible()
    page.context.clear_cookies()
    sign_in(page, "shenwei.new@example.com", NEW_PASSWORD, expect_signed_in=True)
    expect(page).to_have_url(re.compile(r"/member$"))


def test_member_follows_a_scenario_and_sees_it_at_home(page: Page, live_server):
    sign_in(page, "member2@example.com", demo_password(live_server), expect_signed_in=True)
    page.goto("/scenarios?status=open")
    page.locator(".scenario-card h2 a, .scenario-card h3 a").first.click()
    title = page.get_by_role("heading", level=1).inner_text()
    page.get_by_role("button", name="关注此场景").click()
    expect(page.get_by_text("已关注。")).to_be_visible()
    page.goto("/member")
    section = page.locator("section").filter(has=page.get_by_role("heading", name="我关注的场景"))
    section.get_by_role("link", name=title).click()
    page.get_by_role("button", name=re.compile("取消关注")).click()
    expect(page.get_by_text("已取消关注。")).to_be_visible()


def test_a_published_result_shows_counts_ranking_and_the_objection_window(page: Page, live_server):
    page.goto("/scenarios?status=awarded")
    page.locator(".scenario-card h2 a, .scenario-card h3 a").first.click()
    result = page.locator("#result")
    expect(result.get_by_text("收到方案")).to_be_visible()
    expect(result.get_by_text("资格审查合格")).to_be_visible()
    expect(result.get_by_text(re.compile(r"\d+ 件质疑，\d+ 件已答复"))).to_be_visible()
