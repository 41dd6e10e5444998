"""Department use cases: the list, and keeping departments (association admins)."""

from __future__ import annotations

import re

from marketplace.core.audit import Actor, record
from marketplace.core.db import write_transaction
from marketplace.core.errors import NotFound, ValidationFailed
from marketplace.core.refcache import Cached
from marketplace.departments.schemas import DepartmentRef
from marketplace.departments.tables import Department

_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")
FIELDS = ("key", "name", "short_name", "description", "cdo_name", "cdo_title")
LIMITS = {"key": 80, "name": 120, "short_name": 40, "cdo_name": 60, "cdo_title": 80}


async def _read_departments() -> list[dict]:
    return await Department.select().order_by(Department.name)


# In memory until a department changes (any process, any host: see ``core.refcache``).
departments_cache = Cached("department", _read_departments)


async def list_departments() -> list[dict]:
    """Every department as stored, by name (copies: the caller may change them)."""
    return [dict(row) for row in await departments_cache.get()]


async def get_department(department_id: int) -> dict:
    """One department as stored (for the admin's edit form). ``NotFound`` if absent."""
    row = await Department.select().where(Department.id == department_id).first()
    if row is None:
        raise NotFound("部门不存在。")
    return row


async def list_department_refs() -> list[DepartmentRef]:
    """Every department, by name, as references (for filters and the API)."""
    return [
        DepartmentRef(id=r["id"], key=r["key"], name=r["name"], short_name=r["short_name"])
        for r in await departments_cache.get()
    ]


async def save_department(department_id: int | None, values: dict[str, str], actor: Actor) -> int:
    """Create (``department_id`` None) or edit a department. ValidationFailed per field."""
    data = {f: (values.get(f) or "").strip() for f in FIELDS}
    data["key"] = data["key"].lower()
    errors: dict[str, str] = {}
    if not _KEY_RE.match(data["key"]):
        errors["key"] = "标识只能用小写字母、数字、点、横线和下划线。"
    if not data["name"]:
        errors["name"] = "请填写部门全称。"
    for field, limit in LIMITS.items():
        if len(data[field]) > limit:
            errors[field] = f"不能超过 {limit} 个字符。"
    async with write_transaction():
        other = Department.id != (department_id or 0)
        if await Department.exists().where((Department.key == data["key"]) & other):
            errors["key"] = "这个标识已被使用。"
        if await Department.exists().where((Department.name == data["name"]) & other):
            errors["name"] = "已有同名部门。"
        if errors:
            raise ValidationFailed("请修改标出的内容后再保存。", errors)
        if department_id is None:
            row = Department.from_dict(data)  # Department(**data), typed
            await row.save()
            await record(actor, "department.create", "department", row.id, after=data)
            return row.id
        before = await Department.select().where(Department.id == department_id).first()
        if before is None:
            raise NotFound("部门不存在。")
        await Department.update({getattr(Department, k): v for k, v in data.items()}).where(
            Department.id == department_id
        )
        await record(
            actor,
            "department.update",
            "department",
            department_id,
            before={k: before[k] for k in FIELDS},
            after=data,
        )
        return department_id
