"""Account use cases. For now: creating admin and staff users from the command line; login,
sessions and tokens arrive with the accounts issue."""

from __future__ import annotations

import re

from marketplace.accounts.tables import User
from marketplace.core.audit import Actor, record
from marketplace.core.db import write_transaction
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.departments.tables import Department

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


async def create_user(*, email: str, role: str, department_key: str | None, display_name: str,
                      actor: Actor) -> int:
    """Create an admin or staff user. Raises ValidationFailed or Conflict (email taken)."""
    email = email.strip().lower()
    if not EMAIL_RE.match(email):
        raise ValidationFailed("邮箱格式不正确。", {"email": "邮箱格式不正确。"})
    if role not in ("admin", "staff"):
        raise ValidationFailed("角色只能是 admin 或 staff。", {"role": "角色无效。"})
    async with write_transaction():
        department_id = None
        if role == "staff":
            if not department_key:
                raise ValidationFailed("部门工作人员必须指定部门（--department）。", {"department": "必填"})
            dep = await Department.select(Department.id).where(Department.key == department_key).first()
            if dep is None:
                raise ValidationFailed(f"部门「{department_key}」不存在。", {"department": "不存在"})
            department_id = dep["id"]
        if await User.exists().where(User.email == email):
            raise Conflict(f"邮箱 {email} 已被使用。")
        user = User(email=email, role=role, department=department_id, display_name=display_name)
        await user.save()
        await record(actor, "user.create", "user", user.id, after={"email": email, "role": role})
    return user.id
