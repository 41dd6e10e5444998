"""Amounts of money as people type them, and as the site shows them.

The site stores yuan (integers) and shows 万元, the unit budgets and costs are read in here.
``parse_amount`` reads what someone typed into a 万元 field: "150", "150万", "150 万元",
"1,500,000", "1500000元", "0.5亿", full-width digits and punctuation ("１５０万", "１，５００，０００").
A bare number is read in 万元, the field's unit, unless it is 100,000 or more: nobody prices a
pilot at 十亿元, while "1,500,000" is a very common way to write 150 万元 in 元.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

YUAN_PER_WAN = 10_000
MAX_YUAN = 10**12  # 一万亿元: anything above is a typing mistake
BARE_YUAN_FROM = 100_000  # a bare number this large is read in 元, below it in 万元

_UNITS = (("亿元", 10**8), ("亿", 10**8), ("万元", YUAN_PER_WAN), ("万", YUAN_PER_WAN), ("元", 1))
_NUMBER = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")
EXAMPLES = "如 150（万元）、150万、150 万元、1,500,000 或 1500000元"


class AmountError(ValueError):
    """The text is not an amount; ``str(error)`` says why, in Chinese, for the person typing."""


def parse_amount(text: str | None) -> int | None:
    """Yuan for the amount typed (``None`` when empty). Raises ``AmountError``."""
    raw = unicodedata.normalize("NFKC", text or "").strip()
    compact = re.sub(r"\s+", "", raw).removeprefix("¥").removeprefix("人民币")
    if not compact:
        return None
    if compact.startswith("-"):
        raise AmountError("金额不能为负数。")
    factor = 0
    for unit, size in _UNITS:
        if compact.endswith(unit):
            compact, factor = compact[: -len(unit)], size
            break
    if not _NUMBER.match(compact):
        if re.fullmatch(r"[\d,.]+", compact) and "," in compact:
            raise AmountError(f"「{raw}」的千分位逗号位置不对，{EXAMPLES}。")
        raise AmountError(f"无法识别金额「{raw}」，请填写数字，{EXAMPLES}。")
    try:
        number = Decimal(compact.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern only lets numbers through
        raise AmountError(f"无法识别金额「{raw}」，{EXAMPLES}。") from None
    if not factor:
        factor = 1 if number >= BARE_YUAN_FROM else YUAN_PER_WAN
    yuan = number * factor
    if yuan != yuan.to_integral_value():
        raise AmountError(f"「{raw}」精确到元即可（以万元填写时最多 4 位小数）。")
    if yuan > MAX_YUAN:
        raise AmountError(f"「{raw}」超过一万亿元，请核对单位。")
    return int(yuan)


def wan_text(yuan: int | None) -> str:
    """Yuan as the 万元 figure typed in a form: 1500000 -> '150', 1505000 -> '150.5'."""
    if yuan is None:
        return ""
    text = f"{Decimal(yuan) / YUAN_PER_WAN:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_wan(yuan: int) -> str:
    """Yuan as 万元 for reading: 300000 -> '30 万元', 305000 -> '30.5 万元', 1234 -> '0.1234 万元'."""
    return f"{float(wan_text(yuan)):,.4f}".rstrip("0").rstrip(".") + " 万元"
