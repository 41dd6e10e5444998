"""The member area: the signed-in company's own status, profile, colleagues, the open scenarios
the matching module recommends for it (with why), its proposals and invitations, and the latest
notifications."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.response import Template

from marketplace.accounts.tables import User
from marketplace.companies.profile import profile_completeness
from marketplace.companies.services import get_member_company
from marketplace.matching.labels import NO_SCENARIO_MATCH
from marketplace.matching.services import recommend_scenarios
from marketplace.notifications.services import list_notifications
from marketplace.proposals.member_views import company_proposal_lists
from marketplace.web.guards import requires_member

LATEST_NOTIFICATIONS = 5


class MemberAreaController(Controller):
    path = "/member"
    guards = [requires_member]
    include_in_schema = False

    @get("/", name="member:home")
    async def home(self, request: Request) -> Template:
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
            context={
                "company": company,
                "colleagues": colleagues,
                "recommended": recommended,
                "no_recommendation": NO_SCENARIO_MATCH,
                "completeness": await profile_completeness(request.user.company_id),
                "notifications": notifications,
                **await company_proposal_lists(request.user.company_id),
            },
        )
