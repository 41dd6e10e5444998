"""The company profile in the member area, under ``/member/profile``.

Every member of the company reads it; only the company's managers change it (the POST routes).
Thin: read the form, call a ``profile`` service with the signed-in user's company, redirect
(303) on success or re-render with the messages beside the fields (400), keeping what was typed.
Another company's item ids are not found (404): every lookup is by (company, id).
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.exceptions import ValidationException
from litestar.params import PathParameter
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_400_BAD_REQUEST

from marketplace.companies import profile
from marketplace.core.errors import ValidationFailed
from marketplace.taxonomy.services import list_capability_tree
from marketplace.web.errors import path_id_out_of_range
from marketplace.web.forms import actor_of, read_form, see_other
from marketplace.web.guards import requires_company_manager, requires_member
from marketplace.web.params import MAX_ID

Id = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
Kind = Annotated[str, PathParameter(max_length=20)]
DONE_MESSAGES = {
    "saved": "企业资料已保存。",
    "capability-added": "能力已添加。",
    "capability-saved": "能力说明已保存。",
    "capability-removed": "能力已移除。",
    "item-saved": "已保存。",
    "item-deleted": "已删除。",
}


def _form_values(fields, row: dict) -> dict:
    """A stored row as the strings (and ticked checkboxes) a form shows."""
    values = {}
    for f in fields:
        value = row.get(f.name)
        if f.kind == "bool":
            values[f.name] = "on" if value else ""
        else:
            values[f.name] = "" if value is None else str(value)
    return values


class MemberProfileController(Controller):
    path = "/member/profile"
    guards = [requires_member]
    include_in_schema = False
    exception_handlers = {ValidationException: path_id_out_of_range}

    async def _page(
        self,
        request: Request,
        *,
        section: str = "",
        form: dict | None = None,
        errors: dict | None = None,
        message: str = "",
        status_code: int = 200,
    ) -> Template:
        data = await profile.get_profile(request.user.company_id)
        company = data["company"]
        profile_form = (
            form
            if section == "profile" and form is not None
            else _form_values(profile.PROFILE_FIELDS, company)
        )
        return Template(
            "member/profile.html",
            status_code=status_code,
            context={
                **data,
                "profile_form": profile_form,
                "fields": profile.PROFILE_FIELDS,
                "kinds": profile.ITEM_KINDS,
                "capability_tree": await list_capability_tree(),
                "declared": {c["capability"] for c in data["capabilities"]},
                "section": section,
                "form": form or {},
                "errors": errors or {},
                "message": message,
                "can_edit": request.user.is_company_manager,
                "done": DONE_MESSAGES.get(request.query_params.get("done", "")),
            },
        )

    @get("/", name="member:profile")
    async def show(self, request: Request) -> Template:
        return await self._page(request)

    @post("/", name="member:profile:save", guards=[requires_company_manager])
    async def save(self, request: Request) -> Template | Redirect:
        form = await read_form(request)
        try:
            await profile.update_profile(request.user.company_id, actor_of(request), form)
        except ValidationFailed as exc:
            return await self._page(
                request,
                section="profile",
                form=form,
                errors=exc.errors,
                message=exc.message,
                status_code=HTTP_400_BAD_REQUEST,
            )
        return see_other(request.app.route_reverse("member:profile") + "?done=saved")

    # --- capabilities ---------------------------------------------------------------------

    @post("/capabilities", name="member:profile:capabilities:add", guards=[requires_company_manager])
    async def add_capability(self, request: Request) -> Template | Redirect:
        form = await read_form(request)
        try:
            await profile.add_capability(
                request.user.company_id, actor_of(request), form.get("capability"), form.get("note", "")
            )
        except ValidationFailed as exc:
            return await self._page(
                request,
                section="capability-add",
                form=form,
                errors=exc.errors,
                message=exc.message,
                status_code=HTTP_400_BAD_REQUEST,
            )
        return see_other(request.app.route_reverse("member:profile") + "?done=capability-added#capabilities")

    @post(
        "/capabilities/{capability_id:int}/note",
        name="member:profile:capabilities:note",
        guards=[requires_company_manager],
    )
    async def save_note(self, request: Request, capability_id: Id) -> Template | Redirect:
        form = await read_form(request)
        try:
            await profile.update_capability_note(
                request.user.company_id, actor_of(request), capability_id, form.get("note", "")
            )
        except ValidationFailed as exc:
            return await self._page(
                request,
                section=f"capability-{capability_id}",
                form=form,
                errors=exc.errors,
                message=exc.message,
                status_code=HTTP_400_BAD_REQUEST,
            )
        return see_other(request.app.route_reverse("member:profile") + "?done=capability-saved#capabilities")

    @post(
        "/capabilities/{capability_id:int}/remove",
        name="member:profile:capabilities:remove",
        guards=[requires_company_manager],
    )
    async def remove_capability(self, request: Request, capability_id: Id) -> Redirect:
        await profile.remove_capability(request.user.company_id, actor_of(request), capability_id)
        return see_other(
            request.app.route_reverse("member:profile") + "?done=capability-removed#capabilities"
        )

    # --- past projects, certificates, case studies ----------------------------------------

    async def _item_page(
        self,
        request: Request,
        kind: profile.ItemKind,
        form: dict,
        *,
        item_id: int | None = None,
        errors: dict | None = None,
        message: str = "",
        status_code: int = 200,
    ) -> Template:
        data = await profile.get_profile(request.user.company_id)
        return Template(
            "member/profile_item.html",
            status_code=status_code,
            context={
                "kind": kind,
                "form": form,
                "item_id": item_id,
                "errors": errors or {},
                "message": message,
                "capabilities": data["capabilities"],
                "can_edit": request.user.is_company_manager,
            },
        )

    @get("/{kind:str}/new", name="member:profile:items:new", guards=[requires_company_manager])
    async def new_item(self, request: Request, kind: Kind) -> Template:
        spec = profile.item_kind(kind)
        return await self._item_page(request, spec, {"published": "on"})

    @post("/{kind:str}/new", name="member:profile:items:create", guards=[requires_company_manager])
    async def create_item(self, request: Request, kind: Kind) -> Template | Redirect:
        return await self._save_item(request, profile.item_kind(kind), None)

    @get("/{kind:str}/{item_id:int}", name="member:profile:items:edit")
    async def edit_item(self, request: Request, kind: Kind, item_id: Id) -> Template:
        spec = profile.item_kind(kind)
        row = await profile.get_item(spec, request.user.company_id, item_id)
        return await self._item_page(request, spec, _form_values(spec.fields, row), item_id=item_id)

    @post("/{kind:str}/{item_id:int}", name="member:profile:items:update", guards=[requires_company_manager])
    async def update_item(self, request: Request, kind: Kind, item_id: Id) -> Template | Redirect:
        spec = profile.item_kind(kind)
        await profile.get_item(spec, request.user.company_id, item_id)  # 404 before reading the form
        return await self._save_item(request, spec, item_id)

    async def _save_item(
        self, request: Request, spec: profile.ItemKind, item_id: int | None
    ) -> Template | Redirect:
        form = await read_form(request)
        try:
            await profile.save_item(spec, request.user.company_id, actor_of(request), form, item_id)
        except ValidationFailed as exc:
            return await self._item_page(
                request,
                spec,
                form,
                item_id=item_id,
                errors=exc.errors,
                message=exc.message,
                status_code=HTTP_400_BAD_REQUEST,
            )
        return see_other(request.app.route_reverse("member:profile") + f"?done=item-saved#{spec.key}")

    @post(
        "/{kind:str}/{item_id:int}/delete",
        name="member:profile:items:delete",
        guards=[requires_company_manager],
    )
    async def delete_item(self, request: Request, kind: Kind, item_id: Id) -> Redirect:
        spec = profile.item_kind(kind)
        await profile.delete_item(spec, request.user.company_id, actor_of(request), item_id)
        return see_other(request.app.route_reverse("member:profile") + f"?done=item-deleted#{spec.key}")
