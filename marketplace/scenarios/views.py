"""Public HTML pages of the scenario catalog: the home page, the list and the detail page.

Thin controllers: parse the query with ``parse_scenario_filters``, call the read services,
render a template. Invalid query parameters render the list page itself with the messages
(status 400), so the visitor keeps the form; unknown, non-public and out-of-range ids render
the friendly 404 page.
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get
from litestar.exceptions import ValidationException
from litestar.params import PathParameter
from litestar.response import Template
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_404_NOT_FOUND

from marketplace.companies.services import count_companies_by_size
from marketplace.core.errors import ValidationFailed
from marketplace.core.pagination import DEFAULT_PAGE_SIZE, Page
from marketplace.scenarios.params import MAX_ID, parse_scenario_filters
from marketplace.scenarios.services import (
    ScenarioFilters,
    count_departments_with_public_scenarios,
    count_public_scenarios_by_domain,
    count_public_scenarios_by_status,
    get_public_scenario,
    list_department_refs,
    list_public_scenarios,
)
from marketplace.scenarios.status import DOMAIN_LABELS_EN, DOMAINS, PUBLIC_STATUSES, STATUS_LABELS
from marketplace.search.queries import search_scenarios
from marketplace.taxonomy.services import list_capability_tree

ScenarioId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]

# What each programme means, in one line, for the home page and the list's filter help.
DOMAIN_DESCRIPTIONS = {
    "一网通办": "让企业和群众办事少跑腿、好办事，材料更少、审批更快。",
    "一网统管": "城市运行一屏统览、事件联动处置，让管理更精细、响应更及时。",
    "一网提优": "用数据助企惠企，优化营商环境，服务产业升级与招商引资。",
    "一网协同": "部门之间数据共享、业务协同，让机关办文办会办事更高效。",
}
DOMAIN_SUBTITLES = {
    "一网通办": "政务服务",
    "一网统管": "城市治理",
    "一网提优": "经济发展",
    "一网协同": "政府运行",
}
DEADLINE_LABELS = {
    "7d": "7 天内截止",
    "30d": "30 天内截止",
    "90d": "90 天内截止",
    "passed": "已过截止时间",
}
SORT_LABELS = {"relevance": "相关度", "newest": "最新发布", "deadline": "截止时间最近"}
CHANGE_KIND_LABELS = {
    "amendment": "内容变更",
    "extension": "延期",
    "deadline_extension": "延期",
    "cancellation": "取消",
}
FILTER_KEYS = ("q", "domain", "department", "capability", "status", "deadline", "sort", "page_size")
HOME_NEWEST = 6


def _query_dict(request: Request) -> dict[str, str]:
    """The query parameters as a plain dict (the first value of a repeated parameter)."""
    return {key: request.query_params.get(key) for key in request.query_params}


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


def not_found_page(message: str = "您要找的页面不存在，或该内容尚未公开。") -> Template:
    return Template(
        template_name="error.html",
        context={"status_code": HTTP_404_NOT_FOUND, "message": message, "errors": {}},
        status_code=HTTP_404_NOT_FOUND,
    )


def path_id_out_of_range(request: Request, exc: ValidationException) -> Response:
    """An id outside 1..2**31-1 cannot name anything: answer the friendly 404 page."""
    return not_found_page()


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
        raw = _query_dict(request)
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
        from marketplace.evaluation.pilots import get_public_pilot
        from marketplace.scenarios.participation_views import detail_extras

        scenario = await get_public_scenario(scenario_id)  # NotFound -> the 404 page
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
