"""Tickets, their numbering counter and the links between tickets."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from servicedesk.models.base import Base, JSONType, utcnow
from servicedesk.models.directory import Organization, Queue
from servicedesk.models.people import Contact, User


class TicketCounter(Base):
    """The last ticket number handed out per year (see numbering.py)."""

    __tablename__ = "ticket_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(Integer, default=0)


REPORT_COLUMNS = [
    "id",
    "channel",
    "region_code",
    "topic",
    "language",
    "merged_into_id",
    "queue_id",
    "status",
    "due_at",
    "first_response_at",
    "first_response_hours",
    "resolution_hours",
]


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_queue_status_id", "queue_id", "status", "id"),
        # The desk's view counts (listing.counting_views) read the assignee,
        # the deadline and the organisation from the index alone (0010).
        Index(
            "ix_tickets_audience_status_id",
            "audience",
            "status",
            "id",
            postgresql_include=["assignee_id", "due_at", "organization_id"],
        ),
        Index("ix_tickets_assignee_status_id", "assignee_id", "status", "id"),
        Index("ix_tickets_contact_id_id", "contact_id", "id"),
        Index("ix_tickets_created_at", "created_at"),
        # retention.due_tickets: a desk's tickets closed before a cutoff.  No
        # status column: closed_at is set only on closing, and an index that
        # leads with (audience, status) would compete with the list indexes
        # below for the console's open-ticket lists.
        Index("ix_tickets_audience_closed_at", "audience", "closed_at"),
        # The console's lists in their orders (console/listing.py): a desk,
        # a queue, and an organisation's part of a desk (what an expert or
        # super-user sees), each newest or oldest first and by deadline.
        Index("ix_tickets_audience_created_at_id", "audience", "created_at", "id"),
        Index("ix_tickets_audience_due_at_id", "audience", "due_at", "id"),
        Index("ix_tickets_queue_created_at_id", "queue_id", "created_at", "id"),
        Index("ix_tickets_queue_due_at_id", "queue_id", "due_at", "id"),
        Index(
            "ix_tickets_organization_audience_created_at_id",
            "organization_id",
            "audience",
            "created_at",
            "id",
        ),
        Index(
            "ix_tickets_organization_audience_due_at_id",
            "organization_id",
            "audience",
            "due_at",
            "id",
        ),
        # The reports' aggregates over a range of tickets (contacts by
        # region, topic, language or queue, response times, deadlines): an
        # index-only scan in desk order on PostgreSQL, which would otherwise
        # fetch a year's rows (a third of a million at a million tickets)
        # from all over the table.
        Index(
            "ix_tickets_reports",
            "audience",
            "created_at",
            postgresql_include=REPORT_COLUMNS,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)
    subject: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(16), default="new")
    audience: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(8))
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    topic: Mapped[str] = mapped_column(String(32), default="other")
    language: Mapped[str] = mapped_column(String(2), default="fi")
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    municipality_code: Mapped[str | None] = mapped_column(ForeignKey("municipalities.code"))
    queue_id: Mapped[str | None] = mapped_column(ForeignKey("queues.id"))
    organization_id: Mapped[str | None] = mapped_column(ForeignKey("organizations.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    status_token: Mapped[str] = mapped_column(String(64), unique=True)
    routing: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    masked_codes: Mapped[int] = mapped_column(Integer, default=0)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_contact_at: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    forwarded_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # Business hours from created_at to first_response_at and to resolved_at,
    # by the handling organisation's opening hours, kept up to date on every
    # flush (models/durations.py) so reports aggregate one column.
    first_response_hours: Mapped[float | None]
    resolution_hours: Mapped[float | None]

    queue: Mapped[Queue | None] = relationship()
    organization: Mapped[Organization | None] = relationship()
    assignee: Mapped[User | None] = relationship()
    contact: Mapped[Contact | None] = relationship()


class TicketLink(Base):
    """A relation between two tickets: ``follow_up`` (a new ticket made from
    a reply to a closed one), ``merged`` or ``related``."""

    __tablename__ = "ticket_links"
    __table_args__ = (UniqueConstraint("ticket_id", "other_ticket_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    other_ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEvent(Base):
    """Who did what to a ticket, when and why.  Written for every change."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_ticket_id_id", "ticket_id", "id"),
        # Events of one kind: owed call backs, retention runs (0007).
        Index("ix_audit_events_kind_ticket_id_id", "kind", "ticket_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(48))
    reason: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
