"""Per-desk policies (how long personal data is kept after closing, when
pending tickets get a reminder, when resolved tickets close by themselves)
and the record of each anonymised ticket."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from servicedesk.models.base import Base, JSONType, utcnow

DEFAULT_RETENTION_MONTHS = 24
DEFAULT_REMINDER_DAYS = 7
DEFAULT_CLOSE_AFTER_DAYS = 14


class DeskPolicy(Base):
    __tablename__ = "desk_policies"

    desk: Mapped[str] = mapped_column(String(16), primary_key=True)  # applicant | staff
    retention_months: Mapped[int] = mapped_column(Integer, default=DEFAULT_RETENTION_MONTHS)
    reminder_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_REMINDER_DAYS)
    close_after_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_CLOSE_AFTER_DAYS)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class TicketRedaction(Base):
    """A ticket whose personal data was removed (by the retention policy or
    on the contact's request), with counts of what was removed."""

    __tablename__ = "ticket_redactions"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    reason: Mapped[str] = mapped_column(String(16))  # retention | erasure
    summary: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    redacted_at: Mapped[datetime] = mapped_column(default=utcnow)
