"""The directory in the database: loading it from YAML (idempotent; what
the YAML no longer lists is deactivated, never deleted) and the routing
snapshot every process builds from the rows, rebuilt only when the
directory version moves."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from routing import (
    DEFAULT_OPENING_HOURS,
    Audience,
    Directory,
    Expert,
    Kind,
    Language,
    Municipality,
    Names,
    OpeningHours,
    Organization,
    Queue,
    Region,
    Rule,
    Topic,
    build_directory,
)
from servicedesk import directory_source
from servicedesk.models import (
    DirectoryVersion,
    QueueMember,
    Role,
    RoutingRule,
    User,
    utcnow,
)
from servicedesk.models import Municipality as MunicipalityRow
from servicedesk.models import Organization as OrganizationRow
from servicedesk.models import Queue as QueueRow
from servicedesk.models import Region as RegionRow
from servicedesk.resources import config_dir

logger = logging.getLogger(__name__)


@dataclass
class LoadSummary:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    deactivated: dict[str, int] = field(default_factory=dict)

    def count(self, bucket: dict[str, int], kind: str) -> None:
        bucket[kind] = bucket.get(kind, 0) + 1

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deactivated)

    def describe(self) -> str:
        if not self.changed:
            return "directory loaded: no changes"
        parts = []
        for label, bucket in (
            ("created", self.created),
            ("updated", self.updated),
            ("deactivated", self.deactivated),
        ):
            if bucket:
                parts.append(label + " " + ", ".join(f"{n} {k}" for k, n in sorted(bucket.items())))
        return "directory loaded: " + "; ".join(parts)


@lru_cache(maxsize=4)
def regions_data(folder: Path | None = None) -> directory_source.RegionData:
    return directory_source.load_regions(folder or config_dir() / "regions")


def read(path: Path) -> directory_source.DirectorySource:
    """Read and validate YAML; raises DirectoryError naming every problem."""
    return directory_source.read_directory(path, regions_data())


def _assign(row: Any, values: dict[str, Any]) -> bool:
    changed = False
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)
            changed = True
    return changed


def _names(names: Names | None) -> dict[str, str]:
    if names is None:
        return {}
    return {k: v for k, v in (("fi", names.fi), ("sv", names.sv), ("en", names.en)) if v}


def _upsert(
    session: Session,
    summary: LoadSummary,
    kind: str,
    model: type[Any],
    key: Any,
    values: dict[str, Any],
) -> Any:
    row = session.get(model, key)
    if row is None:
        row = model(**values)
        session.add(row)
        summary.count(summary.created, kind)
    elif _assign(row, values):
        summary.count(summary.updated, kind)
    return row


def load(session: Session, path: Path) -> LoadSummary:
    """Load a directory file or folder into the database (the caller commits)."""
    source = read(path)
    regions = regions_data()
    summary = LoadSummary()
    for region in regions.regions:
        _upsert(
            session,
            summary,
            "regions",
            RegionRow,
            region.code,
            {"code": region.code, "name_fi": region.name_fi, "name_sv": region.name_sv},
        )
    session.flush()
    for m in regions.municipalities:
        _upsert(
            session,
            summary,
            "municipalities",
            MunicipalityRow,
            m.code,
            {"code": m.code, "name_fi": m.name_fi, "name_sv": m.name_sv, "region_code": m.region},
        )
    session.flush()

    org_ids = set()
    for position, org in enumerate(source.organizations):
        org_ids.add(org.id)
        _upsert(
            session,
            summary,
            "organizations",
            OrganizationRow,
            org.id,
            {
                "id": org.id,
                "kind": str(org.kind),
                "region_code": org.region,
                "name_fi": org.name.fi,
                "name_sv": org.name.sv or org.name.fi,
                "name_en": org.name.en or org.name.fi,
                "aliases": list(org.aliases),
                "staff_email_domains": list(org.staff_email_domains),
                "phone": org.phone,
                "email": org.email,
                "opening_hours": org.opening_hours.describe(),
                "position": position,
                "active": True,
            },
        )
    session.flush()
    queue_ids = set()
    for position, queue in enumerate(source.queues):
        queue_ids.add(queue.id)
        _upsert(
            session,
            summary,
            "queues",
            QueueRow,
            queue.id,
            {
                "id": queue.id,
                "organization_id": queue.organization,
                "audience": str(queue.audience),
                "name": _names(queue.name),
                "topics": [str(t) for t in queue.topics],
                "languages": [str(lang) for lang in queue.languages],
                "response_hours": float(queue.response_hours),
                "phone": queue.phone,
                "position": position,
                "active": True,
            },
        )
    session.flush()
    _load_experts(session, summary, source.experts)
    rule_ids = set()
    for position, rule in enumerate(source.rules):
        rule_ids.add(rule.id)
        _upsert(
            session,
            summary,
            "rules",
            RoutingRule,
            rule.id,
            {
                "id": rule.id,
                "position": position,
                "route_to": rule.route_to,
                "conditions": {str(c.key): sorted(c.values) for c in rule.when},
                "priority": str(rule.priority) if rule.priority else None,
                "active": True,
            },
        )
    active_rows: tuple[
        tuple[list[RoutingRule] | list[QueueRow] | list[OrganizationRow], set[str], str], ...
    ] = (
        (
            list(session.execute(select(RoutingRule).where(RoutingRule.active)).scalars()),
            rule_ids,
            "rules",
        ),
        (
            list(session.execute(select(QueueRow).where(QueueRow.active)).scalars()),
            queue_ids,
            "queues",
        ),
        (
            list(session.execute(select(OrganizationRow).where(OrganizationRow.active)).scalars()),
            org_ids,
            "organizations",
        ),
    )
    for rows, ids, kind in active_rows:
        for row in rows:
            if row.id not in ids:
                row.active = False
                summary.count(summary.deactivated, kind)
    if summary.changed:
        bump_version(session)
    session.flush()
    invalidate()
    return summary


def _load_experts(
    session: Session, summary: LoadSummary, experts: tuple[Expert, ...] | list[Expert]
) -> None:
    listed = set()
    for expert in experts:
        email = expert.email.strip().lower()
        listed.add(email)
        user = session.execute(select(User).where(User.email == email)).scalar_one_or_none()
        values = {
            "name": expert.name,
            "organization_id": expert.organization,
            "languages": [str(x) for x in expert.languages],
            "topics": [str(x) for x in expert.topics],
            "phone": expert.phone,
            "is_active": True,
        }
        if user is None:
            user = User(email=email, role=Role.EXPERT.value, from_directory=True, **values)
            session.add(user)
            session.flush()
            summary.count(summary.created, "experts")
        elif user.from_directory and _assign(user, values):
            summary.count(summary.updated, "experts")
        current = set(
            session.execute(
                select(QueueMember.queue_id).where(QueueMember.user_id == user.id)
            ).scalars()
        )
        wanted = set(expert.queues)
        if user.from_directory:
            for queue_id in current - wanted:
                session.execute(
                    delete(QueueMember).where(
                        QueueMember.user_id == user.id, QueueMember.queue_id == queue_id
                    )
                )
        for queue_id in sorted(wanted - current):
            session.add(QueueMember(queue_id=queue_id, user_id=user.id))
        if current != wanted and user.from_directory:
            summary.count(summary.updated, "memberships")
    for user in session.execute(select(User).where(User.from_directory, User.is_active)).scalars():
        if user.email not in listed:
            user.is_active = False
            summary.count(summary.deactivated, "experts")


def bump_version(session: Session) -> None:
    row = session.get(DirectoryVersion, 1)
    if row is None:
        session.add(DirectoryVersion(id=1, version=1, loaded_at=utcnow()))
    else:
        row.version += 1
        row.loaded_at = utcnow()


_cache: dict[str, tuple[int, Directory]] = {}
_lock = threading.Lock()


def invalidate() -> None:
    with _lock:
        _cache.clear()


def _version(session: Session) -> int:
    row = session.execute(select(DirectoryVersion.version).where(DirectoryVersion.id == 1)).first()
    return row[0] if row else 0


def current(session: Session) -> Directory:
    """The routing snapshot for this database, rebuilt when the version moved."""
    bind = session.get_bind()
    key = str(bind.engine.url) if hasattr(bind, "engine") else str(bind)
    version = _version(session)
    with _lock:
        cached = _cache.get(key)
        if cached is not None and cached[0] == version:
            return cached[1]
    directory = build(session)
    with _lock:
        _cache[key] = (version, directory)
    return directory


def build(session: Session) -> Directory:
    regions = regions_data()
    orgs = (
        session.execute(select(OrganizationRow).order_by(OrganizationRow.position)).scalars().all()
    )
    queues = session.execute(select(QueueRow).order_by(QueueRow.position)).scalars().all()
    experts = (
        session.execute(
            select(User).where(User.role == Role.EXPERT.value, User.is_active).order_by(User.id)
        )
        .scalars()
        .all()
    )
    memberships: dict[int, list[str]] = {}
    for member in session.execute(select(QueueMember)).scalars():
        memberships.setdefault(member.user_id, []).append(member.queue_id)
    rules = (
        session.execute(
            select(RoutingRule).where(RoutingRule.active).order_by(RoutingRule.position)
        )
        .scalars()
        .all()
    )
    return build_directory(
        regions=[Region(r.code, r.name_fi, r.name_sv) for r in regions.regions],
        municipalities=[
            Municipality(m.code, m.name_fi, m.name_sv, m.region) for m in regions.municipalities
        ],
        postcodes=regions.postcodes,
        aliases=regions.aliases,
        organizations=[
            Organization(
                id=o.id,
                kind=Kind(o.kind),
                region=o.region_code,
                name=Names(o.name_fi, o.name_sv, o.name_en),
                aliases=tuple(o.aliases or ()),
                staff_email_domains=tuple(o.staff_email_domains or ()),
                phone=o.phone,
                email=o.email,
                opening_hours=OpeningHours.parse(o.opening_hours)
                if o.opening_hours
                else DEFAULT_OPENING_HOURS,
                active=o.active,
            )
            for o in orgs
        ],
        queues=[
            Queue(
                id=q.id,
                organization=q.organization_id,
                audience=Audience(q.audience),
                topics=tuple(Topic(t) for t in q.topics or ()),
                languages=tuple(Language(x) for x in q.languages or ()),
                response_hours=q.response_hours,
                phone=q.phone,
                name=Names(q.name.get("fi", q.id), q.name.get("sv", ""), q.name.get("en", ""))
                if q.name
                else None,
                active=q.active,
            )
            for q in queues
        ],
        experts=[
            Expert(
                email=u.email,
                name=u.name,
                organization=u.organization_id or "",
                queues=tuple(memberships.get(u.id, ())),
                topics=tuple(Topic(t) for t in u.topics or ()),
                languages=tuple(Language(x) for x in u.languages or ()),
                phone=u.phone,
            )
            for u in experts
            if u.organization_id
        ],
        rules=[Rule.of(r.id, r.route_to, r.conditions, r.priority) for r in rules],
    )
