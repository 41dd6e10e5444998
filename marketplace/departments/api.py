"""``GET /api/v1/departments``: the departments API clients need to build department filters."""

from __future__ import annotations

from litestar import Controller, get

from marketplace.departments.schemas import DepartmentList
from marketplace.departments.services import list_department_refs
from marketplace.web.api import API_PREFIX


class DepartmentApiController(Controller):
    path = API_PREFIX

    @get(
        "/departments",
        name="api:departments",
        operation_id="listDepartments",
        tags=["departments"],
        summary="部门列表",
        description="发布场景的园区部门；id 用于场景列表的 department 参数。",
    )
    async def list_departments(self) -> DepartmentList:
        return DepartmentList(items=await list_department_refs())
