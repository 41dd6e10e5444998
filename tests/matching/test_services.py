"""The matching service against the database: loading, ranking, recommending, caching, teams."""

from __future__ import annotations

import pytest

from marketplace.companies.tables import Company, CompanyCapability
from marketplace.core.audit import Actor
from marketplace.core.errors import NotFound
from marketplace.importing.services import import_catalog
from marketplace.matching import services
from marketplace.proposals.tables import Proposal
from marketplace.scenarios.tables import Scenario
from marketplace.taxonomy.tables import Capability

CATALOG = {
    "departments": [
        {"key": "d-data", "name": "园区大数据管理局"},
        {"key": "d-city", "name": "园区城市管理局"},
    ],
    "capabilities": [
        {
            "key": "g-ai",
            "name": "语言智能",
            "children": [
                {
                    "key": "c-asr",
                    "name": "语音识别",
                    "name_en": "Speech recognition",
                    "synonyms": ["ASR", "智能语音", "语音转写"],
                },
                {"key": "c-nlp", "name": "自然语言处理", "synonyms": ["NLP", "文本分析"]},
            ],
        },
        {
            "key": "g-iot",
            "name": "物联感知",
            "children": [
                {"key": "c-sensor", "name": "环境监测传感", "synonyms": ["颗粒物传感网络", "扬尘监测"]},
                {"key": "c-video", "name": "视频智能分析", "synonyms": ["视频AI"]},
            ],
        },
        {
            "key": "g-trust",
            "name": "安全与可信",
            "children": [
                {"key": "c-chain", "name": "区块链存证", "synonyms": ["区块链"]},
            ],
        },
    ],
    "companies": [
        {
            "key": "co-voice",
            "name": "园声智能科技有限公司",
            "size": "sme",
            "description": "语音转写与热线质检。",
            "capabilities": ["ASR", "文本分析"],
            "past_projects": [{"title": "某区热线转写", "capability": "语音识别", "year": 2024}],
        },
        {
            "key": "co-big",
            "name": "竹语人工智能股份有限公司",
            "size": "large",
            "description": "综合人工智能企业。",
            "capabilities": ["智能语音"],
        },
        {
            "key": "co-sense",
            "name": "湖畔感知物联网有限公司",
            "size": "large",
            "description": "颗粒物传感网络与在线监测。",
            "capabilities": ["颗粒物传感网络"],
        },
        {
            "key": "co-eye",
            "name": "天衍视觉有限公司",
            "size": "sme",
            "description": "视频结构化与事件识别。",
            "capabilities": ["视频AI"],
        },
        {
            "key": "co-chain",
            "name": "链证科技有限公司",
            "size": "sme",
            "description": "区块链电子存证。",
            "capabilities": ["区块链"],
        },
        {
            "key": "co-pending",
            "name": "待审核有限公司",
            "size": "sme",
            "status": "pending",
            "description": "语音转写。",
            "capabilities": ["ASR", "NLP"],
        },
    ],
    "scenarios": [
        {
            "key": "sc-hotline",
            "title": "12345热线录音智能质检",
            "domain": "一网通办",
            "department": "d-data",
            "description": "热线录音转成文字并自动质检。",
            "required_capabilities": ["语音识别", "NLP"],
            "deadline": "2099-12-31",
        },
        {
            "key": "sc-dust",
            "title": "工地扬尘监管",
            "domain": "一网统管",
            "department": "d-city",
            "description": "在建工地扬尘投诉多，需要识别裸土未覆盖。",
            "required_capabilities": ["扬尘监测", "视频AI", "区块链"],
            "deadline": "2099-12-31",
        },
        {
            "key": "sc-draft",
            "title": "草稿场景：语音转写",
            "domain": "一网协同",
            "department": "d-data",
            "required_capabilities": ["ASR"],
            "status": "draft",
        },
        {
            "key": "sc-done",
            "title": "往年热线语音试点",
            "domain": "一网通办",
            "department": "d-data",
            "required_capabilities": ["ASR"],
            "status": "completed",
        },
    ],
}


@pytest.fixture
async def catalog(db):
    services.clear_cache()
    report = await import_catalog(CATALOG, Actor(label="test", role="system"))
    assert report.ok, report.failures
    yield
    services.clear_cache()


async def ids(table, key):
    return (await table.select(table.id).where(table.key == key).first())["id"]


