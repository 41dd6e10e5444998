"""Three journeys of issue 16, as users meet them in the browser:

* staff invite a recommended company that has no account yet: they are told so, mail its
  contact an invitation to register, and see the invitation recorded on the match page; the
  contact opens the mailed link, opens the company's account and lands on the scenario;
* a member's autosave keeps the valid fields when the cost is mistyped, marks the cost beside
  the field in Chinese, and a cost written as "150万" is read as 150 万元;
* a member turns off mail for one kind of notification on the account's settings page.
"""

from __future__ import annotations

import email
import re
from email import policy

from playwright.sync_api import Browser, Page, expect

from tests.e2e.signin import demo_password, sign_in


def _invitation_link(live_server) -> str:
    for path in sorted((live_server.var_dir / "mail").glob("*.eml"), reverse=True):
        body = email.message_from_bytes(path.read_bytes(), policy=policy.default).get_body().get_content()
        found = re.search(r"https?://\S+(/register/invited/\S+)", body)
        if found:
            return found.group(1)
    raise AssertionError("no invitation mail in the outbox")


def test_staff_invite_a_company_without_an_account_by_mail(page: Page, browser: Browser, live_server):
    sign_in(page, "staff@example.com", demo_password(live_server))
    staff_home = page.url
    open_rows = page.get_by_role("row").filter(has_text="征集中")
    company = ""
    # Only matches above the recommendation threshold are listed: look through the department's
    # open scenarios for a recommended company that has no account yet.
    for row_index in range(open_rows.count()):
        page.goto(staff_home)
        page.get_by_role("row").filter(has_text="征集中").nth(row_index).get_by_role("link").first.click()
        page.get_by_role("link", name="推荐企业与联合体建议").click()
        matches_url = page.url
        items = page.locator(".recommendation")
        for i in range(items.count()):
            item = items.nth(i)
            if item.locator(".invite-status").count():
                continue  # invited before (another journey)
            name = item.locator("h2").inner_text().strip()
            item.get_by_role("button", name=re.compile("邀请申报")).click()
            notice = page.locator(".alert").first
            expect(notice).to_be_visible()
            if "还没有平台账号" in notice.inner_text():
                company = name
                break
            page.goto(matches_url)
        if company:
            break
    assert company, "every recommended company has an account"
    expect(
        page.get_by_text(f"「{company}」还没有平台账号，站内通知无人可收，未发送任何邀请。")
    ).to_be_visible()
    page.get_by_label("联系邮箱").fill("e2e-contact@example.com")
    page.get_by_role("button", name=re.compile("发送注册邀请邮件")).click()
    expect(page.get_by_text(f"已向「{company}」的联系邮箱发送注册邀请邮件")).to_be_visible()
    invited = page.locator(".recommendation").filter(has_text=company)
    expect(invited.locator(".invite-status")).to_contain_text(
        re.compile(r"已于 \d{4}-\d\d-\d\d \d\d:\d\d 邀请（注册邀请邮件：e2e-contact@example.com）")
    )
    # asking again sends nothing and says when the company was invited
    expect(invited.get_by_role("button", name=re.compile("再次发送注册邀请"))).to_be_visible()

    # the contact opens the mailed link in their own browser
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 1280, "height": 900}, base_url=live_server.url
    )
    contact = context.new_page()
    contact.goto(_invitation_link(live_server))
    expect(contact.get_by_role("heading", name=f"为「{company}」开通账号")).to_be_visible()
    expect(contact.get_by_label("联系人邮箱（登录账号）")).to_have_value("e2e-contact@example.com")
    contact.get_by_label("联系人姓名").fill("周岚")
    contact.get_by_label("密码").fill("jin-ji-lake-2026!")
    contact.get_by_role("button", name="开通账号").click()
    expect(contact.get_by_text("企业账号已开通，请登录")).to_be_visible()
    contact.get_by_label("邮箱").fill("e2e-contact@example.com")
    contact.get_by_label("密码").fill("jin-ji-lake-2026!")
    contact.get_by_role("button", name="登录").click()
    expect(contact).to_have_url(re.compile(r"/scenarios/\d+$"))
    expect(contact.get_by_role("button", name="提交方案")).to_be_visible()
    context.close()

    page.goto(matches_url)
    expect(
        page.locator(".recommendation").filter(has_text=company).locator(".invite-status")
    ).to_contain_text("企业已通过邀请开通账号")


def test_autosave_keeps_valid_fields_when_the_cost_is_mistyped(page: Page, live_server):
    sign_in(page, "member2@example.com", demo_password(live_server))
    expect(page.get_by_role("heading", name=re.compile("会员中心"))).to_be_visible()
    page.locator(".recommendation h3 a").last.click()
    page.get_by_role("button", name="提交方案").click()
    expect(page.get_by_role("heading", name=re.compile("填写方案"))).to_be_visible()
    edit_url = page.url.split("?")[0]
    page.wait_for_load_state("load")  # the autosave script (deferred) is listening
    page.get_by_label("项目团队", exact=True).fill("项目经理 1 人，工程师 3 人。")
    cost = page.get_by_label("费用估算（万元）")
    cost.fill("150万块")
    cost.blur()
    status = page.locator("#autosave-status")
    expect(status).to_contain_text("已自动保存", timeout=15_000)
    expect(status).to_contain_text("费用估算有误，未保存")
    expect(page.get_by_text("无法识别金额「150万块」")).to_be_visible()
    expect(cost).to_have_attribute("aria-invalid", "true")

    page.goto(edit_url)  # a reload keeps the other edit
    expect(page.get_by_label("项目团队", exact=True)).to_have_value("项目经理 1 人，工程师 3 人。")
    page.wait_for_load_state("load")
    cost = page.get_by_label("费用估算（万元）")
    cost.fill("150万")
    cost.blur()
    expect(page.locator("#autosave-status")).to_have_text(
        re.compile(r"^已自动保存 \d\d:\d\d$"), timeout=15_000
    )
    expect(cost).not_to_have_attribute("aria-invalid", "true")
    page.goto(edit_url)
    expect(page.get_by_label("费用估算（万元）")).to_have_value("150")


def _box(page: Page, channel: str, kind: str):
    return page.get_by_role("checkbox", name=re.compile(rf"^{channel}\s*：{kind}$"))


def test_a_member_turns_off_mail_for_one_kind(page: Page, live_server):
    sign_in(page, "member2@example.com", demo_password(live_server))
    page.goto("/account")
    page.get_by_role("link", name="通知设置").click()
    expect(page.get_by_role("heading", name="通知设置")).to_be_visible()
    mail = _box(page, "邮件", "我的提问已答复")
    in_app = _box(page, "站内提醒", "我的提问已答复")
    expect(mail).to_be_checked()
    mail.uncheck()
    page.get_by_role("button", name="保存通知设置").click()
    expect(page.get_by_text("通知设置已保存。")).to_be_visible()
    expect(_box(page, "邮件", "我的提问已答复")).not_to_be_checked()
    expect(in_app).to_be_checked()
    expect(_box(page, "邮件", "联合体邀请")).to_be_checked()
