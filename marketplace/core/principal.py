"""Who is making a request: ``CurrentUser`` (signed in) or ``ANONYMOUS``, with the role
questions every guard and query asks."""

from __future__ import annotations

from dataclasses import dataclass

from marketplace.core.audit import Actor

ROLE_LABELS = {"member": "会员企业用户", "staff": "部门工作人员", "admin": "协会管理员"}


@dataclass(frozen=True)
class CurrentUser:
    id: int
    email: str
    display_name: str
    role: str
    company_id: int | None = None
    company_name: str = ""
    company_status: str | None = None
    department_id: int | None = None
    department_name: str = ""
    is_company_manager: bool = False
    is_cdo: bool = False
    is_evaluator: bool = False
    via: str = "session"  # or "token"

    is_authenticated = True

    @property
    def is_member(self) -> bool:
        return self.role == "member"

    @property
    def is_approved_member(self) -> bool:
        return self.role == "member" and self.company_status == "approved"

    @property
    def is_staff(self) -> bool:
        return self.role == "staff"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]

    @property
    def name(self) -> str:
        return self.display_name or self.email

    def actor(self, ip_address: str = "") -> Actor:
        return Actor(user_id=self.id, label=self.email, role=self.role, ip_address=ip_address)


@dataclass(frozen=True)
class Anonymous:
    is_authenticated = False
    is_member = False
    is_approved_member = False
    is_staff = False
    is_admin = False
    id = None
    company_id = None
    department_id = None


ANONYMOUS = Anonymous()
