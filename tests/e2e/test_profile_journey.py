"""The company profile as a member keeps it: the demo member fills in the description, adds a
capability with a past project that backs it, a certificate and a case study, publishes, and
the public company page shows them (the capability now "有项目案例") but never the project's
reference contact. A mistake in the form is shown beside the field and nothing is saved."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.test_matching_journey import _login  # signs a demo account in


def test_member_fills_and_publishes_the_company_profile(page: Page, live_server):
    _login(page, "member@example.com", live_server)
    expect(page.get_by_role("heading", name=re.compile("会员中心"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"企业资料完整度 \d/6"))).to_be_visible()
    page.get_by_role("link", name="完善企业资料").click()
    expect(page.get_by_role("heading", name=re.compile("企业资料"))).to_be_visible()

    # The basics, with one mistake first.
    page.get_by_label("企业简介").fill("园区老牌政务语音与数据服务商，服务 12345 热线等场景。")
    page.get_by_label("团队规模（人）").fill("很多")
    page.get_by_label("园区内位置").fill("星湖街 328 号创意产业园 5 栋")
    page.get_by_label("公开企业主页（出现在企业名录和检索中）").check()
    page.get_by_role("button", name="保存企业资料").click()
    expect(page.get_by_text("团队规模（人）必须是整数。").first).to_be_visible()
    page.get_by_label("团队规模（人）").fill("120")
    page.get_by_role("button", name="保存企业资料").click()
    expect(page.get_by_text("企业资料已保存。")).to_be_visible()

    # A capability, then a past project linked to it.
    choice = page.locator("#f-capability option").nth(1)
    capability = choice.inner_text().strip()
    page.locator("#f-capability").select_option(label=capability)
    page.get_by_label("说明（可选，500 字以内）").fill("支持方言与行业术语")
    page.get_by_role("button", name="添加能力").click()
    expect(page.get_by_text("能力已添加。")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=capability)
    expect(row.get_by_text("自述")).to_be_visible()

    page.get_by_role("link", name="添加过往项目").click()
    page.get_by_label(re.compile("^项目名称")).fill("金鸡湖热线方言转写")
    page.get_by_label(re.compile("^客户")).fill("园区政务服务中心")
    page.get_by_label(re.compile("^年份")).fill("2025")
    page.get_by_label(re.compile("^交付内容")).fill("方言语音实时转写与工单摘要")
    page.get_by_label("证明人联系方式（不公开）").fill("刘主任 13912345678")
    page.get_by_label("相关能力").select_option(label=capability)
    page.get_by_role("button", name="保存过往项目").click()
    expect(page.get_by_text("已保存。")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=capability)
    expect(row.get_by_text("有项目案例")).to_be_visible()

    page.get_by_role("link", name="添加资质证书").click()
    page.get_by_label(re.compile("^证书名称")).fill("ISO/IEC 27001 信息安全管理体系")
    page.get_by_label(re.compile("^发证机构")).fill("中国质量认证中心")
    page.get_by_label("有效期至").fill("2028-06-30")
    page.get_by_role("button", name="保存资质证书").click()
    expect(page.get_by_text("已保存。")).to_be_visible()

    page.get_by_role("link", name="添加案例").click()
    page.get_by_label(re.compile("^案例标题")).fill("方言热线一年减少转接三成")
    page.get_by_label(re.compile("^问题与做法")).fill("热线方言来电转写不准，我们训练了吴语模型。")
    page.get_by_label("成效").fill("转接率下降 31%")
    page.get_by_role("button", name="保存案例").click()
    expect(page.get_by_text("已保存。")).to_be_visible()

    # The public page shows what was published, never the reference contact.
    page.get_by_role("link", name="查看公开主页").click()
    expect(page.get_by_text("园区老牌政务语音与数据服务商，服务 12345 热线等场景。").first).to_be_visible()
    expect(page.get_by_role("heading", name="金鸡湖热线方言转写")).to_be_visible()
    expect(page.get_by_role("heading", name="ISO/IEC 27001 信息安全管理体系")).to_be_visible()
    expect(page.get_by_role("heading", name="方言热线一年减少转接三成")).to_be_visible()
    expect(page.get_by_text("支持方言与行业术语")).to_be_visible()
    expect(page.get_by_text("120 人")).to_be_visible()
    assert "13912345678" not in page.content() and "刘主任" not in page.content()
