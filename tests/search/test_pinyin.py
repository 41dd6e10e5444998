"""Pinyin forms and corrections by sound, as pure functions over a small vocabulary (tables of
cases): what a user typing through a pinyin keyboard gets suggested."""

from __future__ import annotations

import pytest

from marketplace.search.pinyin import full, initials, segment, spell, syllable_cost
from marketplace.search.vocabulary import Term, build, correct, dictionary_terms, pinyin_forms, suggest

WORDS = [
    Term("数字孪生河道运行监测", "scenario", 3),
    Term("建筑工地扬尘智能监管", "scenario", 7),
    Term("城市大脑交通信号优化", "scenario", 9),
    Term("电子证照长三角跨域互认应用", "scenario", 11),
    Term("语音识别", "capability"),
    Term("ASR", "capability"),
    Term("视频分析", "capability"),
    *dictionary_terms(),
]
VOCABULARY = build(WORDS)


@pytest.mark.parametrize(
    ("text", "expected_full", "expected_initials"),
    [
        ("数字孪生", "shuziluansheng", "szls"),
        ("扬尘", "yangchen", "yc"),
        ("12345热线", "12345rexian", "rx"),
        ("银行", "yinhang", "yh"),  # the reading in context (行 is also xing)
        ("绿色", "luse", "ls"),  # ü is written u
    ],
)
def test_full_pinyin_and_initials(text, expected_full, expected_initials):
    assert full(text) == expected_full
    assert initials(text) == expected_initials


def test_a_polyphone_keeps_every_reading():
    (chang,) = spell("长")
    assert {"chang", "zhang"} <= set(chang.readings)


@pytest.mark.parametrize(
    ("typed", "syllables"),
    [
        ("shuzi luansheng", ["shu", "zi", "luan", "sheng"]),
        ("yangchen", ["yang", "chen"]),
        ("xi'an", ["xi", "an"]),
        ("ShuZi", ["shu", "zi"]),
        ("szls", None),  # initials are not syllables
        ("digital twin", None),
        ("数字", None),
    ],
)
def test_pinyin_input_is_split_into_syllables(typed, syllables):
    assert segment(typed) == syllables


def test_keyboard_confusions_cost_less_than_another_syllable():
    (ceng,), (chen,), (ji,) = spell("层"), spell("尘"), spell("基")
    assert 0 < syllable_cost(ceng, chen) < syllable_cost(ceng, ji) == 1


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("数字挛生", "数字孪生"),  # a homophone
        ("扬层", "扬尘"),  # ceng for chen: two keyboard confusions
        ("shuzi luansheng", "数字孪生"),  # pinyin
        ("shuziluansheng", "数字孪生"),
        ("yangchen", "扬尘"),
        ("szls", "数字孪生"),  # initials that only one word has
        ("城市大恼", "城市大脑"),
        ("changsanjiao", "长三角"),  # pinyin meets every reading of a polyphone (长 is also zhang)
        ("数字挛生 河道", "数字孪生 河道"),  # each word on its own; known words stay
    ],
)
def test_a_query_is_corrected_to_the_word_it_sounds_like(typed, meant):
    correction = correct(VOCABULARY, typed)
    assert correction is not None and correction.best == meant and correction.confident


@pytest.mark.parametrize(
    "typed",
    # 草稿 is not 噪声: typed characters are compared by their usual reading (草 is rarely zao)
    ["数字孪生", "孪生", "ASR", "asr", "digital twin", "12346", "%", "尘", "", "草稿"],
)
def test_known_words_and_noise_are_not_corrected(typed):
    assert correct(VOCABULARY, typed) is None


def test_ambiguous_initials_are_offered_but_not_chosen():
    correction = correct(VOCABULARY, "yc")
    assert correction is not None and not correction.confident
    assert "扬尘" in correction.options and len(correction.options) > 1


@pytest.mark.parametrize(
    ("typed", "first", "how"),
    [
        ("数字", "数字孪生", "text"),
        ("shuz", "数字孪生", "pinyin"),
        ("szl", "数字孪生", "initials"),
        ("数字挛", "数字孪生", "sound"),
        ("as", "ASR", "text"),
        ("城市", "城市大脑", "text"),
    ],
)
def test_suggestions_as_you_type(typed, first, how):
    suggestions = suggest(VOCABULARY, typed)
    assert suggestions[0].text == first and suggestions[0].how == how
    assert len(suggestions) <= 8 and len({s.text for s in suggestions}) == len(suggestions)


def test_suggested_titles_carry_what_they_name():
    by_text = {s.text: s for s in suggest(VOCABULARY, "数字孪生")}
    assert by_text["数字孪生河道运行监测"].kind == "scenario" and by_text["数字孪生河道运行监测"].ref == 3
    assert by_text["数字孪生"].kind == "term" and by_text["数字孪生"].ref is None


def test_documents_index_the_pinyin_of_the_words_in_a_title_and_of_its_capabilities():
    forms = pinyin_forms("建筑工地扬尘智能监管", ["视频分析", "ASR"])
    assert {"yangchen", "gongdi", "shipinfenxi", "spfx"} <= set(forms)
    assert "yc" not in forms  # two-letter initials name too many words
    assert "asr" not in forms  # letters need no pinyin
