"""Tables of cases for each signal of the pure engine (no database)."""

from __future__ import annotations

import numpy as np
import pytest

from marketplace.matching.explain import explain
from marketplace.matching.model import Award, Project
from marketplace.matching.scoring import (
    COMPLETENESS_SHARE,
    COVERED_AT,
    MatchConfig,
    MatchEngine,
    tag_capabilities,
    top_indexes,
)
from tests.matching.helpers import (
    AI,
    ASR,
    CHAIN,
    COLD,
    IDRES,
    IOT,
    KG,
    NLP,
    PLATFORM,
    SENSOR,
    TAXONOMY,
    company,
    scenario,
)


def coverage_value(credit: float) -> float:
    return (1 - COMPLETENESS_SHARE) * credit + COMPLETENESS_SHARE * (credit >= COVERED_AT)


def coverage_of(caps: dict, reqs: dict, tags=(), config=None) -> float:
    engine = MatchEngine(TAXONOMY, [company(1, caps, tags=tuple(tags))], [scenario(1, reqs)], config)
    return float(engine.scenario_signals(0).coverage[0])


# -- capability coverage: taxonomy partial credit ----------------------------------------------


@pytest.mark.parametrize(
    "have, need, credit, relation",
    [
        (ASR, ASR, 1.0, "exact"),
        (ASR, AI, 0.9, "child"),  # has a capability inside the required group
        (AI, ASR, 0.6, "parent"),  # declared only the group of the required capability
        (NLP, ASR, 0.35, "sibling"),  # a neighbour in the same group: partial, not covered
        (SENSOR, ASR, 0.0, None),  # another group: nothing
        (IDRES, COLD, 0.35, "sibling"),
        (CHAIN, IDRES, 0.0, None),
    ],
)
def test_taxonomy_partial_credit(have, need, credit, relation):
    assert TAXONOMY.relation(have, need) == relation
    got = coverage_of({have: "verified"}, {need: 100})
    assert got == pytest.approx(coverage_value(credit), abs=1e-6)


def test_without_partial_credit_only_the_same_capability_counts():
    off = MatchConfig(taxonomy_credit=False)
    assert coverage_of({ASR: "verified"}, {ASR: 100}, config=off) == pytest.approx(1.0)
    assert coverage_of({AI: "verified"}, {ASR: 100}, config=off) == 0
    assert coverage_of({NLP: "verified"}, {ASR: 100}, config=off) == 0


@pytest.mark.parametrize(
    "reqs, expected",
    [
        ({ASR: 50, NLP: 50}, coverage_value(1.0) * 0.5 + coverage_value(0.35) * 0.5),
        ({ASR: 80, KG: 20}, coverage_value(1.0) * 0.8 + coverage_value(0.35) * 0.2),
        ({ASR: 20, SENSOR: 80}, coverage_value(1.0) * 0.2),
    ],
)
def test_coverage_is_weighted_by_requirement_weights(reqs, expected):
    assert coverage_of({ASR: "verified"}, reqs) == pytest.approx(expected, abs=1e-6)


def test_a_missing_capability_costs_more_than_weaker_evidence():
    reqs = {ASR: 50, NLP: 50}
    all_self_declared = coverage_of({ASR: "self_declared", NLP: "self_declared"}, reqs)
    one_missing_verified = coverage_of({ASR: "verified"}, reqs)
    assert all_self_declared > one_missing_verified


# -- synonyms ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tag, expected",
    [
        ("智能语音客服", [ASR]),  # contains the synonym 智能语音
        ("ASR引擎", [ASR]),
        ("语音转写服务", [ASR]),
        ("扬尘监测设备", [SENSOR]),
        ("一物一码赋码", [IDRES]),
        ("区块链", [CHAIN]),
        ("劳务实名制", []),  # nothing in the taxonomy
        ("语", []),  # too short to mean anything
    ],
)
def test_unmapped_tags_find_their_capability_by_synonym(tag, expected):
    assert tag_capabilities(tag, TAXONOMY) == expected


