"""How long things take, in business hours: first response and resolution
times of tickets, and how long institutions take to answer the tickets
passed to them.

A duration in business hours depends on each organisation's opening hours
and on Finnish public holidays, which SQL cannot see, so these figures are
computed in Python over one bounded query: the newest ``MAX_ROWS`` tickets
of the range (the table's note says when a range had more and was
sampled).  Medians and 90th percentiles use linear interpolation between
the closest ranks, the definition of PostgreSQL's ``percentile_cont``, so
the figures are the same on both databases.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from routing import OpeningHours, business_hours_between
from servicedesk.auto_notices import INSTITUTION_KINDS
from servicedesk.charts import Table
from servicedesk.deadlines import FINNISH_HOLIDAYS, opening_hours
from servicedesk.errors import ValidationError
from servicedesk.models import AuditEvent, Message, Organization, Queue, Ticket
from servicedesk.report_time import ReportFilter
from servicedesk.reports import UNKNOWN, in_range

MAX_ROWS = 50_000
GROUPS = ("queue", "organization", "desk")


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile (0–1) by linear interpolation (``percentile_cont``)."""
    if not values:
        return None
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _stats(values: Sequence[float]) -> tuple[int, float | None, float | None]:
    median, p90 = percentile(values, 0.5), percentile(values, 0.9)
    return (
        len(values),
        round(median, 2) if median is not None else None,
        round(p90, 2) if p90 is not None else None,
    )


class _Hours:
    """Opening hours per organisation, read once per report."""

    def __init__(self, session: Session) -> None:
        self.organizations = {o.id: o for o in session.execute(select(Organization)).scalars()}
        self.cache: dict[str | None, OpeningHours] = {}

    def between(self, organization_id: str | None, start: datetime, end: datetime) -> float:
        if organization_id not in self.cache:
            self.cache[organization_id] = opening_hours(
                self.organizations.get(organization_id or "")
            )
        hours = self.cache[organization_id]
        return max(0.0, business_hours_between(start, end, hours, FINNISH_HOLIDAYS))


def _sample_note(count: int) -> str:
    note = (
        "Business hours of the handling organisation, Finnish public holidays excluded; "
        "median and 90th percentile by linear interpolation"
    )
    if count > MAX_ROWS:
        note += f"; the range has more than {MAX_ROWS} tickets, the newest {MAX_ROWS} were used"
    return note


def response_times(session: Session, report: ReportFilter, by: str = "desk") -> Table:
    """First-response and resolution times per queue, organisation or desk."""
    if by not in GROUPS:
        raise ValidationError(f"group by one of {', '.join(GROUPS)}", field="by")
    group = {"queue": Ticket.queue_id, "organization": Ticket.organization_id}.get(
        by, Ticket.audience
    )
    rows = session.execute(
        select(
            group,
            Ticket.organization_id,
            Ticket.created_at,
            Ticket.first_response_at,
            Ticket.resolved_at,
        )
        .where(*in_range(report, Ticket.created_at), Ticket.merged_into_id.is_(None))
        .order_by(Ticket.created_at.desc())
        .limit(MAX_ROWS + 1)
    ).all()
    hours = _Hours(session)
    first: dict[Any, list[float]] = {}
    resolution: dict[Any, list[float]] = {}
    for key, organization_id, created, responded, resolved in rows[:MAX_ROWS]:
        first.setdefault(key, [])
        resolution.setdefault(key, [])
        if responded is not None:
            first[key].append(hours.between(organization_id, created, responded))
        if resolved is not None:
            resolution[key].append(hours.between(organization_id, created, resolved))
    labels = _labels(session, by)
    return Table(
        f"Response and resolution times by {by} (business hours)",
        (
            by,
            "answered",
            "first response median",
            "first response p90",
            "resolved",
            "resolution median",
            "resolution p90",
        ),
        [
            (
                labels.get(key, UNKNOWN if key is None else str(key)),
                *_stats(first[key]),
                *_stats(resolution[key]),
            )
            for key in sorted(first, key=lambda k: (k is None, str(k)))
        ],
        note=_sample_note(len(rows)),
    )


