"""Ticket numbers a person can read out on the phone: ``2026-004711``.

One counter row per year, incremented with a single UPDATE ... RETURNING
inside the transaction that creates the ticket.  The row lock makes
concurrent writers queue for the increment only; a rolled-back transaction
gives its number back, so numbers have no gaps in normal operation.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from servicedesk.models import TicketCounter

NUMBER_PATTERN = re.compile(r"\b(20\d\d)-(\d{6,})\b")


def format_number(year: int, value: int) -> str:
    return f"{year}-{value:06d}"


def next_number(session: Session, now: datetime) -> str:
    year = now.year
    value = session.execute(
        update(TicketCounter)
        .where(TicketCounter.year == year)
        .values(last_value=TicketCounter.last_value + 1)
        .returning(TicketCounter.last_value)
    ).scalar_one_or_none()
    if value is None:
        dialect = session.get_bind().dialect.name
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            session.execute(
                pg_insert(TicketCounter)
                .values(year=year, last_value=0)
                .on_conflict_do_nothing(index_elements=["year"])
            )
        else:
            exists = session.execute(
                select(TicketCounter.year).where(TicketCounter.year == year)
            ).first()
            if exists is None:
                session.execute(insert(TicketCounter).values(year=year, last_value=0))
        return next_number(session, now)
    return format_number(year, value)


def find_numbers(text: str) -> list[str]:
    return [f"{m.group(1)}-{m.group(2)}" for m in NUMBER_PATTERN.finditer(text)]
