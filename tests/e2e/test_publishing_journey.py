"""Browser journey of the publishing issue, against a real server with the demo data: a staff
member writes a scenario, the CDO sends it back once, the author fixes and resubmits, the CDO
approves; it shows up in the public list and in search; a member asks a question, staff answer,
and the member reads the public answer (and is notified)."""

from __future__ import annotations

import datetime as dt
import re
import time
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from tests.e2e.signin import demo_password, sign_in

PARK = ZoneInfo("Asia/Shanghai")
TITLE = "园区公共自行车停放秩序难以掌握"


def _logout(page: Page) -> None:
    page.get_by_role("button", name="退出").first.click()
    expect(page.get_by_role("link", name="登录")).to_be_visible()


def _local(days: int) -> str:
    moment = dt.datetime.now(PARK).replace(hour=17, minute=0, second=0, microsecond=0) + dt.timedelta(
        days=days
    )
    return moment.strftime("%Y-%m-%dT%H:%M")


def _eventually_visible(page: Page, url: str, text: str, seconds: float = 20) -> None:
    """The search index is filled in the background: reload until the text is there."""
    deadline = time.monotonic() + seconds
    while True:
        page.goto(url)
        if page.get_by_role("link", name=text).count():
            return
        if time.monotonic() > deadline:
            expect(page.get_by_role("link", name=text)).to_be_visible()
        page.wait_for_timeout(500)


def test_staff_publish_and_member_asks(page: Page, live_server):
    password = demo_password(live_server)

    # The author writes a draft in the guided form.
    sign_in(page, "staff@example.com", password, expect_signed_in=True)
    page.get_by_role("link", name="新建场景").click()
    expect(page.get_by_role("heading", name="新建场景")).to_be_visible()
    page.get_by_label("标题").fill(TITLE)
    page.get_by_label("一句话概述").fill("公共自行车乱停乱放，调度靠人工巡查。")
    page.get_by_label("所属领域").select_option("一网统管")
    page.get_by_label("问题描述").fill(
        "园区 300 个公共自行车站点周边乱停乱放问题突出，目前依靠人工巡查发现，"
        "高峰时段站点满桩或空桩，调度员无法及时掌握，市民投诉较多。站点周边已有监控视频，但从未做过视频分析。"
    )
    page.get_by_label("预期成效与指标").fill("乱停乱放发现时间缩短到 15 分钟以内，站点满空桩时长减少 30%。")
    page.get_by_label("服务对象").fill("城管执法队员、公共自行车调度员约 60 人。")
    page.get_by_label("可开放的数据").fill("站点桩位实时数据、近一年骑行订单（脱敏）。")
    page.get_by_label("试点周期（月）").fill("6")
    page.get_by_label("答疑截止时间（北京时间）").fill(_local(10))
    page.get_by_label("方案截止时间（北京时间）").fill(_local(30))
    # Suggestions follow the text as it is typed (htmx); picking one keeps everything typed.
    suggestion = page.locator("#capability-suggestions button", has_text="视频结构化")
    expect(suggestion).to_be_visible()
    suggestion.click()
    expect(page.get_by_label("能力 1", exact=True).locator("option:checked")).to_have_text("视频结构化")
    expect(page.get_by_label("标题")).to_have_value(TITLE)
    expect(page.get_by_label("方案截止时间（北京时间）")).to_have_value(_local(30))
    page.get_by_label("能力 1 的权重").fill("100")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_text("草稿已创建。")).to_be_visible()
    scenario_url = page.url.split("?")[0]
    scenario_id = int(re.search(r"/staff/scenarios/(\d+)", scenario_url)[1])
    page.get_by_role("button", name="提交审核").click()
    expect(page.get_by_text("已提交审核，首席数据官审核后即可发布。")).to_be_visible()
    _logout(page)

    # The CDO sends it back once, with a comment.
    sign_in(page, "cdo@example.com", password, expect_signed_in=True)
    # Review requested: the bell counts it (other journeys may have left the CDO notifications too).
    expect(page.locator("a.bell")).to_contain_text(re.compile(r"[1-9]\d*\s*条未读"))
    page.goto("/notifications")
    expect(page.locator(".notification-title", has_text=f"待审核：{TITLE}")).to_be_visible()
    page.goto("/staff")
    page.get_by_role("link", name=TITLE).click()
    page.get_by_label("修改意见").fill("请写明可提供的骑行订单数据的时间范围和字段。")
    page.get_by_role("button", name="退回修改").click()
    expect(page.get_by_text("已退回作者修改")).to_be_visible()
    _logout(page)

    # The author sees the comment, fixes the draft and resubmits.
    sign_in(page, "staff@example.com", password, expect_signed_in=True)
    page.goto(scenario_url)
    expect(page.get_by_text("请写明可提供的骑行订单数据的时间范围和字段。")).to_be_visible()
    page.get_by_role("link", name="按意见修改").click()
    page.get_by_label("可开放的数据").fill(
        "站点桩位实时数据（每分钟）；2025 年以来的骑行订单（脱敏，含起止站点、时间）。"
    )
    page.get_by_role("button", name="保存并提交审核").click()
    expect(page.get_by_text("已提交审核，首席数据官审核后即可发布。")).to_be_visible()
    _logout(page)

    # The CDO approves: it opens now.
    sign_in(page, "cdo@example.com", password, expect_signed_in=True)
    page.goto(scenario_url)
    page.get_by_role("button", name="批准发布").click()
    expect(page.get_by_text("已批准，场景已公开征集。")).to_be_visible()
    _logout(page)

    # It is in the public list and in search.
    _eventually_visible(page, "/scenarios", TITLE)
    _eventually_visible(page, "/scenarios?q=" + "公共自行车停放", TITLE)

    # A member asks a question.
    sign_in(page, "member@example.com", password, expect_signed_in=True)
    page.goto(f"/scenarios/{scenario_id}")
    page.get_by_label("向部门提问").fill("骑行订单数据能否提供到小时级的站点汇总？")
    page.get_by_role("button", name="提交问题").click()
    expect(page.get_by_text("问题已提交")).to_be_visible()
    expect(page.get_by_text("等待部门答复")).to_be_visible()
    _logout(page)

    # Staff answer.
    sign_in(page, "staff@example.com", password, expect_signed_in=True)
    page.goto(scenario_url)
    page.get_by_label(re.compile("^答复")).fill("可以，提供按小时汇总的站点借还量。")
    page.get_by_role("button", name="发布答复").click()
    expect(page.get_by_text("答复已公开在场景页面")).to_be_visible()
    _logout(page)

    # The member is notified and reads the public answer, which does not name the company.
    sign_in(page, "member@example.com", password, expect_signed_in=True)
    page.locator("a.bell").click()
    expect(page.locator("p.notification-title", has_text=f"您的提问已答复：{TITLE}")).to_be_visible()
    page.get_by_role("button", name=re.compile("查看.*您的提问已答复")).first.click()
    qa = page.locator("dl.qa-list")
    expect(qa).to_contain_text("骑行订单数据能否提供到小时级的站点汇总？")
    expect(qa).to_contain_text("可以，提供按小时汇总的站点借还量。")
    _logout(page)
    page.goto(f"/scenarios/{scenario_id}")
    expect(page.locator("dl.qa-list")).to_contain_text("可以，提供按小时汇总的站点借还量。")
