"""Browser journey of the pilot and dashboards, against a real server with the demo data: staff
of the data bureau start the pilot of their awarded scenario, post an update, finish a milestone
and complete the pilot with an outcome note; the public scenario page shows the progress and
the outcome; the staff dashboard and the public statistics page draw their charts (Chart.js,
no console errors) next to their tables."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.signin import demo_password, sign_in

SCENARIO = "政务数据共享交换接口治理与监测"
OUTCOME = "试点期间接口目录覆盖全部1900余个接口，越权调用定位时间由3个工作日缩短到40分钟。"


def _watch_errors(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def _expect_charts_drawn(page: Page, count: int) -> None:
    canvases = page.locator("canvas[data-chart]")
    expect(canvases).to_have_count(count)
    expect(page.locator("canvas[data-drawn='true']")).to_have_count(count)


def test_staff_run_the_pilot_and_everyone_sees_the_figures(page: Page, live_server):
    errors = _watch_errors(page)
    sign_in(page, "staff@example.com", demo_password(live_server), expect_signed_in=True)

    # From the department's list to the awarded scenario and its pilot page.
    page.get_by_role("link", name=SCENARIO).click()
    page.get_by_role("link", name="试点跟踪").click()
    expect(page.get_by_role("heading", name=f"试点 · {SCENARIO}")).to_be_visible()
    page.get_by_role("button", name="启动试点").click()
    expect(page.get_by_text("试点已启动，里程碑已从中选方案的实施计划导入。")).to_be_visible()
    expect(page.get_by_role("rowheader", name="需求调研与数据对接")).to_be_visible()

    # A status update about the first milestone, then the milestone is done.
    page.get_by_label("发布进展").fill("已与数据局完成接口清单核对，共梳理接口1936个。")
    page.get_by_label("关联里程碑（可选）").select_option(label="需求调研与数据对接")
    page.get_by_role("button", name="发布", exact=True).click()
    expect(page.get_by_text("进展已发布。")).to_be_visible()
    expect(page.get_by_text("已与数据局完成接口清单核对，共梳理接口1936个。")).to_be_visible()
    page.get_by_label("「需求调研与数据对接」的新状态").select_option("done")
    page.get_by_role("row", name="需求调研与数据对接").get_by_role("button", name="更新").click()
    expect(page.get_by_text("里程碑状态已更新。")).to_be_visible()
    expect(page.get_by_text("1 / 4 已完成")).to_be_visible()

    # An empty outcome note is refused with a clear message; then the pilot is completed.
    page.get_by_role("button", name="完成试点").click()
    expect(page.get_by_text("请填写试点成效说明。").first).to_be_visible()
    page.get_by_label("试点成效说明").fill(OUTCOME)
    page.get_by_role("button", name="完成试点").click()
    expect(page.get_by_text("试点已完成，成效说明已在场景页面公开。")).to_be_visible()

    # The staff dashboard draws its charts. (Console errors are counted from here: the refused
    # empty note above answered 400 on purpose.)
    errors.clear()
    page.goto("/staff")
    page.get_by_role("link", name="数据看板").click()
    expect(page.locator("h1")).to_contain_text("数据看板")
    _expect_charts_drawn(page, 5)
    expect(page.locator("#dash-received-table")).to_contain_text(SCENARIO)

    # The public sees the outcome on the scenario page, without the internal updates.
    page.get_by_role("button", name="退出").first.click()
    page.goto("/statistics")
    expect(page.get_by_role("heading", name="开放统计")).to_be_visible()
    _expect_charts_drawn(page, 4)
    expect(page.locator("#stat-domain-table")).to_contain_text("一网协同")
    expect(page.locator("#stat-awards-table")).to_contain_text(SCENARIO)
    expect(page.locator("#stat-pilots-table")).to_contain_text(SCENARIO)
    page.locator("#stat-pilots-table").get_by_role("link", name=SCENARIO).click()
    expect(page.get_by_role("heading", name="试点进展")).to_be_visible()
    expect(page.get_by_text(OUTCOME)).to_be_visible()
    expect(page.get_by_text("已与数据局完成接口清单核对")).to_have_count(0)

    # The footer links the statistics page.
    expect(page.get_by_role("contentinfo").get_by_role("link", name="开放统计")).to_be_visible()
    assert errors == []
