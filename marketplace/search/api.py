"""Search endpoints of the API: staff search over proposals (``GET /api/v1/search/proposals``)
and the public as-you-type suggestions of the catalog and directory search boxes
(``GET /api/v1/search/suggestions``, public words only: see ``suggest``).

Staff see the proposals of their own department's scenarios, association admins those of every
department; for both, never a draft and never a sealed scenario's proposal before its deadline
(the rule of ``marketplace.proposals.policy``). Members and anonymous callers are refused
(401 without credentials, 403 otherwise). The rights are a filter of every Meilisearch query,
applied on the server, and the database fallback applies the same rules.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated

import msgspec
from litestar import Controller, Request, get
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException, ValidationException
from litestar.openapi import ResponseSpec

from marketplace.core.errors import ValidationFailed
from marketplace.proposals.status import PROPOSAL_STATUSES
from marketplace.search.labels import SUGGESTION_KIND_LABELS, SUGGESTION_SCOPE_LABELS
from marketplace.search.queries import ProposalFilters, search_proposals
from marketplace.search.schemas import SearchInfo, search_info
from marketplace.search.suggest import SCOPES, suggest_words
from marketplace.web.api import (
    API_PREFIX,
    ERROR_400,
    LIST_RAISES,
    LIST_RESPONSES,
    ApiError,
    FilterOperation,
    PageQuery,
    PageSizeQuery,
    TextQuery,
    choice_query,
    given,
    int_query,
)
from marketplace.web.guards import requires_staff_or_admin
from marketplace.web.params import MAX_ID, parse_choice, parse_int, parse_paging, parse_query_text


class ProposalHit(msgspec.Struct):
    id: int
    number: str | None
    status: str
    scenario_id: int
    scenario_title: str
    company_names: list[str]
    summary: str
    submitted_at: str | None
    highlight: dict[str, str] | None = None


class ProposalSearchPage(msgspec.Struct):
    items: list[ProposalHit]
    total: int
    page: int
    page_size: int
    pages: int
    facets: dict[str, dict[str, int]]
    search: SearchInfo


def parse_proposal_filters(params) -> ProposalFilters:
    errors: dict[str, str] = {}
    page, page_size = parse_paging(params, errors)
    filters = ProposalFilters(
        q=parse_query_text(params, errors),
        status=parse_choice(params, "status", PROPOSAL_STATUSES[1:], errors),
        scenario=parse_int(params, "scenario", errors, lo=1, hi=MAX_ID),
        page=page,
        page_size=page_size,
    )
    if errors:
        raise ValidationFailed(
            "查询参数有误：" + "；".join(m.rstrip("。") for m in errors.values()) + "。", errors
        )
    return filters


class ProposalSearchApiController(Controller):
    path = f"{API_PREFIX}/search"
    tags = ["search"]
    guards = [requires_staff_or_admin]

    @get(
        "/proposals",
        name="api:search:proposals",
        operation_id="searchProposals",
        summary="方案检索（部门工作人员）",
        description="按关键词检索方案。部门工作人员只能看到本部门场景收到的方案（密封场景在截止前不可见），"
        "协会管理员可以看到所有部门的方案（密封场景同样在截止后才可见）；权限在服务端过滤。需要登录（Bearer 令牌）。",
        raises=[ValidationException, NotAuthorizedException, PermissionDeniedException],
        responses={
            400: ERROR_400,
            401: ResponseSpec(data_container=ApiError, generate_examples=False, description="未登录。"),
            403: ResponseSpec(data_container=ApiError, generate_examples=False, description="无权使用。"),
        },
        operation_class=FilterOperation,
    )
    async def search(
        self,
        request: Request,
        q: TextQuery = None,
        status: Annotated[str | None, choice_query("方案状态。", PROPOSAL_STATUSES[1:])] = None,
        scenario: Annotated[str | None, int_query("场景 id。", lo=1, hi=MAX_ID)] = None,
        page: PageQuery = None,
        page_size: PageSizeQuery = None,
    ) -> ProposalSearchPage:
        filters = parse_proposal_filters(
            given(q=q, status=status, scenario=scenario, page=page, page_size=page_size)
        )
        result = await search_proposals(request.app.state.search, request.scope["user"], filters)
        items = []
        for row in result.page.items:
            h = result.highlights.get(row["id"])
            items.append(
                ProposalHit(
                    **row,
                    highlight={
                        "scenario_title": str(h.title),
                        "summary": str(h.summary),
                        "snippet": str(h.snippet),
                    }
                    if h
                    else None,
                )
            )
        return ProposalSearchPage(
            items=items,
            total=result.page.total,
            page=result.page.page,
            page_size=result.page.page_size,
            pages=result.page.pages,
            facets=result.facets,
            search=search_info(result),
        )


class SuggestionOut(msgspec.Struct):
    """One word to offer under the search box. ``kind``: scenario (a public scenario's title),
    company (a published member's name), capability (a name or synonym of the taxonomy) or term
    (a word of the park's dictionary); ``match``: how it matches what was typed (text, pinyin,
    initials or sound); ``url``: the scenario's or company's page, for titles and names."""

    text: str
    kind: str
    kind_label: str
    match: str
    url: str | None = None


class SuggestionList(msgspec.Struct):
    q: str
    scope: str
    items: list[SuggestionOut]


def parse_suggestion_params(params) -> tuple[str, str]:
    errors: dict[str, str] = {}
    q = parse_query_text(params, errors)
    scope = parse_choice(params, "scope", SCOPES, errors, SUGGESTION_SCOPE_LABELS) or SCOPES[0]
    if errors:
        raise ValidationFailed(
            "查询参数有误：" + "；".join(m.rstrip("。") for m in errors.values()) + "。", errors
        )
    return q, scope


_DETAIL_ROUTES = {
    "scenario": ("scenarios:detail", "scenario_id"),
    "company": ("companies:detail", "company_id"),
}


# ``scope`` is a reserved name of Litestar handlers: the parameter is read under another name.
SCOPE_QUERY = dataclasses.replace(
    choice_query("提示的范围：scenarios 应用场景（默认），companies 成员企业。", SCOPES, default=SCOPES[0]),
    name="scope",
)


class SuggestionApiController(Controller):
    """Public: words for the catalog's and the directory's search boxes (no login needed)."""

    path = f"{API_PREFIX}/search"
    tags = ["search"]

    @get(
        "/suggestions",
        name="api:search:suggestions",
        operation_id="searchSuggestions",
        summary="搜索框输入提示（公开）",
        description="按已输入的文字给出搜索提示：以其开头或包含它的词，拼音（shuzi → 数字孪生）、"
        "拼音首字母（szls）或读音相近（数字挛 → 数字孪生）的词。scope=scenarios 时取公开场景的标题，"
        "scope=companies 时取公开的成员企业名称，两者都包含能力分类的名称和同义词以及园区术语；"
        "从不包含未公开的场景或企业。最多 8 条。",
        raises=LIST_RAISES,
        responses=LIST_RESPONSES,
        operation_class=FilterOperation,
    )
    async def suggestions(
        self,
        request: Request,
        q: TextQuery = None,
        within: Annotated[str | None, SCOPE_QUERY] = None,
    ) -> SuggestionList:
        text, chosen = parse_suggestion_params(given(q=q, scope=within))
        items = []
        for s in await suggest_words(chosen, text):
            url = None
            if s.ref is not None and s.kind in _DETAIL_ROUTES:
                route, key = _DETAIL_ROUTES[s.kind]
                url = request.app.route_reverse(route, **{key: s.ref})
            items.append(SuggestionOut(s.text, s.kind, SUGGESTION_KIND_LABELS[s.kind], s.how, url))
        return SuggestionList(q=text, scope=chosen, items=items)
