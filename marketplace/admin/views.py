"""Admin pages (HTML). Every route requires an association admin."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.params import PathParameter
from litestar.response import Redirect, Template

from marketplace.accounts import services as accounts
from marketplace.accounts.guards import requires_admin
from marketplace.accounts.tables import User
from marketplace.companies.services import list_companies_for_admin
from marketplace.companies.tables import Company
from marketplace.core.audit import AuditFilters, list_audit_events
from marketplace.core.errors import DomainError, ValidationFailed
from marketplace.core.web import actor_of, read_form, see_other
from marketplace.departments.tables import Department
from marketplace.scenarios.params import MAX_ID, parse_choice, parse_int

Id = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
COMPANY_STATUS_LABELS = {"pending": "待审核", "approved": "已批准", "suspended": "已暂停"}


class AdminController(Controller):
    path = "/admin"
    guards = [requires_admin]
    include_in_schema = False

    @get("/")
    async def dashboard(self) -> Template:
        counts = {s: await Company.count().where(Company.status == s) for s in COMPANY_STATUS_LABELS}
        staff = await User.count().where(User.role == "staff")
        return Template("admin/dashboard.html", context={
            "counts": counts, "labels": COMPANY_STATUS_LABELS, "staff_count": staff})

    @get("/companies")
    async def companies(self, request: Request) -> Template:
        errors: dict = {}
        status = parse_choice(request.query_params, "status", tuple(COMPANY_STATUS_LABELS), errors)
        page = parse_int(request.query_params, "page", errors, lo=1, hi=10_000, default=1)
        if errors:
            raise ValidationFailed("查询参数有误。", errors)
        result = await list_companies_for_admin(status, page)
        return Template("admin/companies.html", context={
            "page": result, "status": status, "labels": COMPANY_STATUS_LABELS,
            "message": request.query_params.get("done")})

    @post("/companies/{company_id:int}/status")
    async def set_status(self, request: Request, company_id: Id) -> Redirect:
        form = await read_form(request)
        target = form.get("target", "")
        if target not in ("approved", "suspended"):
            raise ValidationFailed("操作无效。")
        await accounts.set_company_status(company_id, target, actor_of(request), form.get("reason", ""))
        return see_other(f"/admin/companies?done={target}")

    async def _staff_page(self, request: Request, **extra) -> Template:
        status_code = extra.pop("status_code", 200)
        staff = await User.select(
            User.id, User.email, User.display_name, User.department.name, User.is_cdo, User.is_evaluator,
            User.password_hash, User.last_login_at,
        ).where(User.role.is_in(["staff", "admin"])).order_by(User.role).order_by(User.email)
        for s in staff:
            s["activated"] = bool(s.pop("password_hash"))
        departments = await Department.select(Department.id, Department.name).order_by(Department.name)
        return Template("admin/staff.html", status_code=status_code, context={
            "staff": staff, "departments": departments, "form": extra.pop("form", {}), **extra})

    @get("/staff")
    async def staff(self, request: Request) -> Template:
        return await self._staff_page(request)

    @post("/staff")
    async def create_staff(self, request: Request) -> Template:
        form = await read_form(request)
        errors: dict = {}
        department_id = parse_int(form, "department", errors, lo=1, hi=MAX_ID)
        try:
            if errors:
                raise ValidationFailed("请选择部门。", {"department": "请选择部门。"})
            user_id = await accounts.create_user(
                email=form.get("email", ""), role=form.get("role", "staff"), department_id=department_id,
                display_name=form.get("display_name", ""), actor=actor_of(request),
                is_cdo=form.get("is_cdo") == "on", is_evaluator=form.get("is_evaluator") == "on")
        except DomainError as exc:
            return await self._staff_page(request, form=form, errors=getattr(exc, "errors", {}),
                                          message=exc.message, status_code=exc.status_code)
        await accounts.send_set_password_link(user_id)
        return await self._staff_page(request, created=form.get("email", "").strip().lower())

    @get("/audit")
    async def audit(self, request: Request) -> Template:
        params = request.query_params
        errors: dict = {}
        filters = AuditFilters(
            action=(params.get("action") or None), entity_type=(params.get("entity_type") or None),
            entity_id=parse_int(params, "entity_id", errors, lo=1, hi=MAX_ID),
            actor=(params.get("actor") or None),
            page=parse_int(params, "page", errors, lo=1, hi=10_000, default=1),
        )
        if errors:
            raise ValidationFailed("查询参数有误：" + "；".join(errors.values()), errors)
        rows, total = await list_audit_events(filters)
        return Template("admin/audit.html", context={
            "events": rows, "total": total, "filters": filters,
            "pages": max(1, -(-total // filters.page_size)), "params": dict(params)})
