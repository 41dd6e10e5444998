"""Text relevance: tokenising, the concept dictionary, and matches that survive different wording."""

from __future__ import annotations

import pytest

from marketplace.matching.baseline import BaselineRanker
from marketplace.matching.concepts import CONCEPTS
from marketplace.matching.explain import explain
from marketplace.matching.scoring import MatchConfig, MatchEngine
from marketplace.matching.text import ascii_words, build_matcher, char_bigrams, common_phrases, normalize_text
from tests.matching.helpers import TAXONOMY, company, scenario


@pytest.mark.parametrize("text, expected", [
    ("工地扬尘", ["工地", "地扬", "扬尘"]),
    ("扬尘 监管", ["扬尘", "监管"]),
    ("云", ["云"]),
    ("PM2.5超标", ["超标"]),
    ("", []),
])
def test_char_bigrams(text, expected):
    assert char_bigrams(normalize_text(text)) == expected


@pytest.mark.parametrize("text, expected", [
    ("ＡＳＲ引擎", ["asr"]),  # full width folded
    ("PM2.5和PM10", ["pm2.5", "pm10"]),
    ("NB-IoT终端", ["nb-iot"]),
])
def test_ascii_words(text, expected):
    assert ascii_words(normalize_text(text)) == expected


@pytest.mark.parametrize("text, concept", [
    ("工地扬尘投诉多", "大气颗粒物"),
    ("部署颗粒物传感器", "大气颗粒物"),
    ("PM2.5浓度", "大气颗粒物"),
    ("进口冻品冷库", "冷链"),
    ("一物一码全程溯源", "追溯标识"),
    ("工业互联网标识解析二级节点", "追溯标识"),
    ("12345市民来电", "政务热线"),
    ("RPA数字员工", "流程自动化"),
])
def test_dictionary_concepts_are_found(text, concept):
    matcher = build_matcher()
    tokens = {h.token for h in matcher.find(normalize_text(text))}
    assert f"k:{concept}" in tokens


@pytest.mark.parametrize("text, concept", [
    ("email地址", "大模型"),   # "LLM"-like ASCII words only match whole words
    ("rpax工具", "流程自动化"),
    ("5gb流量", "通信网络"),
])
def test_ascii_forms_match_whole_words_only(text, concept):
    matcher = build_matcher()
    assert f"k:{concept}" not in {h.token for h in matcher.find(normalize_text(text))}


def test_dictionary_words_are_not_empty_and_not_single_letters():
    for label, words in CONCEPTS.items():
        assert words, label
        for w in words:
            form = normalize_text(w)
            assert len(form) >= 2, (label, w)


# The scenario and the right company share no two-character word; a distractor shares surface
# words but is about something else. With the dictionary the right company wins; with plain
# bigrams (the baseline) it does not.
WORDING_CASES = [
    ("工地扬尘监管", "在建项目扬尘投诉多，需要掌握现场情况并自动处置。",
     "颗粒物传感网络与PM10在线监测微站。", "建筑工地劳务实名制考勤与工资代发。"),
    ("冷链追溯", "进口冷冻食品从入库到销售全程可追溯。",
     "物联网标识解析平台，为货品赋唯一标识并记录流向。", "冷饮与冷冻食品批发零售。"),
    ("市民诉求自动分拨", "来电和网络留言自动判断承办部门。",
     "12345热线工单系统与派单引擎。", "网络留言板与论坛建站服务。"),
    ("会议记录自动成稿", "会后自动形成纪要初稿和待办清单。",
     "会议录音转写与会议纪要生成。", "会议室预订与会务服务。"),
    ("违法建设空中巡查", "定期从空中拍摄全区影像，发现新增违法建设。",
     "无人机航拍与卫星影像解译。", "建设工程造价咨询。"),
]


@pytest.mark.parametrize("title, description, right, distractor", WORDING_CASES)
def test_wording_robust_text_match(title, description, right, distractor):
    companies = [company(1, description=distractor), company(2, description=right)]
    scenarios = [scenario(1, title=title, description=description)]
    engine = MatchEngine(TAXONOMY, companies, scenarios)
    text = engine.scenario_signals(0).text
    assert text[1] > text[0], (title, text)
    why = explain(engine, 0, 1)
    assert why.concepts, "the explanation names the shared concept"


def test_the_dictionary_is_what_finds_them():
    """Over all the cases, plain bigrams (baseline, and the engine without concepts) rank the
    right company first less often than the engine with its dictionary (always)."""
    def wins(make):
        won = 0
        for title, description, right, distractor in WORDING_CASES:
            ranker = make([company(1, description=distractor), company(2, description=right)],
                          [scenario(1, title=title, description=description)])
            order = ranker.rank_companies(0)
            order = order[0] if isinstance(order, tuple) else order
            won += int(order[0] == 1)
        return won

    full = wins(lambda c, s: MatchEngine(TAXONOMY, c, s))
    bare = wins(lambda c, s: MatchEngine(TAXONOMY, c, s, MatchConfig(concepts=False, taxonomy_concepts=False)))
    baseline = wins(BaselineRanker)
    assert full == len(WORDING_CASES)
    assert bare < full and baseline < full


def test_explanation_phrases_are_readable_words():
    engine = MatchEngine(TAXONOMY, [company(1, description="12345热线工单自动派单")],
                         [scenario(1, title="热线工单智能分派", description="热线工单由人工分派")])
    why = explain(engine, 0, 0)
    assert "热线工单" in why.phrases


@pytest.mark.parametrize("query, doc, expected", [
    ("热线工单智能分派", "热线工单", ["热线工单"]),
    ("工地扬尘监管", "颗粒物", []),
    ("冷链追溯与冷链配送", "冷链", ["冷链"]),
])
def test_common_phrases(query, doc, expected):
    assert common_phrases(query, set(char_bigrams(doc))) == expected
