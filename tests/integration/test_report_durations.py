"""Durations in business hours kept on the rows (models/durations.py) and
the duration reports that aggregate them: tickets made through the normal
code paths (API intake, forward, reply, the deadline job, status changes)
get their figures filled, the backfill of migration 0005 gives the same
figures, and each report is one aggregate query over every ticket of the
range, with no sample, on a generated set whose answers are known."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, event, select, update
from sqlalchemy.orm import Session

from servicedesk import jobs, report_durations, tickets
from servicedesk.models import Ticket, TicketHold
from servicedesk.models.durations import backfill
from servicedesk.report_time import ReportFilter
from tests.integration.issue7_kit import at, make_ticket

MARCH = ReportFilter.for_days(date(2026, 3, 1), date(2026, 3, 31))
# Monday 2 March 2026, 09:00 in Finland (UTC+2): OSAO (weekdays 09–16)
# and the regional desk have just opened.
MONDAY_9 = at("2026-03-02 07:00")


def enquiry(api, session: Session) -> Ticket:  # type: ignore[no-untyped-def]
    response = api.post(
        "/enquiries", json={"email": "d@example.org", "body": "Asun Oulussa. Milloin haku alkaa?"}
    )
    assert response.status_code == 201
    number = response.get_json()["ticket"]["number"]
    return session.execute(select(Ticket).where(Ticket.number == number)).scalar_one()


def holds_of(session: Session, ticket: Ticket) -> list[tuple[object, ...]]:
    return [
        (h.organization_id, h.started_at, h.ended_at, h.answered_at, h.answer_hours)
        for h in session.execute(
            select(TicketHold).where(TicketHold.ticket_id == ticket.id).order_by(TicketHold.id)
        ).scalars()
    ]


@pytest.fixture
def worked(api, rt, session):  # type: ignore[no-untyped-def]
    """Two enquiries through the API on Monday morning: one forwarded to
    OSAO, answered and resolved (reopened and resolved again); the other
    forwarded to OSAO and returned unanswered by the deadline job."""
    rt.clock = lambda: MONDAY_9
    answered, returned = enquiry(api, session), enquiry(api, session)
    assert answered.organization_id == "pohjois-pohjanmaa-desk"
    rt.clock = lambda: MONDAY_9 + timedelta(hours=1)
    tickets.forward(session, rt, answered, "osao-applicants", "", None)
    tickets.forward(session, rt, returned, "osao-applicants", "", None)
    rt.clock = lambda: MONDAY_9 + timedelta(hours=3)
    tickets.reply(session, rt, answered, "Haku alkaa maaliskuussa.", None)
    tickets.change_status(session, answered, "resolved", None, "", MONDAY_9 + timedelta(hours=4))
    tickets.change_status(session, answered, "open", None, "", MONDAY_9 + timedelta(hours=4.5))
    tickets.change_status(session, answered, "resolved", None, "", MONDAY_9 + timedelta(hours=5))
    session.commit()
    due = returned.due_at
    assert due is not None
    rt.clock = lambda: due + timedelta(minutes=1)
    assert jobs.check_deadlines() == 1
    session.expire_all()
    return answered, returned, due + timedelta(minutes=1)


def test_the_normal_code_paths_fill_the_durations(session, worked) -> None:
    answered, returned, back = worked
    assert answered.first_response_hours == pytest.approx(3.0)  # 09:00 → 12:00
    assert answered.resolution_hours == pytest.approx(5.0)  # the last resolution counts
    assert returned.first_response_hours is None and returned.resolution_hours is None
    forwarded, replied = MONDAY_9 + timedelta(hours=1), MONDAY_9 + timedelta(hours=3)
    assert holds_of(session, answered) == [
        ("pohjois-pohjanmaa-desk", MONDAY_9, forwarded, None, None),
        ("osao", forwarded, None, replied, pytest.approx(2.0)),
    ]
    assert holds_of(session, returned) == [
        ("pohjois-pohjanmaa-desk", MONDAY_9, forwarded, None, None),
        ("osao", forwarded, back, None, None),
        ("pohjois-pohjanmaa-desk", back, None, None, None),
    ]
    table = report_durations.institution_answer_times(session, MARCH)
    assert table.rows == [("Oulun seudun ammattiopisto", 2, 1, 1, 0, 2.0, 2.0)]
    assert report_durations.response_times(session, MARCH).rows == [
        ("applicant", 1, 3.0, 3.0, 1, 5.0, 5.0)
    ]


def test_the_backfill_agrees_with_the_flushes(session, worked) -> None:
    """Migration 0005 fills old tickets by the rules the reports used to
    apply; on tickets written today both give the same rows."""
    answered, returned, _back = worked
    before = {t.id: (holds_of(session, t), t.first_response_hours) for t in worked[:2]}
    ids = [answered.id, returned.id]
    session.execute(delete(TicketHold).where(TicketHold.ticket_id.in_(ids)))
    session.execute(
        update(Ticket)
        .where(Ticket.id.in_(ids))
        .values(first_response_hours=None, resolution_hours=None)
    )
    backfill(session.connection())
    session.expire_all()
    assert {t.id: (holds_of(session, t), t.first_response_hours) for t in worked[:2]} == before
    assert answered.resolution_hours == pytest.approx(5.0)
    session.rollback()


@contextmanager
def statements(session: Session) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn, _cursor, statement, _params, _context, _many) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def known(session):  # type: ignore[no-untyped-def]
    """201 tickets on Monday 2 March, national-desk open from 08:00 local:
    the k-th answered after k minutes and resolved after 2k minutes; five
    unanswered; one merged (left out, as before)."""
    start = at("2026-03-02 06:00")
    for k in range(1, 202):
        make_ticket(
            session,
            start,
            first_response_at=start + timedelta(minutes=k),
            resolved_at=start + timedelta(minutes=2 * k),
        )
    for _ in range(5):
        make_ticket(session, start)
    target = make_ticket(session, start)
    make_ticket(
        session, start, merged_into_id=target.id, first_response_at=start + timedelta(hours=7)
    )
    session.flush()


def test_figures_come_from_every_ticket_in_one_aggregate(session, known) -> None:
    session.connection()  # the transaction is open before counting statements
    with statements(session) as seen:
        table = report_durations.response_times(session, MARCH)
    # k/60 h for k = 1..201: the median is k = 101, the 90th percentile k = 181
    # (position 0.9 × 200); resolutions twice that.
    assert table.rows == [
        ("applicant", 201, round(101 / 60, 2), round(181 / 60, 2), 201, 3.37, 6.03)
    ]
    assert "50000" not in table.note and "sample" not in table.note
    reads = [s for s in seen if not s.startswith("SET LOCAL")]  # PostgreSQL's sort memory
    assert len(reads) == 1, seen
    (sql,) = reads
    assert "LIMIT" not in sql.upper()
    assert "audit_events" not in sql and "messages" not in sql
    if session.get_bind().dialect.name == "postgresql":
        assert "percentile_cont" in sql and "GROUP BY" in sql
    else:  # one float column per ticket, the percentiles in Python
        assert "first_response_hours" in sql and "created_at" not in sql.split("WHERE")[0]


def test_institution_times_are_aggregated_not_walked(session, known) -> None:
    session.connection()
    with statements(session) as seen:
        report_durations.institution_answer_times(session, MARCH)
    about_holds = [s for s in seen if "ticket_holds" in s]
    postgres = session.get_bind().dialect.name == "postgresql"
    assert len(about_holds) == (1 if postgres else 2), seen  # SQLite: counts, then the column
    assert not any("audit_events" in s or "FROM messages" in s for s in seen)
    assert all("LIMIT" not in s.upper() for s in seen)
