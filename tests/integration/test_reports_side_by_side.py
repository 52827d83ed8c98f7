"""The report dashboard on PostgreSQL with sessions of their own (as in
production, not one test transaction): its reports run side by side, and
each shows what its own page shows."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Engine

from servicedesk import runtime as runtime_module
from servicedesk.app import create_app
from servicedesk.console.reports import DASHBOARD
from tests.conftest import prepare_database
from tests.fakes import RecordingMailSender
from tests.integration.console_kit import fast_sign_in, make_user
from tests.integration.test_console_reports import RANGE, make_tickets
from tests.integration.test_intake_concurrency import runtime_on

pytestmark = pytest.mark.postgres


@pytest.fixture
def app_on_postgres(scratch_postgres: Engine, tmp_path: Path) -> Iterator[Flask]:
    prepare_database(scratch_postgres)
    runtime = runtime_on(scratch_postgres, tmp_path, RecordingMailSender())
    assert runtime.db.works_side_by_side
    with runtime.db.transaction() as session:
        make_tickets(session)
    token = runtime_module.activate(runtime)
    app = create_app(runtime.settings, runtime)
    app.config.update(TESTING=True)
    try:
        yield app
    finally:
        runtime_module.deactivate(token)


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
