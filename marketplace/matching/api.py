"""Matching over JSON: ranked companies for a scenario (its department's staff, admins) and
recommended open scenarios for a company (its members, staff, admins)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Request, get
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.params import PathParameter, QueryParameter

from marketplace.core.errors import NotAllowed, NotFound, ValidationFailed, documented
from marketplace.matching.explain import Explanation
from marketplace.matching.fit import RECOMMEND_AT
from marketplace.matching.labels import NO_COMPANY_MATCH, NO_SCENARIO_MATCH
from marketplace.matching.services import CompanyMatch, ScenarioMatch, match_companies, recommend_scenarios
from marketplace.scenarios.policy import check_may_see_internal_side
from marketplace.web.api import ApiLink
from marketplace.web.guards import requires_login

Id = Annotated[int, PathParameter(ge=1, le=2**31 - 1)]
Limit = Annotated[int, QueryParameter(ge=1, le=100, description="返回条数，最多 100。")]


class Signals(msgspec.Struct):
    coverage: float
    text: float
    track: float


class Why(msgspec.Struct):
    summary: str  # one paragraph a bureau officer can read aloud
    covered: list[str]
    partial: list[str]
    missing: list[str]
    record: list[str]


class CompanyMatchOut(msgspec.Struct):
    company_id: int
    company_key: str | None
    company_name: str
    size: str
    score: int  # the calibrated fit, 0..99
    band: str  # high | medium | low
    band_label: str  # 高 | 中 | 低
    signals: Signals
    explanation: Why


class ScenarioMatchOut(msgspec.Struct):
    scenario_id: int
    scenario_key: str | None
    title: str
    domain: str
    score: int  # the calibrated fit, 0..99
    band: str
    band_label: str
    signals: Signals
    explanation: Why


class CompanyMatchesOut(msgspec.Struct):
    """Recommended companies, best first; ``notice`` says so when none reaches the threshold."""

    items: list[CompanyMatchOut]
    threshold: int  # the lowest fit shown as a recommendation
    notice: str | None


class ScenarioRecommendationsOut(msgspec.Struct):
    """Recommended open scenarios, best first; ``notice`` says so when none reaches the threshold."""

    items: list[ScenarioMatchOut]
    threshold: int
    notice: str | None


def _why(e: Explanation) -> tuple[Signals, Why]:
    return Signals(coverage=e.coverage, text=e.text, track=e.track), Why(
        summary=e.summary(),
        covered=[r.name for r in e.covered],
        partial=[r.name for r in e.partial],
        missing=[r.name for r in e.missing],
        record=list(e.record),
    )


def company_match_out(m: CompanyMatch) -> CompanyMatchOut:
    signals, why = _why(m.explanation)
    return CompanyMatchOut(
        company_id=m.company_id,
        company_key=m.company_key,
        company_name=m.company_name,
        size=m.size,
        score=m.score,
        band=m.band or "",
        band_label=m.band_label,
        signals=signals,
        explanation=why,
    )


def scenario_match_out(m: ScenarioMatch) -> ScenarioMatchOut:
    signals, why = _why(m.explanation)
    return ScenarioMatchOut(
        scenario_id=m.scenario_id,
        scenario_key=m.scenario_key,
        title=m.title,
        domain=m.domain,
        score=m.score,
        band=m.band or "",
        band_label=m.band_label,
        signals=signals,
        explanation=why,
    )


async def check_may_see_matches(user, scenario_id: int) -> None:
    """Recommended companies are the scenario's internal side (``scenarios.policy``)."""
    await check_may_see_internal_side(
        user, scenario_id, "只有发布该场景的部门工作人员和协会管理员可以查看推荐企业。"
    )


def check_may_see_recommendations(user, company_id: int) -> None:
    if user.is_admin or user.is_staff:
        return
    if user.is_member and user.company_id == company_id:
        return
    raise NotAllowed("只能查看本企业的推荐场景。")


LINKS = [
    ApiLink("getMe", "listCompanyRecommendations", {"company_id": "$response.body#/company_id"}),
    ApiLink("listCompanies", "listCompanyRecommendations", {"company_id": "$response.body#/items/0/id"}),
    ApiLink("getCompany", "listCompanyRecommendations", {"company_id": "$response.body#/id"}),
    ApiLink("listScenarios", "listScenarioMatches", {"scenario_id": "$response.body#/items/0/id"}),
    ApiLink("getScenario", "listScenarioMatches", {"scenario_id": "$response.body#/id"}),
]


class MatchingApiController(Controller):
    path = "/api/v1"
    tags = ["matching"]
    guards = [requires_login]

    @get(
        "/scenarios/{scenario_id:int}/matches",
        name="api:scenarios:matches",
        operation_id="listScenarioMatches",
        raises=documented(ValidationFailed, NotAuthorizedException, PermissionDeniedException, NotFound),
    )
    async def scenario_matches(
        self, request: Request, scenario_id: Id, limit: Limit = 20
    ) -> CompanyMatchesOut:
        """Approved member companies best placed to deliver the scenario, best first, each with
        a calibrated fit (0–99) and its band (高/中/低), its three signals and an explanation
        (capabilities covered with their evidence, missing ones, shared concepts, track record).
        Only fits at or above ``threshold`` are listed; when none is, ``items`` is empty and
        ``notice`` says so."""
        await check_may_see_matches(request.user, scenario_id)
        items = [company_match_out(m) for m in await match_companies(scenario_id, limit=limit)]
        return CompanyMatchesOut(items, RECOMMEND_AT, None if items else NO_COMPANY_MATCH)

    @get(
        "/companies/{company_id:int}/recommendations",
        name="api:companies:recommendations",
        operation_id="listCompanyRecommendations",
        raises=documented(ValidationFailed, NotAuthorizedException, PermissionDeniedException, NotFound),
    )
    async def company_recommendations(
        self, request: Request, company_id: Id, limit: Limit = 10
    ) -> ScenarioRecommendationsOut:
        """Open scenarios that best fit the company, best first, each with a calibrated fit and
        band and explained; only fits at or above ``threshold`` are listed (empty for a company
        that is not, or not yet, an approved member), and ``notice`` says when none is."""
        check_may_see_recommendations(request.user, company_id)
        items = [scenario_match_out(m) for m in await recommend_scenarios(company_id, limit=limit)]
        return ScenarioRecommendationsOut(items, RECOMMEND_AT, None if items else NO_SCENARIO_MATCH)
