"""Message templates edited by administrators: the national common part of
an event's message, or a region's own addition to it.  Without a row the
shipped file under ``templates/messages/`` is used."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from servicedesk.models.base import Base, utcnow

NATIONAL = ""  # the ``region`` of a national (common) template


class TemplateOverride(Base):
    __tablename__ = "template_overrides"
    __table_args__ = (UniqueConstraint("event", "language", "variant", "region"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event: Mapped[str] = mapped_column(String(48))
    language: Mapped[str] = mapped_column(String(2))
    variant: Mapped[str] = mapped_column(String(8))  # email | sms
    region: Mapped[str] = mapped_column(String(2), default=NATIONAL)
    text: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
