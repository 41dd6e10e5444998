"""Download links of the public list pages: the scenario catalog and the company directory as
CSV or XLSX, with the filters of the page's query string (the same parsers and search as the
pages; bad filters: 400 with the parser's Chinese message, nothing produced)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get

from marketplace.companies.params import parse_company_filters
from marketplace.core.errors import ValidationFailed
from marketplace.evaluation.exports import attachment_header, table_xlsx, to_csv
from marketplace.opendata import downloads
from marketplace.scenarios.params import parse_scenario_filters
from marketplace.search.queries import search_companies, search_scenarios
from marketplace.web.params import query_dict

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _file(header: list[str], rows: list[list], fmt: str, name: str, fallback: str) -> Response[bytes]:
    if fmt == "csv":
        content, media_type = to_csv(header, rows), "text/csv; charset=utf-8"
    else:
        content, media_type = table_xlsx(name, header, rows, name), XLSX
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": attachment_header(f"{name}.{fmt}", f"{fallback}.{fmt}")},
    )


def _refused(exc: ValidationFailed) -> Response[str]:
    detail = "；".join(exc.errors.values())
    return Response(f"{exc.message}{detail}", status_code=400, media_type="text/plain; charset=utf-8")


class DownloadsController(Controller):
    """``/downloads/scenarios.csv|xlsx`` and ``/downloads/companies.csv|xlsx``."""

    path = "/downloads"
    include_in_schema = False

    async def _scenarios(self, request: Request, fmt: str) -> Response[Any]:
        try:
            filters = parse_scenario_filters(query_dict(request))
        except ValidationFailed as exc:
            return _refused(exc)
        items = await downloads.all_items(lambda f: search_scenarios(request.app.state.search, f), filters)
        rows = downloads.scenario_rows(
            items, lambda i: str(request.url_for("scenarios:detail", scenario_id=i))
        )
        return _file(downloads.SCENARIO_HEADER, rows, fmt, "应用场景", "scenarios")

    async def _companies(self, request: Request, fmt: str) -> Response[Any]:
        try:
            filters = parse_company_filters(query_dict(request))
        except ValidationFailed as exc:
            return _refused(exc)
        items = await downloads.all_items(lambda f: search_companies(request.app.state.search, f), filters)
        rows = downloads.company_rows(items, lambda i: str(request.url_for("companies:detail", company_id=i)))
        return _file(downloads.COMPANY_HEADER, rows, fmt, "企业名录", "companies")

    @get("/scenarios.csv", name="downloads:scenarios:csv")
    async def scenarios_csv(self, request: Request) -> Response[Any]:
        return await self._scenarios(request, "csv")

    @get("/scenarios.xlsx", name="downloads:scenarios:xlsx")
    async def scenarios_xlsx(self, request: Request) -> Response[Any]:
        return await self._scenarios(request, "xlsx")

    @get("/companies.csv", name="downloads:companies:csv")
    async def companies_csv(self, request: Request) -> Response[Any]:
        return await self._companies(request, "csv")

    @get("/companies.xlsx", name="downloads:companies:xlsx")
    async def companies_xlsx(self, request: Request) -> Response[Any]:
        return await self._companies(request, "xlsx")
