"""Audit events: every change to a ticket says who, when, what and why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from servicedesk.models import AuditEvent, User, utcnow


@dataclass(frozen=True, slots=True)
class Actor:
    """Who made a change: a console user, a contact, or a part of the system."""

    label: str
    user_id: int | None = None

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(label=f"{user.name} <{user.email}>", user_id=user.id)


SYSTEM = Actor("system")
INTAKE = Actor("intake")
ROUTING = Actor("routing")


def record(
    session: Session,
    ticket_id: int | None,
    actor: Actor,
    kind: str,
    reason: str = "",
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    event = AuditEvent(
        ticket_id=ticket_id,
        actor=actor.label,
        actor_user_id=actor.user_id,
        kind=kind,
        reason=reason,
        data=data or {},
        created_at=at or utcnow(),
    )
    session.add(event)
    return event
