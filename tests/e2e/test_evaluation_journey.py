"""Browser journey of the evaluation issue, against a real server with the demo data.

A closed scenario of the demo evaluator's department with three submitted proposals is written
straight into the live server's database (the proposal forms are another journey). Then, all
through the pages: staff start the evaluation with two evaluators (the demo evaluator and the
department's CDO) and pass every proposal's eligibility check; each evaluator declares no
conflict and scores the three proposals, disagreeing strongly on one, which is flagged; staff
shortlist two, invite one to a pitch, select it and publish; the public page names the partner;
the losing company's member reads its own scores and comments; the XLSX export downloads and
opens with the Chinese text intact.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from tests.e2e.conftest import REPO_ROOT
from tests.e2e.signin import demo_password, sign_in
from tests.e2e.test_publishing_journey import _logout

PARK = ZoneInfo("Asia/Shanghai")
TITLE = "河道漂浮物智能发现（评审演练）"
CRITERIA = (("技术方案", 50), ("实施能力", 30), ("报价合理性", 20))

# Written into the live server's database by a separate process (its own event loop).
SETUP = r"""
import asyncio, datetime as dt, json
import piccolo_conf  # noqa: F401  (the engine from DATABASE_URL)
from marketplace.accounts.tables import User
from marketplace.companies.tables import Company
from marketplace.core import clock
from marketplace.core.outbox import enqueue
from tests.evaluation.helpers import insert_submitted_proposal
from tests.factories import make_scenario

TITLE, CRITERIA = json.loads(%r)

async def main():
    async def user(email):
        return await User.select(User.id, User.department, User.company, User.company.name).where(
            User.email == email).first()
    evaluator = await user("evaluator@example.com")
    member = await user("member@example.com")
    member2 = await user("member2@example.com")
    third = await Company.select(Company.id, Company.name).where(
        (Company.status == "approved") & Company.id.not_in([member["company"], member2["company"]])
    ).order_by(Company.id).first()
    deadline = clock.now() - dt.timedelta(days=1)
    scenario = await make_scenario(
        "closed", department=evaluator["department"], criteria=[tuple(c) for c in CRITERIA], title=TITLE,
        domain="一网统管", summary="河道漂浮物靠人工巡查，发现慢、处置滞后。", proposal_deadline=deadline,
        question_deadline=deadline - dt.timedelta(days=5), opened_at=deadline - dt.timedelta(days=30),
        closed_at=deadline, public_status="closed")
    await enqueue("scenario", scenario)
    winner = await insert_submitted_proposal(scenario, member2["company"], "视频识别漂浮物并自动派单",
                                             created_by=member2["id"])
    loser = await insert_submitted_proposal(scenario, member["company"], "无人机定时巡河",
                                            created_by=member["id"])
    third_p = await insert_submitted_proposal(scenario, third["id"], "浮标传感网络")
    print(json.dumps({"scenario": scenario, "winner": winner, "loser": loser, "third": third_p,
                      "winner_company": member2["company.name"], "winner_company_id": member2["company"],
                      "loser_company": member["company.name"], "third_company": third["name"]}))

