"""The staff dashboard ``/staff/dashboard`` (the department's figures; admins see every
department) and the public statistics page ``/statistics`` (the programme's open figures).

Each figure is a Chart.js chart drawn by static/js/charts.js from a JSON data block (CSP allows
no inline script) and the same numbers as a table.
"""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.response import Template

from marketplace.evaluation.dashboards import public_statistics, staff_dashboard
from marketplace.web.guards import requires_staff_or_admin


class StaffDashboardController(Controller):
    path = "/staff/dashboard"
    guards = [requires_staff_or_admin]
    include_in_schema = False

    @get("/", name="staff:dashboard")
    async def dashboard(self, request: Request) -> Template:
        user = request.user
        scope = None if user.is_admin else user.department_id
        return Template(
            "evaluation/dashboard_staff.html",
            context={
                "figures": await staff_dashboard(scope),
                "scope_name": "全部部门" if user.is_admin else user.department_name,
            },
        )


class PublicStatisticsController(Controller):
    path = "/statistics"
    include_in_schema = False

    @get("/", name="statistics")
    async def statistics(self) -> Template:
        return Template("evaluation/stats_public.html", context={"figures": await public_statistics()})
