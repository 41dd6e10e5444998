"""Public HTML pages of the member directory: ``/companies`` and ``/companies/{id}``.

Thin controllers: parse the query with ``parse_company_filters``, call the read services,
render a template. Invalid query parameters render the directory with the messages (400);
unknown, unpublished and out-of-range ids render the friendly 404 page.
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get
from litestar.exceptions import ValidationException
from litestar.params import PathParameter
from litestar.response import Template
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_404_NOT_FOUND

from marketplace.companies.params import parse_company_filters
from marketplace.companies.services import (
    SIZE_LABELS,
    CompanyFilters,
    get_public_company,
)
from marketplace.core.errors import ValidationFailed
from marketplace.core.pagination import DEFAULT_PAGE_SIZE, Page
from marketplace.evaluation.pilots import list_completed_pilots
from marketplace.search.queries import search_companies
from marketplace.taxonomy.services import list_capability_tree

MAX_ID = 2**31 - 1
CompanyId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
FILTER_KEYS = ("q", "size", "capability", "page_size")


def _filter_params(filters: CompanyFilters) -> dict[str, str]:
    params: dict[str, str] = {}
    if filters.q:
        params["q"] = filters.q
    if filters.size:
        params["size"] = filters.size
    if filters.capability:
        params["capability"] = str(filters.capability)
    if filters.page_size != DEFAULT_PAGE_SIZE:
        params["page_size"] = str(filters.page_size)
    return params


def _not_found(request: Request, exc: ValidationException) -> Response:
    """An id outside 1..2**31-1 cannot name a company: the friendly 404 page."""
    return Template(
        template_name="error.html",
        context={"status_code": HTTP_404_NOT_FOUND, "message": "企业不存在或未公开。", "errors": {}},
        status_code=HTTP_404_NOT_FOUND,
    )


class CompanyPagesController(Controller):
    """The association's public member directory and company profiles."""

    path = "/companies"
    include_in_schema = False

    @get("/", name="companies:list", include_in_schema=False)
    async def list_companies(self, request: Request) -> Template:
        raw = {key: request.query_params[key] for key in request.query_params}
        errors: dict[str, str] = {}
        message = ""
        try:
            filters: CompanyFilters | None = parse_company_filters(raw)
        except ValidationFailed as exc:
            errors, message, filters = exc.errors, exc.message, None
        tree = await list_capability_tree()
        capability_names = {g["id"]: g["name"] for g in tree}
        capability_names.update({c["id"]: c["name"] for g in tree for c in g["children"]})
        chips = []
        result = None
        if filters is not None:
            result = await search_companies(request.app.state.search, filters)
            page = result.page
            params = _filter_params(filters)
            selected = {k: params.get(k, "") for k in FILTER_KEYS}
            if filters.q:
                chips.append({"key": "q", "name": "关键词", "label": f"“{filters.q}”"})
            if filters.size:
                chips.append({"key": "size", "name": "规模", "label": SIZE_LABELS[filters.size]})
            if filters.capability:
                chips.append(
                    {
                        "key": "capability",
                        "name": "能力",
                        "label": capability_names.get(filters.capability, f"能力 #{filters.capability}"),
                    }
                )
        else:
            page = Page(items=[], total=0, page=1, page_size=DEFAULT_PAGE_SIZE)
            params = {}
            selected = {k: ("" if k in errors else (raw.get(k) or "")) for k in FILTER_KEYS}
        return Template(
            template_name="companies/list.html",
            context={
                "page": page,
                "params": params,
                "selected": selected,
                "chips": chips,
                "errors": errors,
                "error_message": message,
                "sizes": list(SIZE_LABELS.items()),
                "search": result,
                "highlights": result.highlights if result else {},
                "capability_tree": tree,
            },
            status_code=HTTP_400_BAD_REQUEST if errors else 200,
        )

    @get(
        "/{company_id:int}",
        name="companies:detail",
        include_in_schema=False,
        exception_handlers={ValidationException: _not_found},
    )
    async def company_detail(self, company_id: CompanyId) -> Template:
        company = await get_public_company(company_id)  # NotFound -> the 404 page
        # ``completed_pilots``: the platform's track record of the company (completed pilots on
        # published results; the template's ``track_record`` block shows it).
        return Template(
            template_name="companies/detail.html",
            context={"company": company, "completed_pilots": await list_completed_pilots(company_id)},
        )
