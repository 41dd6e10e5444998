"""Free text from users, through forms and the API alike: the one place that decides which
characters a text may hold.

Control characters (Unicode category Cc) other than tab, line feed and carriage return are
refused, not dropped: a NUL cannot be stored by PostgreSQL (text or jsonb) while SQLite would keep
it, so refusing it gives the same clear answer on both databases, and nothing else in such a text
is meaningful to a reader either."""

from __future__ import annotations

import re

# As a regular-expression class (also usable as an OpenAPI ``pattern``, see ``web.params``).
CONTROL_CHARACTERS = r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f"
_CONTROL = re.compile(f"[{CONTROL_CHARACTERS}]")
# OpenAPI ``pattern``s (and msgspec ``Meta(pattern=...)``) of free text at the API edge: no
# control characters; and, for a text that must be filled in, at least one visible character.
TEXT_PATTERN = f"^[^{CONTROL_CHARACTERS}]*$"
FILLED_TEXT_PATTERN = f"^[^{CONTROL_CHARACTERS}]*[^{CONTROL_CHARACTERS}\\s][^{CONTROL_CHARACTERS}]*$"


def has_control_characters(text: str) -> bool:
    return _CONTROL.search(text) is not None


def control_characters_message(label: str) -> str:
    """The message for a text that holds control characters, next to its field."""
    return f"{label}含有不可见的控制字符（如 NUL），请删除后再保存。"


def clean_text(text: str) -> str:
    """Line breaks as ``\\n``, no surrounding whitespace."""
    return text.replace("\r\n", "\n").strip()
