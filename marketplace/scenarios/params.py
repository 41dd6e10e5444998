"""Parsing the catalog's filters, shared by the pages and the API (generic parsers: ``web.params``).

Raises ``ValidationFailed`` with a message per bad parameter (in Chinese), so the API answers
400 with a clear message and a page can show what was wrong.
"""

from __future__ import annotations

from collections.abc import Mapping

from marketplace.core.errors import ValidationFailed
from marketplace.scenarios.labels import DEADLINE_LABELS, SORT_LABELS
from marketplace.scenarios.services import DEADLINE_WINDOWS, SORTS, ScenarioFilters
from marketplace.scenarios.status import DOMAINS, PUBLIC_STATUSES, STATUS_LABELS
from marketplace.web.params import MAX_ID, parse_choice, parse_int, parse_paging, parse_query_text


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
        status=parse_choice(params, "status", PUBLIC_STATUSES, errors, STATUS_LABELS),
        deadline=parse_choice(params, "deadline", tuple(DEADLINE_WINDOWS), errors, DEADLINE_LABELS),
        sort=parse_choice(params, "sort", SORTS, errors, SORT_LABELS) or ("relevance" if q else "newest"),
        page=page,
        page_size=page_size,
    )
    if errors:
        raise ValidationFailed(
            "查询参数有误：" + "；".join(m.rstrip("。") for m in errors.values()) + "。", errors
        )
    return filters
