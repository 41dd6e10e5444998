"""Parsing path and query parameters, shared by every domain's pages and API.

Each parser adds a message (in Chinese) per bad parameter to ``errors``, so the API answers 400
with a clear message and a page can show what was wrong next to the field. ``Id`` is the one
path-id type: 1..2**31-1 (an unbounded id overflowed SQLite and gave a 500).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, overload

from litestar import Request
from litestar.params import PathParameter

from marketplace.core.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE, MAX_PAGE_SIZE
from marketplace.core.text import TEXT_PATTERN, has_control_characters

MAX_ID = 2**31 - 1


@overload
def parse_int(
    params: Mapping[str, str], name: str, errors: dict[str, str], *, lo: int, hi: int, default: int
) -> int: ...


@overload
def parse_int(
    params: Mapping[str, str], name: str, errors: dict[str, str], *, lo: int, hi: int, default: None = None
) -> int | None: ...


def parse_int(
    params: Mapping[str, str],
    name: str,
    errors: dict[str, str],
    *,
    lo: int,
    hi: int,
    default: int | None = None,
) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        errors[name] = f"{name} 必须是整数。"
        return default
    if not lo <= value <= hi:
        errors[name] = f"{name} 必须在 {lo} 到 {hi} 之间。"
        return default
    return value


def parse_choice(
    params: Mapping[str, str],
    name: str,
    choices: Sequence[str],
    errors: dict[str, str],
    labels: Mapping[str, str] | None = None,
) -> str | None:
    """One of ``choices``, or None when absent. A refused value gets a message listing what is
    accepted: each code with its Chinese label from ``labels`` (the owner's label table) where
    the code is not Chinese already, so both page visitors and API clients can read it."""
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if raw not in choices:
        shown = [f"{c}（{labels[c]}）" if labels and c in labels and labels[c] != c else c for c in choices]
        errors[name] = f"{name} 的取值无效，可选：{'、'.join(shown)}。"
        return None
    return raw


def parse_paging(params: Mapping[str, str], errors: dict[str, str]) -> tuple[int, int]:
    page = parse_int(params, "page", errors, lo=1, hi=MAX_PAGE, default=1)
    page_size = parse_int(params, "page_size", errors, lo=1, hi=MAX_PAGE_SIZE, default=DEFAULT_PAGE_SIZE)
    return page, page_size


MAX_QUERY_LENGTH = 200


# The OpenAPI pattern of ``q``: no control characters (the class of ``core.text``).
QUERY_TEXT_PATTERN = TEXT_PATTERN


def parse_query_text(params: Mapping[str, str], errors: dict[str, str], name: str = "q") -> str:
    """The search text: at most 200 characters as sent, whitespace collapsed.

    The length is judged on what the user sent, before anything is removed. A control character
    (Unicode category Cc: NUL, ESC, BEL, ...; tab, CR and LF are whitespace) is refused
    with a message, never silently dropped, so a ``q`` of control characters is an error, not
    an empty search. Other invisible characters (zero-width spaces, BOM) are dropped."""
    raw = params.get(name) or ""
    if len(raw) > MAX_QUERY_LENGTH:
        errors[name] = f"{name} 不能超过 {MAX_QUERY_LENGTH} 个字符。"
        return ""
    if has_control_characters(raw):
        errors[name] = f"{name} 不能包含控制字符。"
        return ""
    return " ".join("".join(ch for ch in raw if ch.isprintable() or ch.isspace()).split())


Id = Annotated[int, PathParameter(ge=1, le=MAX_ID)]


def query_dict(request: Request[Any, Any, Any]) -> dict[str, str]:
    """The query parameters as a plain dict (the first value of a repeated parameter)."""
    return {key: request.query_params[key] for key in request.query_params}
