"""The audit log: ``record`` is called by every state-changing service, inside its transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
