"""Pilot pages: the department's ``/staff/scenarios/{id}/pilot`` (start, updates, milestones,
completion) and the partner companies' ``/member/pilots`` (list) and ``/member/pilots/{id}``.

Thin: parse the form, call ``marketplace.evaluation.pilots``, render or redirect (303). Refused
actions re-render the page with the message and the service's status code.
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.params import PathParameter
from litestar.response import Redirect, Template

from marketplace.core.errors import Conflict, NotAllowed, ValidationFailed
from marketplace.evaluation import pilots
from marketplace.evaluation.tables import MILESTONE_STATUSES
from marketplace.web.forms import actor_of, read_form, see_other
from marketplace.web.guards import requires_member, requires_staff
from marketplace.web.params import MAX_ID

Id = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
REFUSED = (ValidationFailed, Conflict, NotAllowed)
DONE_MESSAGES = {
    "started": "试点已启动，里程碑已从中选方案的实施计划导入。",
    "posted": "进展已发布。",
    "milestone": "里程碑状态已更新。",
    "completed": "试点已完成，成效说明已在场景页面公开。",
}


def _milestone_id(form: dict) -> int | None:
    raw = form.get("milestone", "")
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ValidationFailed("请选择本试点的里程碑。", {"milestone": "请选择本试点的里程碑。"}) from None
    if not 1 <= value <= MAX_ID:
        raise ValidationFailed("请选择本试点的里程碑。", {"milestone": "请选择本试点的里程碑。"})
    return value


def _context(
    request: Request,
    data: dict,
    *,
    routes: str,
    route_params: dict,
    message: str = "",
    errors: dict | None = None,
    form: dict | None = None,
) -> dict:
    done = request.query_params.get("done")
    return {
        **data,
        "pilot_routes": routes,  # "staff:pilot" or "member:pilots": the forms' route names start so
        "pilot_params": route_params,
        "message": message,
        "errors": errors or {},
        "form": form or {},
        "done": DONE_MESSAGES.get(done or "") if not message else None,
        "milestone_statuses": [(s, pilots.MILESTONE_LABELS[s]) for s in MILESTONE_STATUSES],
    }


async def _act(request: Request, call, page, done_url: str) -> Template | Redirect:
    """Run ``call(form)``; on success redirect to ``done_url`` (303), else re-render ``page`` with
    the refusal's message, field errors, the form and its status code."""
    form = await read_form(request)
    try:
        await call(form)
    except REFUSED as exc:
        return await page(
            status_code=exc.status_code, message=exc.message, errors=getattr(exc, "errors", {}), form=form
        )
    return see_other(done_url)


class StaffPilotController(Controller):
    path = "/staff/scenarios/{scenario_id:int}/pilot"
    guards = [requires_staff]
    include_in_schema = False

    async def _page(self, request: Request, scenario_id: int, status_code: int = 200, **extra) -> Template:
        data = await pilots.get_staff_pilot_page(scenario_id, actor_of(request))
        return Template(
            "evaluation/pilot_page.html",
            status_code=status_code,
            context=_context(
                request, data, routes="staff:pilot", route_params={"scenario_id": scenario_id}, **extra
            )
            | {"is_staff": True},
        )

    async def _act(self, request: Request, scenario_id: int, done: str, call) -> Template | Redirect:
        return await _act(
            request,
            call,
            lambda **kw: self._page(request, scenario_id, **kw),
            request.app.route_reverse("staff:pilot", scenario_id=scenario_id) + f"?done={done}",
        )

    async def _pilot_id(self, request: Request, scenario_id: int) -> int:
        data = await pilots.get_staff_pilot_page(scenario_id, actor_of(request))
        if data["pilot"] is None:
            raise Conflict("试点尚未启动。")
        return data["pilot"]["id"]

    @get("/", name="staff:pilot")
    async def page(self, request: Request, scenario_id: Id) -> Template:
        return await self._page(request, scenario_id)

    @post("/start", name="staff:pilot:start")
    async def start(self, request: Request, scenario_id: Id) -> Template | Redirect:
        return await self._act(
            request, scenario_id, "started", lambda form: pilots.start_pilot(scenario_id, actor_of(request))
        )

    @post("/updates", name="staff:pilot:updates")
    async def post_update(self, request: Request, scenario_id: Id) -> Template | Redirect:
        async def call(form):
            await pilots.post_pilot_update(
                await self._pilot_id(request, scenario_id),
                actor_of(request),
                form.get("note", ""),
                _milestone_id(form),
            )

        return await self._act(request, scenario_id, "posted", call)

    @post("/milestones/{milestone_id:int}", name="staff:pilot:milestone")
    async def milestone(self, request: Request, scenario_id: Id, milestone_id: Id) -> Template | Redirect:
        async def call(form):
            await pilots.set_milestone_status(
                await self._pilot_id(request, scenario_id),
                milestone_id,
                form.get("status", ""),
                actor_of(request),
                form.get("note", ""),
            )

        return await self._act(request, scenario_id, "milestone", call)

    @post("/complete", name="staff:pilot:complete")
    async def complete(self, request: Request, scenario_id: Id) -> Template | Redirect:
        async def call(form):
            await pilots.complete_pilot(
                await self._pilot_id(request, scenario_id), actor_of(request), form.get("outcome_note", "")
            )

        return await self._act(request, scenario_id, "completed", call)


class MemberPilotController(Controller):
    path = "/member/pilots"
    guards = [requires_member]
    include_in_schema = False

    @get("/", name="member:pilots")
    async def list_pilots(self, request: Request) -> Template:
        return Template(
            "evaluation/pilot_list.html",
            context={"pilots": await pilots.list_member_pilots(request.user.company_id)},
        )

    async def _page(self, request: Request, pilot_id: int, status_code: int = 200, **extra) -> Template:
        data = await pilots.get_member_pilot(pilot_id, actor_of(request))
        return Template(
            "evaluation/pilot_page.html",
            status_code=status_code,
            context=_context(
                request, data, routes="member:pilots", route_params={"pilot_id": pilot_id}, **extra
            )
            | {"is_staff": False},
        )

    async def _act(self, request: Request, pilot_id: int, done: str, call) -> Template | Redirect:
        return await _act(
            request,
            call,
            lambda **kw: self._page(request, pilot_id, **kw),
            request.app.route_reverse("member:pilots:detail", pilot_id=pilot_id) + f"?done={done}",
        )

    @get("/{pilot_id:int}", name="member:pilots:detail")
    async def page(self, request: Request, pilot_id: Id) -> Template:
        return await self._page(request, pilot_id)

    @post("/{pilot_id:int}/updates", name="member:pilots:updates")
    async def post_update(self, request: Request, pilot_id: Id) -> Template | Redirect:
        return await self._act(
            request,
            pilot_id,
            "posted",
            lambda form: pilots.post_pilot_update(
                pilot_id, actor_of(request), form.get("note", ""), _milestone_id(form)
            ),
        )

    @post("/{pilot_id:int}/milestones/{milestone_id:int}", name="member:pilots:milestone")
    async def milestone(self, request: Request, pilot_id: Id, milestone_id: Id) -> Template | Redirect:
        return await self._act(
            request,
            pilot_id,
            "milestone",
            lambda form: pilots.set_milestone_status(
                pilot_id, milestone_id, form.get("status", ""), actor_of(request), form.get("note", "")
            ),
        )
