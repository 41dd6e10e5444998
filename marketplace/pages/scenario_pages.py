"""Public HTML pages of the scenario catalog: the home page, the list and the detail page.

Thin controllers: parse the query with ``parse_scenario_filters``, call the read services,
render a template. Invalid query parameters render the list page itself with the messages
(status 400), so the visitor keeps the form; unknown, non-public and out-of-range ids render
the friendly 404 page.
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get
from litestar.exceptions import ValidationException
from litestar.params import PathParameter
from litestar.response import Template
from litestar.status_codes import HTTP_400_BAD_REQUEST

from marketplace.companies.services import count_companies_by_size
from marketplace.core.errors import ValidationFailed
from marketplace.core.pagination import DEFAULT_PAGE_SIZE, Page
from marketplace.departments.services import list_department_refs
from marketplace.evaluation.pilots import get_public_pilot
from marketplace.pages.reads import get_public_scenario_with_result
from marketplace.scenarios.labels import (
    CHANGE_KIND_LABELS,
    DEADLINE_LABELS,
    DOMAIN_DESCRIPTIONS,
    DOMAIN_SUBTITLES,
    SORT_LABELS,
)
from marketplace.scenarios.params import parse_scenario_filters
from marketplace.scenarios.participation_views import detail_extras
from marketplace.scenarios.services import (
    ScenarioFilters,
    count_departments_with_public_scenarios,
    count_public_scenarios_by_domain,
    count_public_scenarios_by_status,
    list_public_scenarios,
)
from marketplace.scenarios.status import DOMAIN_LABELS_EN, DOMAINS, PUBLIC_STATUSES, STATUS_LABELS
from marketplace.search.queries import search_scenarios
from marketplace.taxonomy.services import list_capability_tree
from marketplace.web.errors import path_id_out_of_range
from marketplace.web.params import MAX_ID, query_dict

ScenarioId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]

FILTER_KEYS = ("q", "domain", "department", "capability", "status", "deadline", "sort", "page_size")
HOME_NEWEST = 6


def filter_params(filters: ScenarioFilters) -> dict[str, str]:
    """The filters as query parameters (defaults left out), for links that keep the filters."""
    params: dict[str, str] = {}
    for key in ("q", "domain", "department", "capability", "status", "deadline"):
        value = getattr(filters, key)
        if value not in (None, ""):
            params[key] = str(value)
    if filters.sort != ("relevance" if filters.q else "newest"):
        params["sort"] = filters.sort
    if filters.page_size != DEFAULT_PAGE_SIZE:
        params["page_size"] = str(filters.page_size)
    return params


async def _capability_choices() -> tuple[list[dict], dict[int, str]]:
    tree = await list_capability_tree()
    names: dict[int, str] = {}
    for group in tree:
        names[group["id"]] = group["name"]
        for child in group["children"]:
            names[child["id"]] = child["name"]
    return tree, names


class HomePageController(Controller):
    """``/``: what the programme is, live counts, the newest open scenarios."""

    path = "/"
    include_in_schema = False

    @get("/", name="home", include_in_schema=False)
    async def home(self) -> Template:
        by_status = await count_public_scenarios_by_status()
        open_by_domain = await count_public_scenarios_by_domain(status="open")
        all_by_domain = await count_public_scenarios_by_domain()
        companies = await count_companies_by_size()
        departments = await count_departments_with_public_scenarios()
        newest = await list_public_scenarios(
            ScenarioFilters(status="open", sort="newest", page_size=HOME_NEWEST)
        )
        return Template(
            template_name="home.html",
            context={
                "counts": {
                    "open": by_status.get("open", 0),
                    "public": sum(by_status.values()),
                    "companies": companies["large"] + companies["sme"],
                    "large": companies["large"],
                    "sme": companies["sme"],
                    "departments": departments,
                },
                "domains": [
                    {
                        "name": d,
                        "subtitle": DOMAIN_SUBTITLES[d],
                        "name_en": DOMAIN_LABELS_EN[d],
                        "description": DOMAIN_DESCRIPTIONS[d],
                        "open": open_by_domain.get(d, 0),
                        "total": all_by_domain.get(d, 0),
                    }
                    for d in DOMAINS
                ],
                "newest": newest.items,
                "open_total": newest.total,
            },
        )


class ScenarioPagesController(Controller):
    """``/scenarios`` (filtered, paginated list) and ``/scenarios/{id}`` (detail)."""

    path = "/scenarios"
    include_in_schema = False

    @get("/", name="scenarios:list", include_in_schema=False)
    async def list_scenarios(self, request: Request) -> Template:
        """The catalog, searched through Meilisearch (database fallback with a notice). An htmx
        request for ``#results`` (as-you-type) gets only the results and the filter fields."""
        raw = query_dict(request)
        errors: dict[str, str] = {}
        message = ""
        try:
            filters = parse_scenario_filters(raw)
        except ValidationFailed as exc:
            errors, message = exc.errors, exc.message
            filters = None
        tree, capability_names = await _capability_choices()
        departments = await list_department_refs()
        department_names = {d.id: d.name for d in departments}
        result = None
        if filters is not None:
            result = await search_scenarios(request.app.state.search, filters)
            page = result.page
            params = filter_params(filters)
            selected = {k: params.get(k, "") for k in FILTER_KEYS}
        else:
            page = Page(items=[], total=0, page=1, page_size=DEFAULT_PAGE_SIZE)
            params = {}
            # Keep what the visitor chose in the form, except the values that were refused.
            selected = {k: ("" if k in errors else (raw.get(k) or "")) for k in FILTER_KEYS}
        chips = []
        if filters is not None:
            labels = {
                "q": lambda v: f"“{v}”",
                "domain": lambda v: v,
                "department": lambda v: department_names.get(int(v), f"部门 #{v}"),
                "capability": lambda v: capability_names.get(int(v), f"能力 #{v}"),
                "status": lambda v: STATUS_LABELS.get(v, v),
                "deadline": lambda v: DEADLINE_LABELS[v],
                "sort": lambda v: SORT_LABELS[v],
            }
            names = {
                "q": "关键词",
                "domain": "领域",
                "department": "部门",
                "capability": "能力",
                "status": "状态",
                "deadline": "截止时间",
                "sort": "排序",
            }
            for key, label in labels.items():
                if key in params:
                    chips.append({"key": key, "name": names[key], "label": label(params[key])})
        fragment = (
            request.headers.get("hx-request") == "true"
            and request.headers.get("hx-target") == "results"
            and not request.headers.get("hx-history-restore-request")
        )
        return Template(
            template_name="scenarios/_results.html" if fragment else "scenarios/list.html",
            context={
                "page": page,
                "params": params,
                "selected": selected,
                "chips": chips,
                "errors": errors,
                "error_message": message,
                "search": result,
                "highlights": result.highlights if result else {},
                "facets": result.facets if result else {},
                "domains": DOMAINS,
                "domain_subtitles": DOMAIN_SUBTITLES,
                "departments": departments,
                "capability_tree": tree,
                "statuses": [(s, STATUS_LABELS[s]) for s in PUBLIC_STATUSES],
                "deadlines": list(DEADLINE_LABELS.items()),
                "sorts": list(SORT_LABELS.items()),
            },
            status_code=HTTP_400_BAD_REQUEST if errors else 200,
            headers={"Vary": "HX-Request, HX-Target"},
        )

    @get(
        "/{scenario_id:int}",
        name="scenarios:detail",
        include_in_schema=False,
        exception_handlers={ValidationException: path_id_out_of_range},
    )
    async def scenario_detail(self, request: Request, scenario_id: ScenarioId) -> Template:
        scenario = await get_public_scenario_with_result(scenario_id)  # NotFound -> the 404 page
        return Template(
            template_name="scenarios/detail.html",
            context={
                "scenario": scenario,
                "domain_subtitle": DOMAIN_SUBTITLES.get(scenario.domain, ""),
                "change_kinds": CHANGE_KIND_LABELS,
                # Q&A form, the visitor's own questions, attachments, feed links (publishing).
                **await detail_extras(request, scenario),
                "public_pilot": await get_public_pilot(scenario_id),  # after a published award
            },
        )
