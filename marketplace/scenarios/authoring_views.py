"""Staff pages for writing and publishing scenarios (HTML), under ``/staff/scenarios``.

Thin: read the form, call a ``publishing``/``questions`` service, redirect (303) on success or
re-render the same page with the messages beside the fields (400) and everything typed kept.
The form works without JavaScript (the "suggest" and "add rows" buttons re-render it); with
htmx loaded, capability suggestions follow the text as it is typed.
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import ValidationException
from litestar.params import PathParameter
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_400_BAD_REQUEST

from marketplace.core.errors import Conflict, DomainError, NotAllowed, ValidationFailed
from marketplace.scenarios import forms as sf
from marketplace.scenarios import publishing, questions
from marketplace.scenarios.status import DOMAINS
from marketplace.scenarios.suggest import suggest_capabilities
from marketplace.taxonomy.services import list_capability_tree
from marketplace.web.errors import path_id_out_of_range
from marketplace.web.forms import actor_of, read_form, see_other
from marketplace.web.guards import requires_staff
from marketplace.web.params import MAX_ID

Id = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
CAPABILITY_ROW_KEYS = ("capability", "capability_weight")
CRITERION_ROW_KEYS = ("criterion_name", "criterion_description", "criterion_weight")
DONE_MESSAGES = {
    "created": "草稿已创建。",
    "saved": "已保存。",
    "submitted": "已提交审核，首席数据官审核后即可发布。",
    "approved": "已批准，场景已公开征集。",
    "scheduled": "已批准，场景将在设定的时间自动公开。",
    "returned": "已退回作者修改，作者会看到您的意见。",
    "amended": "变更已发布，已提交方案的企业需要重新确认。",
    "extended": "截止时间已延后，延期原因已公开。",
    "cancelled": "场景已取消。",
    "answered": "答复已公开在场景页面，提问企业已收到通知。",
    "attached": "附件已上传。",
    "detached": "附件已删除。",
}


def _suggestion_text(form: dict) -> str:
    return "\n".join(
        form.get(k, "") for k in ("title", "summary", "description", "expected_outcome", "target_users")
    )


def _chosen_capabilities(form: dict) -> set[int]:
    return {
        int(form[f"capability_{i}"])
        for i in sf.rows_in(form, "capability")
        if (form.get(f"capability_{i}") or "").isdigit()
    }


def _add_capability(form: dict, capability_id: str) -> dict:
    """Put a suggested capability in the first free row (a new row if none is free)."""
    if not capability_id.isdigit() or int(capability_id) in _chosen_capabilities(form):
        return form
    rows = sf.rows_in(form, "capability")
    free = next((i for i in rows if not form.get(f"capability_{i}")), None)
    if free is None:
        free = (max(rows) + 1) if rows else 0
    if free < sf.MAX_CAPABILITY_ROWS:
        form[f"capability_{free}"] = capability_id
        form.setdefault(f"capability_weight_{free}", "")
    return form


def _sorted_rows(form: dict) -> dict:
    """Make sure the row groups exist (at least three rows each) so the template can loop."""
    if len(sf.rows_in(form, "capability")) < 3:
        sf.add_rows(
            form, CAPABILITY_ROW_KEYS, 3 - len(sf.rows_in(form, "capability")), sf.MAX_CAPABILITY_ROWS
        )
    if len(sf.rows_in(form, "criterion_name")) < 3:
        sf.add_rows(
            form, CRITERION_ROW_KEYS, 3 - len(sf.rows_in(form, "criterion_name")), sf.MAX_CRITERION_ROWS
        )
    return form


async def _read_upload(request: Request) -> tuple[dict[str, str], UploadFile | None]:
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    upload = next(
        (v for k, v in form.multi_items() if k == "attachment" and isinstance(v, UploadFile) and v.filename),
        None,
    )
    return values, upload


async def _upload_bytes(upload: UploadFile) -> bytes:
    return await upload.read(publishing.MAX_ATTACHMENT_BYTES + 1)


class ScenarioAuthoringController(Controller):
    path = "/staff/scenarios"
    guards = [requires_staff]
    include_in_schema = False
    exception_handlers = {ValidationException: path_id_out_of_range}

    # --- the form ----------------------------------------------------------------------------

    async def _form_page(
        self,
        request: Request,
        *,
        mode: str,
        form: dict,
        errors: dict | None = None,
        message: str = "",
        scenario: dict | None = None,
        suggestions=None,
        status_code: int = 200,
    ) -> Template:
        form = _sorted_rows(form)
        checks = sf.writing_checks(sf.lenient_input(form))
        if suggestions is None and mode != "amend":
            suggestions = await suggest_capabilities(_suggestion_text(form), _chosen_capabilities(form))
        return Template(
            "staff/scenario_form.html",
            status_code=status_code,
            context={
                "mode": mode,
                "form": form,
                "errors": errors or {},
                "message": message,
                "scenario": scenario,
                "capability_tree": await list_capability_tree(),
                "domains": DOMAINS,
                "capability_rows": sf.rows_in(form, "capability"),
                "criterion_rows": sf.rows_in(form, "criterion_name"),
                "checks": checks,
                "suggestions": suggestions or [],
                "labels": sf.FIELD_LABELS,
                "max_attachment_mb": publishing.MAX_ATTACHMENT_BYTES // (1024 * 1024),
            },
        )

    async def _helper_action(
        self, request: Request, form: dict, mode: str, scenario: dict | None
    ) -> Template | None:
        """The buttons that only change the form (no save): more rows, suggestions."""
        if form.get("add_capability"):
            _add_capability(form, form.pop("add_capability"))
            return await self._form_page(request, mode=mode, form=form, scenario=scenario)
        action = form.get("action", "save")
        if action == "add_capability_rows":
            sf.add_rows(form, CAPABILITY_ROW_KEYS, 2, sf.MAX_CAPABILITY_ROWS)
        elif action == "add_criterion_rows":
            sf.add_rows(form, CRITERION_ROW_KEYS, 2, sf.MAX_CRITERION_ROWS)
        elif action != "suggest":
            return None
        suggestions = await suggest_capabilities(_suggestion_text(form), _chosen_capabilities(form))
        return await self._form_page(
            request, mode=mode, form=form, scenario=scenario, suggestions=suggestions
        )

    @get("/new", name="staff:scenarios:new")
    async def new_form(self, request: Request) -> Template:
        return await self._form_page(request, mode="new", form=sf.new_scenario_form())

    @post("/new", name="staff:scenarios:create")
    async def create(self, request: Request) -> Template | Redirect:
        form = await read_form(request)
        helper = await self._helper_action(request, form, "new", None)
        if helper is not None:
            return helper
        try:
            data = sf.parse_scenario_form(form)
            scenario_id = await publishing.create_scenario_draft(actor_of(request), data)
        except ValidationFailed as exc:
            return await self._form_page(
                request,
                mode="new",
                form=form,
                errors=exc.errors,
                message=exc.message,
                status_code=HTTP_400_BAD_REQUEST,
            )
        return see_other(
            request.app.route_reverse("staff:scenarios:detail", scenario_id=scenario_id) + "?done=created"
        )

    @post("/suggest", name="staff:scenarios:suggest")
    async def suggest(self, request: Request) -> Template:
        """The htmx partial: suggestions for the text typed so far."""
        form = await read_form(request)
        suggestions = await suggest_capabilities(_suggestion_text(form), _chosen_capabilities(form))
        return Template("staff/_capability_suggestions.html", context={"suggestions": suggestions})

    @get("/{scenario_id:int}/edit", name="staff:scenarios:edit")
    async def edit_form(self, request: Request, scenario_id: Id) -> Template | Redirect:
        scenario = await publishing.get_staff_scenario(scenario_id, actor_of(request))
        if scenario["status"] not in publishing.EDITABLE_STATUSES:
            return see_other(request.app.route_reverse("staff:scenarios:detail", scenario_id=scenario_id))
        data = await publishing.load_scenario_input(scenario_id)
        return await self._form_page(request, mode="edit", form=sf.form_values(data), scenario=scenario)

    @post("/{scenario_id:int}/edit", name="staff:scenarios:update")
    async def update(self, request: Request, scenario_id: Id) -> Template | Redirect:
        scenario = await publishing.get_staff_scenario(scenario_id, actor_of(request))
        form = await read_form(request)
        helper = await self._helper_action(request, form, "edit", scenario)
        if helper is not None:
            return helper
        try:
            data = sf.parse_scenario_form(form)
            await publishing.update_scenario_draft(scenario_id, actor_of(request), data)
        except ValidationFailed as exc:
            return await self._form_page(
                request,
                mode="edit",
                form=form,
                errors=exc.errors,
                message=exc.message,
                scenario=scenario,
                status_code=HTTP_400_BAD_REQUEST,
            )
        if form.get("action") == "save_and_submit":
            try:
                await publishing.submit_for_review(scenario_id, actor_of(request))
            except ValidationFailed as exc:
                return await self._manage_page(
                    request,
                    scenario_id,
                    message=exc.message,
                    missing=exc.errors,
                    status_code=HTTP_400_BAD_REQUEST,
                )
            return see_other(
                request.app.route_reverse("staff:scenarios:detail", scenario_id=scenario_id)
                + "?done=submitted"
            )
        return see_other(
            request.app.route_reverse("staff:scenarios:detail", scenario_id=scenario_id) + "?done=saved"
        )

    # --- amendments ----------------------------------------------------------------------------

    @get("/{scenario_id:int}/amend", name="staff:scenarios:amend")
    async def amend_form(self, request: Request, scenario_id: Id) -> Template | Redirect:
        scenario = await publishing.get_staff_scenario(scenario_id, actor_of(request))
        if scenario["status"] != "open":
            return see_other(request.app.route_reverse("staff:scenarios:detail", scenario_id=scenario_id))
        data = await publishing.load_scenario_input(scenario_id)
        return await self._form_page(request, mode="amend", form=sf.form_values(data), scenario=scenario)

    @post("/{scenario_id:int}/amend", name="staff:scenarios:amend:save")
    async def amend(self, request: Request, scenario_id: Id) -> Template | Redirect:
        actor = actor_of(request)
        scenario = await publishing.get_staff_scenario(scenario_id, actor)
        form, upload = await _read_upload(request)
        helper = await self._helper_action(request, form, "amend", scenario)
        if helper is not None:
            return helper
        current = await publishing.load_scenario_input(scenario_id)
        # Fields the amendment form does not offer keep their current values.
        form["proposal_deadline"] = sf.local_datetime_value(current.proposal_deadline)
        form["domain"] = current.domain
        form["sealed"] = "on" if current.sealed else ""
        attachment = None
        if upload is not None:
            attachment = (upload.filename, await _upload_bytes(upload))
        try:
            data = sf.parse_scenario_form(form, check_future=False)
            # The form shows minutes: an untouched deadline keeps its exact stored value.
            unchanged_question = form.get("question_deadline") == sf.local_datetime_value(
                current.question_deadline
            )
            data = data.with_changes(
                proposal_deadline=current.proposal_deadline,
                domain=current.domain,
                sealed=current.sealed,
                question_deadline=current.question_deadline if unchanged_question else data.question_deadline,
            )
            await publishing.amend_scenario(
                scenario_id, actor, data, form.get("reason", ""), attachment=attachment
            )
        except ValidationFailed as exc:
            errors = dict(exc.errors)
            if attachment is not None:
                problem = publishing.check_pdf(*attachment)
                if problem:
                    errors["attachment"] = problem
                else:
                    errors.setdefault("attachment", "附件未保存：请修改其他内容后重新选择文件。")
            return await self._form_page(
                request,
                mode="amend",
                form=form,
                errors=errors,
                message=exc.message,
                scenario=scenario,
                status_code=HTTP_400_BAD_REQUEST,
            )
        return see_other(
            request.app.route_reverse("staff:scenarios:detail", scenario_id=scenario_id) + "?done=amended"
        )

    # --- the scenario's page and its actions -------------------------------------------------

    async def _manage_page(
        self,
        request: Request,
        scenario_id: int,
        *,
        message: str = "",
        errors: dict | None = None,
        form: dict | None = None,
        missing: dict | None = None,
        status_code: int = 200,
    ) -> Template:
        actor = actor_of(request)
        scenario = await publishing.get_staff_scenario(scenario_id, actor)
        data = await publishing.load_scenario_input(scenario_id)
        tree = await list_capability_tree()
        names = {c["id"]: c["name"] for g in tree for c in [g, *g["children"]]}
        done = request.query_params.get("done")
        return Template(
            "staff/scenario.html",
            status_code=status_code,
            context={
                "scenario": scenario,
                "data": data,
                "capability_names": names,
                "checks": sf.writing_checks(data),
                "attachments": await publishing.list_attachments(scenario_id),
                "questions": await questions.list_questions_for_staff(scenario_id),
                "change_log": await publishing.list_change_log(scenario_id),
                "message": "" if missing else message,
                "errors": errors or {},
                "form": form or {},
                "missing": missing or {},
                "missing_message": message if missing else "",
                "done": DONE_MESSAGES.get(done or "") if not (errors or message or missing) else None,
                "max_attachment_mb": publishing.MAX_ATTACHMENT_BYTES // (1024 * 1024),
                "local_value": sf.local_datetime_value,
            },
        )

    @get("/{scenario_id:int}", name="staff:scenarios:detail")
    async def manage(self, request: Request, scenario_id: Id) -> Template:
        return await self._manage_page(request, scenario_id)

    async def _act(self, request: Request, scenario_id: int, done: str, call) -> Template | Redirect:
        form = await read_form(request)
        try:
            await call(form)
        except (ValidationFailed, Conflict, NotAllowed) as exc:
            return await self._manage_page(
                request,
                scenario_id,
                message=exc.message,
                errors=getattr(exc, "errors", {}),
                form=form,
                status_code=exc.status_code,
            )
        return see_other(
            request.app.route_reverse("staff:scenarios:detail", scenario_id=scenario_id) + f"?done={done}"
        )

    @post("/{scenario_id:int}/submit", name="staff:scenarios:submit")
    async def submit(self, request: Request, scenario_id: Id) -> Template | Redirect:
        try:
            await publishing.submit_for_review(scenario_id, actor_of(request))
        except ValidationFailed as exc:  # what is missing lives on the edit form: link there
            return await self._manage_page(
                request,
                scenario_id,
                missing=exc.errors,
                message=exc.message,
                status_code=HTTP_400_BAD_REQUEST,
            )
        except (Conflict, NotAllowed) as exc:
            return await self._manage_page(
                request, scenario_id, message=exc.message, status_code=exc.status_code
            )
        return see_other(
            request.app.route_reverse("staff:scenarios:detail", scenario_id=scenario_id) + "?done=submitted"
        )

    @post("/{scenario_id:int}/approve", name="staff:scenarios:approve")
    async def approve(self, request: Request, scenario_id: Id) -> Template | Redirect:
        form = await read_form(request)
        opens_at = None
        if form.get("when") == "scheduled":
            try:
                opens_at = sf.parse_local_datetime(form.get("opens_at", ""))
            except ValueError:
                return await self._manage_page(
                    request,
                    scenario_id,
                    message="请选择定时发布的日期和时间。",
                    errors={"opens_at": "请选择定时发布的日期和时间。"},
                    form=form,
                    status_code=HTTP_400_BAD_REQUEST,
                )
        try:
            status = await publishing.approve_scenario_for_publication(
                scenario_id, actor_of(request), opens_at
            )
        except (ValidationFailed, Conflict, NotAllowed) as exc:
            return await self._manage_page(
                request,
                scenario_id,
                message=exc.message,
                errors=getattr(exc, "errors", {}),
                form=form,
                status_code=exc.status_code,
            )
        return see_other(
            request.app.route_reverse("staff:scenarios:detail", scenario_id=scenario_id)
            + f"?done={'approved' if status == 'open' else 'scheduled'}"
        )

    @post("/{scenario_id:int}/request-changes", name="staff:scenarios:request_changes")
    async def send_back(self, request: Request, scenario_id: Id) -> Template | Redirect:
        return await self._act(
            request,
            scenario_id,
            "returned",
            lambda form: publishing.request_changes(scenario_id, actor_of(request), form.get("comment", "")),
        )

    @post("/{scenario_id:int}/extend", name="staff:scenarios:extend")
    async def extend(self, request: Request, scenario_id: Id) -> Template | Redirect:
        async def call(form):
            errors = {}
            new_deadline = new_question = None
            try:
                new_deadline = sf.parse_local_datetime(form.get("new_proposal_deadline", ""))
            except ValueError:
                errors["new_proposal_deadline"] = "请选择新的方案截止时间。"
            if form.get("new_question_deadline"):
                try:
                    new_question = sf.parse_local_datetime(form["new_question_deadline"])
                except ValueError:
                    errors["new_question_deadline"] = "答疑截止时间格式无效。"
            if errors:
                if not (form.get("reason") or "").strip():
                    errors["extend_reason"] = "请说明延期原因，它会公开在变更记录中。"
                raise ValidationFailed("请修改标出的内容后再提交。", errors)
            assert new_deadline is not None  # parsed, or an error above
            try:
                await publishing.extend_scenario_deadline(
                    scenario_id, actor_of(request), new_deadline, form.get("reason", ""), new_question
                )
            except ValidationFailed as exc:
                renamed = {
                    {
                        "proposal_deadline": "new_proposal_deadline",
                        "question_deadline": "new_question_deadline",
                        "reason": "extend_reason",
                    }.get(k, k): v
                    for k, v in exc.errors.items()
                }
                raise ValidationFailed(exc.message, renamed) from None

        return await self._act(request, scenario_id, "extended", call)

    @post("/{scenario_id:int}/cancel", name="staff:scenarios:cancel")
    async def cancel(self, request: Request, scenario_id: Id) -> Template | Redirect:
        async def call(form):
            try:
                await publishing.cancel_scenario(scenario_id, actor_of(request), form.get("reason", ""))
            except ValidationFailed as exc:
                raise ValidationFailed(
                    "请填写取消原因。", {"cancel_reason": "请填写取消原因，它会公开显示。"}
                ) from exc

        return await self._act(request, scenario_id, "cancelled", call)

    @post("/{scenario_id:int}/questions/{question_id:int}/answer", name="staff:scenarios:questions:answer")
    async def answer(self, request: Request, scenario_id: Id, question_id: Id) -> Template | Redirect:
        return await self._act(
            request,
            scenario_id,
            "answered",
            lambda form: questions.answer_question(
                question_id, actor_of(request), form.get(f"answer_{question_id}", "")
            ),
        )

    @post("/{scenario_id:int}/attachments", name="staff:scenarios:attachments:add")
    async def attach(self, request: Request, scenario_id: Id) -> Template | Redirect:
        _form, upload = await _read_upload(request)
        if upload is None:
            return await self._manage_page(
                request,
                scenario_id,
                message="请选择要上传的 PDF 文件。",
                errors={"attachment": "请选择要上传的 PDF 文件。"},
                status_code=HTTP_400_BAD_REQUEST,
            )
        try:
            await publishing.add_attachment(
                scenario_id, actor_of(request), upload.filename, await _upload_bytes(upload)
            )
        except (ValidationFailed, Conflict) as exc:
            return await self._manage_page(
                request,
                scenario_id,
                message=exc.message,
                errors=getattr(exc, "errors", {}) or {"attachment": exc.message},
                status_code=exc.status_code,
            )
        return see_other(
            request.app.route_reverse("staff:scenarios:detail", scenario_id=scenario_id)
            + "?done=attached#attachments"
        )

    @post(
        "/{scenario_id:int}/attachments/{attachment_id:int}/delete", name="staff:scenarios:attachments:delete"
    )
    async def detach(self, request: Request, scenario_id: Id, attachment_id: Id) -> Template | Redirect:
        return await self._act(
            request,
            scenario_id,
            "detached",
            lambda form: publishing.remove_attachment(scenario_id, attachment_id, actor_of(request)),
        )


__all__ = ["DomainError", "ScenarioAuthoringController"]
