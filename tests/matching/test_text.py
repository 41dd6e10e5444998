"""Text relevance: tokenising, the concept dictionary, and matches that survive different wording."""

from __future__ import annotations

import numpy as np
import pytest

from marketplace.matching.baseline import BaselineRanker
from marketplace.matching.concepts import CONCEPTS
from marketplace.matching.explain import explain
from marketplace.matching.scoring import MatchConfig, MatchEngine
from marketplace.matching.text import STOP_WORDS, ascii_words, build_matcher, char_bigrams, normalize_text
from tests.matching.helpers import TAXONOMY, company, scenario


@pytest.mark.parametrize(
    "text, expected",
    [
        ("工地扬尘", ["工地", "地扬", "扬尘"]),
        ("扬尘 监管", ["扬尘", "监管"]),
        ("云", ["云"]),
        ("PM2.5超标", ["超标"]),
        ("", []),
    ],
)
def test_char_bigrams(text, expected):
    assert char_bigrams(normalize_text(text)) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("ＡＳＲ引擎", ["asr"]),  # full width folded
        ("PM2.5和PM10", ["pm2.5", "pm10"]),
        ("NB-IoT终端", ["nb-iot"]),
    ],
)
def test_ascii_words(text, expected):
    assert ascii_words(normalize_text(text)) == expected


@pytest.mark.parametrize(
    "text, concept",
    [
        ("工地扬尘投诉多", "大气颗粒物"),
        ("部署颗粒物传感器", "大气颗粒物"),
        ("PM2.5浓度", "大气颗粒物"),
        ("进口冻品冷库", "冷链"),
        ("一物一码全程溯源", "追溯标识"),
        ("工业互联网标识解析二级节点", "追溯标识"),
        ("12345市民来电", "政务热线"),
        ("RPA数字员工", "流程自动化"),
    ],
)
def test_dictionary_concepts_are_found(text, concept):
    matcher = build_matcher()
    tokens = {h.token for h in matcher.find(normalize_text(text))}
    assert f"k:{concept}" in tokens


@pytest.mark.parametrize(
    "text, concept",
    [
        ("email地址", "大模型"),  # "LLM"-like ASCII words only match whole words
        ("rpax工具", "流程自动化"),
        ("5gb流量", "通信网络"),
    ],
)
def test_ascii_forms_match_whole_words_only(text, concept):
    matcher = build_matcher()
    assert f"k:{concept}" not in {h.token for h in matcher.find(normalize_text(text))}


def test_dictionary_words_are_not_empty_and_not_single_letters():
    for label, words in CONCEPTS.items():
        assert words, label
        for w in words:
            form = normalize_text(w)
            assert len(form) >= 2, (label, w)


# The scenario and the right company share no two-character word: only the dictionary (or the
# taxonomy's synonyms) can tell that they talk about the same thing.
UNRELATED = "财务报销与预算编制软件。"
WORDING_CASES = [
    (
        "工地扬尘监管",
        "在建项目扬尘投诉多，需要掌握现场情况并自动处置。",
        "颗粒物传感网络与PM10在线监测微站。",
    ),
    ("冷链追溯", "进口冷冻食品从入库到销售全程可追溯。", "物联网标识解析平台，为货品赋唯一标识并记录流向。"),
    ("市民诉求自动分拨", "来电和网络留言自动判断承办部门。", "12345热线工单系统与派单引擎。"),
    ("热线通话录音质检", "检查服务用语是否规范。", "智能语音引擎。"),
    ("电梯困人快速救援", "乘客被困时自动报警。", "特种设备物联网监测终端与按需维保。"),
]


@pytest.mark.parametrize("title, description, right", WORDING_CASES)
def test_wording_robust_text_match(title, description, right):
    companies = [company(1, description=UNRELATED), company(2, description=right)]
    scenarios = [scenario(1, title=title, description=description)]
    query_grams = set(char_bigrams(normalize_text(title + description)))
    assert not query_grams & set(char_bigrams(normalize_text(right))), "the case must share no bigram"
    engine = MatchEngine(TAXONOMY, companies, scenarios)
    text = engine.scenario_signals(0).text
    assert text[1] > 0 and text[0] == 0, (title, text)
    why = explain(engine, 0, 1)
    assert why.concepts and "同属" in why.summary(), "the explanation names the shared concept"
    bare = MatchEngine(TAXONOMY, companies, scenarios, MatchConfig(concepts=False, taxonomy_concepts=False))
    assert bare.scenario_signals(0).text[1] == 0, "plain bigrams cannot see it"
    baseline = BaselineRanker(companies, scenarios)
    assert baseline.score_block(np.array([0]))[0][1] == 0


def test_capabilities_beat_a_distractor_that_shares_surface_words():
    from tests.matching.helpers import SENSOR

    companies = [
        company(1, description="建筑工地劳务实名制考勤与工资代发。"),
        company(2, {SENSOR: "self_declared"}, description="颗粒物传感网络与PM10在线监测微站。"),
    ]
    scenarios = [scenario(1, {SENSOR: 100}, title="工地扬尘监管", description="在建工地扬尘投诉多。")]
    order, _ = MatchEngine(TAXONOMY, companies, scenarios).rank_companies(0)
    assert list(order) == [1, 0]
    assert list(BaselineRanker(companies, scenarios).rank_companies(0)) == [0, 1]


def test_a_bare_common_word_is_never_a_reason():
    """The member-home bad case: "相同词语：计算、完成". Shared generic words score nothing and
    the explanation names only capabilities, concepts, projects and awards."""
    engine = MatchEngine(
        TAXONOMY,
        [
            company(1, description="提供计算服务，按时完成系统平台建设。"),
            company(2, description="语音转写引擎"),
        ],
        [scenario(1, title="热线录音转写", description="完成热线录音的计算与转写，提供服务，建设平台。")],
    )
    sig = engine.scenario_signals(0)
    assert sig.text[0] == 0, "only generic words are shared: no text relevance"
    why = explain(engine, 0, 0).summary()
    for word in ("计算", "完成", "提供", "服务", "系统", "平台", "建设"):
        assert word not in why, why
    assert "同属语音处理" in explain(engine, 0, 1).summary()


@pytest.mark.parametrize("word", ["系统", "平台", "建设", "完成", "计算", "提供", "服务"])
def test_the_issue_generic_words_are_on_the_reviewed_stop_list(word):
    assert word in STOP_WORDS
