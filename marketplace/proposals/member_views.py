"""Member pages of proposals: start a proposal on an open scenario, the form (autosaved by
static/js/proposal-form.js), submit with what is missing shown beside each field, the receipt,
version history, withdrawal, the consortium panel (invite, change, remove), attachments, the
invitation page for invited companies, the list of the company's proposals and the member-home
panel (loaded by htmx). Thin: parse, call ``services``/``consortium``/``attachments``, render."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import ValidationException
from litestar.params import PathParameter
from litestar.response import File, Redirect, Template

from marketplace.core import clock
from marketplace.core.errors import Conflict, NotFound, ValidationFailed
from marketplace.core.money import format_wan
from marketplace.proposals import attachments as pa
from marketplace.proposals import consortium as pc
from marketplace.proposals import forms as pf
from marketplace.proposals import services as ps
from marketplace.web.forms import actor_of, read_form, see_other
from marketplace.web.guards import requires_approved_member, requires_member
from marketplace.web.params import MAX_ID

Id = Annotated[int, PathParameter(ge=1, le=MAX_ID)]


def _not_found(request: Request, exc: ValidationException) -> Response:
    from marketplace.web.errors import not_found_page

    return not_found_page()


def _int(value: str) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and int(value) <= MAX_ID else None


async def company_proposal_lists(company_id: int) -> dict:
    """The company's drafts and proposals, and the invitations waiting for its answer."""
    return {
        "proposals": await ps.list_company_proposals(company_id),
        "invitations": await pc.list_invitations(company_id),
    }


