"""A refused form brings keyboard focus to its error summary (issue 16, defect 7), as GOV.UK's
error summary does, instead of leaving it on <body>."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def test_a_refused_registration_moves_focus_to_the_error_summary(page: Page, live_server):
    page.goto("/register")
    page.get_by_label("企业全称").fill("焦点测试有限公司")
    page.get_by_label("统一社会信用代码").fill("91320594MA1XXXXXXX")  # fails the checksum
    page.get_by_label("中小企业").check()
    page.get_by_label("联系人姓名").fill("沈悦")
    page.get_by_label("联系人邮箱（登录账号）").fill("focus@example.com")
    page.get_by_label("密码").fill("focus-test-2026!")
    page.get_by_role("button", name="提交注册申请").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    # The summary links to the refused field.
    summary.get_by_role("link").first.click()
    expect(page.get_by_label("统一社会信用代码")).to_be_focused()
