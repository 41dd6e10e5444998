"""Parsing the catalog's query parameters, shared by the pages and the API.

Raises ``ValidationFailed`` with a message per bad parameter (in Chinese), so the API answers
400 with a clear message and a page can show what was wrong.
"""

from __future__ import annotations

from collections.abc import Mapping

from marketplace.core.errors import ValidationFailed
from marketplace.core.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE, MAX_PAGE_SIZE
from marketplace.scenarios.services import DEADLINE_WINDOWS, SORTS, ScenarioFilters
from marketplace.scenarios.status import DOMAINS, PUBLIC_STATUSES

MAX_ID = 2**31 - 1


def parse_int(
    params: Mapping[str, str], name: str, errors: dict, *, lo: int, hi: int, default: int | None = None
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


def parse_choice(params: Mapping[str, str], name: str, choices, errors: dict) -> str | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if raw not in choices:
        errors[name] = f"{name} 的取值无效，可选：{'、'.join(choices)}。"
        return None
    return raw


def parse_paging(params: Mapping[str, str], errors: dict) -> tuple[int, int]:
    page = parse_int(params, "page", errors, lo=1, hi=MAX_PAGE, default=1)
    page_size = parse_int(params, "page_size", errors, lo=1, hi=MAX_PAGE_SIZE, default=DEFAULT_PAGE_SIZE)
    return page, page_size


MAX_QUERY_LENGTH = 200


def parse_query_text(params: Mapping[str, str], errors: dict, name: str = "q") -> str:
    """The search text: whitespace collapsed, control characters dropped, at most 200 characters."""
    raw = params.get(name) or ""
    text = " ".join("".join(ch for ch in raw if ch.isprintable() or ch.isspace()).split())
    if len(text) > MAX_QUERY_LENGTH:
        errors[name] = f"{name} 不能超过 {MAX_QUERY_LENGTH} 个字符。"
        return ""
    return text


def parse_scenario_filters(params: Mapping[str, str]) -> ScenarioFilters:
    """Filters from query parameters: q (search text), domain, department, capability, status,
    deadline (7d/30d/90d/passed), sort (relevance/newest/deadline; default relevance with q,
    else newest), page, page_size (at most 100)."""
    errors: dict[str, str] = {}
    page, page_size = parse_paging(params, errors)
    q = parse_query_text(params, errors)
    filters = ScenarioFilters(
        q=q,
        domain=parse_choice(params, "domain", DOMAINS, errors),
        department=parse_int(params, "department", errors, lo=1, hi=MAX_ID),
        capability=parse_int(params, "capability", errors, lo=1, hi=MAX_ID),
        status=parse_choice(params, "status", PUBLIC_STATUSES, errors),
        deadline=parse_choice(params, "deadline", tuple(DEADLINE_WINDOWS), errors),
        sort=parse_choice(params, "sort", SORTS, errors) or ("relevance" if q else "newest"),
        page=page,
        page_size=page_size,
    )
    if errors:
        raise ValidationFailed(
            "查询参数有误：" + "；".join(m.rstrip("。") for m in errors.values()) + "。", errors
        )
    return filters
