"""Reading amounts as people type them into a 万元 field (pure function, table and property tests)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.core.money import MAX_YUAN, AmountError, parse_amount, wan_text


@pytest.mark.parametrize(
    ("typed", "yuan"),
    [
        ("150万", 1_500_000),
        ("150 万元", 1_500_000),
        ("150万元", 1_500_000),
        ("150", 1_500_000),  # bare: the field's unit, 万元
        ("12.5", 125_000),
        ("0.5亿", 50_000_000),
        ("1,500,000", 1_500_000),  # bare and large: 元
        ("1500000", 1_500_000),
        ("1500000元", 1_500_000),
        ("1,500,000 元", 1_500_000),
        ("１５０万", 1_500_000),  # full-width digits
        ("１，５００，０００", 1_500_000),  # full-width comma
        ("１５０．５万元", 1_505_000),
        ("￥1,500,000", 1_500_000),
        (" 150 万 ", 1_500_000),
        ("0", 0),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_amounts_people_type(typed, yuan):
    assert parse_amount(typed) == yuan


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("一百五十万", "无法识别金额「一百五十万」"),
        ("abc", "无法识别金额"),
        ("150万美元", "无法识别金额"),
        ("-5", "不能为负数"),
        ("15,00", "千分位逗号位置不对"),
        ("1.23456万", "精确到元"),
        ("1500000.5元", "精确到元"),
        ("20000亿", "超过一万亿元"),
        ("1.2.3", "无法识别金额"),
    ],
)
def test_anything_else_gets_a_clear_chinese_message(typed, says):
    with pytest.raises(AmountError) as error:
        parse_amount(typed)
    assert says in str(error.value)


@given(st.integers(min_value=0, max_value=MAX_YUAN // 10_000).map(lambda wan: wan * 10_000))
def test_what_the_form_shows_reads_back_as_the_same_amount(yuan):
    assert parse_amount(wan_text(yuan) + "万") == yuan
    assert parse_amount(f"{yuan:,}元") == yuan


@given(st.integers(min_value=0, max_value=99_999))
def test_a_bare_small_number_is_wan_and_a_written_unit_always_wins(wan):
    assert parse_amount(str(wan)) == wan * 10_000
    assert parse_amount(f"{wan}元") == wan


@given(st.text(max_size=12))
def test_any_text_is_an_amount_or_a_chinese_message(text):
    try:
        value = parse_amount(text)
    except AmountError as error:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in str(error))
    else:
        assert value is None or 0 <= value <= MAX_YUAN
