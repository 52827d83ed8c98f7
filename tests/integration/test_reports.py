"""Report figures on generated data sets whose answers are worked out by
hand: local time across both daylight-saving changes and the turn of the
year, the range's edges, the desk filter, business hours and percentiles,
satisfaction and knowledge-base usage.  The same on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from servicedesk import audit, charts, knowledge, report_durations, reports
from servicedesk.knowledge import Draft
from servicedesk.models import ArticleUse, Message, Survey, Ticket
from servicedesk.report_durations import percentile
from servicedesk.report_time import ReportFilter
from tests.integration.issue7_kit import at, make_ticket
from tests.integration.test_report_durations import statements

YEAR = ReportFilter.for_days(date(2026, 3, 1), date(2027, 1, 31))
APPLICANTS = ReportFilter.for_days(date(2026, 3, 1), date(2027, 1, 31), desk="applicant")


@pytest.fixture
def volumes(session):
    """Eight contacts; the comments give each one's time in Finland."""
    rows = [
        ("2026-02-28 21:59:59", "email", None, "fi", "applicant"),  # Feb 28 23:59: outside
        ("2026-02-28 22:00:00", "api", None, "fi", "applicant"),  # Sun Mar 1 00:00
        ("2026-03-28 21:30:00", "email", "01", "fi", "applicant"),  # Sat 23:30 (UTC+2)
        ("2026-03-29 01:30:00", "sms", "01", "sv", "applicant"),  # Sun 04:30 (UTC+3 now)
        ("2026-08-31 21:15:00", "web", "17", "en", "applicant"),  # Tue Sep 1 00:15
        ("2026-09-15 09:00:00", "email", None, "fi", "staff"),  # Tue 12:00
        ("2026-10-25 00:30:00", "email", None, "fi", "applicant"),  # Sun 03:30 (UTC+3)
        ("2026-10-25 01:30:00", "phone", "17", "fi", "applicant"),  # Sun 03:30 (UTC+2 again)
        ("2026-12-31 22:30:00", "email", "01", "fi", "applicant"),  # Fri Jan 1 2027 00:30
    ]
    for created, channel, region, language, audience in rows:
        extra = (
            {"queue": "helpdesk-content", "organization": "staff-helpdesk"}
            if audience == "staff"
            else {}
        )
        make_ticket(
            session,
            at(created),
            channel=channel,
            region=region,
            language=language,
            audience=audience,
            **extra,
        )
    session.commit()  # the hourly counts are kept as tickets are committed
    return rows


def column(table: charts.Table, name: str) -> dict[str, object]:
    index = table.headers.index(name)
    return {str(row[0]): row[index] for row in table.rows}


def test_contacts_by_month_in_finnish_time(session, volumes) -> None:
    table = reports.contacts_by_period(session, YEAR, "month")
    assert table.headers == ("month", "email", "sms", "phone", "web", "api", "total")
    assert [row[0] for row in table.rows] == [
        "2026-03",
        "2026-04",
        "2026-05",
        "2026-06",
        "2026-07",
        "2026-08",
        "2026-09",
        "2026-10",
        "2026-11",
        "2026-12",
        "2027-01",
    ]
    totals = column(table, "total")
    assert totals == {
        "2026-03": 3,
        "2026-04": 0,
        "2026-05": 0,
        "2026-06": 0,
        "2026-07": 0,
        "2026-08": 0,
        "2026-09": 2,
        "2026-10": 2,
        "2026-11": 0,
        "2026-12": 0,
        "2027-01": 1,
    }
    assert table.rows[0] == ("2026-03", 1, 1, 0, 0, 1, 3)
    applicants = column(reports.contacts_by_period(session, APPLICANTS, "month"), "total")
    assert applicants["2026-09"] == 1


def test_contacts_by_weekday_and_hour(session, volumes) -> None:
    weekdays = column(reports.contacts_by_period(session, YEAR, "weekday"), "total")
    assert weekdays == {"Mon": 0, "Tue": 2, "Wed": 0, "Thu": 0, "Fri": 1, "Sat": 1, "Sun": 4}
    hours = column(reports.contacts_by_period(session, YEAR, "hour"), "total")
    assert len(hours) == 24
    assert {h: n for h, n in hours.items() if n} == {"00": 3, "03": 2, "04": 1, "12": 1, "23": 1}
    sundays = reports.contacts_by_period(session, APPLICANTS, "weekday").rows[6]
    assert sundays == ("Sun", 1, 1, 1, 0, 1, 4)


