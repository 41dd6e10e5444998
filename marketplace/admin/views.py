"""Admin pages (HTML). Every route requires an association admin."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.params import PathParameter
from litestar.response import Redirect, Template

from marketplace.accounts import services as accounts
from marketplace.accounts.labels import COMPANY_STATUS_LABELS
from marketplace.admin import audit as audit_log
from marketplace.companies import profile
from marketplace.companies.services import count_companies_by_status
from marketplace.core import clock
from marketplace.core.errors import DomainError, ValidationFailed
from marketplace.departments.services import FIELDS as DEPARTMENT_FIELDS
from marketplace.departments.services import (
    get_department,
    list_department_refs,
    list_departments,
    save_department,
)
from marketplace.taxonomy.services import (
    get_capability,
    list_capability_groups,
    list_capability_tree,
    save_capability,
)
from marketplace.web.forms import actor_of, read_form, see_other
from marketplace.web.guards import requires_admin
from marketplace.web.params import MAX_ID, parse_choice, parse_int, query_dict

Id = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
VERIFY_MESSAGES = {"verify": "已认证该能力。", "unverify": "已取消认证。", "size": "企业规模已更新。"}


class AdminController(Controller):
    path = "/admin"
    guards = [requires_admin]
    include_in_schema = False

    @get("/", name="admin:dashboard")
    async def dashboard(self) -> Template:
        by_status = await count_companies_by_status()
        counts = {s: by_status.get(s, 0) for s in COMPANY_STATUS_LABELS}
        staff = await accounts.count_staff_accounts()
        return Template(
            "admin/dashboard.html",
            context={"counts": counts, "labels": COMPANY_STATUS_LABELS, "staff_count": staff},
        )

    @get("/companies", name="admin:companies")
    async def companies(self, request: Request) -> Template:
        errors: dict = {}
        status = parse_choice(request.query_params, "status", tuple(COMPANY_STATUS_LABELS), errors)
        page = parse_int(request.query_params, "page", errors, lo=1, hi=10_000, default=1)
        if errors:
            raise ValidationFailed("查询参数有误。", errors)
        result = await accounts.list_companies_for_admin(status, page)
        return Template(
            "admin/companies.html",
            context={
                "page": result,
                "status": status,
                "labels": COMPANY_STATUS_LABELS,
                "message": request.query_params.get("done"),
            },
        )

    @post("/companies/{company_id:int}/status", name="admin:companies:status")
    async def set_status(self, request: Request, company_id: Id) -> Redirect:
        form = await read_form(request)
        target = form.get("target", "")
        if target not in ("approved", "suspended", "rejected"):
            raise ValidationFailed("操作无效。")
        await accounts.set_company_status(company_id, target, actor_of(request), form.get("reason", ""))
        return see_other(request.app.route_reverse("admin:companies") + f"?done={target}")

    # --- a company's profile: capability verification and size -----------------------------

    @get("/companies/{company_id:int}", name="admin:companies:detail")
    async def company_profile(self, request: Request, company_id: Id) -> Template:
        data = await profile.get_profile(company_id)
        return Template(
            "admin/company.html",
            context={
                **data,
                "labels": COMPANY_STATUS_LABELS,
                "kinds": profile.ITEM_KINDS,
                "message": VERIFY_MESSAGES.get(request.query_params.get("done", "")),
            },
        )

    @post(
        "/companies/{company_id:int}/capabilities/{capability_id:int}",
        name="admin:companies:verify_capability",
    )
    async def verify_capability(self, request: Request, company_id: Id, capability_id: Id) -> Redirect:
        """``target`` verify or unverify: the association vouches for a declared capability."""
        form = await read_form(request)
        if form.get("target") not in ("verify", "unverify"):
            raise ValidationFailed("操作无效。")
        await profile.set_capability_verified(
            company_id, capability_id, form["target"] == "verify", actor_of(request)
        )
        return see_other(
            request.app.route_reverse("admin:companies:detail", company_id=company_id)
            + f"?done={form['target']}#capabilities"
        )

    @post("/companies/{company_id:int}/size", name="admin:companies:size")
    async def set_size(self, request: Request, company_id: Id) -> Redirect:
        form = await read_form(request)
        await profile.set_company_size(company_id, form.get("size", ""), actor_of(request))
        return see_other(
            request.app.route_reverse("admin:companies:detail", company_id=company_id) + "?done=size"
        )

    async def _staff_page(self, request: Request, **extra) -> Template:
        status_code = extra.pop("status_code", 200)
        staff = await accounts.list_staff_accounts()
        departments = [{"id": d.id, "name": d.name} for d in await list_department_refs()]
        return Template(
            "admin/staff.html",
            status_code=status_code,
            context={"staff": staff, "departments": departments, "form": extra.pop("form", {}), **extra},
        )

    @get("/staff", name="admin:staff")
    async def staff(self, request: Request) -> Template:
        return await self._staff_page(request)

    @post("/staff", name="admin:staff:create")
    async def create_staff(self, request: Request) -> Template:
        form = await read_form(request)
        errors: dict = {}
        department_id = parse_int(form, "department", errors, lo=1, hi=MAX_ID)
        try:
            if errors:
                raise ValidationFailed("请选择部门。", {"department": "请选择部门。"})
            user_id = await accounts.create_user(
                email=form.get("email", ""),
                role=form.get("role", "staff"),
                department_id=department_id,
                display_name=form.get("display_name", ""),
                actor=actor_of(request),
                is_cdo=form.get("is_cdo") == "on",
                is_evaluator=form.get("is_evaluator") == "on",
            )
        except DomainError as exc:
            return await self._staff_page(
                request,
                form=form,
                errors=getattr(exc, "errors", {}),
                message=exc.message,
                status_code=exc.status_code,
            )
        await accounts.send_set_password_link(user_id)
        return await self._staff_page(request, created=form.get("email", "").strip().lower())

    @get("/audit", name="admin:audit")
    async def audit(self, request: Request) -> Template:
        """The audit log as sentences; bad filters are shown next to their fields (400)."""
        params = query_dict(request)
        filters, errors = audit_log.parse_filters(params)
        entries, total = await audit_log.audit_page(filters)
        pages = max(1, -(-total // filters.page_size))
        return Template(
            "admin/audit.html",
            status_code=400 if errors else 200,
            context={
                "entries": entries,
                "total": total,
                "filters": filters,
                "page": min(filters.page, pages),
                "pages": pages,
                "params": {k: v for k, v in params.items() if k not in errors},
                "form": params,
                "errors": errors,
                "action_choices": audit_log.action_choices(),
                "entity_choices": audit_log.entity_choices(),
                "role_choices": audit_log.role_choices(),
                "csv_limit": audit_log.MAX_CSV_ROWS,
            },
        )

    @get("/audit.csv", name="admin:audit:csv")
    async def audit_csv(self, request: Request) -> Response:
        """The filtered audit log as CSV (UTF-8 with BOM), newest first, capped."""
        filters, errors = audit_log.parse_filters(query_dict(request))
        if errors:
            raise ValidationFailed("查询参数有误：" + "；".join(errors.values()), errors)
        content, total, capped = await audit_log.audit_csv(filters)
        stamp = clock.to_park_time(clock.now()).strftime("%Y%m%d-%H%M")
        name = f"审计日志-{stamp}.csv"
        headers = {
            "Content-Disposition": f"attachment; filename=\"audit-{stamp}.csv\"; filename*=UTF-8''{quote(name)}",
            "X-Total-Count": str(total),
            "Cache-Control": "no-store",
        }
        if capped:
            headers["X-Export-Capped"] = str(audit_log.MAX_CSV_ROWS)
        return Response(content, media_type="text/csv; charset=utf-8", headers=headers)

    @post("/staff/{user_id:int}", name="admin:staff:update")
    async def update_staff(self, request: Request, user_id: Id) -> Redirect:
        form = await read_form(request)
        await accounts.update_staff_account(
            user_id,
            is_cdo=form.get("is_cdo") == "on",
            is_evaluator=form.get("is_evaluator") == "on",
            active=form.get("active") == "on",
            actor=actor_of(request),
        )
        return see_other(request.app.route_reverse("admin:staff"))

    # --- departments ----------------------------------------------------------------------

    async def _departments_page(self, **extra) -> Template:
        status_code = extra.pop("status_code", 200)
        return Template(
            "admin/departments.html",
            status_code=status_code,
            context={"departments": await list_departments(), "form": extra.pop("form", {}), **extra},
        )

    @get("/departments", name="admin:departments")
    async def departments(self) -> Template:
        return await self._departments_page()

    @post("/departments", name="admin:departments:create")
    async def create_department(self, request: Request) -> Template | Redirect:
        form = await read_form(request)
        try:
            await save_department(None, form, actor_of(request))
        except ValidationFailed as exc:
            return await self._departments_page(
                form=form, errors=exc.errors, message=exc.message, status_code=400
            )
        return see_other(request.app.route_reverse("admin:departments"))

    @get("/departments/{department_id:int}", name="admin:departments:edit")
    async def edit_department(self, department_id: Id) -> Template:
        row = await get_department(department_id)
        return Template(
            "admin/department_form.html",
            context={
                "department_id": department_id,
                "form": {f: row[f] for f in DEPARTMENT_FIELDS},
                "errors": {},
            },
        )

    @post("/departments/{department_id:int}", name="admin:departments:update")
    async def update_department(self, request: Request, department_id: Id) -> Template | Redirect:
        form = await read_form(request)
        try:
            await save_department(department_id, form, actor_of(request))
        except ValidationFailed as exc:
            return Template(
                "admin/department_form.html",
                status_code=400,
                context={
                    "department_id": department_id,
                    "form": form,
                    "errors": exc.errors,
                    "message": exc.message,
                },
            )
        return see_other(request.app.route_reverse("admin:departments"))

    # --- capability taxonomy --------------------------------------------------------------

    async def _taxonomy_page(self, **extra) -> Template:
        status_code = extra.pop("status_code", 200)
        return Template(
            "admin/taxonomy.html",
            status_code=status_code,
            context={"groups": await list_capability_tree(), "form": extra.pop("form", {}), **extra},
        )

    @get("/taxonomy", name="admin:taxonomy")
    async def taxonomy(self) -> Template:
        return await self._taxonomy_page()

    async def _save_capability(self, request: Request, capability_id: int | None) -> dict:
        form = await read_form(request)
        errors: dict = {}
        parent_id = parse_int(form, "parent", errors, lo=1, hi=MAX_ID)
        if errors:
            raise ValidationFailed("上级分组无效。", {"parent": "上级分组无效。"})
        await save_capability(
            capability_id=capability_id,
            key=form.get("key", ""),
            name=form.get("name", ""),
            name_en=form.get("name_en", ""),
            synonyms=form.get("synonyms", ""),
            description=form.get("description", ""),
            parent_id=parent_id,
            actor=actor_of(request),
        )
        return form

    @post("/taxonomy", name="admin:taxonomy:create")
    async def create_capability(self, request: Request) -> Template | Redirect:
        try:
            await self._save_capability(request, None)
        except ValidationFailed as exc:
            return await self._taxonomy_page(
                form=await read_form(request), errors=exc.errors, message=exc.message, status_code=400
            )
        return see_other(request.app.route_reverse("admin:taxonomy"))

    @get("/taxonomy/{capability_id:int}", name="admin:taxonomy:edit")
    async def edit_capability(self, capability_id: Id) -> Template:
        row = await get_capability(capability_id)
        form = {
            "key": row["key"],
            "name": row["name"],
            "name_en": row["name_en"],
            "synonyms": "、".join(row["synonyms"] or []),
            "description": row["description"],
            "parent": str(row["parent"] or ""),
        }
        return await self._capability_form(capability_id, form, {})

    async def _capability_form(self, capability_id: int, form: dict, errors: dict, **extra) -> Template:
        groups = await list_capability_groups(excluding=capability_id)
        return Template(
            "admin/capability_form.html",
            status_code=extra.pop("status_code", 200),
            context={
                "capability_id": capability_id,
                "form": form,
                "errors": errors,
                "groups": groups,
                **extra,
            },
        )

    @post("/taxonomy/{capability_id:int}", name="admin:taxonomy:update")
    async def update_capability(self, request: Request, capability_id: Id) -> Template | Redirect:
        try:
            await self._save_capability(request, capability_id)
        except ValidationFailed as exc:
            return await self._capability_form(
                capability_id, await read_form(request), exc.errors, message=exc.message, status_code=400
            )
        return see_other(request.app.route_reverse("admin:taxonomy"))
