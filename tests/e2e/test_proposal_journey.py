"""A joint proposal as the two demo members meet it: the large company's member finds a
recommended open scenario on its home, starts a proposal (autosaved), invites the SME of
member2 with a work share; member2 sees the invitation on its home and accepts; the lead
completes and submits, reads the receipt, edits and re-submits (version 2); member2 sees the
joint proposal with its consortium."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect


def _login(page: Page, email: str, live_server) -> None:
    password = (live_server.var_dir / "demo_password").read_text().strip()
    page.goto("/login")
    page.get_by_label("邮箱").fill(email)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name=re.compile("会员中心"))).to_be_visible()


def _second_page(browser: Browser, live_server) -> Page:
    context = browser.new_context(
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 1280, "height": 900},
        base_url=live_server.url,
    )
    context.set_default_timeout(15_000)
    return context.new_page()


def test_two_members_form_a_consortium_and_submit_twice(page: Page, browser: Browser, live_server):
    # member2 (an SME) tells us its company's name from its home
    other = _second_page(browser, live_server)
    _login(other, "member2@example.com", live_server)
    sme_name = other.get_by_role("heading", name=re.compile("会员中心")).inner_text().split("·", 1)[1].strip()

    # the lead finds a recommended open scenario and starts a proposal
    _login(page, "member@example.com", live_server)
    page.locator(".recommendation h3 a").first.click()
    page.get_by_role("button", name="提交方案").click()
    expect(page.get_by_role("heading", name=re.compile("填写方案"))).to_be_visible()
    proposal_url = re.sub(r"/edit.*$", "", page.url)
    page.wait_for_load_state("load")  # the autosave script (deferred) is listening
    page.get_by_label("方案摘要").fill("以智能算法和数据治理解决场景问题，大企业牵头、中小企业参与。")
    expect(page.locator("#autosave-status")).to_contain_text("已自动保存", timeout=15_000)

    # the consortium: invite member2's company with 30 %, the lead keeps 70 %
    page.goto(proposal_url)
    page.get_by_label("按企业名称搜索已批准的会员企业").fill(sme_name)
    page.get_by_role("button", name="搜索").click()
    invite = page.locator(".invite-form").filter(has_text=sme_name)
    expect(invite.get_by_text("中小企业")).to_be_visible()
    invite.get_by_label("分工").fill("数据治理与现场实施")
    invite.get_by_label("工作量占比（%）").fill("30")
    invite.get_by_role("button", name=re.compile("邀请")).click()
    expect(page.get_by_text("邀请已发送")).to_be_visible()
    lead_row = page.locator("#consortium tbody tr").first
    lead_row.locator("input[name=work_share]").fill("70")
    lead_row.get_by_role("button", name="保存").click()
    expect(page.get_by_text("合计：100%")).to_be_visible()

    # member2 sees the invitation on its home and accepts
    other.goto("/member")
    other.get_by_role("link", name=re.compile("邀请贵企业加入联合体")).click()
    expect(other.get_by_text("工作量占比 30%")).to_be_visible()
    other.get_by_role("button", name="接受邀请").click()
    expect(other.get_by_text("已接受联合体邀请。")).to_be_visible()

    # the lead completes everything and submits
    page.goto(proposal_url + "/edit")
    for name in (
        "对问题的理解",
        "技术路线与实施方法",
        "需要部门提供的数据与资源",
        "项目团队",
        "试点方案",
        "成效指标",
    ):
        page.get_by_label(name, exact=True).fill(f"{name}：详见方案说明。")
    answers = page.locator("textarea[name^=cap_]")
    for i in range(answers.count()):
        answers.nth(i).fill("已有成熟产品和落地案例覆盖该能力。")
    page.get_by_label("第 1 个里程碑名称").fill("需求调研与方案设计")
    page.get_by_label("第 1 个里程碑日期").fill("2027-03-01")
    page.get_by_label("第 1 个里程碑交付成果").fill("调研报告")
    page.get_by_label("费用估算（万元）").fill("30")
    page.get_by_label(re.compile("本企业（联合体）承诺")).check()
    page.get_by_role("button", name="提交方案").click()
    expect(page.get_by_role("heading", name="方案提交回执")).to_be_visible()
    number = page.locator("#receipt-number").inner_text()
    assert re.fullmatch(r"SYQ-\d{4}-\d{6}", number)
    expect(page.locator("#receipt-version")).to_contain_text("第 1 版")

    # edit after submission and submit again: version 2, same number
    page.goto(proposal_url)
    expect(page.get_by_text("以最后一次提交的版本（第 1 版）为准")).to_be_visible()
    page.get_by_role("link", name="修改方案").click()
    page.get_by_label("项目团队", exact=True).fill("项目经理 1 人，算法工程师 4 人，实施工程师 2 人。")
    page.get_by_role("button", name="重新提交（生成第 2 版）").click()
    expect(page.locator("#receipt-version")).to_contain_text("第 2 版")
    expect(page.locator("#receipt-number")).to_have_text(number)

    # member2 sees the joint proposal and the consortium
    other.goto("/member/proposals")
    link = other.locator(".proposal-list li").filter(has_text="联合体成员").get_by_role("link").first
    link.click()
    expect(other.get_by_text(number)).to_be_visible()
    expect(other.get_by_text("已提交第 2 版")).to_be_visible()
    expect(other.locator("#consortium .size-sme")).to_have_text("中小企业")
    other.context.close()
