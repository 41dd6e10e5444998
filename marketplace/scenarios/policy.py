"""Who may see or do what with a scenario: the scenarios domain's policy, in one place.

* Anyone sees a scenario once it is public (``public_status`` set); before that only the staff
  of its department and association admins know it exists, and everyone else gets ``NotFound``.
* Department staff (active, with a department; read from the database, so a role change applies
  at once) draft and amend their own department's scenarios; only the department's CDO
  approves, requests changes, and cancels a public scenario.
* Any signed-in user may follow a public scenario (and be told of its changes and result).
* The staff of the scenario's department and admins see its internal side (recommended
  companies, the proposals list under the proposals policy, the evaluation under evaluation's).

Pages, the API, matching and evaluation call these functions; they raise ``NotAllowed`` or
``NotFound`` (never revealing a scenario that is not public to someone who may not know it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marketplace.accounts.tables import User
from marketplace.core.audit import Actor
from marketplace.core.db import for_update
from marketplace.core.errors import NotAllowed, NotFound
from marketplace.scenarios.tables import Scenario


@dataclass(frozen=True)
class StaffMember:
    user_id: int
    department_id: int
    is_cdo: bool


async def staff_member(actor: Actor) -> StaffMember:
    """The acting user as active department staff, read from the database (not the session),
    so a role or CDO change applies at once. ``NotAllowed`` for anyone else."""
    if actor.user_id is None:
        raise NotAllowed("此操作需要部门工作人员账号。")
    row = (
        await User.select(User.role, User.department, User.is_cdo, User.active)
        .where(User.id == actor.user_id)
        .first()
    )
    if row is None or not row["active"] or row["role"] != "staff" or row["department"] is None:
        raise NotAllowed("此操作仅向部门工作人员开放。")
    return StaffMember(actor.user_id, row["department"], row["is_cdo"])


async def department_scenario(
    staff: StaffMember, scenario_id: int, *columns: Any, lock: bool = False
) -> dict:
    """The scenario row if it belongs to the staff member's department, else ``NotFound``."""
    query = Scenario.select(Scenario.id, Scenario.department, Scenario.status, *columns).where(
        Scenario.id == scenario_id
    )
    row = await (for_update(query) if lock else query).first()
    if row is None or row["department"] != staff.department_id:
        raise NotFound("场景不存在。")
    return row


def require_cdo(staff: StaffMember) -> None:
    if not staff.is_cdo:
        raise NotAllowed("只有本部门的首席数据官可以审核场景。")


def manages_department(user: Any, department_id: int | None) -> bool:
    """Admins manage every department's scenarios; staff their own department's."""
    if getattr(user, "is_admin", False):
        return True
    return bool(getattr(user, "is_staff", False) and department_id and user.department_id == department_id)


async def check_may_see_internal_side(user: Any, scenario_id: int, message: str) -> None:
    """Staff of the scenario's department and admins. Others: ``NotAllowed`` (with ``message``),
    or ``NotFound`` when the scenario is not public and not theirs (they may not know it exists)."""
    row = (
        await Scenario.select(Scenario.department, Scenario.public_status)
        .where(Scenario.id == scenario_id)
        .first()
    )
    if row is None:
        raise NotFound("场景不存在。")
    if not manages_department(user, row["department"]):
        if row["public_status"] is None:
            raise NotFound("场景不存在。")
        raise NotAllowed(message)


def may_follow(row: dict) -> bool:
    """A scenario can be followed once it is public (``row`` has its ``public_status``); the
    guard on the route requires a signed-in user."""
    return row["public_status"] is not None
