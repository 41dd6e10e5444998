"""Public read JSON API of the member directory under ``/api/v1/companies``.

Only approved companies that publish their profile are shown; any other id answers 404, like an
unknown one. Query parameters are documented in the signature and validated by the same parser
the directory page uses (``parse_company_filters``); see ``marketplace.scenarios.api`` for the
shared error shapes and helpers.
"""

from typing import Annotated

import msgspec
from litestar import Controller, Request, get
from litestar.params import PathParameter

from marketplace.companies.labels import SIZE_LABELS
from marketplace.companies.params import parse_company_filters
from marketplace.companies.schemas import CompanyDetail, CompanySummary
from marketplace.companies.services import get_public_company
from marketplace.search.queries import search_companies
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
)
from marketplace.web.params import MAX_ID

CompanyId = Annotated[
    int,
    PathParameter(
        ge=1, le=MAX_ID, description="企业 id（1 到 2147483647；超出范围返回 400，非整数返回 404）。"
    ),
]

_SIZE_DOC = "；".join(f"{k} {v}" for k, v in SIZE_LABELS.items())


class CompanyPage(msgspec.Struct):
    """One page of the member directory; ``pages`` is at least 1. With ``q``: ``highlights`` of
    the matches, ``facets`` (size counts); ``search`` says where the results came from."""

    items: list[CompanySummary]
    total: int
    page: int
    page_size: int
    pages: int
    facets: dict[str, dict[str, int]]
    highlights: list[HighlightOut]
    search: SearchInfo


class CompanyApiController(Controller):
    """The public member directory and company profiles."""

    path = f"{API_PREFIX}/companies"
    tags = ["companies"]

    @get(
        "/",
        name="api:companies:list",
        operation_id="listCompanies",
        summary="会员企业名录",
        description="已审核通过并公开资料的会员企业，大型企业在前，再按名称排序；与网页上的企业名录数据一致。"
        "传 q 时按关键词检索（名称、简介、能力及其同义词），按相关度排序。",
        raises=LIST_RAISES,
        responses=LIST_RESPONSES,
        operation_class=FilterOperation,
    )
    async def list_companies(
        self,
        request: Request,
        q: TextQuery = None,
        size: Annotated[str | None, choice_query(f"企业规模：{_SIZE_DOC}。", tuple(SIZE_LABELS))] = None,
        capability: CapabilityQuery = None,
        page: PageQuery = None,
        page_size: PageSizeQuery = None,
    ) -> CompanyPage:
        filters = parse_company_filters(
            given(q=q, size=size, capability=capability, page=page, page_size=page_size)
        )
        result = await search_companies(request.app.state.search, filters)
        return CompanyPage(**result_page_fields(result))

    @get(
        "/{company_id:int}",
        name="api:companies:detail",
        operation_id="getCompany",
        summary="企业公开资料",
        description="企业简介、能力（含佐证等级）和过往项目。未审核、已暂停或不公开资料的企业返回 404。",
        raises=DETAIL_RAISES,
        responses=DETAIL_RESPONSES,
    )
    async def get_company(self, company_id: CompanyId) -> CompanyDetail:
        return await get_public_company(company_id)