asyncio.run(main())
"""

# Scores per evaluator and proposal, in criterion order. The CDO and the evaluator disagree on
# the loser's proposal (75 vs 32 points): flagged for a consensus discussion.
SCORES = {
    "evaluator@example.com": {"winner": (9, 9, 8), "loser": (8, 7, 7), "third": (6, 6, 6)},
    "cdo@example.com": {"winner": (8, 9, 9), "loser": (3, 3, 4), "third": (6, 5, 6)},
}


def _prepare(live_server) -> dict:
    script = SETUP % json.dumps([TITLE, CRITERIA], ensure_ascii=False)
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=live_server.env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _number(proposal_id: int) -> str:
    return f"SYQ-2026-{proposal_id:05d}"


def _score(page: Page, scenario: int, world: dict, evaluator: str) -> None:
    page.goto(f"/staff/scenarios/{scenario}/evaluation/conflicts")
    for key in ("winner", "loser", "third"):
        page.locator(f"#f-conflicted_{world[key]}").get_by_label("无利益冲突").check()
    page.get_by_role("button", name="保存声明").click()
    expect(page.get_by_text("利益冲突声明已保存。")).to_be_visible()
    for key, values in SCORES[evaluator].items():
        page.goto(f"/staff/scenarios/{scenario}/evaluation/score/{world[key]}")
        for (name, _), value in zip(CRITERIA, values, strict=False):
            page.get_by_label(f"{name} 评分（0–10）").fill(str(value))
            page.get_by_label(f"{name} 评语").fill(f"{evaluator.split('@')[0]}：{name}{value}分，{key}")
        page.get_by_role("button", name="保存评分草稿").click()
        expect(page.locator(".alert-success")).to_be_visible()
    page.goto(f"/staff/scenarios/{scenario}/evaluation/score")
    page.get_by_role("button", name="提交全部评分").click()
    expect(page.get_by_text("评分已锁定")).to_be_visible()


def test_two_evaluators_score_staff_select_and_publish(page: Page, live_server):
    password = demo_password(live_server)
    world = _prepare(live_server)
    scenario = world["scenario"]
    winner, loser = world["winner"], world["loser"]

    # Staff start the evaluation with the demo evaluator and the CDO, and pass every proposal.
    sign_in(page, "staff@example.com", password, expect_signed_in=True)
    page.goto(f"/staff/scenarios/{scenario}/evaluation")
    page.get_by_label("刘洋").check()
    page.get_by_label("陈静").check()
    page.get_by_role("button", name="开始评审").click()
    for key in ("winner", "loser", "third"):
        card = page.locator(f"#review-{world[key]}")
        card.get_by_label("资格通过").check()
        card.get_by_role("button", name="保存资格审查").click()
        expect(page.locator(f"#review-{world[key]} .eligibility-eligible")).to_be_visible()
    # Nothing is decided before the evaluators submit: the public page shows no applicant.
    page.goto(f"/scenarios/{scenario}")
    expect(page.get_by_text(world["winner_company"])).to_have_count(0)
    _logout(page)

    # Each evaluator declares no conflict, scores the three proposals and submits.
    for evaluator in SCORES:
        sign_in(page, evaluator, password, expect_signed_in=True)
        _score(page, scenario, world, evaluator)
        _logout(page)

    # Staff see the ranking with the disagreement flagged, shortlist two, invite, select, publish.
    sign_in(page, "staff@example.com", password, expect_signed_in=True)
    page.goto(f"/staff/scenarios/{scenario}/evaluation")
    expect(page.locator(f"#rank-{loser} .flag-disagreement")).to_have_text("需合议")
    expect(page.locator(f"#rank-{winner} .flag-disagreement")).to_have_count(0)
    page.get_by_role("link", name="入围与选定").click()
    expect(page.get_by_role("heading", name=f"决定与公布：{TITLE}")).to_be_visible()
    expect(page.locator(f"#proposal-{loser}")).to_contain_text("分歧较大")
    expect(page.locator(f"#proposal-{winner} td").first).to_have_text("1")
    for key, reason in (("winner", "总分第一，带动中小企业。"), ("loser", "技术路线新颖，需路演澄清分歧。")):
        item = page.locator(f"#shortlist-{world[key]}")
        item.get_by_label("入围理由").fill(reason)
        item.get_by_role("button", name="加入入围名单").click()
        expect(page.get_by_text("已加入入围名单。")).to_be_visible()
    pitch_at = (dt.datetime.now(PARK) + dt.timedelta(days=3)).replace(hour=14, minute=0)
    item = page.locator(f"#shortlist-{winner}")
    item.get_by_label("路演时间").fill(pitch_at.strftime("%Y-%m-%dT%H:%M"))
    item.get_by_label("地点或线上会议").fill("园区管委会 3 楼第一会议室")
    item.get_by_role("button", name="发送路演邀请").click()
    expect(page.get_by_text("路演邀请已发送")).to_be_visible()

    # The XLSX export opens with the Chinese text and the numbers.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="导出 Excel（排名与评分）").click()
    book = load_workbook(io.BytesIO(Path(download_info.value.path()).read_bytes()))
    assert book.sheetnames == ["排名", "评分明细"]
    rows = list(book["排名"].iter_rows(values_only=True))
    assert rows[0][:3] == ("排名", "方案编号", "牵头企业")
    ranked = {r[2]: r for r in rows[1:]}
    assert ranked[world["winner_company"]][0] == 1 and ranked[world["winner_company"]][1] == _number(winner)
    header = rows[0]
    assert ranked[world["loser_company"]][header.index("分歧较大")] == "是"
    assert ranked[world["winner_company"]][header.index("入围理由")] == "总分第一，带动中小企业。"
    details = list(book["评分明细"].iter_rows(values_only=True))
    assert any(r[4] == "技术方案" and r[7] == "cdo：技术方案3分，loser" for r in details[1:])

    page.get_by_label(f"{_number(winner)} · {world['winner_company']}").check()
    page.get_by_label("选定理由").fill("综合得分最高，方案成熟，实施风险低。")
    page.get_by_role("button", name="选定合作伙伴").click()
    expect(page.get_by_text("已选定合作伙伴。结果尚未公开")).to_be_visible()
    page.goto(f"/scenarios/{scenario}")  # still nothing public
    expect(page.get_by_text("遴选结果")).to_have_count(0)
    page.goto(f"/staff/scenarios/{scenario}/decision")
    page.get_by_role("button", name="公布结果").click()  # without the confirmation box
    expect(page.get_by_text("请勾选确认后再公布结果。")).to_be_visible()
    page.get_by_label("我已核对决定，确认公布结果").check()
    page.get_by_role("button", name="公布结果").click()
    expect(page.locator(".alert-success")).to_contain_text("结果已公布")
    _logout(page)

    # The public page names the partner, linking to its profile.
    page.goto(f"/scenarios/{scenario}")
    result = page.locator("#result")
    expect(result).to_contain_text("选定合作伙伴")
    expect(result.get_by_role("link", name=world["winner_company"])).to_have_attribute(
        "href", f"/companies/{world['winner_company_id']}"
    )
    expect(page.get_by_text(world["loser_company"])).to_have_count(0)

    # The losing company's member is told, and reads its own scores and comments.
    sign_in(page, "member@example.com", password, expect_signed_in=True)
    page.get_by_role("link", name="评审结果").click()
    page.get_by_role("link", name=_number(loser)).click()
    expect(page.locator(".outcome")).to_contain_text("未入选")
    scores = page.locator("table.outcome-scores")
    expect(scores).to_contain_text("评审专家1")
    expect(scores).to_contain_text("evaluator：技术方案8分，loser")
    expect(scores).to_contain_text("cdo：技术方案3分，loser")
    expect(scores).not_to_contain_text("winner")
    expect(page.locator(".outcome-total")).to_have_text("53.50")

    # The public page says how many proposals came in, ranks the shortlist without names the
    # companies did not agree to show, and opens the 质疑 window; the losing member objects.
    page.goto(f"/scenarios/{scenario}")
    result = page.locator("#result")
    expect(result.get_by_text("收到方案")).to_be_visible()
    expect(result.get_by_text("0 件质疑，0 件已答复")).to_be_visible()
    page.goto(f"/member/results/{loser}")  # still signed in as the losing member
    page.get_by_label("质疑理由").fill("评分不公")  # too short: refused with a message
    page.get_by_role("button", name="提出质疑").click()
    expect(page.get_by_role("alert")).to_contain_text("至少 10 个字")
    page.get_by_label("质疑理由").fill("我方报价明显低于中选方案，报价合理性得分偏低，请复核评分。")
    page.get_by_role("button", name="提出质疑").click()
    expect(page.get_by_text("质疑已提交")).to_be_visible()
    expect(page.get_by_text("等待部门答复")).to_be_visible()
    _logout(page)
    page.goto(f"/scenarios/{scenario}")
    expect(page.locator("#result").get_by_text("1 件质疑，0 件已答复")).to_be_visible()

    # The pilot waits for the answer; the department answers, then starts it.
    sign_in(page, "staff@example.com", password, expect_signed_in=True)
    page.goto(f"/staff/scenarios/{scenario}/pilot")
    page.get_by_role("button", name="启动试点").click()
    expect(page.get_by_role("alert")).to_contain_text("质疑未答复")
    page.goto(f"/staff/scenarios/{scenario}/decision#objections")
    objections = page.locator("#objections")
    expect(objections).to_contain_text("请复核评分")
    objections.get_by_label("答复").fill("经复核，报价合理性按评分办法计算无误，结果维持不变。")
    objections.get_by_role("button", name="答复质疑").click()
    expect(page.get_by_text("质疑已答复")).to_be_visible()
    page.goto(f"/staff/scenarios/{scenario}/pilot")
    page.get_by_role("button", name="启动试点").click()
    expect(page.locator(".alert-success")).to_be_visible()
    _logout(page)
    sign_in(page, "member@example.com", password, expect_signed_in=True)
    page.goto(f"/member/results/{loser}")
    expect(page.get_by_text("结果维持不变")).to_be_visible()
