"""The member area: the signed-in company's own status, profile, colleagues and the open
scenarios the matching module recommends for it (with why)."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.response import Template

from marketplace.accounts.guards import requires_member
from marketplace.accounts.tables import User
from marketplace.companies.profile import profile_completeness
from marketplace.companies.services import get_member_company
from marketplace.matching.services import recommend_scenarios


class MemberAreaController(Controller):
    path = "/member"
    guards = [requires_member]
    include_in_schema = False

    @get("/")
    async def home(self, request: Request) -> Template:
        company = await get_member_company(request.user.company_id)
        colleagues = await User.select(User.email, User.display_name, User.is_company_manager).where(
            User.company == request.user.company_id).order_by(User.id)
        recommended = await recommend_scenarios(request.user.company_id, limit=5)
        return Template("member/home.html", context={
            "company": company, "colleagues": colleagues, "recommended": recommended,
            "completeness": await profile_completeness(request.user.company_id)})