@pytest.mark.parametrize("tag", ["智能语音客服", "ASR引擎", "语音转写服务"])
def test_a_synonym_tag_gives_partial_coverage(tag):
    got = coverage_of({}, {ASR: 100}, tags=[tag])
    assert 0 < got < coverage_of({ASR: "self_declared"}, {ASR: 100})


@pytest.mark.parametrize(
    "scenario_words, company_words",
    [
        ("需要语音识别能力", "我们提供ASR引擎"),
        ("热线录音智能语音处理", "语音转写服务"),
        ("扬尘监测", "颗粒物监测网络"),
    ],
)
def test_taxonomy_synonyms_also_match_in_text(scenario_words, company_words):
    engine = MatchEngine(
        TAXONOMY,
        [company(1, description=company_words), company(2, description="财务软件与报销系统")],
        [scenario(1, title=scenario_words)],
    )
    text = engine.scenario_signals(0).text
    assert text[0] > 0 and text[1] == 0


# -- evidence weighting --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "stronger, weaker",
    [
        ("verified", "past_project"),
        ("past_project", "self_declared"),
        ("verified", "self_declared"),
    ],
)
def test_stronger_evidence_ranks_higher(stronger, weaker):
    companies = [company(1, {ASR: weaker}), company(2, {ASR: stronger})]
    engine = MatchEngine(TAXONOMY, companies, [scenario(1, {ASR: 100})])
    order, sig = engine.rank_companies(0)
    assert list(order) == [1, 0]
    assert sig.coverage[1] > sig.coverage[0]


def test_without_evidence_weighting_evidence_levels_tie():
    companies = [company(1, {ASR: "self_declared"}), company(2, {ASR: "verified"})]
    engine = MatchEngine(
        TAXONOMY, companies, [scenario(1, {ASR: 100})], MatchConfig(evidence_weighting=False)
    )
    sig = engine.scenario_signals(0)
    assert sig.coverage[0] == sig.coverage[1]


# -- track record ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "awards, projects, expect_more_than_zero",
    [
        ((Award(9, "热线试点", "一网通办", (ASR,), "completed"),), (), True),
        ((Award(9, "别的领域", "一网协同", (SENSOR,), "completed"),), (), False),
        ((), (Project("热线转写", capability=ASR),), True),
        ((), (Project("无关项目", capability=SENSOR),), False),
    ],
)
def test_track_record_counts_related_awards_and_projects(awards, projects, expect_more_than_zero):
    companies = [company(1, {ASR: "self_declared"}, awards=awards, projects=projects)]
    engine = MatchEngine(TAXONOMY, companies, [scenario(1, {ASR: 100}, domain="一网通办")])
    assert (engine.scenario_signals(0).track[0] > 0) == expect_more_than_zero


def test_a_completed_award_outweighs_one_only_awarded_and_a_lead_a_member():
    def track(status, role):
        award = Award(9, "试点", "一网通办", (ASR,), status, role)
        engine = MatchEngine(
            TAXONOMY, [company(1, awards=(award,))], [scenario(1, {ASR: 100}, domain="一网通办")]
        )
        return float(engine.scenario_signals(0).track[0])

    assert track("completed", "lead") > track("awarded", "lead") > 0
    assert track("completed", "lead") > track("completed", "member") > 0


# -- ranking plumbing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values, limit, expected",
    [
        ([0.1, 0.5, 0.5, 0.2], None, [1, 2, 3, 0]),  # ties keep index order
        ([0.1, 0.5, 0.5, 0.2], 2, [1, 2]),
        ([0.3, 0.3, 0.3], 1, [0]),
    ],
)
def test_top_indexes(values, limit, expected):
    assert list(top_indexes(np.array(values, dtype=np.float32), limit)) == expected


def test_company_mask_leaves_out_unranked_companies():
    engine = MatchEngine(
        TAXONOMY,
        [company(1, {ASR: "verified"}), company(2, {ASR: "self_declared"})],
        [scenario(1, {ASR: 100})],
    )
    order, _ = engine.rank_companies(0, company_mask=np.array([False, True]))
    assert list(order) == [1]


