"""Satisfaction surveys: one per ticket, answered through a one-click link
whose token is stored only as its SHA-256."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from servicedesk.models.base import Base, utcnow


class Survey(Base):
    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    language: Mapped[str] = mapped_column(String(2), default="fi")
    channel: Mapped[str | None] = mapped_column(String(8))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The first answer is accepted until then; a given answer can be
    # changed for a while after it was first given (see feedback.py).
    expires_at: Mapped[datetime]
    score: Mapped[int | None] = mapped_column(SmallInteger)
    comment: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None] = mapped_column(index=True)
    changed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
