"""How long things take, in business hours: first response and resolution
times of tickets, and how long institutions take to answer the tickets
passed to them.

A duration in business hours depends on each organisation's opening hours
and on Finnish public holidays, which SQL cannot see, so they are worked
out when the events happen and kept on the rows (models/durations.py:
``tickets.first_response_hours``, ``tickets.resolution_hours`` and
``ticket_holds``).  A report is then one aggregate query over every ticket
of the range.  Medians and 90th percentiles use linear interpolation
between the closest ranks: PostgreSQL's ``percentile_cont`` in the query;
SQLite has no such aggregate, so there the query returns the one column
and ``percentile`` below does the same arithmetic.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from servicedesk.auto_notices import INSTITUTION_KINDS
from servicedesk.charts import Table
from servicedesk.errors import ValidationError
from servicedesk.models import Organization, Queue, Ticket, TicketHold
from servicedesk.report_time import ReportFilter
from servicedesk.reports import UNKNOWN, for_aggregates, in_range

GROUPS = ("queue", "organization", "desk")
NOTE = (
    "Business hours of the handling organisation, Finnish public holidays excluded; "
    "median and 90th percentile by linear interpolation"
)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile (0–1) by linear interpolation (``percentile_cont``)."""
    if not values:
        return None
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _rounded(value: float | None) -> float | None:
    return round(value, 2) if value is not None else None


def _stats(values: Sequence[float]) -> tuple[int, float | None, float | None]:
    return len(values), _rounded(percentile(values, 0.5)), _rounded(percentile(values, 0.9))


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _quantiles(column: InstrumentedAttribute[Any]) -> tuple[ColumnElement[Any], ...]:
    """count, median and 90th percentile of ``column`` (nulls left out)."""
    return (
        func.count(column),
        func.percentile_cont(0.5).within_group(column.asc()),
        func.percentile_cont(0.9).within_group(column.asc()),
    )


def _grouped(
    session: Session,
    group: InstrumentedAttribute[Any],
    columns: Sequence[InstrumentedAttribute[Any]],
    conditions: Sequence[ColumnElement[bool]],
    *,
    joined: Any = None,
    extra: Sequence[ColumnElement[Any]] = (),
) -> dict[Any, tuple[Any, ...]]:
    """Per group key: the ``extra`` aggregates, then (count, median, p90)
    of each of ``columns`` (nulls left out)."""
    for_aggregates(session)
    base = select(group).select_from(joined if joined is not None else group.class_)
    base = base.where(*conditions)
    if _is_postgres(session):
        quantiles = [q for column in columns for q in _quantiles(column)]
        statement = base.add_columns(*extra, *quantiles).group_by(group)
        return {
            key: (
                *figures[: len(extra)],
                *(
                    int(v) if i % 3 == 0 else _rounded(v)
                    for i, v in enumerate(figures[len(extra) :])
                ),
            )
            for key, *figures in session.execute(statement)
        }
    extras: dict[Any, tuple[Any, ...]] = {}
    if extra:
        extras = {
            key: tuple(figures)
            for key, *figures in session.execute(base.add_columns(*extra).group_by(group))
        }
    values: dict[Any, list[list[float]]] = {key: [[] for _ in columns] for key in extras}
    if extra and len(columns) == 1:  # the groups are known: only the values are needed
        base = base.where(columns[0].is_not(None))
    for key, *row in session.execute(base.add_columns(*columns)):
        lists = values.setdefault(key, [[] for _ in columns])
        for found, value in zip(lists, row, strict=True):
            if value is not None:
                found.append(value)
    return {
        key: (*extras.get(key, ()), *(f for v in lists for f in _stats(v)))
        for key, lists in values.items()
    }


def response_times(session: Session, report: ReportFilter, by: str = "desk") -> Table:
    """First-response and resolution times per queue, organisation or desk."""
    if by not in GROUPS:
        raise ValidationError(f"group by one of {', '.join(GROUPS)}", field="by")
    group = {"queue": Ticket.queue_id, "organization": Ticket.organization_id}.get(
        by, Ticket.audience
    )
    figures = _grouped(
        session,
        group,
        (Ticket.first_response_hours, Ticket.resolution_hours),
        (*in_range(report, Ticket.created_at), Ticket.merged_into_id.is_(None)),
    )
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
            (labels.get(key, UNKNOWN if key is None else str(key)), *figures[key])
            for key in sorted(figures, key=lambda k: (k is None, str(k)))
        ],
        note=NOTE,
    )


def _labels(session: Session, by: str) -> dict[Any, str]:
    if by == "queue":
        return {q.id: q.label("fi") for q in session.execute(select(Queue)).scalars()}
    if by == "organization":
        return {o.id: o.name_fi for o in session.execute(select(Organization)).scalars()}
    return {}


def institution_answer_times(session: Session, report: ReportFilter) -> Table:
    """Per institution: tickets it held (routed or forwarded to it), how
    many it answered before they moved on, and how long the answers took."""
    unanswered = TicketHold.answered_at.is_(None)
    figures = _grouped(
        session,
        TicketHold.organization_id,
        (TicketHold.answer_hours,),
        (
            *in_range(report, Ticket.created_at),
            Ticket.merged_into_id.is_(None),
            Organization.kind.in_(INSTITUTION_KINDS),
        ),
        joined=TicketHold.__table__.join(Ticket, Ticket.id == TicketHold.ticket_id).join(
            Organization, Organization.id == TicketHold.organization_id
        ),
        extra=(
            func.count(),
            func.sum(case((unanswered & TicketHold.ended_at.is_not(None), 1), else_=0)),
            func.sum(case((unanswered & TicketHold.ended_at.is_(None), 1), else_=0)),
        ),
    )
    names = {o.id: o.name_fi for o in session.execute(select(Organization)).scalars()}
    return Table(
        "How long institutions take to answer (business hours)",
        ("institution", "tickets", "answered", "moved on unanswered", "waiting", "median", "p90"),
        [
            (names[org], held, answered, int(moved), int(waiting), median, p90)
            for org, (held, moved, waiting, answered, median, p90) in sorted(figures.items())
        ],
        note=NOTE,
    )
