"""New tickets per hour, desk and channel, kept as the tickets are added,
so the volume reports (contacts by month, week, weekday and hour) sum at
most a few rows per hour of the range instead of reading every ticket:
a year is about 330,000 tickets at a million but at most 87,600 rows here.

- A row per (UTC hour, audience, channel) with the number of tickets
  created in that hour.  Every time zone the reports use has whole-hour
  offsets, so an hour falls in one local month, week, weekday and hour.
- A ticket's ``created_at``, ``audience`` and ``channel`` are set when it is
  made and never change, and tickets are never deleted (retention
  anonymises them), so counting the new ones is enough.
- The counts of a transaction's new tickets are added just before it
  commits (``before_commit``), not when the tickets are flushed: the row
  of the current hour is shared by every enquiry arriving on that channel,
  and its lock is held only for the commit, not while the rest of the
  intake runs.  Rows are touched in key order, so two transactions adding
  several tickets cannot deadlock on them.
- Rows written around the ORM (the benchmark generator's COPY) are counted
  by ``rebuild``, which migration 0009 runs over the tickets already there.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import String, event, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column

from servicedesk.db import upsert
from servicedesk.models.base import Base, created_now
from servicedesk.models.tickets import Ticket

PENDING = "servicedesk.new_tickets"  # Session.info key: tickets added since the last commit


class TicketCount(Base):
    """How many tickets were created in one UTC hour on one desk and channel."""

    __tablename__ = "ticket_counts"

    hour: Mapped[datetime] = mapped_column(primary_key=True)
    audience: Mapped[str] = mapped_column(String(16), primary_key=True)
    channel: Mapped[str] = mapped_column(String(8), primary_key=True)
    tickets: Mapped[int]


def hour_of(instant: datetime) -> datetime:
    return instant.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


@event.listens_for(Session, "before_flush")
def _note_new_tickets(session: Session, _context: Any, _instances: Any) -> None:
    new = [o for o in session.new if isinstance(o, Ticket)]
    if new:
        for ticket in new:
            created_now(ticket)  # to know its hour
        session.info.setdefault(PENDING, []).extend(new)


@event.listens_for(Session, "before_commit")
def _add_counts(session: Session) -> None:
    if not session.info.get(PENDING):
        return
    session.flush()  # tickets added since the last flush are noted too
    noted = {id(t): t for t in session.info.pop(PENDING)}  # a ticket added again: once
    # Tickets of a transaction or savepoint rolled back meanwhile are no
    # longer persistent: they are left out.
    counts = Counter(
        (hour_of(t.created_at), t.audience, t.channel)
        for t in noted.values()
        if inspect(t).persistent
    )
    for (hour, audience, channel), number in sorted(counts.items()):
        session.execute(_increment(session, hour, audience, channel, number))


def _increment(session: Session, hour: datetime, audience: str, channel: str, number: int) -> Any:
    table = TicketCount.__table__
    statement = upsert(session)(table).values(
        hour=hour, audience=audience, channel=channel, tickets=number
    )
    return statement.on_conflict_do_update(
        index_elements=[table.c.hour, table.c.audience, table.c.channel],
        set_={"tickets": table.c.tickets + statement.excluded.tickets},
    )


def hour_expression(dialect: str, created_at: Any) -> Any:
    """``created_at`` cut to its UTC hour, in SQL."""
    if dialect == "postgresql":
        return sa.func.timezone(
            "UTC", sa.func.date_trunc("hour", sa.func.timezone("UTC", created_at))
        )
    return sa.func.strftime("%Y-%m-%d %H:00:00.000000", created_at)


def rebuild(connection: sa.Connection) -> int:
    """Count every ticket anew (after rows were written around the ORM);
    returns how many rows the counts have."""
    tickets = sa.table(
        "tickets", sa.column("created_at"), sa.column("audience"), sa.column("channel")
    )
    counts = sa.table(
        "ticket_counts",
        sa.column("hour"),
        sa.column("audience"),
        sa.column("channel"),
        sa.column("tickets"),
    )
    # Grouped through a subquery: PostgreSQL would not match the hour's
    # expression in SELECT and GROUP BY once its parameters are bound.
    keyed = sa.select(
        hour_expression(connection.dialect.name, tickets.c.created_at).label("hour"),
        tickets.c.audience,
        tickets.c.channel,
    ).subquery()
    connection.execute(sa.delete(counts))
    connection.execute(
        sa.insert(counts).from_select(
            ["hour", "audience", "channel", "tickets"],
            sa.select(keyed.c.hour, keyed.c.audience, keyed.c.channel, sa.func.count()).group_by(
                keyed.c.hour, keyed.c.audience, keyed.c.channel
            ),
        )
    )
    return int(connection.execute(sa.select(sa.func.count()).select_from(counts)).scalar_one())


__all__ = ["TicketCount", "hour_of", "rebuild"]
