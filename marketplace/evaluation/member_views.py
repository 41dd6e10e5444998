"""Member pages of the evaluation: the clarifications staff asked of the member's company,
under ``/member/clarifications``. Only the lead company sees them (404 for anyone else); only
its managers answer, before the deadline."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.exceptions import ValidationException
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_400_BAD_REQUEST

from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.evaluation import eligibility
from marketplace.web.errors import path_id_out_of_range
from marketplace.web.forms import actor_of, read_form, see_other
from marketplace.web.guards import requires_member
from marketplace.web.params import Id as ScenarioId

Id = ScenarioId  # any id in a path: 1..2**31-1


class MemberClarificationController(Controller):
    path = "/member/clarifications"
    guards = [requires_member]
    include_in_schema = False
    exception_handlers = {ValidationException: path_id_out_of_range}

    @get("/", name="member:clarifications")
    async def clarifications(self, request: Request) -> Template:
        return Template(
            "evaluation/clarification_list.html",
            context={"rows": await eligibility.list_clarifications(request.user)},
        )

    async def _page(
        self,
        request: Request,
        review_id: int,
        *,
        form: dict | None = None,
        message: str = "",
        errors: dict | None = None,
        status_code: int = 200,
    ) -> Template:
        row = await eligibility.get_clarification(review_id, request.user)
        return Template(
            "evaluation/clarification.html",
            status_code=status_code,
            context={
                "c": row,
                "form": form or {},
                "message": message,
                "errors": errors or {},
                "done": request.query_params.get("done") == "answered" and not message,
            },
        )

    @get("/{review_id:int}", name="member:clarifications:detail")
    async def clarification(self, request: Request, review_id: Id) -> Template:
        return await self._page(request, review_id)

    @post("/{review_id:int}", name="member:clarifications:answer")
    async def answer(self, request: Request, review_id: Id) -> Template | Redirect:
        form = await read_form(request)
        try:
            await eligibility.answer_clarification(
                review_id, form.get("answer", ""), request.user, actor_of(request)
            )
        except ValidationFailed as exc:
            return await self._page(
                request,
                review_id,
                form=form,
                message=exc.message,
                errors=exc.errors,
                status_code=HTTP_400_BAD_REQUEST,
            )
        except Conflict as exc:
            return await self._page(
                request, review_id, form=form, message=exc.message, status_code=exc.status_code
            )
        return see_other(
            request.app.route_reverse("member:clarifications:detail", review_id=review_id) + "?done=answered"
        )
