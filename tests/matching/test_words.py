"""Text understanding that does not rest on one hand-written list (pure, hand-made data):
jieba words with the park's vocabulary, generic words weighing nothing, IDF over companies and
scenarios, capabilities inferred from a profile's text (weaker, and said so), needs inferred
from a scenario's text, links learned from co-occurrence, and coverage in context."""

from __future__ import annotations

import pytest

from marketplace.matching.explain import explain
from marketplace.matching.labels import INFERRED_LABEL, INFERRED_NEED_LABEL
from marketplace.matching.scoring import EVIDENCE_CREDIT, GENERIC_MIN_TEXTS, MatchConfig, MatchEngine
from marketplace.matching.text import analyze, segmenter
from tests.matching.helpers import ASR, CHAIN, NLP, SENSOR, TAXONOMY, company, scenario


def test_words_keep_the_parks_vocabulary_whole_and_drop_the_stop_list():
    terms = analyze("园区共享单车与明厨亮灶平台建设完成", None, tok=segmenter(), stop_words=True).terms
    assert "w:共享单车" in terms and "w:明厨亮灶" in terms
    for generic in ("平台", "建设", "完成", "w:平台", "w:建设", "w:完成"):
        assert generic not in terms


def test_a_word_in_a_large_share_of_all_texts_weighs_nothing():
    companies = [company(i, description=f"第{i}号产品线。") for i in range(1, GENERIC_MIN_TEXTS)]
    companies.append(company(99, description="产品线：颗粒物在线监测微站。"))
    engine = MatchEngine(TAXONOMY, companies, [scenario(1, title="产品线的扬尘监测")])
    assert engine.text.is_generic("w:产品线") and engine.text.is_generic("品线")
    text = engine.scenario_signals(0).text
    assert text[-1] > 0 and (text[:-1] == 0).all(), "only the specific words count"


def test_idf_is_taken_from_scenarios_and_companies():
    companies = [company(1, description="潮汐车道信号配时"), company(2, description="财务报销软件")]
    scenarios = [scenario(1, title="潮汐车道优化"), scenario(2, title="早高峰潮汐通勤")]
    new = MatchEngine(TAXONOMY, companies, scenarios)
    old = MatchEngine(TAXONOMY, companies, scenarios, MatchConfig.legacy())
    assert "w:通勤" in new.text.vocab and "通勤" in new.text.vocab  # a word only scenarios use
    assert "通勤" not in old.text.vocab  # the previous engine counted companies only
    i = new.text.vocab["潮汐"]
    assert new.text.idf[i] < old.text.idf[old.text.vocab["潮汐"]], "three texts use it, not one"


def test_a_capability_named_in_the_profile_counts_as_weak_evidence_and_is_said_so():
    declared = company(1, {ASR: "self_declared"}, description="热线通话质检服务。")
    inferred = company(2, description="热线通话质检，核心是自研语音转写引擎。")
    neither = company(3, description="热线通话质检服务。")
    engine = MatchEngine(TAXONOMY, [declared, inferred, neither], [scenario(1, {ASR: 1}, title="热线质检")])
    assert engine.inferred_capabilities(1) == [ASR] and engine.inferred_capabilities(0) == []
    credit = engine.credit_for(ASR)
    assert credit[0] == pytest.approx(EVIDENCE_CREDIT["self_declared"])
    assert credit[1] == pytest.approx(EVIDENCE_CREDIT["inferred"]) and credit[1] < credit[0]
    assert credit[2] == 0
    why = explain(engine, 0, 1)
    assert why.covered[0].evidence == "inferred" and INFERRED_LABEL in why.summary()
    off = MatchEngine(TAXONOMY, [declared, inferred], [scenario(1, {ASR: 1})], MatchConfig(inferred=False))
    assert off.credit_for(ASR)[1] == 0


def test_a_capability_the_scenario_names_without_requiring_it_is_a_weaker_need():
    sc = scenario(1, {NLP: 2}, title="政务文书分析", description="文书比对结果上链，用区块链存证。")
    chain = company(1, {NLP: "self_declared", CHAIN: "self_declared"})
    plain = company(2, {NLP: "self_declared"})
    engine = MatchEngine(TAXONOMY, [chain, plain], [sc])
    assert engine.inferred_needs[0] == [CHAIN]
    weights = engine.need_weights(0)
    assert weights[CHAIN] < weights[NLP] and sum(weights.values()) == pytest.approx(1)
    cov = engine.scenario_signals(0).coverage
    assert cov[0] > cov[1]
    why = explain(engine, 0, 0)
    assert f"{INFERRED_NEED_LABEL}的能力：区块链存证" in why.summary()
    assert "所需能力覆盖 1/1 项" in why.summary(), "the declared list is reported as declared"


def test_links_learned_from_co_occurrence_bridge_a_word_to_a_concept():
    # 潮汐 is in no dictionary; in this corpus it always comes with 语音转写 (the taxonomy's
    # ASR), so a company that says only 潮汐 reaches a scenario about 语音转写.
    corpus = [company(i, description=f"潮汐调度与语音转写方案{i}") for i in range(1, 5)]
    corpus += [company(10 + i, description=f"财务报销软件{i}") for i in range(1, 30)]
    target = company(99, description="潮汐调度平台")
    engine = MatchEngine(TAXONOMY, [*corpus, target], [scenario(1, title="语音转写")])
    assert f"c:{ASR}" in engine.text.links.get("w:潮汐", [])
    text = engine.scenario_signals(0).text
    assert text[-1] > 0
    why = explain(engine, 0, len(corpus))
    assert any(c.company_words == ["潮汐"] for c in why.concepts), why.concepts
    off = MatchEngine(
        TAXONOMY, [*corpus, target], [scenario(1, title="语音转写")], MatchConfig(learned_links=False)
    )
    assert off.scenario_signals(0).text[-1] == 0


def test_capabilities_count_fully_only_where_the_texts_meet():
    """The bike-sharing case in miniature: a generalist that declares both needed capabilities
    but never speaks of the subject, against a specialist that declares one and whose profile
    is all about it."""
    sc = scenario(1, {SENSOR: 1, NLP: 1}, title="工地扬尘监测", description="在建工地扬尘超标自动发现。")
    generalist = company(1, {SENSOR: "self_declared", NLP: "self_declared"}, description="财务报销软件。")
    specialist = company(
        2, {SENSOR: "past_project"}, description="工地扬尘在线监测微站，颗粒物超标自动告警。"
    )
    engine = MatchEngine(TAXONOMY, [generalist, specialist], [sc])
    assert list(engine.rank_companies(0)[0]) == [1, 0]
    sig = engine.scenario_signals(0)
    assert sig.coverage[0] > sig.coverage[1], "on declared capabilities alone the generalist leads"
    capabilities_only = MatchEngine(
        TAXONOMY, [generalist, specialist], [sc], MatchConfig(w_text=0, w_track=0)
    )
    assert list(capabilities_only.rank_companies(0)[0]) == [0, 1]