async def test_match_companies_ranks_and_explains(catalog):
    scenario_id = await services.resolve_scenario("sc-hotline")
    matches = await services.match_companies(scenario_id, limit=10)
    keys = [m.company_key for m in matches]
    assert keys[0] == "co-voice"  # both capabilities, one with a past project
    assert "co-pending" not in keys  # only approved members are ranked
    first = matches[0].explanation
    assert [r.name for r in first.covered] == ["语音识别", "自然语言处理"]
    assert "有项目案例" in first.summary() and "某区热线转写" in first.summary()
    big = next(m for m in matches if m.company_key == "co-big")
    assert "部分相关：自然语言处理（仅有同类相近能力「语音识别」）" in big.explanation.summary()
    assert matches[0].score > big.score
    row = matches[0].to_dict()
    assert {"company_key", "company_id", "score", "explanation"} <= set(row)


async def test_limit_and_unknown_scenario(catalog):
    scenario_id = await services.resolve_scenario("sc-hotline")
    assert len(await services.match_companies(scenario_id, limit=2)) == 2
    with pytest.raises(NotFound):
        await services.match_companies(10**9)
    with pytest.raises(NotFound):
        await services.resolve_scenario("no-such-key")
    assert await services.resolve_scenario(str(scenario_id)) == scenario_id


async def test_recommend_scenarios_only_open_ones(catalog):
    company_id = await services.resolve_company("co-voice")
    recs = await services.recommend_scenarios(company_id, limit=5)
    keys = [r.scenario_key for r in recs]
    assert keys[0] == "sc-hotline"
    assert "sc-draft" not in keys and "sc-done" not in keys
    assert "语音识别" in recs[0].explanation.summary()
    with pytest.raises(NotFound):
        await services.recommend_scenarios(10**9)


async def test_the_cache_follows_the_data(catalog):
    scenario_id = await services.resolve_scenario("sc-hotline")
    first = await services.get_snapshot()
    assert await services.get_snapshot() is first  # nothing changed: same snapshot
    # The association verifies the big firm's speech recognition: evidence changes, no audit row.
    big = await ids(Company, "co-big")
    asr = await ids(Capability, "c-asr")
    await CompanyCapability.update({CompanyCapability.evidence: "verified"}).where(
        (CompanyCapability.company == big) & (CompanyCapability.capability == asr)
    )
    second = await services.get_snapshot()
    assert second is not first
    match = next(m for m in await services.match_companies(scenario_id) if m.company_key == "co-big")
    assert "协会已核验" in match.explanation.summary()


async def test_awards_become_track_record(catalog):
    done = await ids(Scenario, "sc-done")
    big = await ids(Company, "co-big")
    scenario_id = await services.resolve_scenario("sc-hotline")
    before = next(m for m in await services.match_companies(scenario_id) if m.company_key == "co-big")
    unpublished = Proposal(scenario=done, company=big, status="selected")
    await Proposal.insert(unpublished)
    internal = next(m for m in await services.match_companies(scenario_id) if m.company_key == "co-big")
    assert internal.explanation.track == before.explanation.track  # not published: no track record
    await Proposal.update({Proposal.outcome_published: True}).where(Proposal.id == unpublished.id)
    after = next(m for m in await services.match_companies(scenario_id) if m.company_key == "co-big")
    assert after.explanation.track > before.explanation.track
    assert "往年热线语音试点" in after.explanation.summary()


async def test_consortium_for_a_scenario_nobody_covers_alone(catalog):
    scenario_id = await services.resolve_scenario("sc-dust")
    plan = await services.suggest_consortium(scenario_id)
    assert plan.needed and plan.min_size == 3
    best = plan.teams[0]
    assert {m.company_key for m in best} == {"co-sense", "co-eye", "co-chain"}
    assert best[0].company_key == "co-sense" and best[0].lead  # the large firm leads
    assert "方案1" in plan.summary() and "牵头" in plan.summary()


async def test_no_consortium_needed_when_one_member_covers_all(catalog):
    scenario_id = await services.resolve_scenario("sc-hotline")
    plan = await services.suggest_consortium(scenario_id)
    assert not plan.needed and plan.min_size == 1
    assert plan.single_cover[0] == await ids(Company, "co-voice")


async def test_a_pending_company_gets_no_recommendations(catalog):
    pending = await ids(Company, "co-pending")
    assert await services.recommend_scenarios(pending) == []
