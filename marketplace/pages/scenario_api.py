"""Public read JSON API of the scenario catalog: ``GET /api/v1/scenarios`` (search with the
database fallback) and ``GET /api/v1/scenarios/{id}`` (with its published result).

Controllers are thin: query parameters are declared in the signatures (typed ``str`` so that
Litestar accepts anything) only to document them in the OpenAPI; the values are handed to the
same parser the HTML pages use (``parse_scenario_filters``), which is the single validator and
raises ``ValidationFailed`` (400 with ``errors``: parameter -> message). The services are the
ones the pages call, so the API and the pages always show the same data.

Errors (all JSON ``{"status_code", "detail", "errors"?}``, see ``ApiError``):
  * 400 for a bad query parameter, or a path id out of range (1..2**31-1);
  * 404 for an unknown id, a scenario that is not public (draft, in review, ...), or a path id
    that is not an integer (no route matches).

The API's shared conventions (``ApiError``, ``int_query``, ...) are in ``marketplace.web.api``.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Request, get
from litestar.params import PathParameter

from marketplace.pages.reads import get_public_scenario_with_result
from marketplace.scenarios.params import parse_scenario_filters
from marketplace.scenarios.schemas import ScenarioDetail, ScenarioSummary
from marketplace.scenarios.services import DEADLINE_WINDOWS, SORTS
from marketplace.scenarios.status import DOMAIN_LABELS_EN, DOMAINS, PUBLIC_STATUSES, STATUS_LABELS
from marketplace.search.queries import search_scenarios
from marketplace.search.schemas import HighlightOut, SearchInfo, result_page_fields
from marketplace.web.api import (
    API_PREFIX,
    DETAIL_RAISES,
    DETAIL_RESPONSES,
    LIST_RAISES,
    LIST_RESPONSES,
    CapabilityQuery,
    FilterOperation,
    PageQuery,
    PageSizeQuery,
    TextQuery,
    choice_query,
    given,
    int_query,
)
from marketplace.web.params import MAX_ID

ScenarioId = Annotated[
    int,
    PathParameter(
        ge=1, le=MAX_ID, description="场景 id（1 到 2147483647；超出范围返回 400，非整数返回 404）。"
    ),
]


class ScenarioPage(msgspec.Struct):
    """One page of the public catalog; ``pages`` is at least 1. ``facets``: counts per domain,
    status, department_id and capability_ids (each ignoring its own filter); ``highlights``: the
    matches of ``q`` in the items, in their order; ``search``: where the results came from."""

    items: list[ScenarioSummary]
    total: int
    page: int
    page_size: int
    pages: int
    facets: dict[str, dict[str, int]]
    highlights: list[HighlightOut]
    search: SearchInfo


_DOMAIN_DOC = "；".join(f"{d}（{DOMAIN_LABELS_EN[d]}）" for d in DOMAINS)
_STATUS_DOC = "；".join(f"{s} {STATUS_LABELS[s]}" for s in PUBLIC_STATUSES)


class ScenarioApiController(Controller):
    """Published scenarios: the catalog (same filters as the page) and the detail."""

    path = f"{API_PREFIX}/scenarios"
    tags = ["scenarios"]

    @get(
        "/",
        name="api:scenarios:list",
        operation_id="listScenarios",
        summary="公开场景列表",
        description="只含已公开的场景（征集中及之后的状态），可按关键词检索（q）、筛选、排序、分页；"
        "与网页上的场景大厅数据一致。检索由搜索引擎完成；搜索引擎不可用时退回数据库的简单文字匹配，"
        "search.degraded 为 true 并附说明。",
        raises=LIST_RAISES,
        responses=LIST_RESPONSES,
        operation_class=FilterOperation,
    )
    async def list_scenarios(
        self,
        request: Request,
        q: TextQuery = None,
        domain: Annotated[str | None, choice_query(f"所属「一网」平台：{_DOMAIN_DOC}。", DOMAINS)] = None,
        department: Annotated[
            str | None, int_query("发布部门 id（见 GET /api/v1/departments）。", lo=1, hi=MAX_ID)
        ] = None,
        capability: CapabilityQuery = None,
        status: Annotated[str | None, choice_query(f"公开状态：{_STATUS_DOC}。", PUBLIC_STATUSES)] = None,
        deadline: Annotated[
            str | None,
            choice_query(
                "提交截止时间：7d、30d、90d 为今后 7、30、90 天内截止（尚未截止）；passed 为已截止。",
                tuple(DEADLINE_WINDOWS),
            ),
        ] = None,
        sort: Annotated[
            str | None,
            choice_query(
                "排序：relevance 相关度（有 q 时默认）；newest 最新发布在前（无 q 时默认）；"
                "deadline 截止时间最近的在前。",
                SORTS,
            ),
        ] = None,
        page: PageQuery = None,
        page_size: PageSizeQuery = None,
    ) -> ScenarioPage:
        filters = parse_scenario_filters(
            given(
                q=q,
                domain=domain,
                department=department,
                capability=capability,
                status=status,
                deadline=deadline,
                sort=sort,
                page=page,
                page_size=page_size,
            )
        )
        result = await search_scenarios(request.app.state.search, filters)
        return ScenarioPage(**result_page_fields(result))

    @get(
        "/{scenario_id:int}",
        name="api:scenarios:detail",
        operation_id="getScenario",
        summary="公开场景详情",
        description="场景的完整公开信息：问题描述、所需能力与权重、评审标准、已公开的答疑和变更记录。"
        "草稿、审核中等未公开的场景返回 404。",
        raises=DETAIL_RAISES,
        responses=DETAIL_RESPONSES,
    )
    async def get_scenario(self, scenario_id: ScenarioId) -> ScenarioDetail:
        return await get_public_scenario_with_result(scenario_id)
