"""The hourly ticket counts the volume reports sum (models/counts.py): they
follow what is committed, whatever was rolled back, on both databases and
with many writers at once; a range that does not begin on the hour counts
the tickets themselves; ``rebuild`` gives the same rows."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from servicedesk import reports
from servicedesk.models import Ticket, TicketCount
from servicedesk.models.counts import hour_of, rebuild
from servicedesk.report_time import ReportFilter
from tests.conftest import prepare_database
from tests.integration.issue7_kit import at, make_ticket


def kept(session: Session) -> dict[tuple[datetime, str, str], int]:
    rows = session.execute(select(TicketCount)).scalars()
    return {(r.hour, r.audience, r.channel): r.tickets for r in rows if r.tickets}


def counted(session: Session) -> dict[tuple[datetime, str, str], int]:
    tickets = session.execute(select(Ticket.created_at, Ticket.audience, Ticket.channel)).all()
    return dict(Counter((hour_of(c), a, ch) for c, a, ch in tickets))


def totals(table: Any) -> dict[object, object]:
    return {row[0]: row[-1] for row in table.rows}


def test_counts_follow_what_is_committed(session) -> None:
    make_ticket(session, at("2026-09-01 08:15"))
    make_ticket(session, at("2026-09-01 08:59:59"), channel="sms")
    make_ticket(session, at("2026-09-01 09:00"), audience="staff")
    session.commit()
    make_ticket(session, at("2026-09-01 08:30"))
    session.flush()
    with session.begin_nested() as inner:  # an undone part of a transaction
        make_ticket(session, at("2026-09-01 08:45"))
        inner.rollback()
    session.commit()
    assert kept(session) == {
        (at("2026-09-01 08:00"), "applicant", "email"): 2,
        (at("2026-09-01 08:00"), "applicant", "sms"): 1,
        (at("2026-09-01 09:00"), "staff", "email"): 1,
    }
    assert kept(session) == counted(session)


def test_a_rolled_back_transaction_leaves_no_count(rt) -> None:
    with rt.db.session() as session:
        make_ticket(session, at("2026-09-02 10:00"))
        session.rollback()
        make_ticket(session, at("2026-09-02 11:00"), channel="web")
        session.commit()
        assert kept(session) == {(at("2026-09-02 11:00"), "applicant", "web"): 1}


def test_a_range_off_the_hour_counts_the_tickets(session) -> None:
    for minute in (10, 20, 40, 50):
        make_ticket(session, at(f"2026-09-03 07:{minute}"))
    session.commit()
    half = ReportFilter(at("2026-09-03 07:30"), at("2026-09-03 08:00"))
    table = reports.contacts_by_period(session, half, "hour")
    assert totals(table)["10"] == 2  # 07:30 UTC is 10:30 in Finland
    whole = ReportFilter.for_days(date(2026, 9, 3), date(2026, 9, 3))
    assert totals(reports.contacts_by_period(session, whole, "hour"))["10"] == 4


def test_rebuild_gives_the_same_counts(session) -> None:
    start = at("2026-12-31 20:00")
    for n in range(30):
        make_ticket(
            session,
            start + timedelta(minutes=17 * n),
            channel=("email", "sms", "web")[n % 3],
            audience=("applicant", "staff")[n % 2],
        )
    session.commit()
    before = kept(session)
    assert sum(before.values()) == 30
    rebuild(session.connection())
    session.expire_all()
    assert kept(session) == before == counted(session)


def test_writers_at_once_are_all_counted(scratch_postgres: Engine) -> None:
    """Eight sessions committing tickets of the same hour and channel at
    the same time: the shared row is added to, never overwritten."""
    prepare_database(scratch_postgres)
    hour = datetime(2026, 9, 1, 8, tzinfo=UTC)
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for n in range(15):
                with Session(scratch_postgres) as session:
                    make_ticket(session, hour + timedelta(seconds=worker * 100 + n))
                    session.commit()
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with Session(scratch_postgres) as session:
        assert kept(session) == {(hour, "applicant", "email"): 120} == counted(session)
