"""Per-desk policies: how long personal data is kept after a ticket is
closed, after how many days a pending ticket gets a reminder, and after how
many days a resolved ticket closes by itself.  A desk without a row in
``desk_policies`` gets the defaults."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from servicedesk.errors import ValidationError
from servicedesk.models import DeskPolicy, User
from servicedesk.models.retention import (
    DEFAULT_CLOSE_AFTER_DAYS,
    DEFAULT_REMINDER_DAYS,
    DEFAULT_RETENTION_MONTHS,
)

DESKS = ("applicant", "staff")


@dataclass(frozen=True, slots=True)
class Policy:
    desk: str
    retention_months: int = DEFAULT_RETENTION_MONTHS
    reminder_days: int = DEFAULT_REMINDER_DAYS
    close_after_days: int = DEFAULT_CLOSE_AFTER_DAYS


def _check_desk(desk: str) -> None:
    if desk not in DESKS:
        raise ValidationError(f"unknown desk {desk!r}; use applicant or staff", field="desk")


def policy(session: Session, desk: str) -> Policy:
    _check_desk(desk)
    row = session.get(DeskPolicy, desk)
    if row is None:
        return Policy(desk)
    return Policy(desk, row.retention_months, row.reminder_days, row.close_after_days)


def all_policies(session: Session) -> list[Policy]:
    return [policy(session, desk) for desk in DESKS]


def set_policy(
    session: Session,
    desk: str,
    *,
    retention_months: int,
    reminder_days: int,
    close_after_days: int,
    user: User | None,
    now: datetime,
) -> Policy:
    """Store a desk's policy (an administrator's change)."""
    _check_desk(desk)
    if not 1 <= retention_months <= 120:
        raise ValidationError("keep data from 1 to 120 months", field="retention_months")
    if not 1 <= reminder_days <= 90:
        raise ValidationError("remind after 1 to 90 days", field="reminder_days")
    if not 1 <= close_after_days <= 365:
        raise ValidationError("close after 1 to 365 days", field="close_after_days")
    row = session.get(DeskPolicy, desk) or DeskPolicy(desk=desk)
    row.retention_months = retention_months
    row.reminder_days = reminder_days
    row.close_after_days = close_after_days
    row.updated_by = user.id if user else None
    row.updated_at = now
    session.add(row)
    session.flush()
    return policy(session, desk)
