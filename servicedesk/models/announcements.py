"""Announcements (notices on the contact form, the status pages and the
console) and their deliveries to a target group by email or SMS."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from servicedesk.models.base import Base, JSONType, utcnow


class Announcement(Base):
    __tablename__ = "announcements"
    __table_args__ = (Index("ix_announcements_starts_at_ends_at", "starts_at", "ends_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    # {"fi": {"title": ..., "body": ..., "sms": ...}, "sv": ..., "en": ...}
    texts: Mapped[dict[str, Any]] = mapped_column(JSONType)
    places: Mapped[list[str]] = mapped_column(JSONType, default=list)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None]


class AnnouncementDelivery(Base):
    """One recipient of an announcement on one channel: ``pending`` until
    the sending job puts it in the outbox (``queued``), or ``skipped`` with
    the reason (opted out, no address, ...)."""

    __tablename__ = "announcement_deliveries"
    __table_args__ = (
        UniqueConstraint("announcement_id", "channel", "address"),
        Index("ix_announcement_deliveries_status_id", "status", "id"),
        Index("ix_announcement_deliveries_announcement_id_status", "announcement_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    announcement_id: Mapped[int] = mapped_column(ForeignKey("announcements.id"))
    channel: Mapped[str] = mapped_column(String(8))
    address: Mapped[str | None] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(2), default="fi")
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    reason: Mapped[str | None] = mapped_column(String(64))
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    queued_at: Mapped[datetime | None]
