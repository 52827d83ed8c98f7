"""Ticket numbers under concurrency: 8 writers, 2,000 tickets, no clash."""

from __future__ import annotations

import secrets
import threading
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from servicedesk.models import Ticket, TicketCounter
from servicedesk.numbering import format_number, next_number

YEAR = 2099  # far from any year the other tests use
WRITERS = 8
PER_WRITER = 250


def test_parallel_writers_get_distinct_numbers(engine) -> None:
    now = datetime(YEAR, 3, 1, tzinfo=UTC)
    errors: list[BaseException] = []
    barrier = threading.Barrier(WRITERS)

    def write() -> None:
        try:
            barrier.wait()
            for _ in range(PER_WRITER):
                with Session(engine) as session:
                    session.add(
                        Ticket(
                            number=next_number(session, now),
                            audience="applicant",
                            channel="api",
                            status_token=secrets.token_urlsafe(24),
                            created_at=now,
                            updated_at=now,
                        )
                    )
                    session.commit()
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=write) for _ in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == []
        with Session(engine) as session:
            numbers = (
                session.execute(select(Ticket.number).where(Ticket.number.like(f"{YEAR}-%")))
                .scalars()
                .all()
            )
        assert len(numbers) == WRITERS * PER_WRITER
        assert len(set(numbers)) == len(numbers)
        assert set(numbers) == {format_number(YEAR, n) for n in range(1, len(numbers) + 1)}
    finally:
        with Session(engine) as session:
            session.execute(delete(Ticket).where(Ticket.number.like(f"{YEAR}-%")))
            session.execute(delete(TicketCounter).where(TicketCounter.year == YEAR))
            session.commit()


def test_number_format_is_readable() -> None:
    assert format_number(2026, 4711) == "2026-004711"
    assert format_number(2026, 1234567) == "2026-1234567"