def _labels(session: Session, by: str) -> dict[Any, str]:
    if by == "queue":
        return {q.id: q.label("fi") for q in session.execute(select(Queue)).scalars()}
    if by == "organization":
        return {o.id: o.name_fi for o in session.execute(select(Organization)).scalars()}
    return {}


def _institution_spans(
    ticket_rows: Sequence[Any], events: dict[int, list[Any]]
) -> list[tuple[str, datetime, datetime | None]]:
    """(organisation, from, until it was moved on or None) for every time a
    ticket was with an organisation: from its creation, and after every
    forward or return."""
    spans: list[tuple[str, datetime, datetime | None]] = []
    for ticket_id, organization_id, created in ticket_rows:
        moves = events.get(ticket_id, [])
        first_org = moves[0][2].get("from_organization") if moves else organization_id
        holders: list[tuple[str | None, datetime]] = [(first_org, created)]
        holders += [(data.get("to_organization"), at) for _kind, at, data in moves]
        for i, (org, since) in enumerate(holders):
            until = holders[i + 1][1] if i + 1 < len(holders) else None
            if org:
                spans.append((org, since, until))
    return spans


def institution_answer_times(session: Session, report: ReportFilter) -> Table:
    """Per institution: tickets it held (routed or forwarded to it), how
    many it answered before they moved on, and how long the answers took."""
    tickets = session.execute(
        select(Ticket.id, Ticket.organization_id, Ticket.created_at)
        .where(*in_range(report, Ticket.created_at), Ticket.merged_into_id.is_(None))
        .order_by(Ticket.created_at.desc())
        .limit(MAX_ROWS + 1)
    ).all()
    ids = [t[0] for t in tickets[:MAX_ROWS]]
    events: dict[int, list[Any]] = {}
    answers: dict[int, list[datetime]] = {}
    for chunk in (ids[i : i + 1000] for i in range(0, len(ids), 1000)):
        for ticket_id, kind, at, data in session.execute(
            select(AuditEvent.ticket_id, AuditEvent.kind, AuditEvent.created_at, AuditEvent.data)
            .where(
                AuditEvent.ticket_id.in_(chunk),
                AuditEvent.kind.in_(["forwarded", "returned_to_region"]),
            )
            .order_by(AuditEvent.ticket_id, AuditEvent.id)
        ):
            events.setdefault(ticket_id, []).append((kind, at, data or {}))
        for ticket_id, at in session.execute(
            select(Message.ticket_id, Message.created_at)
            .where(
                Message.ticket_id.in_(chunk),
                Message.direction == "outbound",
                Message.auto_kind == "none",
            )
            .order_by(Message.ticket_id, Message.created_at)
        ):
            answers.setdefault(ticket_id, []).append(at)
    hours = _Hours(session)
    per_org: dict[str, dict[str, Any]] = {}
    for ticket_id, organization_id, created in tickets[:MAX_ROWS]:
        spans = _institution_spans([(ticket_id, organization_id, created)], events)
        for org, since, until in spans:
            organization = hours.organizations.get(org)
            if organization is None or organization.kind not in INSTITUTION_KINDS:
                continue
            entry = per_org.setdefault(org, {"held": 0, "moved": 0, "waiting": 0, "hours": []})
            entry["held"] += 1
            reply = next(
                (
                    a
                    for a in answers.get(ticket_id, [])
                    if a >= since and (until is None or a < until)
                ),
                None,
            )
            if reply is not None:
                entry["hours"].append(hours.between(org, since, reply))
            elif until is not None:
                entry["moved"] += 1
            else:
                entry["waiting"] += 1
    return Table(
        "How long institutions take to answer (business hours)",
        ("institution", "tickets", "answered", "moved on unanswered", "waiting", "median", "p90"),
        [
            (
                hours.organizations[org].name_fi,
                e["held"],
                *_stats(e["hours"])[:1],
                e["moved"],
                e["waiting"],
                *_stats(e["hours"])[1:],
            )
            for org, e in sorted(per_org.items(), key=lambda item: item[0])
        ],
        note=_sample_note(len(tickets)),
    )
