"""Messages on a ticket (inbound, outbound, internal notes), their
attachments and the records of phone calls."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from servicedesk.models.base import Base, utcnow
from servicedesk.models.people import User


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("channel", "external_id"),
        Index("ix_messages_ticket_id_id", "ticket_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    direction: Mapped[str] = mapped_column(String(8))
    channel: Mapped[str] = mapped_column(String(8))
    external_id: Mapped[str | None] = mapped_column(String(255))
    email_message_id: Mapped[str | None] = mapped_column(String(255), index=True)
    # sha256 of sender, subject and text: tells a redelivery from a
    # different mail that reuses a Message-ID (see intake.filters).
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    author_contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    sender: Mapped[str] = mapped_column(String(254), default="")
    sender_name: Mapped[str] = mapped_column(String(200), default="")
    recipient: Mapped[str] = mapped_column(String(254), default="")
    subject: Mapped[str] = mapped_column(String(500), default="")
    body_text: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str | None] = mapped_column(Text)
    auto_kind: Mapped[str] = mapped_column(String(16), default="none")
    needs_review: Mapped[bool] = mapped_column(default=False)
    is_public: Mapped[bool] = mapped_column(default=True)
    delivery_status: Mapped[str | None] = mapped_column(String(16))
    delivery_error: Mapped[str | None] = mapped_column(Text)
    masked_codes: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User | None] = relationship()
    attachments: Mapped[list[Attachment]] = relationship(order_by="Attachment.id")


class Attachment(Base):
    """A file kept outside the database, in the attachment storage, under
    ``storage_key``; the row holds what is needed to serve it safely."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    storage_key: Mapped[str] = mapped_column(String(255))
    content_id: Mapped[str | None] = mapped_column(String(255))
    is_inline: Mapped[bool] = mapped_column(default=False)
    deleted_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CallRecord(Base):
    __tablename__ = "call_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    from_number: Mapped[str] = mapped_column(String(32), default="")
    to_number: Mapped[str] = mapped_column(String(32), default="")
    audience: Mapped[str] = mapped_column(String(16), default="applicant")
    language: Mapped[str | None] = mapped_column(String(2))
    municipality_heard: Mapped[str | None] = mapped_column(String(200))
    municipality_code: Mapped[str | None] = mapped_column(String(3))
    region_code: Mapped[str | None] = mapped_column(String(2))
    queue_id: Mapped[str | None] = mapped_column(String(64))
    dialed: Mapped[str | None] = mapped_column(String(32))
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16), default="in_progress")
    answered_by: Mapped[str | None] = mapped_column(String(200))
    recording_url: Mapped[str | None] = mapped_column(String(500))
    recording_data: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
