"""Browser journey of the staff side of proposals, against the live server with the demo data:
staff@example.com opens the proposals of a sealed scenario before its deadline (a notice, no
proposal) and of a sealed scenario whose deadline has passed (the proposals with their
consortium and SME badges), reads one proposal with its version history and an older version,
downloads an attachment and the CSV export.

The two sealed scenarios of the staff member's department, with submitted proposals (versions
hashed by the real ``canonical_content``), are put in the live server's database by a small
script run with the server's environment (``SETUP``), as the demo data has no sealed scenario
with proposals before its deadline."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from playwright.sync_api import Page, expect

from tests.e2e.conftest import REPO_ROOT

SETUP = r"""
import asyncio, datetime as dt, hashlib, json
import piccolo_conf  # noqa: F401  (the server's database, from DATABASE_URL)
from marketplace.accounts.tables import User
from marketplace.companies.tables import Company
from marketplace.core import clock, files
from marketplace.proposals.services import canonical_content, content_hash
from marketplace.proposals.tables import Proposal, ProposalAttachment, ProposalMember, ProposalVersion
from marketplace.scenarios.tables import Scenario, ScenarioCriterion

PDF = b"%PDF-1.4\n% e2e staff proposals\ntrailer <<>>\n%%EOF\n"


async def scenario(title, dept, deadline, status):
    row = Scenario(title=title, domain="一网统管", department=dept, status="draft", sealed=True,
                   summary="密封征集，用于浏览器测试。", proposal_deadline=deadline, opened_at=deadline - dt.timedelta(days=30))
    await row.save()
    for name, weight in (("技术方案", 60), ("实施成本", 40)):
        await ScenarioCriterion.insert(ScenarioCriterion(scenario=row.id, name=name, weight=weight))
    await Scenario.update({Scenario.status: status}).where(Scenario.id == row.id)
    return row.id


async def proposal(scenario_id, lead, partner, number, summaries, when):
    row = Proposal(scenario=scenario_id, company=lead["id"], status="submitted", number=number, summary=summaries[0],
                   approach="分阶段实施：数据接入、模型训练、试点验证。", declaration_accepted=True)
    await row.save()
    share = 100
    if partner:
        share = 60
        await ProposalMember.insert(ProposalMember(proposal=row.id, company=partner["id"], role="算法实施",
                                                   work_share=40, status="accepted"))
    await ProposalMember.insert(ProposalMember(proposal=row.id, company=lead["id"], role="牵头单位", work_share=share,
                                               status="accepted", is_lead=True))
    stored = await files.store_file(PDF, files.PDF)
    await ProposalAttachment.insert(ProposalAttachment(proposal=row.id, filename="实施方案.pdf", stored_name=stored,
                                                       content_type="application/pdf", size=len(PDF),
                                                       sha256=hashlib.sha256(PDF).hexdigest()))
    for version, summary in enumerate(summaries, start=1):
        await Proposal.update({Proposal.summary: summary}).where(Proposal.id == row.id)
        content = await canonical_content(row.id)
        digest = content_hash(content)
        at = when + dt.timedelta(hours=version)
        await ProposalVersion.insert(ProposalVersion(proposal=row.id, version=version, content=content,
                                                     content_hash=digest, submitted_at=at))
        await Proposal.update({Proposal.version: version, Proposal.content_hash: digest,
                               Proposal.submitted_at: at}).where(Proposal.id == row.id)
    return row.id


