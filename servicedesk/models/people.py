"""People: console users (agents, experts, admins) and the contacts who ask,
with every email address and phone number a contact is known by."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from servicedesk.models.base import Base, JSONType, utcnow


class Role(StrEnum):
    ADMIN = "admin"
    AGENT = "agent"
    EXPERT = "expert"
    SUPERUSER = "superuser"
    HELPDESK = "helpdesk"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    organization_id: Mapped[str | None] = mapped_column(ForeignKey("organizations.id"))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    languages: Mapped[list[str]] = mapped_column(JSONType, default=list)
    topics: Mapped[list[str]] = mapped_column(JSONType, default=list)
    phone: Mapped[str | None] = mapped_column(String(32))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_available: Mapped[bool] = mapped_column(Boolean, default=True)
    # Experts come from the directory YAML; a later load deactivates the
    # ones it no longer lists, and leaves console-made users alone.
    from_directory: Mapped[bool] = mapped_column(Boolean, default=False)
    ui_language: Mapped[str] = mapped_column(String(2), default="fi")
    session_version: Mapped[int] = mapped_column(Integer, default=0)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def role_enum(self) -> Role:
        return Role(self.role)


class Contact(Base):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str | None] = mapped_column(String(2))
    municipality_code: Mapped[str | None] = mapped_column(ForeignKey("municipalities.code"))
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    staff_organization_id: Mapped[str | None] = mapped_column(ForeignKey("organizations.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    anonymized_at: Mapped[datetime | None]

    identities: Mapped[list[ContactIdentity]] = relationship(
        back_populates="contact", order_by="ContactIdentity.id"
    )

    def identity(self, kind: str) -> ContactIdentity | None:
        return next((i for i in self.identities if i.kind == kind), None)


class ContactIdentity(Base):
    """One email address (lower case) or phone number (E.164) of a contact."""

    __tablename__ = "contact_identities"
    __table_args__ = (UniqueConstraint("kind", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    value: Mapped[str] = mapped_column(String(254))
    sms_opted_out_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    contact: Mapped[Contact] = relationship(back_populates="identities")

    @property
    def is_opted_out(self) -> bool:
        return self.sms_opted_out_at is not None
