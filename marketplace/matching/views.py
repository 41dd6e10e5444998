"""The staff page of a scenario's recommended companies, with an invite-to-apply action."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.params import PathParameter
from litestar.response import Redirect, Template

from marketplace.core.errors import Conflict, NotAllowed, ValidationFailed
from marketplace.matching.api import check_may_see_matches
from marketplace.matching.services import match_companies, suggest_consortium
from marketplace.scenarios.invitations import (
    InvitationOutcome,
    invitation_statuses,
    invitation_target,
    invite_company_by_email,
    invite_company_to_apply,
)
from marketplace.scenarios.labels import INVITATION_CHANNEL_LABELS
from marketplace.scenarios.tables import Scenario
from marketplace.web.forms import actor_of, read_form, see_other
from marketplace.web.guards import requires_login
from marketplace.web.params import MAX_ID, parse_int

Id = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
INVITE_RESULTS = ("sent", "already", "no_account", "mail_failed")


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
                "consortium": await suggest_consortium(scenario_id),
                "invitations": await invitation_statuses(scenario_id),
                "invitation_channel_labels": INVITATION_CHANNEL_LABELS,
                **extra,
            },
        )

    @get("/", name="staff:matches")
    async def matches(self, request: Request, scenario_id: Id) -> Template:
        return await self._page(request, scenario_id, **await self._outcome(request))

    async def _outcome(self, request: Request) -> dict:
        """What the last invite action did (from the redirect's query), for the notice."""
        params = request.query_params
        company_id = parse_int(dict(params), "company", {}, lo=1, hi=MAX_ID)
        if params.get("invited") not in INVITE_RESULTS or company_id is None:
            return {}
        return {
            "invited": params["invited"],
            "invited_channel": params.get("channel", ""),
            "invited_users": parse_int(dict(params), "users", {}, lo=0, hi=10_000) or 0,
            "invite_target": await invitation_target(company_id),
        }

    async def _invite(self, request: Request, scenario_id: int, by_email: bool) -> Template | Redirect:
        await check_may_see_matches(request.user, scenario_id)
        form = await read_form(request)
        errors: dict = {}
        company_id = parse_int(form, "company", errors, lo=1, hi=MAX_ID)
        resend = form.get("resend") == "1"
        who = {"actor_department_id": request.user.department_id, "actor_is_admin": request.user.is_admin}
        try:
            if company_id is None:
                raise ValidationFailed("请选择企业。")
            outcome: InvitationOutcome
            if by_email:
                outcome = await invite_company_by_email(
                    scenario_id,
                    company_id,
                    form.get("invite_email", ""),
                    actor_of(request),
                    resend=resend,
                    **who,
                )
            else:
                outcome = await invite_company_to_apply(
                    scenario_id, company_id, actor_of(request), resend=resend, **who
                )
        except (ValidationFailed, Conflict, NotAllowed) as exc:
            extra = {}
            if by_email and company_id is not None:
                extra = {"invited": "no_account", "invite_target": await invitation_target(company_id)}
            return await self._page(
                request,
                scenario_id,
                message=exc.message,
                invite_errors=getattr(exc, "errors", {}),
                invite_email=form.get("invite_email", ""),
                status_code=exc.status_code,
                **extra,
            )
        query = urlencode(
            {
                "invited": outcome.result,
                "company": company_id,
                "channel": outcome.channel,
                "users": outcome.users,
            }
        )
        return see_other(request.app.route_reverse("staff:matches", scenario_id=scenario_id) + "?" + query)

    @post("/invite", name="staff:matches:invite")
    async def invite(self, request: Request, scenario_id: Id) -> Template | Redirect:
        """Invite a company's users in the app; a company without an account is offered the mail."""
        return await self._invite(request, scenario_id, by_email=False)

    @post("/invite-email", name="staff:matches:invite_email")
    async def invite_by_email(self, request: Request, scenario_id: Id) -> Template | Redirect:
        """Mail a company without an account an invitation to register and apply."""
        return await self._invite(request, scenario_id, by_email=True)
