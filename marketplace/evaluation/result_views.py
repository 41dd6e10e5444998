"""The applicant's side of the result (HTML), under ``/member/results``: the company's proposals
that went to evaluation, and per proposal its outcome with its own scores and the evaluators'
comments (evaluators anonymised) once the result is published. Before publication the page
says the evaluation is under way, and shows a pitch invitation if there is one.

Only companies that applied with the proposal (lead or accepted consortium member) see it; any
other id answers 404 (``publication.member_result``)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get
from litestar.exceptions import ValidationException
from litestar.params import PathParameter
from litestar.response import Template

from marketplace.evaluation import publication
from marketplace.web.errors import path_id_out_of_range
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
        result = await publication.member_result(proposal_id, request.user.company_id)
        return Template(
            "evaluation/outcome_detail.html", context={"r": result, "outcome_labels": OUTCOME_LABELS}
        )
