"""The staff page of a scenario's recommended companies, with an invite-to-apply action."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.params import PathParameter
from litestar.response import Redirect, Template

from marketplace.core.errors import Conflict, NotAllowed, ValidationFailed
from marketplace.matching.api import check_may_see_matches
from marketplace.matching.fit import RECOMMEND_AT
from marketplace.matching.labels import NO_COMPANY_MATCH
from marketplace.matching.services import match_companies, suggest_consortium
from marketplace.scenarios.invitations import invite_company_to_apply
from marketplace.scenarios.tables import Scenario
from marketplace.web.forms import actor_of, read_form, see_other
from marketplace.web.guards import requires_login
from marketplace.web.params import MAX_ID, parse_int

Id = Annotated[int, PathParameter(ge=1, le=MAX_ID)]


class StaffMatchesController(Controller):
    path = "/staff/scenarios/{scenario_id:int}/matches"
    guards = [requires_login]
    include_in_schema = False

    async def _page(self, request: Request, scenario_id: int, **extra) -> Template:
        await check_may_see_matches(request.user, scenario_id)
        scenario = (
            await Scenario.select(Scenario.id, Scenario.title, Scenario.status)
            .where(Scenario.id == scenario_id)
            .first()
        )
        return Template(
            "staff/matches.html",
            status_code=extra.pop("status_code", 200),
            context={
                "scenario": scenario,
                "matches": await match_companies(scenario_id, limit=15),
                "no_match": NO_COMPANY_MATCH,
                "threshold": RECOMMEND_AT,
                "consortium": await suggest_consortium(scenario_id),
                **extra,
            },
        )

    @get("/", name="staff:matches")
    async def matches(self, request: Request, scenario_id: Id) -> Template:
        invited = request.query_params.get("invited")
        return await self._page(request, scenario_id, invited=invited)

    @post("/invite", name="staff:matches:invite")
    async def invite(self, request: Request, scenario_id: Id) -> Template | Redirect:
        await check_may_see_matches(request.user, scenario_id)
        form = await read_form(request)
        errors: dict = {}
        company_id = parse_int(form, "company", errors, lo=1, hi=MAX_ID)
        try:
            if company_id is None:
                raise ValidationFailed("请选择企业。")
            count = await invite_company_to_apply(
                scenario_id,
                company_id,
                actor_of(request),
                actor_department_id=request.user.department_id,
                actor_is_admin=request.user.is_admin,
            )
        except (ValidationFailed, Conflict, NotAllowed) as exc:
            return await self._page(request, scenario_id, message=exc.message, status_code=exc.status_code)
        return see_other(
            request.app.route_reverse("staff:matches", scenario_id=scenario_id)
            + f"?invited={'sent' if count else 'again'}"
        )
