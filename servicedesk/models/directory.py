"""The directory: regions, municipalities, organisations, their queues and
the routing rules.  Loaded from YAML by ``servicedesk directory load``;
entries removed from the YAML are deactivated, never deleted, so history
keeps pointing somewhere."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from servicedesk.models.base import Base, JSONType, utcnow


class Region(Base):
    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name_fi: Mapped[str] = mapped_column(String(100))
    name_sv: Mapped[str] = mapped_column(String(100))


class Municipality(Base):
    __tablename__ = "municipalities"

    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    name_fi: Mapped[str] = mapped_column(String(100), index=True)
    name_sv: Mapped[str] = mapped_column(String(100))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    name_fi: Mapped[str] = mapped_column(String(200))
    name_sv: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    aliases: Mapped[list[str]] = mapped_column(JSONType, default=list)
    staff_email_domains: Mapped[list[str]] = mapped_column(JSONType, default=list)
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    opening_hours: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    queues: Mapped[list[Queue]] = relationship(
        back_populates="organization", order_by="Queue.position"
    )

    def name(self, language: str) -> str:
        return {"fi": self.name_fi, "sv": self.name_sv}.get(language, self.name_en)


class Queue(Base):
    __tablename__ = "queues"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    audience: Mapped[str] = mapped_column(String(16))
    name: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    topics: Mapped[list[str]] = mapped_column(JSONType, default=list)
    languages: Mapped[list[str]] = mapped_column(JSONType, default=list)
    response_hours: Mapped[float] = mapped_column(default=8.0)
    phone: Mapped[str | None] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    organization: Mapped[Organization] = relationship(back_populates="queues")

    def label(self, language: str = "fi") -> str:
        return self.name.get(language) or self.name.get("en") or self.id


class QueueMember(Base):
    """Who works a queue: agents and experts; the directory's experts list
    and the console's user admin both write here."""

    __tablename__ = "queue_members"

    queue_id: Mapped[str] = mapped_column(ForeignKey("queues.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)


class RoutingRule(Base):
    __tablename__ = "routing_rules"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    conditions: Mapped[dict[str, Any]] = mapped_column(JSONType)
    route_to: Mapped[str] = mapped_column(ForeignKey("queues.id"))
    priority: Mapped[str | None] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class DirectoryVersion(Base):
    """One row whose number goes up with every change to the directory, so
    every process can tell cheaply that its routing snapshot is stale."""

    __tablename__ = "directory_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(Integer, default=0)
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)
