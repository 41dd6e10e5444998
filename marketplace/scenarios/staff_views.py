"""The staff area: the department's scenarios in every status."""

from __future__ import annotations

from collections import Counter

from litestar import Controller, Request, get
from litestar.response import Template

from marketplace.scenarios.services import list_department_scenarios
from marketplace.scenarios.status import STATUS_LABELS, STATUSES
from marketplace.web.guards import requires_staff


class StaffAreaController(Controller):
    path = "/staff"
    guards = [requires_staff]
    include_in_schema = False

    @get("/", name="staff:home")
    async def home(self, request: Request) -> Template:
        scenarios = await list_department_scenarios(request.user.department_id)
        counts = Counter(s.status for s in scenarios)
        by_status = [(s, STATUS_LABELS[s], counts[s]) for s in STATUSES if counts[s]]
        return Template("staff/home.html", context={"scenarios": scenarios, "by_status": by_status})
