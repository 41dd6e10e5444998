"""Staff pages for the decision (HTML), under ``/staff/scenarios/{id}``:

* ``/decision`` — the ranking with shortlist, pitch invitations, select / unsuccessful and the
  publish button (with a confirmation box);
* ``/evaluation/export.xlsx``, ``/evaluation/ranking.csv``, ``/evaluation/scores.csv`` — exports;
* ``/evaluation/report`` — the printable evaluation report.

Thin: read the form, call a ``decisions`` / ``publication`` service, redirect (303) on success or
re-render the page with the message (400 for bad input, 409 for a refused state). The services
enforce who may read and act (department staff and admins; not an evaluator before submitting).
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.exceptions import ValidationException
from litestar.params import PathParameter
from litestar.response import Redirect, Response, Template

from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.evaluation import decisions, exports, labels, objections, publication
from marketplace.scenarios.forms import parse_local_datetime
from marketplace.web.errors import path_id_out_of_range
from marketplace.web.forms import actor_of, read_form, see_other
from marketplace.web.guards import requires_staff_or_admin
from marketplace.web.params import MAX_ID

Id = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
DONE_MESSAGES = {
    "shortlisted": "已加入入围名单。",
    "unshortlisted": "已移出入围名单。",
    "invited": "路演邀请已发送，牵头企业已收到通知。",
    "selected": "已选定合作伙伴。结果尚未公开，公布后申报企业和公众才能看到。",
    "unsuccessful": "已宣布未成交。结果尚未公开，公布后申报企业和公众才能看到。",
    "published": "结果已公布：场景页面显示结果，每家申报企业已收到各自的结果通知。",
    "objection_answered": "质疑已答复，提出质疑的企业已收到通知。",
}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _proposal_id(form: dict) -> int:
    raw = form.get("proposal_id", "")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_ID:
        raise ValidationFailed("请选择方案。", {"proposal_id": "请选择方案。"})
    return int(raw)


class DecisionController(Controller):
    path = "/staff/scenarios/{scenario_id:int}"
    guards = [requires_staff_or_admin]
    include_in_schema = False
    exception_handlers = {ValidationException: path_id_out_of_range}

    async def _page(
        self,
        request: Request,
        scenario_id: int,
        *,
        message: str = "",
        errors: dict | None = None,
        form: dict | None = None,
        status_code: int = 200,
    ) -> Template:
        board = await decisions.read_board(actor_of(request), scenario_id)
        return Template(
            "evaluation/decision_board.html",
            status_code=status_code,
            context={
                "board": board,
                "scenario": board.scenario,
                "message": message,
                "errors": errors or {},
                "form": form or {},
                "done": DONE_MESSAGES.get(request.query_params.get("done", ""), ""),
                "eligibility_labels": labels.ELIGIBILITY_LABELS,
                "decision_labels": labels.DECISION_LABELS,
                "result_labels": decisions.RESULT_LABELS,
                "objections": await objections.department_objections(scenario_id),
            },
        )

    async def _act(self, request: Request, scenario_id: int, action, done: str) -> Template | Redirect:
        form = await read_form(request)
        try:
            await action(form)
        except ValidationFailed as exc:
            return await self._page(
                request, scenario_id, message=exc.message, errors=exc.errors, form=form, status_code=400
            )
        except Conflict as exc:
            return await self._page(request, scenario_id, message=exc.message, form=form, status_code=409)
        return see_other(
            request.app.route_reverse("staff:decision", scenario_id=scenario_id) + f"?done={done}"
        )

    @get("/decision", name="staff:decision")
    async def decision_page(self, request: Request, scenario_id: Id) -> Template:
        return await self._page(request, scenario_id)

    @post("/decision/shortlist", name="staff:decision:shortlist")
    async def shortlist(self, request: Request, scenario_id: Id) -> Template | Redirect:
        async def action(form):
            await decisions.shortlist_proposal(
                scenario_id, _proposal_id(form), actor_of(request), form.get("shortlist_reason", "")
            )

        return await self._act(request, scenario_id, action, "shortlisted")

    @post("/decision/unshortlist", name="staff:decision:unshortlist")
    async def unshortlist(self, request: Request, scenario_id: Id) -> Template | Redirect:
        async def action(form):
            await decisions.remove_from_shortlist(
                scenario_id, _proposal_id(form), actor_of(request), form.get("reason", "")
            )

        return await self._act(request, scenario_id, action, "unshortlisted")

    @post("/decision/pitch", name="staff:decision:pitch")
    async def pitch(self, request: Request, scenario_id: Id) -> Template | Redirect:
        async def action(form):
            raw = form.get("pitch_at", "").strip()
            try:
                when = parse_local_datetime(raw) if raw else None
            except ValueError:
                raise ValidationFailed("请检查路演邀请。", {"pitch_at": "路演时间格式不正确。"}) from None
            await decisions.invite_to_pitch(
                scenario_id,
                _proposal_id(form),
                actor_of(request),
                when=when,
                place=form.get("pitch_place", ""),
                note=form.get("pitch_note", ""),
            )

        return await self._act(request, scenario_id, action, "invited")

    @post("/decision/select", name="staff:decision:select")
    async def select(self, request: Request, scenario_id: Id) -> Template | Redirect:
        async def action(form):
            await decisions.select_partner(
                scenario_id,
                _proposal_id(form),
                actor_of(request),
                reason=form.get("reason", ""),
                others_reason=form.get("others_reason", ""),
                override_reason=form.get("override_reason", ""),
            )

        return await self._act(request, scenario_id, action, "selected")

    @post("/decision/unsuccessful", name="staff:decision:unsuccessful")
    async def unsuccessful(self, request: Request, scenario_id: Id) -> Template | Redirect:
        async def action(form):
            await decisions.declare_unsuccessful(
                scenario_id,
                actor_of(request),
                reason=form.get("unsuccessful_reason", ""),
                override_reason=form.get("unsuccessful_override_reason", ""),
            )

        return await self._act(request, scenario_id, action, "unsuccessful")

    @post("/decision/publish", name="staff:decision:publish")
    async def publish(self, request: Request, scenario_id: Id) -> Template | Redirect:
        async def action(form):
            if form.get("confirm") != "yes":
                raise ValidationFailed(
                    "请勾选确认后再公布结果。",
                    {"confirm": "公布后结果将对公众和所有申报企业公开，且不能撤回。请勾选确认。"},
                )
            await publication.publish_result(scenario_id, actor_of(request))

        return await self._act(request, scenario_id, action, "published")

    @post("/objections/{objection_id:int}/answer", name="staff:objections:answer")
    async def answer_objection(
        self, request: Request, scenario_id: Id, objection_id: Id
    ) -> Template | Redirect:
        async def action(form):
            await objections.answer_objection(objection_id, actor_of(request), form.get("answer", ""))

        return await self._act(request, scenario_id, action, "objection_answered")

    # --- exports and the report -----------------------------------------------------------

    @get("/evaluation/export.xlsx", name="staff:evaluation:export_xlsx")
    async def export_xlsx(self, request: Request, scenario_id: Id) -> Response:
        board = await decisions.read_board(actor_of(request), scenario_id)
        return Response(
            exports.to_xlsx(board),
            media_type=XLSX_TYPE,
            headers={
                "Content-Disposition": exports.attachment_header(
                    f"{board.scenario['title']}-评审结果.xlsx", f"evaluation-{scenario_id}.xlsx"
                ),
                "Cache-Control": "no-store",
            },
        )

    @get("/evaluation/ranking.csv", name="staff:evaluation:ranking_csv")
    async def export_ranking_csv(self, request: Request, scenario_id: Id) -> Response:
        board = await decisions.read_board(actor_of(request), scenario_id)
        return self._csv(
            exports.to_csv(*exports.ranking_table(board)),
            f"{board.scenario['title']}-排名.csv",
            f"ranking-{scenario_id}.csv",
        )

    @get("/evaluation/scores.csv", name="staff:evaluation:scores_csv")
    async def export_scores_csv(self, request: Request, scenario_id: Id) -> Response:
        board = await decisions.read_board(actor_of(request), scenario_id)
        return self._csv(
            exports.to_csv(*exports.scores_table(board)),
            f"{board.scenario['title']}-评分明细.csv",
            f"scores-{scenario_id}.csv",
        )

    @staticmethod
    def _csv(content: bytes, filename: str, fallback: str) -> Response:
        return Response(
            content,
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": exports.attachment_header(filename, fallback),
                "Cache-Control": "no-store",
            },
        )

    @get("/evaluation/report", name="staff:evaluation:report")
    async def report(self, request: Request, scenario_id: Id) -> Template:
        board = await decisions.read_board(actor_of(request), scenario_id)
        return Template(
            "evaluation/report_scenario.html",
            context={
                "board": board,
                "scenario": board.scenario,
                "eligibility_labels": labels.ELIGIBILITY_LABELS,
                "decision_labels": labels.DECISION_LABELS,
                "result_labels": decisions.RESULT_LABELS,
            },
        )
