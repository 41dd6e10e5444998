"""The audit log: ``record`` is called by every state-changing service, inside its transaction."""

from __future__ import annotations

import datetime as dt
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
    # An action code ("scenario.approve", matched exactly) or a prefix ending in "." ("company.").
    action: str | None = None
    entity_type: str | None = None
    entity_id: int | None = None
    actor: str | None = None  # part of the actor's label (email)
    actor_role: str | None = None
    occurred_from: dt.datetime | None = None  # inclusive, aware
    occurred_before: dt.datetime | None = None  # exclusive, aware
    page: int = 1
    page_size: int = 50


def _where(filters: AuditFilters) -> Combinable:
    where: Combinable = AuditEvent.id.is_not_null()
    if filters.action:
        if filters.action.endswith("."):
            where &= AuditEvent.action.like(filters.action.replace("%", "") + "%")
        else:
            where &= AuditEvent.action == filters.action
    if filters.entity_type:
        where &= AuditEvent.entity_type == filters.entity_type
    if filters.entity_id:
        where &= AuditEvent.entity_id == filters.entity_id
    if filters.actor:
        where &= AuditEvent.actor_label.ilike("%" + filters.actor.replace("%", "") + "%")
    if filters.actor_role:
        where &= AuditEvent.actor_role == filters.actor_role
    if filters.occurred_from is not None:
        where &= AuditEvent.occurred_at >= filters.occurred_from
    if filters.occurred_before is not None:
        where &= AuditEvent.occurred_at < filters.occurred_before
    return where


async def list_audit_events(filters: AuditFilters) -> tuple[list[dict[str, Any]], int]:
    """Audit events, newest first, filtered; returns (page of rows, total). A page past the last
    one answers the last page (the rows change while an admin pages through them)."""
    where = _where(filters)
    total = await AuditEvent.count().where(where)
    last_page = max(1, -(-total // filters.page_size))
    page = min(filters.page, last_page)
    rows = (
        await AuditEvent.select()
        .where(where)
        .order_by(AuditEvent.id, ascending=False)
        .limit(filters.page_size)
        .offset((page - 1) * filters.page_size)
        .output(load_json=True)
    )
    return rows, total
