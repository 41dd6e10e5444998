"""A catalog made for the API tests: enough public scenarios for two pages, every public status,
every domain, deadlines in each window, drafts and private companies that must never show.

``api_catalog`` loads it once through the real importer and is shared by read-only tests (like
``demo_db``); a test that writes uses ``db`` instead, which empties the database.
"""

from __future__ import annotations

import datetime as dt

import pytest

from marketplace.companies.tables import Company
from marketplace.core import clock
from marketplace.core.audit import SYSTEM
from marketplace.importing.services import import_catalog
from marketplace.scenarios.status import DOMAINS
from tests.conftest import load_shared

# Deadlines in days from today, away from the window edges (7, 30, 90 days).
DEADLINE_DAYS = (3, 20, 60, 200, -10)
# (internal status, how many): 21 public scenarios, 4 that are not public.
SCENARIO_STATUSES = (
    ["open"] * 10
    + ["closed"] * 3
    + ["evaluating"] * 2
    + ["shortlisted"]
    + ["awarded"]
    + ["completed"]
    + ["piloting"]
    + ["cancelled"] * 2
    + ["draft"] * 2
    + ["in_review"]
    + ["changes_requested"]
)
CAPABILITY_WORDS = (["ASR"], ["NLP", "语音识别"], ["视频分析"], ["传感器网络", "ASR"], ["区块链存证"])


def catalog_data(today: dt.date) -> dict:
    scenarios = []
    for i, status in enumerate(SCENARIO_STATUSES):
        days = DEADLINE_DAYS[i % len(DEADLINE_DAYS)]
        record = {
            "key": f"sc-{i:02d}",
            "title": f"测试场景{i:02d}（{status}）",
            "summary": f"第 {i} 个场景的摘要。",
            "description": "问题描述。",
            "domain": DOMAINS[i % len(DOMAINS)],
            "department": "dept-a" if i % 3 else "dept-b",
            "required_capabilities": CAPABILITY_WORDS[i % len(CAPABILITY_WORDS)],
            "status": status,
            "deadline": (today + dt.timedelta(days=days)).isoformat(),
        }
        if status == "cancelled":
            record["cancel_reason"] = "预算调整。"
        scenarios.append(record)
    return {
        "departments": [
            {
                "key": "dept-a",
                "name": "园区大数据管理局",
                "short_name": "数据局",
                "cdo_name": "陈明",
                "cdo_title": "首席数据官",
            },
            {"key": "dept-b", "name": "园区城市管理局", "short_name": "城管局"},
            {"key": "dept-c", "name": "园区经济发展委员会", "short_name": "经发委"},
        ],
        "capabilities": [
            {
                "key": "grp-ai",
                "name": "人工智能与语音",
                "name_en": "AI and speech",
                "synonyms": ["AI"],
                "children": [
                    {
                        "key": "cap-asr",
                        "name": "语音识别",
                        "name_en": "Speech recognition",
                        "synonyms": ["ASR", "智能语音"],
                    },
                    {"key": "cap-nlp", "name": "自然语言处理", "name_en": "NLP", "synonyms": ["NLP"]},
                ],
            },
            {
                "key": "grp-iot",
                "name": "物联网与感知",
                "name_en": "IoT and sensing",
                "synonyms": ["IoT"],
                "children": [
                    {"key": "cap-sensor", "name": "传感器网络", "name_en": "Sensor networks"},
                    {
                        "key": "cap-video",
                        "name": "视频分析",
                        "name_en": "Video analytics",
                        "synonyms": ["视频AI"],
                    },
                ],
            },
        ],
        "companies": [
            {
                "key": "co-large-voice",
                "name": "园区声学大型科技有限公司",
                "size": "large",
                "capabilities": ["ASR", "NLP"],
                "past_projects": [
                    {"title": "热线语音转写", "client": "数据局", "year": 2025, "capability": "ASR"}
                ],
            },
            {
                "key": "co-large-iot",
                "name": "湖畔物联网集团有限公司",
                "size": "large",
                "capabilities": ["传感器网络", "视频分析"],
            },
            {"key": "co-sme-nlp", "name": "金鸡湖文本智能有限公司", "size": "sme", "capabilities": ["NLP"]},
            {
                "key": "co-sme-video",
                "name": "独墅湖视觉有限公司",
                "size": "sme",
                "capabilities": ["视频分析"],
            },
            {"key": "co-sme-asr", "name": "星湖语音有限公司", "size": "sme", "capabilities": ["智能语音"]},
            {
                "key": "co-pending",
                "name": "待审核科技有限公司",
                "size": "sme",
                "status": "pending",
                "capabilities": ["ASR"],
            },
            {
                "key": "co-suspended",
                "name": "已暂停科技有限公司",
                "size": "large",
                "status": "suspended",
                "capabilities": ["ASR"],
            },
            {"key": "co-hidden", "name": "不公开资料科技有限公司", "size": "sme", "capabilities": ["ASR"]},
        ],
        "scenarios": scenarios,
    }


@pytest.fixture
async def api_catalog():
    """The API test catalog, loaded once and shared: tests using it must not write."""

    async def load() -> None:
        report = await import_catalog(catalog_data(clock.to_park_time(clock.now()).date()), SYSTEM)
        assert report.ok, report.failures
        await Company.update({Company.publish_profile: False}).where(Company.key == "co-hidden")

    await load_shared("api_catalog", load)
    yield