def test_contacts_by_iso_week(session, volumes) -> None:
    weeks = column(reports.contacts_by_period(session, YEAR, "week"), "total")
    assert next(iter(weeks)) == "2026-W09" and list(weeks)[-1] == "2027-W04"
    assert {w: n for w, n in weeks.items() if n} == {
        "2026-W09": 1,
        "2026-W13": 2,
        "2026-W36": 1,
        "2026-W38": 1,
        "2026-W43": 2,
        "2026-W53": 1,
    }


def test_contacts_by_region_language_and_audience(session, volumes) -> None:
    regions = reports.contacts_by(session, YEAR, "region")
    assert [(row[0], row[-1]) for row in regions.rows] == [
        ("01 Uusimaa", 3),
        ("unknown", 3),
        ("17 Pohjois-Pohjanmaa", 2),
    ]
    assert column(reports.contacts_by(session, YEAR, "language"), "total") == {
        "fi": 6,
        "sv": 1,
        "en": 1,
    }
    assert column(reports.contacts_by(session, YEAR, "audience"), "total") == {
        "applicant": 7,
        "staff": 1,
    }
    assert column(reports.contacts_by(session, APPLICANTS, "audience"), "total") == {"applicant": 7}


def test_percentiles_match_percentile_cont() -> None:
    assert percentile([], 0.5) is None
    assert percentile([4.0], 0.9) == 4.0
    assert percentile([1, 2, 3, 8], 0.5) == 2.5
    assert percentile([8, 1, 3, 2], 0.9) == pytest.approx(6.5)
    assert percentile([3, 16, 8], 0.9) == pytest.approx(14.4)


def test_response_and_resolution_times_in_business_hours(session) -> None:
    # national-desk is open Mon–Thu 08–16 and Fri 08–15, Finnish time (UTC+2 in March)
    for created, answered, resolved in [
        ("2026-03-02 08:00", "2026-03-02 10:00", "2026-03-03 08:00"),  # 2 h; 6 + 2 = 8 h
        ("2026-03-06 12:00", "2026-03-09 08:00", None),  # Fri 14–15 + Mon 08–10 = 3 h
        ("2026-03-04 06:00", "2026-03-04 14:00", "2026-03-05 14:00"),  # 8 h; 16 h
        ("2026-03-03 10:00", "2026-03-03 11:00", "2026-03-03 13:00"),  # 1 h; 3 h
    ]:
        make_ticket(
            session,
            at(created),
            first_response_at=at(answered),
            resolved_at=at(resolved) if resolved else None,
        )
    make_ticket(session, at("2026-03-05 10:00"))  # not answered yet
    march = ReportFilter.for_days(date(2026, 3, 1), date(2026, 3, 31))
    table = report_durations.response_times(session, march, by="queue")
    assert table.rows == [("Hakijapalvelun triage", 4, 2.5, 6.5, 3, 8.0, 14.4)]
    assert "linear interpolation" in table.note
    by_desk = report_durations.response_times(session, march)
    assert by_desk.rows == [("applicant", 4, 2.5, 6.5, 3, 8.0, 14.4)]


def test_overdue_by_queue(session) -> None:
    now = at("2026-03-10 12:00")
    make_ticket(session, at("2026-03-09 08:00"), due_at=at("2026-03-10 08:00"))  # overdue now
    make_ticket(
        session,
        at("2026-03-09 08:00"),
        due_at=at("2026-03-10 08:00"),
        first_response_at=at("2026-03-09 09:00"),
        status="pending",
    )
    make_ticket(
        session,
        at("2026-03-09 08:00"),
        due_at=at("2026-03-10 08:00"),
        first_response_at=at("2026-03-10 09:00"),
        status="pending",
    )
    make_ticket(session, at("2026-03-10 08:00"), due_at=at("2026-03-11 08:00"))  # not yet due
    make_ticket(
        session, at("2026-03-09 08:00"), due_at=at("2026-03-10 08:00"), status="closed"
    )  # closed unanswered: not overdue now
    table = reports.overdue(
        session, ReportFilter.for_days(date(2026, 3, 1), date(2026, 3, 31)), now
    )
    assert table.rows == [("Hakijapalvelun triage", 1, 1, 1)]


