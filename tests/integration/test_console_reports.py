"""Report pages: the dashboard and every report with its SVG chart, the
same figures as a table and a CSV download; the date-range and desk
filters; the helpdesk's reports kept to the staff desk; 404 for experts
and super-users."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from servicedesk.console.reports import REPORTS
from tests.integration import console_kit
from tests.integration.console_kit import fast_sign_in, make_user
from tests.integration.issue7_kit import at, make_ticket

app = console_kit.app  # the fixture, with compiled templates shared between tests

RANGE = "from=2026-03-01&to=2026-04-30"


@pytest.fixture
def tickets(session):  # type: ignore[no-untyped-def]
    make_tickets(session)
    session.commit()


def make_tickets(session) -> None:  # type: ignore[no-untyped-def]
    """March: two emails and an SMS on the applicant desk and a staff email;
    April: one web form; and one in February, outside the range."""
    for created, channel, audience in (
        ("2026-03-02 08:00", "email", "applicant"),
        ("2026-03-03 09:00", "email", "applicant"),
        ("2026-03-04 10:00", "sms", "applicant"),
        ("2026-03-05 11:00", "email", "staff"),
        ("2026-04-06 12:00", "web", "applicant"),
        ("2026-02-10 12:00", "email", "applicant"),
    ):
        start = at(created)
        make_ticket(
            session,
            start,
            channel=channel,
            audience=audience,
            due_at=start + timedelta(hours=8),
            first_response_at=start + timedelta(hours=2),
        )


def signed_in(client, session, role: str):  # type: ignore[no-untyped-def]
    user = make_user(session, role)
    session.commit()
    fast_sign_in(client, user)
    return client


def rows_of(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_dashboard_has_charts_tables_and_csv_links(client, session, tickets) -> None:
    page = signed_in(client, session, "agent").get(f"/console/reports?{RANGE}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg"') == 4
    assert html.count('<table class="report-table"') == 4
    assert f"/console/reports/contacts-month.csv?{RANGE.replace('&', '&amp;')}" in html
    for report in REPORTS:
        assert f"/console/reports/{report}?" in html  # the list of every report


@pytest.mark.parametrize("slug", sorted(REPORTS))
def test_every_report_page_and_its_csv(client, session, tickets, slug: str) -> None:
    client = signed_in(client, session, "admin")
    page = client.get(f"/console/reports/{slug}?{RANGE}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in html or "No figures for this range." in html
    assert f'href="/console/reports/{slug}.csv?' in html
    download = client.get(f"/console/reports/{slug}.csv?{RANGE}")
    assert download.status_code == 200
    assert download.mimetype == "text/csv"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert rows_of(download)[0][0]  # a header row


def test_csv_figures_follow_the_range_and_desk(client, session, tickets) -> None:
    client = signed_in(client, session, "agent")
    month = rows_of(client.get(f"/console/reports/contacts-month.csv?{RANGE}"))
    assert month == [
        ["month", "email", "sms", "phone", "web", "api", "total"],
        ["2026-03", "3", "1", "0", "0", "0", "4"],
        ["2026-04", "0", "0", "0", "1", "0", "1"],
    ]
    staff = rows_of(client.get(f"/console/reports/contacts-month.csv?{RANGE}&desk=staff"))
    assert staff[1:] == [["2026-03", "1", "0", "0", "0", "0", "1"], ["2026-04"] + ["0"] * 6]
    table = client.get(f"/console/reports/contacts-month?{RANGE}").get_data(as_text=True)
    assert '<th scope="row">2026-03</th><td>3</td><td>1</td>' in table


def test_the_helpdesk_sees_the_staff_desk_only(client, session, tickets) -> None:
    client = signed_in(client, session, "helpdesk")
    by_desk = rows_of(client.get(f"/console/reports/contacts-audience.csv?{RANGE}&desk=applicant"))
    assert [row[0] for row in by_desk[1:]] == ["staff"]
    page = client.get(f"/console/reports?{RANGE}").get_data(as_text=True)
    assert "Your reports are of the staff desk." in page


def test_unusable_filters_are_reported_not_fatal(client, session, tickets) -> None:
    client = signed_in(client, session, "agent")
    page = client.get("/console/reports/contacts-week?from=eilen&to=2026-01-01&desk=muu")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "The start date is not a date" in html and "Unknown desk" in html
    assert client.get("/console/reports/no-such-report").status_code == 404


@pytest.mark.parametrize("role", ["expert", "superuser"])
def test_experts_and_superusers_get_404(client, session, role: str) -> None:
    client = signed_in(client, session, role)
    assert client.get("/console/reports").status_code == 404
    assert client.get("/console/reports/contacts-month").status_code == 404
    assert client.get("/console/reports/contacts-month.csv").status_code == 404
    assert "/console/reports" not in client.get("/console/kb/").get_data(as_text=True)
