"""Console pages on PostgreSQL with sessions of their own (as in
production, not one test transaction), where their independent queries
run side by side: the report dashboard shows each report as its own page
does, and the desks' pages show the counts of what they list."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Engine

from servicedesk import runtime as runtime_module
from servicedesk.app import create_app
from servicedesk.console.reports import DASHBOARD
from tests.conftest import prepare_database
from tests.fakes import RecordingMailSender
from tests.integration.console_kit import fast_sign_in, make_ticket, make_user
from tests.integration.test_console_reports import RANGE, make_tickets
from tests.integration.test_intake_concurrency import runtime_on

pytestmark = pytest.mark.postgres


@pytest.fixture
def on_postgres(scratch_postgres: Engine, tmp_path: Path) -> Iterator[Flask]:
    prepare_database(scratch_postgres)
    runtime = runtime_on(scratch_postgres, tmp_path, RecordingMailSender())
    assert runtime.db.works_side_by_side
    token = runtime_module.activate(runtime)
    app = create_app(runtime.settings, runtime)
    app.config.update(TESTING=True)
    try:
        yield app
    finally:
        runtime_module.deactivate(token)


@pytest.fixture
def app_on_postgres(on_postgres: Flask) -> Flask:
    with on_postgres.extensions["servicedesk"].db.transaction() as session:
        make_tickets(session)
    return on_postgres


def table(html: str, slug: str) -> str:
    found = re.search(rf'<table class="report-table" id="table-{slug}">.*?</table>', html, re.S)
    assert found, f"no table of {slug}"
    return found.group(0)


def test_the_dashboard_shows_each_report_as_its_own_page_does(app_on_postgres: Flask) -> None:
    client = app_on_postgres.test_client()
    runtime = app_on_postgres.extensions["servicedesk"]
    with runtime.db.transaction() as session:
        agent = make_user(session, "agent")
    fast_sign_in(client, agent)

    dashboard = client.get(f"/console/reports?{RANGE}")
    assert dashboard.status_code == 200
    html = dashboard.get_data(as_text=True)
    for slug in DASHBOARD:
        page = client.get(f"/console/reports/{slug}?{RANGE}")
        assert page.status_code == 200
        assert table(html, slug) == table(page.get_data(as_text=True), slug)
    assert "<td>4</td>" in table(html, "contacts-month"), "March's four tickets"


LINK_COUNT = r'"[^>]*>[^<]*</a> <span class="count">(\d+)</span>'
VIEW_COUNT = re.compile(
    r'<a href="/console/desks/applicants/(mine|unassigned|overdue|)' + LINK_COUNT
)
QUEUE_COUNT = re.compile(r'<a href="/console/desks/applicants/queues/([a-z-]+)' + LINK_COUNT)
HOME_QUEUE_COUNT = re.compile(r'queues/([a-z-]+)">[^<]*</a></td>\s*<td class="num">(\d+)<')


def test_the_desk_pages_count_what_they_list(on_postgres: Flask) -> None:
    client = on_postgres.test_client()
    runtime = on_postgres.extensions["servicedesk"]
    now = runtime.now()
    with runtime.db.transaction() as session:
        agent = make_user(session, "agent")
        for queue, organization, status, due_in, mine in (
            ("osao-applicants", "osao", "new", timedelta(hours=8), False),
            ("osao-applicants", "osao", "open", timedelta(hours=-2), True),
            ("osao-applicants", "osao", "closed", timedelta(hours=-2), False),
            ("national-triage", "national-desk", "pending", timedelta(hours=-1), False),
        ):
            ticket = make_ticket(
                session, now, queue=queue, organization=organization, status=status, due_in=due_in
            )
            ticket.assignee_id = agent.id if mine else None
    fast_sign_in(client, agent)

    for path in ("/console/desks/applicants/", "/console/desks/applicants/callbacks"):
        html = client.get(path).get_data(as_text=True)
        views = {view or "all": int(n) for view, n in VIEW_COUNT.findall(html)}
        queues = {queue: int(n) for queue, n in QUEUE_COUNT.findall(html)}
        assert views == {"all": 3, "mine": 1, "unassigned": 2, "overdue": 2}, path
        assert (queues["osao-applicants"], queues["national-triage"]) == (2, 1), path
    listed = client.get("/console/desks/applicants/").get_data(as_text=True)
    assert listed.count('href="/console/tickets/') == 3

    home = client.get("/console/").get_data(as_text=True)
    counts = {queue: int(n) for queue, n in HOME_QUEUE_COUNT.findall(home)}
    assert (counts["osao-applicants"], counts["national-triage"]) == (2, 1)


def test_a_search_marks_subjects_and_passages_read_beside_it(on_postgres: Flask) -> None:
    """The subjects' matches and marks are read on a session of their own
    while the messages' are read in the request: the page ranks and marks
    them as one search does."""
    client = on_postgres.test_client()
    runtime = on_postgres.extensions["servicedesk"]
    now = runtime.now()
    with runtime.db.transaction() as session:
        agent = make_user(session, "agent")
        both, message_only, neither = (
            make_ticket(
                session,
                now,
                queue="osao-applicants",
                organization="osao",
                subject=subject,
                body=body,
                created_at=now - timedelta(days=days),
            ).number
            for subject, body, days in (
                ("Hakemus myöhässä", "Lähetin hakemuksen eilen.", 3),
                ("Kysymys valinnoista", "Milloin hakemus käsitellään?", 1),
                ("Valintakoe", "Kiitos tiedosta.", 2),
            )
        )
    fast_sign_in(client, agent)

    page = client.get("/console/search?q=hakemus")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    listed = re.findall(r'href="/console/tickets/([0-9-]+)"', html)
    assert listed == [both, message_only], "the subject's match first, the other after"
    assert neither not in listed
    assert "<mark>Hakemus</mark> myöhässä" in html, "the subject marked beside the request"
    assert "Milloin <mark>hakemus</mark> käsitellään" in html, "the passage marked in it"