def test_how_long_institutions_take(session) -> None:
    def forward(ticket, when, to_org, to_queue):
        audit.record(
            session,
            ticket.id,
            audit.SYSTEM,
            "forwarded",
            "",
            {
                "from_organization": ticket.organization_id,
                "to_organization": to_org,
                "to_queue": to_queue,
            },
            at=at(when),
        )
        ticket.organization_id, ticket.queue_id = to_org, to_queue

    def answer(ticket, when, auto="none"):
        session.add(
            Message(
                ticket_id=ticket.id,
                direction="outbound",
                channel="email",
                body_text="vastaus",
                auto_kind=auto,
                created_at=at(when),
            )
        )

    # OSAO has the default opening hours: weekdays 09–16 Finnish time (UTC+2)
    one = make_ticket(session, at("2026-03-02 08:00"))
    forward(one, "2026-03-02 09:00", "osao", "osao-applicants")
    answer(one, "2026-03-02 09:30", auto="auto_reply")  # an automatic notice is no answer
    answer(one, "2026-03-02 11:00")  # 11:00 → 13:00 local: 2 h
    two = make_ticket(session, at("2026-03-03 06:00"))
    forward(two, "2026-03-03 07:00", "osao", "osao-applicants")
    audit.record(
        session,
        two.id,
        audit.SYSTEM,
        "returned_to_region",
        "",
        {"from_organization": "osao", "to_organization": "pohjois-pohjanmaa-desk"},
        at=at("2026-03-04 08:00"),
    )
    answer(two, "2026-03-04 09:00")  # the regional desk answered, not OSAO
    three = make_ticket(
        session, at("2026-03-05 07:00"), queue="osao-applicants", organization="osao"
    )  # routed there at intake
    answer(three, "2026-03-05 12:00")  # 09:00 → 14:00 local: 5 h
    make_ticket(session, at("2026-03-06 07:00"), queue="osao-applicants", organization="osao")
    session.flush()
    table = report_durations.institution_answer_times(
        session, ReportFilter.for_days(date(2026, 3, 1), date(2026, 3, 31))
    )
    assert table.rows == [("Oulun seudun ammattiopisto", 4, 2, 1, 1, 3.5, 4.7)]


@pytest.fixture
def surveys(session):
    def answered(
        when,
        score,
        queue="national-triage",
        organization="national-desk",
        region=None,
        audience="applicant",
    ):
        ticket = make_ticket(
            session,
            at("2026-03-01 10:00"),
            queue=queue,
            region=region,
            organization=organization,
            audience=audience,
            status="resolved",
        )
        session.add(
            Survey(
                ticket_id=ticket.id,
                token_hash=ticket.number.ljust(64, "0"),
                expires_at=at(when) + timedelta(days=30),
                score=score,
                answered_at=at(when) if score else None,
            )
        )

    answered("2026-03-10 10:00", 3, region="01")
    answered("2026-03-20 10:00", 2, region="17")
    answered("2026-03-31 21:30", 2, "osao-applicants", "osao", "17")  # Apr 1 00:30 local
    answered("2026-05-15 10:00", 1, "osao-applicants", "osao", "17")  # outside the range
    answered("2026-03-15 10:00", 1, "helpdesk-content", "staff-helpdesk", audience="staff")
    answered("2026-03-16 10:00", None)  # sent, never answered
    session.flush()


SPRING = ReportFilter.for_days(date(2026, 3, 1), date(2026, 4, 30), desk="applicant")


