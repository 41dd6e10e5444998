"""The unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters whose last is
a check character over the first 17."""

from __future__ import annotations

import hashlib

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def check_character(first17: str) -> str:
    total = sum(ALPHABET.index(ch) * w for ch, w in zip(first17, WEIGHTS, strict=False))
    return ALPHABET[(31 - total % 31) % 31]


def is_valid_credit_code(code: str) -> bool:
    """True when ``code`` has 18 valid characters and a correct check character."""
    code = code.strip().upper()
    if len(code) != 18 or any(ch not in ALPHABET for ch in code):
        return False
    return check_character(code[:17]) == code[17]


def _org_check(first8: str) -> str:
    """Check character of the 9-character organisation code (GB 11714) inside the credit code."""
    total = sum(
        (int(ch) if ch.isdigit() else ord(ch) - 55) * w for ch, w in zip(first8, _ORG_WEIGHTS, strict=False)
    )
    value = 11 - total % 11
    return "X" if value == 10 else "0" if value == 11 else str(value)


def demo_credit_code(seed: str) -> str:
    """A well-formed, checksum-valid code derived from ``seed`` (demo data only): a company
    (9 1) registered in the Suzhou Industrial Park (320594)."""
    digest = hashlib.sha256(seed.encode()).hexdigest()
    org8 = "".join(str(int(digest[i : i + 2], 16) % 10) for i in range(0, 16, 2))
    first17 = "91" + "320594" + org8 + _org_check(org8)
    return first17 + check_character(first17)
