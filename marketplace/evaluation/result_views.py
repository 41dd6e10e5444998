"""The applicant's side of the result (HTML), under ``/member/results``: the company's proposals
that went to evaluation, and per proposal its outcome with its own scores and the evaluators'
comments (evaluators anonymised) once the result is published. Before publication the page
says the evaluation is under way, and shows a pitch invitation if there is one.

Only companies that applied with the proposal (lead or accepted consortium member) see it; any
other id answers 404 (``publication.member_result``)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.exceptions import ValidationException
from litestar.params import PathParameter
from litestar.response import Redirect, Template

from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.evaluation import objections, publication
from marketplace.web.errors import path_id_out_of_range
from marketplace.web.forms import actor_of, read_form, see_other
from marketplace.web.guards import requires_member
from marketplace.web.params import MAX_ID

Id = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
OUTCOME_LABELS = {"selected": "入选", "not_selected": "未入选"}


class MemberResultController(Controller):
    path = "/member/results"
    guards = [requires_member]
    include_in_schema = False
    exception_handlers = {ValidationException: path_id_out_of_range}

    @get("/", name="member:results")
    async def results(self, request: Request) -> Template:
        rows = await publication.list_member_results(request.user.company_id)
        return Template(
            "evaluation/outcome_list.html", context={"rows": rows, "outcome_labels": OUTCOME_LABELS}
        )

    @get("/{proposal_id:int}", name="member:results:detail")
    async def result(self, request: Request, proposal_id: Id) -> Template:
        return await self._page(request, proposal_id)

    async def _page(self, request: Request, proposal_id: int, status_code: int = 200, **extra) -> Template:
        result = await publication.member_result(proposal_id, request.user.company_id)
        scenario_id = result.proposal["scenario"]
        window = None
        if result.published:
            published = await publication.published_result(scenario_id)
            window = published and await objections.objection_window(scenario_id, published.published_at)
        return Template(
            "evaluation/outcome_detail.html",
            status_code=status_code,
            context={
                "r": result,
                "outcome_labels": OUTCOME_LABELS,
                "window": window,
                "objections": await objections.company_objections(scenario_id, request.user.company_id),
                "objection_form": {},
                "objection_errors": {},
                **extra,
            },
        )

    @post("/{proposal_id:int}/objections", name="member:results:object")
    async def object(self, request: Request, proposal_id: Id) -> Template | Redirect:
        """An applicant lodges a 质疑 on the published result (within the window)."""
        result = await publication.member_result(proposal_id, request.user.company_id)  # 404 for others
        form = await read_form(request)
        try:
            await objections.raise_objection(
                result.proposal["scenario"], actor_of(request), form.get("reason", "")
            )
        except (ValidationFailed, Conflict) as exc:
            return await self._page(
                request,
                proposal_id,
                status_code=exc.status_code,
                objection_form=form,
                objection_errors=getattr(exc, "errors", {}) or {"reason": exc.message},
                objection_message=exc.message,
            )
        return see_other(
            request.app.route_reverse("member:results:detail", proposal_id=proposal_id)
            + "?objected=1#objections"
        )