@pytest.mark.parametrize("block", [7, 16, 512])
def test_recommend_all_agrees_with_scoring_each_pair(block):
    rng = np.random.default_rng(3)
    leaves = [ASR, NLP, KG, SENSOR, PLATFORM, IDRES, COLD, CHAIN]
    words = ["语音", "热线", "扬尘", "冷链", "追溯", "区块链", "数据平台", "图谱", "传感器", "存证"]
    companies = [
        company(
            i,
            {int(c): "self_declared" for c in rng.choice(leaves, 2, replace=False)},
            description="".join(rng.choice(words, 4)) + "数据平台",
        )
        for i in range(1, 41)
    ]
    scenarios = [
        scenario(
            j,
            {int(c): 50 for c in rng.choice(leaves, 2, replace=False)},
            description="".join(rng.choice(words, 5)),
        )
        for j in range(1, 31)
    ]
    engine = MatchEngine(TAXONOMY, companies, scenarios)
    full = np.stack([engine.scenario_signals(j).total for j in range(len(scenarios))])  # (S x N)
    idx, val = engine.recommend_all(5, block=block)
    for i in range(len(companies)):
        best = np.sort(full[:, i])[::-1][:5]
        assert np.allclose(val[i], best, atol=1e-5)
        assert np.allclose(full[idx[i], i], val[i], atol=1e-5)


# -- explanations --------------------------------------------------------------------------------


def test_explanation_names_covered_partial_and_missing_capabilities():
    c = company(
        1,
        {ASR: "verified", NLP: "past_project"},
        projects=(Project("某区热线语义分析", capability=NLP, year=2024, client="某区政务服务中心"),),
        description="热线录音转写",
    )
    s = scenario(1, {ASR: 40, NLP: 30, KG: 20, CHAIN: 10}, title="热线录音智能分析")
    engine = MatchEngine(TAXONOMY, [c], [s])
    why = explain(engine, 0, 0)
    assert [r.name for r in why.covered] == ["语音识别", "自然语言处理"]
    assert [r.name for r in why.partial] == ["知识图谱"]
    assert [r.name for r in why.missing] == ["区块链存证"]
    text = why.summary()
    for phrase in (
        "所需能力覆盖 2/4 项",
        "语音识别（协会已核验）",
        "有项目案例",
        "某区热线语义分析",
        "仅有同类相近能力",
        "缺少：区块链存证",
    ):
        assert phrase in text, text


def test_explanation_of_a_group_level_declaration():
    engine = MatchEngine(TAXONOMY, [company(1, {IOT: "self_declared"})], [scenario(1, {SENSOR: 100})])
    why = explain(engine, 0, 0)
    assert why.covered[0].relation == "parent"
    assert "仅申报了所属大类「物联感知」" in why.summary()


def test_score_block_equals_the_signals_combined():
    rng = np.random.default_rng(5)
    leaves = [ASR, NLP, KG, SENSOR, PLATFORM, IDRES, COLD, CHAIN]
    words = ["语音", "热线", "扬尘", "冷链", "追溯", "区块链", "数据平台", "图谱", "传感器", "存证"]
    companies = [
        company(
            i,
            {int(c): "past_project" for c in rng.choice(leaves, 2, replace=False)},
            description="".join(rng.choice(words, 4)),
            awards=(Award(99, "试点", "一网统管", (int(rng.choice(leaves)),), "completed"),) if i % 3 else (),
        )
        for i in range(1, 31)
    ]
    scenarios = [
        scenario(
            j,
            {int(c): 50 for c in rng.choice(leaves, 2, replace=False)} if j % 4 else {},
            domain=["一网通办", "一网统管", "一网提优", "一网协同"][j % 4],
            description="".join(rng.choice(words, 5)),
        )
        for j in range(1, 21)
    ]
    engine = MatchEngine(TAXONOMY, companies, scenarios)
    rows = np.arange(len(scenarios))
    assert np.allclose(engine.score_block(rows), engine.block_signals(rows).total, atol=1e-5)