def test_satisfaction_by_queue_region_and_month(session, surveys) -> None:
    headers = ("queue", "answers", "not helpful", "partly", "helpful", "average")
    by_queue = reports.satisfaction(session, SPRING, "queue")
    assert by_queue.headers == headers
    assert by_queue.rows == [
        ("Hakijapalvelun triage", 2, 0, 1, 1, 2.5),
        ("osao-applicants", 1, 0, 1, 0, 2.0),
    ]
    assert reports.satisfaction(session, SPRING, "region").rows == [
        ("01 Uusimaa", 1, 0, 0, 1, 3.0),
        ("17 Pohjois-Pohjanmaa", 2, 0, 2, 0, 2.0),
    ]
    assert reports.satisfaction(session, SPRING, "month").rows == [
        ("2026-03", 2, 0, 1, 1, 2.5),
        ("2026-04", 1, 0, 1, 0, 2.0),
    ]
    both_desks = ReportFilter.for_days(date(2026, 3, 1), date(2026, 4, 30))
    assert reports.satisfaction(session, both_desks, "month").rows[0] == (
        "2026-03",
        3,
        1,
        1,
        1,
        2.0,
    )


def test_knowledge_base_usage(session) -> None:
    now = at("2026-03-02 10:00")
    made = {
        name: knowledge.create(session, texts={"fi": Draft(name, "teksti")}, author=None, now=now)
        for name in ("Haku", "Tuki", "Tulokset")
    }
    for article in made.values():
        knowledge.publish(session, article, None, now)
    ticket = make_ticket(session, now)
    staff = make_ticket(
        session, now, audience="staff", queue="helpdesk-content", organization="staff-helpdesk"
    )
    for when, name, on in [
        ("2026-03-03", "Haku", ticket),
        ("2026-03-04", "Haku", ticket),
        ("2026-03-05", "Haku", staff),
        ("2026-02-01", "Haku", ticket),
        ("2026-03-06", "Tuki", ticket),
    ]:
        session.add(
            ArticleUse(article_id=made[name].id, ticket_id=on.id, created_at=at(f"{when} 12:00"))
        )
    for score in (3, 3, 1):
        knowledge.record_feedback(session, made["Tuki"].id, "fi", score, at("2026-03-07 12:00"))
    session.flush()
    march = ReportFilter.for_days(date(2026, 3, 1), date(2026, 3, 31))
    assert reports.kb_usage(session, march).rows == [
        ("Haku", 3, 0, 0, 0),
        ("Tuki", 1, 2, 0, 1),
    ]
    applicants = ReportFilter.for_days(date(2026, 3, 1), date(2026, 3, 31), desk="applicant")
    assert reports.kb_usage(session, applicants).rows[0] == ("Haku", 2, 0, 0, 0)


def test_reports_feed_charts_tables_and_csv(session, volumes) -> None:
    table = reports.contacts_by_period(session, YEAR, "month")
    assert charts.bar_chart(table).startswith("<svg")
    assert "<caption>Contacts by month</caption>" in charts.table_html(table)
    assert charts.to_csv(table).splitlines()[1] == "2026-03,1,1,0,0,1,3"


def test_filter_refuses_bad_ranges() -> None:
    from servicedesk.errors import ValidationError

    with pytest.raises(ValidationError):
        ReportFilter(at("2026-03-02 00:00"), at("2026-03-01 00:00"))
    with pytest.raises(ValidationError):
        ReportFilter(at("2026-03-01 00:00"), at("2026-03-02 00:00"), desk="everyone")


def test_range_reports_read_only_what_the_report_index_holds(session, volumes) -> None:
    """On PostgreSQL the reports over a range of tickets are index-only
    scans of ix_tickets_reports (at a million tickets, 0.1 s instead of
    1 s fetching a year of rows): every ticket column they read is in it."""
    index = next(i for i in Ticket.__table__.indexes if i.name == "ix_tickets_reports")
    held = {c.name for c in index.columns} | set(index.dialect_options["postgresql"]["include"])
    now = at("2027-02-01 00:00")
    with statements(session) as seen:
        for dimension in reports.DIMENSIONS:
            reports.contacts_by(session, YEAR, dimension)
        report_durations.response_times(session, YEAR, "desk")
        report_durations.response_times(session, YEAR, "queue")
        reports.overdue(session, YEAR, now)
    read = {
        column
        for sql in seen
        if "FROM tickets" in sql and "JOIN" not in sql
        for column in re.findall(r"\btickets\.(\w+)", sql)
    }
    assert read and read <= held, read - held
