"""Downloads of the public lists (the scenario catalog and the company directory) as CSV and
XLSX, with the filters the visitor chose on the list page. The rows come from the same search
the list pages use (Meilisearch, or the database fallback), every page of it, and carry only the
fields the list and detail pages show the public."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

from marketplace.companies.labels import SIZE_LABELS
from marketplace.core.clock import to_park_time
from marketplace.core.pagination import MAX_PAGE, MAX_PAGE_SIZE

SCENARIO_HEADER = [
    "编号",
    "标题",
    "摘要",
    "所属平台",
    "发布部门",
    "状态",
    "提交截止",
    "预算下限（元）",
    "预算上限（元）",
    "试点周期（月）",
    "发布时间",
    "所需能力",
    "链接",
]
COMPANY_HEADER = ["编号", "企业名称", "规模", "所在地", "简介", "能力", "链接"]


async def all_items(search: Callable[[Any], Awaitable[Any]], filters: Any) -> list[Any]:
    """Every item the list page would show for ``filters``, page after page."""
    items: list[Any] = []
    page = 1
    while page <= MAX_PAGE:
        result = await search(dataclasses.replace(filters, page=page, page_size=MAX_PAGE_SIZE))
        items += result.page.items
        if not result.page.items or len(items) >= result.page.total:
            break
        page += 1
    return items


def _when(value) -> str:
    return f"{to_park_time(value):%Y-%m-%d %H:%M}" if value else ""


def scenario_rows(items: list[Any], link: Callable[[int], str]) -> list[list]:
    return [
        [
            s.id,
            s.title,
            s.summary,
            s.domain,
            s.department.name,
            s.status_label,
            _when(s.proposal_deadline),
            s.budget_min if s.budget_min is not None else "",
            s.budget_max if s.budget_max is not None else "",
            s.pilot_months if s.pilot_months is not None else "",
            _when(s.opened_at),
            "、".join(c.name for c in s.capabilities),
            link(s.id),
        ]
        for s in items
    ]


def company_rows(items: list[Any], link: Callable[[int], str]) -> list[list]:
    return [
        [
            c.id,
            c.name,
            SIZE_LABELS.get(c.size, c.size),
            c.location,
            c.description,
            "、".join(cap.name for cap in c.capabilities),
            link(c.id),
        ]
        for c in items
    ]
