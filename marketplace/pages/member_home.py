"""The member area: the signed-in company's own status, profile, colleagues, the open scenarios
the matching module recommends for it (with why), its proposals and invitations, and the latest
notifications."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template

from marketplace.accounts.labels import COMPANY_STATUS_LABELS
from marketplace.accounts.services import reapply_company
from marketplace.accounts.tables import User
from marketplace.companies.labels import SIZE_LABELS
from marketplace.companies.profile import profile_completeness
from marketplace.companies.services import get_member_company
from marketplace.core.errors import ValidationFailed
from marketplace.matching.labels import NO_SCENARIO_MATCH
from marketplace.matching.services import recommend_scenarios
from marketplace.notifications.services import list_notifications
from marketplace.proposals.member_views import company_proposal_lists
from marketplace.scenarios.follows import list_followed
from marketplace.web.forms import actor_of, read_form, see_other
from marketplace.web.guards import requires_member

LATEST_NOTIFICATIONS = 5


class MemberAreaController(Controller):
    path = "/member"
    guards = [requires_member]
    include_in_schema = False

    @get("/", name="member:home")
    async def home(self, request: Request) -> Template:
        return await self._home(request)

    @post("/reapply", name="member:reapply")
    async def reapply(self, request: Request) -> Template | Redirect:
        """A rejected company's manager corrects the application and sends it again."""
        form = await read_form(request)
        try:
            await reapply_company(
                request.user.id,
                company_name=form.get("company_name", ""),
                credit_code=form.get("credit_code", ""),
                size=form.get("size", ""),
                contact_name=form.get("contact_name", ""),
                actor=actor_of(request),
            )
        except ValidationFailed as exc:
            return await self._home(
                request,
                reapply_form=form,
                reapply_errors=exc.errors,
                reapply_message=exc.message,
                status_code=400,
            )
        return see_other(request.app.route_reverse("member:home"))

    async def _home(self, request: Request, status_code: int = 200, **extra) -> Template:
        company = await get_member_company(request.user.company_id)
        colleagues = (
            await User.select(User.email, User.display_name, User.is_company_manager)
            .where(User.company == request.user.company_id)
            .order_by(User.id)
        )
        recommended = await recommend_scenarios(request.user.company_id, limit=5)
        notifications = (await list_notifications(request.user.id)).items[:LATEST_NOTIFICATIONS]
        return Template(
            "member/home.html",
            status_code=status_code,
            context={
                **extra,
                "company_status_labels": COMPANY_STATUS_LABELS,
                "size_labels": SIZE_LABELS,
                "company": company,
                "colleagues": colleagues,
                "recommended": recommended,
                "no_recommendation": NO_SCENARIO_MATCH,
                "completeness": await profile_completeness(request.user.company_id),
                "notifications": notifications,
                "followed": await list_followed(request.user.id),
                **await company_proposal_lists(request.user.company_id),
            },
        )
