"""Scenario and company pages on purpose-made data: user text is escaped, and every part of the
detail page (cancel reason, sealed notice, Q&A, change log, tags, budget) shows when present."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

from marketplace.companies.tables import Company
from marketplace.core import clock
from marketplace.core.audit import SYSTEM
from marketplace.importing.services import import_catalog
from marketplace.scenarios.services import apply_transition
from marketplace.scenarios.tables import Question, Scenario
from tests.pages.html import parse

EVIL_TITLE = '<script>alert("x")</script>恶意标题'
EVIL_SUMMARY = "<img src=x onerror=alert(1)>摘要"
EVIL_COMPANY = "<b>粗体</b>科技有限公司"


def catalog(**scenario_fields) -> dict:
    scenario = {
        "key": "sc-test",
        "title": "河道漂浮物智能识别",
        "domain": "一网统管",
        "department": "dept-water",
        "summary": "用视频识别河道漂浮物。",
        "description": "第一段问题描述。\n第二段问题描述。",
        "expected_outcome": "发现时间缩短到 10 分钟以内。",
        "target_users": "河长办巡河人员",
        "data_offered": "河道视频监控 120 路",
        "resources_offered": "试点河段与机房",
        "required_capabilities": ["视频分析", "无人船巡检"],
        "status": "open",
        "deadline": (clock.to_park_time(clock.now()).date() + dt.timedelta(days=20)).isoformat(),
        "question_deadline": (clock.to_park_time(clock.now()).date() + dt.timedelta(days=10)).isoformat(),
        "budget_min": 300000,
        "budget_max": 500000,
        "pilot_months": 6,
        "sealed": True,
        "criteria": [
            {"name": "识别准确率", "weight": 70, "description": "测试集上的准确率"},
            {"name": "报价", "weight": 30},
        ],
    }
    scenario.update(scenario_fields)
    return {
        "departments": [
            {
                "key": "dept-water",
                "name": "园区水务局",
                "short_name": "水务局",
                "cdo_name": "李华",
                "cdo_title": "首席数据官",
            }
        ],
        "capabilities": [
            {
                "key": "grp-vision",
                "name": "计算机视觉",
                "children": [{"key": "cap-video", "name": "视频分析", "synonyms": ["视频识别"]}],
            }
        ],
        "companies": [
            {
                "key": "co-evil",
                "name": EVIL_COMPANY,
                "size": "sme",
                "description": "<i>描述</i>",
                "capabilities": ["视频分析", "<u>标签</u>"],
                "website": "javascript:alert(1)",
            }
        ],
        "scenarios": [scenario],
    }


async def _import(data: dict) -> int:
    report = await import_catalog(data, SYSTEM)
    assert report.ok, report.failures
    return (await Scenario.select(Scenario.id).where(Scenario.key == "sc-test").first())["id"]


async def test_user_text_is_escaped_everywhere(client, db):
    sid = await _import(catalog(title=EVIL_TITLE, summary=EVIL_SUMMARY))
    company = (await Company.select(Company.id).first())["id"]
    for url in ("/", "/scenarios", f"/scenarios/{sid}", "/companies", f"/companies/{company}"):
        response = await client.get(url)
        assert response.status_code == 200, url
        html = response.text
        # Only our own deferred scripts from /static may appear; no script from user text.
        own_scripts = re.sub(r'<script src="/static/[^"<>]+" defer></script>', "", html)
        assert "<script>" not in html and "<script" not in own_scripts, url
        assert "<img src=x" not in html and "<b>粗体" not in html and "<i>描述" not in html, url
        assert 'href="javascript' not in html, url
    detail = (await client.get(f"/scenarios/{sid}")).text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;恶意标题" in detail
    assert "&lt;img src=x onerror=alert(1)&gt;摘要" in detail
    profile = (await client.get(f"/companies/{company}")).text
    assert "&lt;b&gt;粗体&lt;/b&gt;科技有限公司" in profile
    assert 'href="javascript' not in profile  # a non-http website is shown as text, not a link
    assert "&lt;u&gt;标签&lt;/u&gt;" in profile  # unmapped capability word kept as a tag


async def test_detail_shows_every_part_the_department_gave(client, db):
    sid = await _import(catalog())
    now = clock.now()
    await Question.insert(
        Question(
            scenario=sid,
            question="能否提供历史标注数据？",
            answer="可提供近一年的标注样本。",
            asked_at=now,
            answered_at=now,
            published=True,
        ),
        Question(scenario=sid, question="未公开的问题", asked_at=now, published=False),
    )
    doc = parse((await client.get(f"/scenarios/{sid}")).text)
    text = doc.text()
    assert doc.find("h1").text() == "河道漂浮物智能识别"
    assert "园区水务局" in text and "李华" in text
    for part in (
        "第一段问题描述。",
        "第二段问题描述。",
        "发现时间缩短到 10 分钟以内。",
        "河长办巡河人员",
        "河道视频监控 120 路",
        "试点河段与机房",
        "6 个月",
    ):
        assert part in text, part
    assert "30–50 万元" in text
    assert "密封评审" in doc.find("div", "alert-info").text()
    assert "还剩 19 天" in text or "还剩 20 天" in text  # proposal deadline, 17:00 in 20 days
    assert "答疑截止" in text
    weights = {
        li.find("span", "weight-name").text().split()[0]: li.find("span", "weight-value").text()
        for li in doc.find("ul", "weight-list").find_all("li")
    }
    assert weights == {"视频分析": "100%"}
    assert [li.text() for li in doc.find_all("li", "cap-tag")] == ["无人船巡检"]
    rows = doc.find("table", "criteria-table").find("tbody").find_all("tr")
    assert [(r.find("th").text(), r.find("span", "weight-value").text()) for r in rows] == [
        ("识别准确率", "70%"),
        ("报价", "30%"),
    ]
    qa = doc.find("dl", "qa-list").text()
    assert "能否提供历史标注数据？" in qa and "可提供近一年的标注样本。" in qa
    assert "未公开的问题" not in text
    assert "发布以来没有变更" in text


async def test_cancelled_scenario_shows_its_reason_and_change_log(client, db):
    sid = await _import(catalog(sealed=False))
    await apply_transition(sid, "cancelled", SYSTEM, reason="预算调整，本年度暂停。")
    response = await client.get(f"/scenarios/{sid}")
    assert response.status_code == 200
    doc = parse(response.text)
    assert doc.find("span", "badge").text() == "已取消"
    assert "预算调整，本年度暂停。" in doc.find("div", "alert-error").text()
    log = doc.find("ol", "change-log").text()
    assert "取消" in log and "预算调整，本年度暂停。" in log
    assert doc.find("div", "alert-info") is None  # not sealed
    # Cancelled scenarios stay listed under their status.
    listed = parse((await client.get("/scenarios?status=cancelled")).text)
    assert [a.text() for a in listed.find_all("a") if a.attrs.get("href") == f"/scenarios/{sid}"]


async def test_draft_scenario_is_not_public_anywhere(client, db):
    sid = await _import(catalog(status="draft", title="尚未发布的草稿场景"))
    assert (await client.get(f"/scenarios/{sid}")).status_code == 404
    for url in ("/", "/scenarios"):
        assert "尚未发布的草稿场景" not in (await client.get(url)).text


async def test_error_template_renders_for_each_status(app):
    template = app.template_engine.get_template("error.html")
    for status, title in ((400, "请求有误"), (404, "页面不存在"), (500, "服务器出错了")):
        html = template.render(
            status_code=status,
            message="说明文字<b>",
            errors={"page": "page 必须是整数。"},
            # url_for reverses routes through request.app; base.html reads the path and user
            request=SimpleNamespace(app=app, url=SimpleNamespace(path="/missing"), scope={}),
        )
        doc = parse(html)
        assert doc.find("h1").text() == title
        assert "说明文字&lt;b&gt;" in html
        assert "page 必须是整数。" in doc.find("ul", "error-list").text()
        assert '<html lang="zh-CN">' in html


async def test_capability_chips_read_in_chinese(demo_db, client):
    """Issue 16, defect 10: the English name is a tooltip, not part of the chip's text."""
    from marketplace.scenarios.tables import Scenario, ScenarioCapability
    from tests.pages.html import parse

    sid = (await Scenario.select(Scenario.id).where(Scenario.public_status == "open").first())["id"]
    english = [
        r["capability.name_en"]
        for r in await ScenarioCapability.select(ScenarioCapability.capability.name_en).where(
            ScenarioCapability.scenario == sid
        )
        if r["capability.name_en"]
    ]
    assert english, "the demo scenario should have capabilities with English names"
    html = (await client.get(f"/scenarios/{sid}")).text
    text = parse(html).text()
    assert [name for name in english if name in text] == []
    assert all(f'title="{name}"' in html for name in english)
    key = (await Scenario.select(Scenario.key).where(Scenario.id == sid).first())["key"]
    assert f"SY-{sid:04d}" in text and key not in text  # a number, not the import's English slug
