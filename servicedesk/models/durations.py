"""Durations in business hours, written when the events happen, so the
reports (report_durations.py) aggregate columns instead of working out
opening hours and holidays per ticket, which SQL cannot.

- ``tickets.first_response_hours`` and ``tickets.resolution_hours``: from
  ``created_at`` to ``first_response_at`` and to ``resolved_at``, by the
  opening hours of the ticket's organisation when it is flushed.
- ``ticket_holds``: one row for every time an organisation held a ticket,
  from its creation or from a ``forwarded`` / ``returned_to_region`` audit
  event until the next one, with the first answer (an outbound message
  that is not an automatic notice) sent while it held the ticket.

A ``before_flush`` listener keeps them, whatever code wrote the ticket, the
event or the message (intake, console, API, jobs, test factories), much as
the triggers of migration 0004 keep the search index.  Rows written around
the ORM (bulk SQL, the benchmark generator) are filled by ``backfill``,
which migration 0005 runs over the rows that were there before it; it
applies the rules the reports used to apply at read time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ForeignKey, event, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from routing import OpeningHours
from servicedesk.business_hours import hours_between, opening_hours
from servicedesk.models.base import Base, JSONType, UTCDateTime, created_now
from servicedesk.models.directory import Organization
from servicedesk.models.messages import Message
from servicedesk.models.tickets import AuditEvent, Ticket

MOVES = ("forwarded", "returned_to_region")


class TicketHold(Base):
    """An organisation holding a ticket: routed there at intake (from the
    ticket's creation) or moved there by a forward or a return, until it was
    moved on (``ended_at``); the first answer sent meanwhile and its
    business hours by that organisation's opening hours."""

    __tablename__ = "ticket_holds"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    answer_hours: Mapped[float | None]

    ticket: Mapped[Ticket] = relationship()

    def holds_at(self, at: datetime) -> bool:
        return self.started_at <= at and (self.ended_at is None or at < self.ended_at)


def is_answer(message: Any) -> bool:
    """What counts as answering a ticket: an outbound message written by a
    person (an automatic notice or acknowledgement does not)."""
    return message.direction == "outbound" and (message.auto_kind or "none") == "none"


class _Calendar:
    """Opening hours per organisation id, looked up once per flush or batch."""

    def __init__(self, lookup: Any) -> None:
        self.lookup = lookup  # id -> an object with .id and .opening_hours, or None
        self.cache: dict[str | None, tuple[bool, OpeningHours]] = {}

    def exists(self, organization_id: str | None) -> bool:
        return self._entry(organization_id)[0]

    def between(self, organization_id: str | None, start: datetime, end: datetime) -> float:
        return hours_between(self._entry(organization_id)[1], start, end)

    def _entry(self, organization_id: str | None) -> tuple[bool, OpeningHours]:
        if organization_id not in self.cache:
            organization = self.lookup(organization_id) if organization_id else None
            self.cache[organization_id] = (organization is not None, opening_hours(organization))
        return self.cache[organization_id]


def _ticket_hours(
    calendar: _Calendar, org: str | None, created: datetime, at: datetime | None
) -> float | None:
    return calendar.between(org, created, at) if at is not None else None


def _changed(ticket: Ticket, *names: str) -> bool:
    attrs = inspect(ticket).attrs
    return any(attrs[name].history.has_changes() for name in names)


@event.listens_for(Session, "before_flush")
def keep_durations(session: Session, _context: Any, _instances: Any) -> None:
    new = list(session.new)
    tickets = [o for o in new if isinstance(o, Ticket)]
    tickets += [
        o
        for o in session.dirty
        if isinstance(o, Ticket) and _changed(o, "first_response_at", "resolved_at")
    ]
    moves = [
        o for o in new if isinstance(o, AuditEvent) and o.kind in MOVES and o.ticket_id is not None
    ]
    answers = [o for o in new if isinstance(o, Message) and o.ticket_id and is_answer(o)]
    if not (tickets or moves or answers):
        return
    calendar = _Calendar(lambda key: session.get(Organization, key))
    for ticket in tickets:
        created_now(ticket)
        organization_id = ticket.organization_id
        ticket.first_response_hours = _ticket_hours(
            calendar, organization_id, ticket.created_at, ticket.first_response_at
        )
        ticket.resolution_hours = _ticket_hours(
            calendar, organization_id, ticket.created_at, ticket.resolved_at
        )
        if ticket in session.new and organization_id and calendar.exists(organization_id):
            session.add(
                TicketHold(
                    ticket=ticket, organization_id=organization_id, started_at=ticket.created_at
                )
            )
    happenings: dict[int, list[Any]] = {}
    items: list[Any] = [*moves, *answers]  # each with a ticket_id, checked above
    for item in items:
        created_now(item)
        happenings.setdefault(item.ticket_id, []).append(item)
    if happenings:
        _follow(session, calendar, happenings)


def _follow(session: Session, calendar: _Calendar, happenings: dict[int, list[Any]]) -> None:
    """Moves and answers of tickets already in the database, in the order
    they happened (a move before an answer stamped the same instant, as a
    hold ends where the next begins)."""
    holds: dict[int, list[TicketHold]] = {}
    for hold in session.execute(
        sa.select(TicketHold)
        .where(TicketHold.ticket_id.in_(list(happenings)))
        .order_by(TicketHold.id)
    ).scalars():
        holds.setdefault(hold.ticket_id, []).append(hold)
    for ticket_id, items in happenings.items():
        items.sort(
            key=lambda o: (o.created_at, isinstance(o, Message), inspect(o).insert_order or 0)
        )
        held = holds.setdefault(ticket_id, [])
        for item in items:
            if isinstance(item, Message):
                _answer(calendar, held, item.created_at)
                continue
            data = item.data or {}
            first, target = data.get("from_organization"), data.get("to_organization")
            if not held:
                # Held by no known organisation so far: the first move says
                # who had it, as the reports used to read it.
                ticket = session.get(Ticket, ticket_id)
                if ticket is not None and first and calendar.exists(first):
                    held.append(_hold(session, ticket_id, first, ticket.created_at))
            for hold in held:
                if hold.ended_at is None:
                    hold.ended_at = item.created_at
                    if hold.answered_at is not None and not hold.holds_at(hold.answered_at):
                        hold.answered_at = hold.answer_hours = None
            if target and calendar.exists(target):
                held.append(_hold(session, ticket_id, target, item.created_at))


def _hold(session: Session, ticket_id: int, organization_id: str, at: datetime) -> TicketHold:
    hold = TicketHold(ticket_id=ticket_id, organization_id=organization_id, started_at=at)
    session.add(hold)
    return hold


def _answer(calendar: _Calendar, held: Iterable[TicketHold], at: datetime) -> None:
    for hold in held:
        if hold.holds_at(at) and (hold.answered_at is None or at < hold.answered_at):
            hold.answered_at = at
            hold.answer_hours = calendar.between(hold.organization_id, hold.started_at, at)


# -- backfill ---------------------------------------------------------------
# Plain tables, not the models: migration 0005 runs this, and must keep
# working whatever the models look like later.

_organizations = sa.table(
    "organizations", sa.column("id", sa.String), sa.column("opening_hours", JSONType)
)
_tickets = sa.table(
    "tickets",
    sa.column("id", sa.Integer),
    sa.column("organization_id", sa.String),
    sa.column("created_at", UTCDateTime),
    sa.column("first_response_at", UTCDateTime),
    sa.column("resolved_at", UTCDateTime),
    sa.column("first_response_hours", sa.Double),
    sa.column("resolution_hours", sa.Double),
)
_events = sa.table(
    "audit_events",
    sa.column("id", sa.Integer),
    sa.column("ticket_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("data", JSONType),
    sa.column("created_at", UTCDateTime),
)
_messages = sa.table(
    "messages",
    sa.column("ticket_id", sa.Integer),
    sa.column("direction", sa.String),
    sa.column("auto_kind", sa.String),
    sa.column("created_at", UTCDateTime),
)
_holds = sa.table(
    "ticket_holds",
    sa.column("ticket_id", sa.Integer),
    sa.column("organization_id", sa.String),
    sa.column("started_at", UTCDateTime),
    sa.column("ended_at", UTCDateTime),
    sa.column("answered_at", UTCDateTime),
    sa.column("answer_hours", sa.Double),
)


def backfill(connection: sa.Connection, batch: int = 1000) -> int:
    """Fill the durations of every ticket without a hold (all of them when
    migration 0005 runs), ``batch`` tickets at a time, by the rules the
    reports used to apply at read time; returns how many it went through."""
    organizations = {row.id: row for row in connection.execute(sa.select(_organizations))}
    calendar = _Calendar(organizations.get)
    has_hold = sa.exists().where(_holds.c.ticket_id == _tickets.c.id)
    filled, last = 0, 0
    while True:
        rows = connection.execute(
            sa.select(
                _tickets.c.id,
                _tickets.c.organization_id,
                _tickets.c.created_at,
                _tickets.c.first_response_at,
                _tickets.c.resolved_at,
            )
            .where(_tickets.c.id > last, ~has_hold)
            .order_by(_tickets.c.id)
            .limit(batch)
        ).all()
        if not rows:
            return filled
        last = rows[-1].id
        _backfill_batch(connection, calendar, rows)
        filled += len(rows)


def _backfill_batch(connection: sa.Connection, calendar: _Calendar, rows: Sequence[Any]) -> None:
    ids = [row.id for row in rows]
    hours = [
        {
            "ticket": row.id,
            "first": _ticket_hours(
                calendar, row.organization_id, row.created_at, row.first_response_at
            ),
            "resolution": _ticket_hours(
                calendar, row.organization_id, row.created_at, row.resolved_at
            ),
        }
        for row in rows
        if row.first_response_at is not None or row.resolved_at is not None
    ]
    if hours:
        connection.execute(
            sa.update(_tickets)
            .where(_tickets.c.id == sa.bindparam("ticket"))
            .values(
                first_response_hours=sa.bindparam("first"),
                resolution_hours=sa.bindparam("resolution"),
            ),
            hours,
        )
    moves: dict[int, list[Any]] = {}
    for event_row in connection.execute(
        sa.select(_events.c.ticket_id, _events.c.created_at, _events.c.data)
        .where(_events.c.ticket_id.in_(ids), _events.c.kind.in_(MOVES))
        .order_by(_events.c.ticket_id, _events.c.id)
    ):
        moves.setdefault(event_row.ticket_id, []).append(event_row)
    answers: dict[int, list[datetime]] = {}
    for message in connection.execute(
        sa.select(_messages.c.ticket_id, _messages.c.created_at)
        .where(
            _messages.c.ticket_id.in_(ids),
            _messages.c.direction == "outbound",
            _messages.c.auto_kind == "none",
        )
        .order_by(_messages.c.ticket_id, _messages.c.created_at)
    ):
        answers.setdefault(message.ticket_id, []).append(message.created_at)
    holds = []
    for row in rows:
        ticket_moves = moves.get(row.id, [])
        first = (ticket_moves[0].data or {}).get("from_organization") if ticket_moves else None
        holders = [(first if ticket_moves else row.organization_id, row.created_at)]
        holders += [((m.data or {}).get("to_organization"), m.created_at) for m in ticket_moves]
        for i, (organization_id, since) in enumerate(holders):
            if not calendar.exists(organization_id):
                continue
            until = holders[i + 1][1] if i + 1 < len(holders) else None
            reply = next(
                (a for a in answers.get(row.id, []) if a >= since and (until is None or a < until)),
                None,
            )
            holds.append(
                {
                    "ticket_id": row.id,
                    "organization_id": organization_id,
                    "started_at": since,
                    "ended_at": until,
                    "answered_at": reply,
                    "answer_hours": (
                        calendar.between(organization_id, since, reply) if reply else None
                    ),
                }
            )
    if holds:
        connection.execute(sa.insert(_holds), holds)