async def main():
    staff = await User.select(User.department).where(User.email == "staff@example.com").first()
    dept = staff["department"]
    companies = await Company.select(Company.id, Company.name, Company.size).where(
        Company.status == "approved").order_by(Company.id)
    large = [c for c in companies if c["size"] == "large"]
    smes = [c for c in companies if c["size"] == "sme"]
    now = clock.now()
    before = await scenario("密封征集：地下管网智能巡检（e2e，截止前）", dept, now + dt.timedelta(days=10), "open")
    after = await scenario("密封征集：河道漂浮物识别（e2e，已截止）", dept, now - dt.timedelta(days=2), "closed")
    await proposal(before, large[0], smes[0], "SYQ-E2E-000001", ["截止前的密封方案"], now - dt.timedelta(days=1))
    joint = await proposal(after, large[0], smes[0], "SYQ-E2E-000002",
                           ["管网巡检初稿", "河道漂浮物识别终稿：视频分析与无人船"], now - dt.timedelta(days=5))
    await proposal(after, large[1], None, "SYQ-E2E-000003", ["独立申报的识别方案"], now - dt.timedelta(days=4))
    print(json.dumps({"before": before, "after": after, "joint": joint, "lead": large[0]["name"],
                      "sme": smes[0]["name"]}))


asyncio.run(main())
"""


def _setup(live_server) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", SETUP],
        env=live_server.env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _login(page: Page, live_server) -> None:
    password = (live_server.var_dir / "demo_password").read_text().strip()
    page.goto("/login")
    page.get_by_label("邮箱").fill("staff@example.com")
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="退出")).to_be_visible()


def test_staff_read_sealed_proposals_only_after_the_deadline(page: Page, live_server, tmp_path):
    ids = _setup(live_server)
    _login(page, live_server)

    # before the deadline: the notice, nothing of the proposal
    page.goto(f"/staff/scenarios/{ids['before']}")
    page.get_by_role("link", name="收到的方案").click()
    expect(page.get_by_role("heading", name=re.compile("收到的方案"))).to_be_visible()
    expect(page.get_by_text("本场景为密封征集，截止前不可查看方案")).to_be_visible()
    expect(page.get_by_text("SYQ-E2E-000001")).to_have_count(0)
    expect(page.get_by_role("link", name="导出 CSV")).to_have_count(0)
    expect(page.locator("table")).to_have_count(0)

    # after the deadline: both proposals, the consortium with its SME badge
    page.goto(f"/staff/scenarios/{ids['after']}")
    page.get_by_role("link", name="收到的方案").click()
    expect(page.get_by_text("本场景为密封征集，截止前不可查看方案")).to_have_count(0)
    rows = page.locator(".proposals-table tbody tr")
    expect(rows).to_have_count(2)
    joint = rows.filter(has_text="SYQ-E2E-000002")
    expect(joint).to_contain_text(ids["lead"])
    expect(joint).to_contain_text(ids["sme"])
    expect(joint.get_by_text("中小企业")).to_be_visible()
    expect(joint).to_contain_text("第 2 版")

    # the proposal: final version, consortium, history, an older version, the attachment
    joint.get_by_role("link", name="SYQ-E2E-000002").click()
    expect(page.get_by_role("heading", name="方案 SYQ-E2E-000002")).to_be_visible()
    expect(page.get_by_text("河道漂浮物识别终稿：视频分析与无人船")).to_be_visible()
    consortium = page.locator(".consortium")
    expect(consortium).to_contain_text(ids["lead"])
    expect(consortium).to_contain_text(ids["sme"])
    expect(consortium).to_contain_text("工作份额 40%")
    history = page.locator(".versions-table tbody tr")
    expect(history).to_have_count(2)
    expect(history.first).to_contain_text("第 2 版（最终版）")
    expect(history.first.locator("code")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    with page.expect_download() as attachment:
        page.get_by_role("link", name="实施方案.pdf").click()
    assert attachment.value.path().read_bytes().startswith(b"%PDF-")
    page.get_by_role("link", name="查看第 1 版").click()
    expect(page.get_by_text("这是历史版本")).to_be_visible()
    expect(page.get_by_text("管网巡检初稿")).to_be_visible()

    # the CSV export of the list
    page.get_by_role("link", name=re.compile("收到的方案")).click()
    with page.expect_download() as download:
        page.get_by_role("link", name="导出 CSV").click()
    target = tmp_path / download.value.suggested_filename
    download.value.save_as(target)
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert "SYQ-E2E-000002" in text and "SYQ-E2E-000003" in text and "中小企业" in text
    assert "SYQ-E2E-000001" not in text
