"""Public read JSON API under ``/api/v1``: scenarios, and the capability taxonomy and departments
that API clients need to build filters.

Controllers are thin: query parameters are declared in the signatures (typed ``str`` so that
Litestar accepts anything) only to document them in the OpenAPI; the values are handed to the
same parser the HTML pages use (``parse_scenario_filters``), which is the single validator and
raises ``ValidationFailed`` (400 with ``errors``: parameter -> message). The services are the
ones the pages call, so the API and the pages always show the same data.

Errors (all JSON ``{"status_code", "detail", "errors"?}``, see ``ApiError``):
  * 400 for a bad query parameter, or a path id out of range (1..2**31-1);
  * 404 for an unknown id, a scenario that is not public (draft, in review, ...), or a path id
    that is not an integer (no route matches).

The helpers (``ApiError``, ``int_query``, ``choice_query``, ``ERROR_RESPONSES``, ...) are shared
with ``marketplace.companies.api``, as ``companies.params`` shares ``scenarios.params``.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated

import msgspec
from litestar import Controller, Request, get
from litestar.exceptions import NotFoundException, ValidationException
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import OpenAPIType, Operation, Parameter
from litestar.params import PathParameter, QueryParameter

from marketplace.core.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE, MAX_PAGE_SIZE, Page
from marketplace.scenarios.params import MAX_ID, MAX_QUERY_LENGTH, parse_scenario_filters
from marketplace.scenarios.schemas import DepartmentRef, ScenarioDetail, ScenarioSummary
from marketplace.scenarios.services import (
    DEADLINE_WINDOWS,
    SORTS,
    get_public_scenario,
    list_department_refs,
)
from marketplace.scenarios.status import DOMAIN_LABELS_EN, DOMAINS, PUBLIC_STATUSES, STATUS_LABELS
from marketplace.search.queries import search_scenarios
from marketplace.search.schemas import HighlightOut, SearchInfo, highlights_out, search_info
from marketplace.taxonomy.services import list_capability_tree

API_PREFIX = "/api/v1"

# --------------------------------------------------------------------------------------------
# Shared API helpers


class ApiError(msgspec.Struct):
    """Body of every API error. ``errors`` (parameter name -> message) comes with 400s."""

    status_code: int
    detail: str
    errors: dict[str, str] | msgspec.UnsetType = msgspec.UNSET


ERROR_400 = ResponseSpec(
    data_container=ApiError,
    generate_examples=False,
    description="参数有误：detail 为中文说明，errors 列出每个出错的参数（参数名 → 说明）。"
    "路径中的 id 超出 1 到 2147483647 也返回 400。",
)
ERROR_404 = ResponseSpec(
    data_container=ApiError,
    generate_examples=False,
    description="不存在或未公开；路径中的 id 不是整数时也返回 404。",
)
LIST_RESPONSES = {400: ERROR_400}
DETAIL_RESPONSES = {400: ERROR_400, 404: ERROR_404}
LIST_RAISES = [ValidationException]
DETAIL_RAISES = [ValidationException, NotFoundException]


@dataclass
class FilterOperation(Operation):
    """OpenAPI operation of a list endpoint: an empty query value means "not given" (as HTML
    forms send it), which the shared parsers accept, so say ``allowEmptyValue`` (Litestar
    always writes ``false``)."""

    def __post_init__(self) -> None:
        for parameter in self.parameters or []:
            if isinstance(parameter, Parameter) and parameter.param_in == "query":
                parameter.allow_empty_value = True


def int_query(description: str, *, lo: int, hi: int, default: int | None = None) -> QueryParameter:
    """Document an integer query parameter. The annotation stays ``str | None`` so the shared
    params parser, not Litestar, validates it (one validator, one set of messages)."""
    extra: dict = {"one_of": None, "type": OpenAPIType.INTEGER, "minimum": lo, "maximum": hi}
    if default is not None:
        extra["default"] = default
    return QueryParameter(description=description, schema_extra=extra)


def choice_query(description: str, choices: Sequence[str], default: str | None = None) -> QueryParameter:
    """Document an enumerated query parameter (validated by the shared params parser)."""
    extra: dict = {"one_of": None, "type": OpenAPIType.STRING, "enum": list(choices)}
    if default is not None:
        extra["default"] = default
    return QueryParameter(description=description, schema_extra=extra)


def given(**params: str | None) -> Mapping[str, str]:
    """The query parameters that were sent, for the shared parsers."""
    return {name: value for name, value in params.items() if value is not None}


PageQuery = Annotated[str | None, int_query("页码，从 1 开始。", lo=1, hi=MAX_PAGE, default=1)]
PageSizeQuery = Annotated[
    str | None,
    int_query(f"每页条数，最多 {MAX_PAGE_SIZE}。", lo=1, hi=MAX_PAGE_SIZE, default=DEFAULT_PAGE_SIZE),
]
CapabilityQuery = Annotated[
    str | None,
    int_query(
        "能力 id（见 GET /api/v1/capabilities）；传能力分组的 id 时包含该组下的全部能力。", lo=1, hi=MAX_ID
    ),
]
TextQuery = Annotated[
    str | None,
    QueryParameter(
        description=f"检索词（最多 {MAX_QUERY_LENGTH} 个字符），中文、英文均可；能力的同义词（如 ASR 与语音识别）视为相同。",
        schema_extra={"max_length": MAX_QUERY_LENGTH},
    ),
]


def page_fields(page: Page) -> dict:
    return {"total": page.total, "page": page.page, "page_size": page.page_size, "pages": page.pages}


# --------------------------------------------------------------------------------------------
# Scenarios

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
        return ScenarioPage(
            items=result.page.items,
            **page_fields(result.page),
            facets=result.facets,
            highlights=highlights_out(result),
            search=search_info(result),
        )

    @get(
        "/{scenario_id:int}",
        operation_id="getScenario",
        summary="公开场景详情",
        description="场景的完整公开信息：问题描述、所需能力与权重、评审标准、已公开的答疑和变更记录。"
        "草稿、审核中等未公开的场景返回 404。",
        raises=DETAIL_RAISES,
        responses=DETAIL_RESPONSES,
    )
    async def get_scenario(self, scenario_id: ScenarioId) -> ScenarioDetail:
        return await get_public_scenario(scenario_id)


# --------------------------------------------------------------------------------------------
# Reference data for filters: the capability taxonomy and the departments


class CapabilityLeaf(msgspec.Struct):
    id: int
    key: str
    name: str
    name_en: str
    synonyms: list[str]
    description: str


class CapabilityGroup(msgspec.Struct):
    """A group of the two-level taxonomy; filtering by a group id includes its children."""

    id: int
    key: str
    name: str
    name_en: str
    synonyms: list[str]
    description: str
    children: list[CapabilityLeaf]


class CapabilityTree(msgspec.Struct):
    items: list[CapabilityGroup]


class DepartmentList(msgspec.Struct):
    items: list[DepartmentRef]


class TaxonomyApiController(Controller):
    """What API clients need to build filters: capability ids and department ids."""

    path = API_PREFIX

    @get(
        "/capabilities",
        operation_id="listCapabilities",
        tags=["taxonomy"],
        summary="能力分类树",
        description="两级能力分类：分组及其下的能力，含中英文名称和同义词。"
        "id 用于场景和企业列表的 capability 参数。",
    )
    async def list_capabilities(self) -> CapabilityTree:
        groups = await list_capability_tree()
        return CapabilityTree(items=msgspec.convert(groups, list[CapabilityGroup]))

    @get(
        "/departments",
        operation_id="listDepartments",
        tags=["departments"],
        summary="部门列表",
        description="发布场景的园区部门；id 用于场景列表的 department 参数。",
    )
    async def list_departments(self) -> DepartmentList:
        return DepartmentList(items=await list_department_refs())
