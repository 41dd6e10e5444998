"""The audit log: ``record`` is called by every state-changing service, inside its transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from piccolo.custom_types import Combinable

from marketplace.core import clock
from marketplace.core.tables import AuditEvent


@dataclass(frozen=True)
class Actor:
    """Who acts: a user (id, label, role) or the system itself (imports, periodic tasks)."""

    user_id: int | None = None
    label: str = "system"
    role: str = "system"
    ip_address: str = ""


SYSTEM = Actor()


async def record(
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: int,
    *,
    before: Any = None,
    after: Any = None,
    reason: str = "",
) -> None:
    """Append an AuditEvent. Call it inside the transaction that made the change."""
    await AuditEvent.insert(
        AuditEvent(
            occurred_at=clock.now(),
            actor_user_id=actor.user_id,
            actor_label=actor.label,
            actor_role=actor.role,
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            before=before,
            after=after,
            reason=reason,
            ip_address=actor.ip_address,
        )
    )


@dataclass(frozen=True)
class AuditFilters:
    action: str | None = None  # a prefix, e.g. "company." or "scenario.approve"
    entity_type: str | None = None
    entity_id: int | None = None
    actor: str | None = None  # part of the actor's label (email)
    page: int = 1
    page_size: int = 50


async def list_audit_events(filters: AuditFilters) -> tuple[list[dict[str, Any]], int]:
    """Audit events, newest first, filtered; returns (page of rows, total)."""
    where: Combinable = AuditEvent.id.is_not_null()
    if filters.action:
        where &= AuditEvent.action.like(filters.action.replace("%", "") + "%")
    if filters.entity_type:
        where &= AuditEvent.entity_type == filters.entity_type
    if filters.entity_id:
        where &= AuditEvent.entity_id == filters.entity_id
    if filters.actor:
        where &= AuditEvent.actor_label.ilike("%" + filters.actor.replace("%", "") + "%")
    total = await AuditEvent.count().where(where)
    rows = (
        await AuditEvent.select()
        .where(where)
        .order_by(AuditEvent.id, ascending=False)
        .limit(filters.page_size)
        .offset((filters.page - 1) * filters.page_size)
        .output(load_json=True)
    )
    return rows, total
