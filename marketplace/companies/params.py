"""Parsing the member directory's query parameters (pages and API)."""

from __future__ import annotations

from collections.abc import Mapping

from marketplace.companies.labels import SIZE_LABELS
from marketplace.companies.services import CompanyFilters
from marketplace.core.errors import ValidationFailed
from marketplace.web.params import MAX_ID, parse_choice, parse_int, parse_paging, parse_query_text


def parse_company_filters(params: Mapping[str, str]) -> CompanyFilters:
    """q (search text), size (large/sme), capability (id; a group includes its capabilities),
    page, page_size."""
    errors: dict[str, str] = {}
    page, page_size = parse_paging(params, errors)
    filters = CompanyFilters(
        q=parse_query_text(params, errors),
        size=parse_choice(params, "size", ("large", "sme"), errors, SIZE_LABELS),
        capability=parse_int(params, "capability", errors, lo=1, hi=MAX_ID),
        page=page,
        page_size=page_size,
    )
    if errors:
        raise ValidationFailed(
            "查询参数有误：" + "；".join(m.rstrip("。") for m in errors.values()) + "。", errors
        )
    return filters
