"""Ticket numbers a person can read out on the phone: ``2026-004711``.

One counter row per year, incremented with a single UPDATE ... RETURNING.
On PostgreSQL the increment is a transaction of its own, committed at
once on a connection of its own: a row lock lasts until its transaction
ends, and inside the ticket's transaction it would make every concurrent
intake wait for the whole of another one (measured: every request queued
on it, ~7 tickets/s whatever the number of workers; see bench/README.md).
Numbers stay distinct and in order; a number is lost only when the
ticket's own transaction fails after taking it, so there are no gaps in
normal operation.  On SQLite, which lets one writer at a time anyway, and
for a session bound to a single connection (a caller running its own
outer transaction, as the tests do), the increment stays inside the
caller's transaction, and a rollback gives the number back.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from servicedesk.db import upsert
from servicedesk.models import TicketCounter

NUMBER_PATTERN = re.compile(r"\b(20\d\d)-(\d{6,})\b")


def format_number(year: int, value: int) -> str:
    return f"{year}-{value:06d}"


def next_number(session: Session, now: datetime) -> str:
    bind = session.get_bind()
    if isinstance(bind, Engine) and bind.dialect.name == "postgresql":
        with Session(bind) as own:
            number = _increment(own, now)
            own.commit()
        return number
    return _increment(session, now)


def _increment(session: Session, now: datetime) -> str:
    year = now.year
    value = session.execute(
        update(TicketCounter)
        .where(TicketCounter.year == year)
        .values(last_value=TicketCounter.last_value + 1)
        .returning(TicketCounter.last_value)
    ).scalar_one_or_none()
    if value is None:
        session.execute(
            upsert(session)(TicketCounter)
            .values(year=year, last_value=0)
            .on_conflict_do_nothing(index_elements=["year"])
        )
        return _increment(session, now)
    return format_number(year, value)


def find_numbers(text: str) -> list[str]:
    return [f"{m.group(1)}-{m.group(2)}" for m in NUMBER_PATTERN.finditer(text)]