class MemberProposalController(Controller):
    path = "/member"
    guards = [requires_member]
    include_in_schema = False
    exception_handlers = {ValidationException: _not_found}

    # --- lists -------------------------------------------------------------------------------

    @get("/proposals", name="member:proposals")
    async def index(self, request: Request) -> Template:
        return Template("proposals/list.html", context=await company_proposal_lists(request.user.company_id))

    # --- start -------------------------------------------------------------------------------

    @post(
        "/scenarios/{scenario_id:int}/proposals",
        name="member:proposals:start",
        guards=[requires_approved_member],
    )
    async def start(self, request: Request, scenario_id: Id) -> Redirect:
        existing = await ps.find_company_proposal(scenario_id, request.user.company_id)
        if existing:
            return see_other(request.app.route_reverse("member:proposals:detail", proposal_id=existing))
        pid = await ps.create_draft(scenario_id, actor_of(request))
        return see_other(request.app.route_reverse("member:proposals:edit", proposal_id=pid))

    # --- the proposal ------------------------------------------------------------------------

    @get("/proposals/{proposal_id:int}", name="member:proposals:detail")
    async def detail(self, request: Request, proposal_id: Id) -> Template:
        return await self._detail_page(request, proposal_id)

    async def _detail_page(
        self,
        request: Request,
        proposal_id: int,
        *,
        status_code: int = 200,
        errors: dict | None = None,
        message: str = "",
        invite_form: dict | None = None,
    ) -> Template:
        proposal = await ps.get_member_proposal(proposal_id, request.user)
        query = (request.query_params.get("q") or "").strip()[:60]
        found = (
            await pc.search_invitable_companies(proposal_id, query) if (query and proposal.editable) else []
        )
        return Template(
            "proposals/detail.html",
            status_code=status_code,
            context={
                "p": proposal,
                "q": query,
                "found": found,
                "errors": errors or {},
                "message": message,
                "invite_form": invite_form or {},
                "notice": request.query_params.get("done", ""),
                "max_attachment_mb": pa.MAX_BYTES // (1024 * 1024),
            },
        )

    @get("/proposals/{proposal_id:int}/edit", name="member:proposals:edit")
    async def edit(self, request: Request, proposal_id: Id) -> Template | Redirect:
        proposal = await ps.get_member_proposal(proposal_id, request.user)
        if not proposal.editable:
            return see_other(request.app.route_reverse("member:proposals:detail", proposal_id=proposal_id))
        return self._form_page(proposal, pf.form_from_proposal(proposal))

    def _form_page(
        self,
        proposal: ps.MemberProposal,
        form: dict,
        *,
        errors: dict | None = None,
        message: str = "",
        status_code: int = 200,
        extra_rows: int = 0,
    ) -> Template:
        return Template(
            "proposals/form.html",
            status_code=status_code,
            context={
                "p": proposal,
                "form": form,
                "errors": errors or {},
                "message": message,
                "rows": pf.milestone_rows(form, extra_rows),
                "labels": ps.FIELD_LABELS,
            },
        )

    @post(
        "/proposals/{proposal_id:int}/edit", name="member:proposals:save", guards=[requires_approved_member]
    )
    async def save(self, request: Request, proposal_id: Id) -> Template | Redirect:
        form = await read_form(request)
        proposal = await ps.get_member_proposal(proposal_id, request.user)
        changes = pf.changes_from_form(form, [c.capability for c in proposal.capabilities])
        actor = actor_of(request)
        try:
            await ps.save_proposal(proposal_id, actor, changes)
            if form.get("action") == "submit":
                receipt = await ps.submit_proposal(proposal_id, actor)
                warn = "&warn=budget" if receipt.warnings else ""
                return see_other(
                    request.app.route_reverse("member:proposals:receipt", proposal_id=proposal_id)
                    + f"?v={receipt.version}{warn}"
                )
        except ValidationFailed as exc:
            proposal = await ps.get_member_proposal(proposal_id, request.user)
            return self._form_page(proposal, form, errors=exc.errors, message=exc.message, status_code=400)
        if form.get("action") == "add_milestone":
            return self._form_page(
                await ps.get_member_proposal(proposal_id, request.user), form, extra_rows=1
            )
        return see_other(
            request.app.route_reverse("member:proposals:edit", proposal_id=proposal_id) + "?saved=1"
        )

    @post(
        "/proposals/{proposal_id:int}/autosave",
        name="member:proposals:autosave",
        guards=[requires_approved_member],
        status_code=200,
    )
    async def autosave(self, request: Request, proposal_id: Id) -> Response:
        """Called by static/js/proposal-form.js every few seconds and on change: saves every valid
        field of the form and answers JSON ``{"saved_at": "HH:MM"}``, plus ``detail`` and
        ``errors`` (field -> Chinese message) for the fields it could not save; 409 ``{"detail"}``
        once the proposal is locked."""
        form = await read_form(request)
        proposal = await ps.get_member_proposal(proposal_id, request.user)
        changes = pf.changes_from_form(form, [c.capability for c in proposal.capabilities])
        try:
            saved = await ps.save_valid_fields(proposal_id, actor_of(request), changes)
        except Conflict as exc:
            return Response({"detail": exc.message}, status_code=409)
        answer: dict = {"saved_at": clock.to_park_time(saved.saved_at).strftime("%H:%M")}
        if saved.errors:
            answer.update(detail=saved.summary, errors=saved.errors)
        return Response(answer)

    @post(
        "/proposals/{proposal_id:int}/submit",
        name="member:proposals:submit",
        guards=[requires_approved_member],
    )
    async def submit(self, request: Request, proposal_id: Id) -> Template | Redirect:
        try:
            receipt = await ps.submit_proposal(proposal_id, actor_of(request))
        except ValidationFailed as exc:
            proposal = await ps.get_member_proposal(proposal_id, request.user)
            return self._form_page(
                proposal,
                pf.form_from_proposal(proposal),
                errors=exc.errors,
                message=exc.message,
                status_code=400,
            )
        if receipt.unchanged:
            return see_other(
                request.app.route_reverse("member:proposals:detail", proposal_id=proposal_id)
                + "?done=unchanged"
            )
        warn = "&warn=budget" if receipt.warnings else ""
        return see_other(
            request.app.route_reverse("member:proposals:receipt", proposal_id=proposal_id)
            + f"?v={receipt.version}{warn}"
        )

    @get(
        "/proposals/{proposal_id:int}/withdraw",
        name="member:proposals:withdraw:confirm",
        guards=[requires_approved_member],
    )
    async def confirm_withdraw(self, request: Request, proposal_id: Id) -> Template | Redirect:
        """The confirmation step before a withdrawal: what it means, an optional reason."""
        proposal = await ps.get_member_proposal(proposal_id, request.user)
        if not (proposal.editable and proposal.status == "submitted"):
            return see_other(request.app.route_reverse("member:proposals:detail", proposal_id=proposal_id))
        return Template("proposals/withdraw.html", context={"p": proposal})

    @post(
        "/proposals/{proposal_id:int}/withdraw",
        name="member:proposals:withdraw",
        guards=[requires_approved_member],
    )
    async def withdraw(self, request: Request, proposal_id: Id) -> Template | Redirect:
        form = await read_form(request)
        if form.get("confirm") != "yes":  # only the confirmation page sends it
            proposal = await ps.get_member_proposal(proposal_id, request.user)
            return Template(
                "proposals/withdraw.html",
                context={"p": proposal, "message": "请确认撤回方案。", "reason": form.get("reason", "")},
                status_code=400,
            )
        await ps.withdraw_proposal(proposal_id, actor_of(request), form.get("reason", ""))
        return see_other(
            request.app.route_reverse("member:proposals:detail", proposal_id=proposal_id) + "?done=withdrawn"
        )

    @get("/proposals/{proposal_id:int}/receipt", name="member:proposals:receipt")
    async def receipt(self, request: Request, proposal_id: Id) -> Template:
        proposal = await ps.get_member_proposal(proposal_id, request.user)
        if not proposal.versions:
            raise NotFound("方案尚未提交，还没有回执。")
        wanted = _int(request.query_params.get("v", ""))
        version = next((v for v in proposal.versions if v["version"] == wanted), proposal.versions[0])
        warning = ""
        budget = proposal.scenario_row.budget_max
        if request.query_params.get("warn") and budget is not None and (proposal.cost_estimate or 0) > budget:
            warning = f"费用估算高于场景预算上限（{format_wan(budget)}），评审时可能因此扣分。"
        return Template("proposals/receipt.html", context={"p": proposal, "v": version, "warning": warning})

    @get("/proposals/{proposal_id:int}/versions/{number:int}", name="member:proposals:version")
    async def version(self, request: Request, proposal_id: Id, number: Id) -> Template:
        proposal = await ps.get_member_proposal(proposal_id, request.user)
        row = await ps.get_version(proposal_id, number, request.user)
        return Template(
            "proposals/version.html", context={"p": proposal, "v": row, "labels": ps.FIELD_LABELS}
        )

    # --- consortium --------------------------------------------------------------------------

    @post(
        "/proposals/{proposal_id:int}/members",
        name="member:proposals:members:invite",
        guards=[requires_approved_member],
    )
    async def invite(self, request: Request, proposal_id: Id) -> Template | Redirect:
        form = await read_form(request)
        company = _int(form.get("company_id", ""))
        try:
            if company is None:
                raise ValidationFailed(
                    "请选择要邀请的企业。", {"company": "请先搜索并选择一家已批准的会员企业。"}
                )
            await pc.invite_member(
                proposal_id, actor_of(request), company, form.get("role", ""), form.get("work_share", "")
            )
        except ValidationFailed as exc:
            return await self._detail_page(
                request,
                proposal_id,
                status_code=400,
                errors=exc.errors,
                message=exc.message,
                invite_form=form,
            )
        return see_other(
            request.app.route_reverse("member:proposals:detail", proposal_id=proposal_id)
            + "?done=invited#consortium"
        )

    @post(
        "/proposals/{proposal_id:int}/members/{company_id:int}",
        name="member:proposals:members:change",
        guards=[requires_approved_member],
    )
    async def change_member(self, request: Request, proposal_id: Id, company_id: Id) -> Template | Redirect:
        form = await read_form(request)
        try:
            if form.get("action") == "remove":
                await pc.remove_member(proposal_id, actor_of(request), company_id)
            else:
                await pc.update_member(
                    proposal_id,
                    actor_of(request),
                    company_id,
                    form.get("role", ""),
                    form.get("work_share", ""),
                )
        except ValidationFailed as exc:
            errors = {f"{k}_{company_id}": v for k, v in exc.errors.items()}
            return await self._detail_page(
                request, proposal_id, status_code=400, errors=errors, message=exc.message
            )
        return see_other(
            request.app.route_reverse("member:proposals:detail", proposal_id=proposal_id)
            + "?done=members#consortium"
        )

    @get("/invitations/{proposal_id:int}", name="member:invitations:detail")
    async def invitation(self, request: Request, proposal_id: Id) -> Template:
        proposal = await ps.get_member_proposal(proposal_id, request.user)
        mine = next((m for m in proposal.members if m["company_id"] == request.user.company_id), None)
        if mine is None or mine["is_lead"]:
            raise NotFound("邀请不存在。")
        return Template("proposals/invitation.html", context={"p": proposal, "mine": mine})

    @post(
        "/invitations/{proposal_id:int}", name="member:invitations:answer", guards=[requires_approved_member]
    )
    async def answer(self, request: Request, proposal_id: Id) -> Redirect:
        form = await read_form(request)
        accept = form.get("decision") == "accept"
        await pc.answer_invitation(proposal_id, actor_of(request), accept, form.get("reason", ""))
        if accept:
            return see_other(
                request.app.route_reverse("member:proposals:detail", proposal_id=proposal_id)
                + "?done=accepted"
            )
        return see_other(request.app.route_reverse("member:proposals") + "?done=declined")

    # --- attachments -------------------------------------------------------------------------

    @post(
        "/proposals/{proposal_id:int}/attachments",
        name="member:proposals:attachments:upload",
        guards=[requires_approved_member],
    )
    async def upload(self, request: Request, proposal_id: Id) -> Template | Redirect:
        form = await request.form()
        upload = next(
            (
                v
                for k, v in form.multi_items()
                if k == "attachment" and isinstance(v, UploadFile) and v.filename
            ),
            None,
        )
        try:
            if upload is None:
                raise ValidationFailed(
                    "请选择要上传的文件。", {"attachment": "请选择要上传的文件（PDF、PNG 或 JPEG）。"}
                )
            content = await upload.read(pa.MAX_BYTES + 1)
            await pa.add_attachment(proposal_id, actor_of(request), upload.filename, content)
        except ValidationFailed as exc:
            return await self._detail_page(
                request, proposal_id, status_code=400, errors=exc.errors, message=exc.message
            )
        return see_other(
            request.app.route_reverse("member:proposals:detail", proposal_id=proposal_id)
            + "?done=uploaded#attachments"
        )

    @post(
        "/proposals/{proposal_id:int}/attachments/{attachment_id:int}/remove",
        name="member:proposals:attachments:remove",
        guards=[requires_approved_member],
    )
    async def remove_attachment(self, request: Request, proposal_id: Id, attachment_id: Id) -> Redirect:
        await pa.remove_attachment(proposal_id, attachment_id, actor_of(request))
        return see_other(
            request.app.route_reverse("member:proposals:detail", proposal_id=proposal_id)
            + "?done=removed#attachments"
        )

    @get(
        "/proposals/{proposal_id:int}/attachments/{attachment_id:int}",
        name="member:proposals:attachments:download",
    )
    async def download(self, request: Request, proposal_id: Id, attachment_id: Id) -> File:
        path, filename, kind = await pa.open_attachment(proposal_id, attachment_id, request.user)
        return File(
            path=path,
            filename=filename,
            media_type=kind,
            content_disposition_type="attachment",
            headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"},
        )
