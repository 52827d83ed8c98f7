"""The admin pages and the search in a real browser: an administrator signs
in, visits every admin page (and the pages its actions answer with: a
directory reload, a new token shown once, a failed intake record and its
replay) and searches; axe-core checks every page.  An agent is shown 404
for the admin pages."""

from __future__ import annotations

import re
import uuid

import pytest

from servicedesk.intake import pipeline
from servicedesk.models import IntakeRecord, utcnow
from servicedesk.users import find_by_email
from tests.browser.conftest import USERS, assert_accessible
from tests.browser.test_console_flows import enquire, sign_in, sign_out

pytestmark = pytest.mark.browser


def visit(live, page, path: str, context: str) -> None:  # type: ignore[no-untyped-def]
    response = page.goto(live.url + path)
    assert response is not None and response.status == 200, (path, response)
    assert_accessible(page, context=context)


def failed_record(live) -> int:  # type: ignore[no-untyped-def]
    with live.runtime.db.transaction() as session:
        record_id, _new = pipeline.store_raw(
            session,
            channel="email",
            raw=bytes(range(1, 9)) * 20 + b"<b>Hetu 131052-308T</b>",
            external_id=f"browser-admin:{uuid.uuid4()}",
            format=pipeline.RFC822,
            now=utcnow(),
        )
        record = session.get(IntakeRecord, record_id)
        assert record is not None
        record.status, record.error = "failed", "not a mail: <unparseable>"
        session.flush()
        return record.id


def test_an_admin_visits_every_admin_page_and_searches(live, page) -> None:  # type: ignore[no-untyped-def]
    number = enquire(
        live,
        email="selma.sokija@example.org",
        subject="Kaksoistutkinnon hakuaika",
        text="Milloin kaksoistutkinnon haku päättyy? Soitin jo numeroon 040 765 4321.",
    )
    record_id = failed_record(live)
    with live.runtime.db.session() as session:
        admin = find_by_email(session, USERS["admin"][0])
        assert admin is not None
        admin_id = admin.id

    sign_in(live, page, "admin")
    page.click("nav.main-nav >> text=/Ylläpito|Admin/")
    page.wait_for_url(re.compile(r".*/console/admin/$"))
    assert_accessible(page, context="admin home")
    for path, context in (
        ("/console/admin/users", "users"),
        ("/console/admin/users/new", "new user"),
        (f"/console/admin/users/{admin_id}", "one user"),
        ("/console/admin/directory", "directory"),
        ("/console/admin/tokens", "tokens"),
        ("/console/admin/intake", "failed intake"),
        ("/console/admin/intake?status=all", "all intake"),
        (f"/console/admin/intake/{record_id}", "intake record"),
    ):
        visit(live, page, path, context)

    page.goto(live.url + "/console/admin/directory")
    page.click("form[action$='/directory/reload'] button[type=submit]")
    page.wait_for_load_state()
    assert page.locator(".flash[role=status]").count() == 1
    assert_accessible(page, context="directory reloaded")

    page.goto(live.url + "/console/admin/tokens")
    page.fill("input[name=name]", "Selaintesti")
    page.click("form[action$='/admin/tokens'] button[type=submit]")
    page.wait_for_load_state()
    assert page.inner_text("code.secret").startswith("sdk_")
    assert_accessible(page, context="token created")

    page.goto(live.url + f"/console/admin/intake/{record_id}")
    assert "131052-308T" not in page.content()
    page.click("form[action$='/replay'] button[type=submit]")
    page.wait_for_load_state()
    assert f"record {record_id}: " in page.inner_text("main")
    assert_accessible(page, context="intake replayed")

    page.fill("#search-q", "kaksoistutkinnon")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_url(re.compile(r".*/console/search\?q=.*"))
    assert page.locator(f"a[href='/console/tickets/{number}']").count() == 1
    assert page.locator("ol.search-results mark").count() >= 1
    assert_accessible(page, context="search results")

    visit(live, page, "/console/search?q=0407654321", "search by a phone number")
    visit(live, page, "/console/search?q=selma.sokija%40example.org", "search by email")
    assert page.locator(f"a[href='/console/tickets/{number}']").count() == 1
    visit(live, page, "/console/search?q=%22NEAR(%27%3B+DROP", "search with no results")
    assert page.locator(".empty[role=status]").count() == 1
    visit(live, page, "/console/search?q=haku&status=all&desk=applicant", "search with filters")
    page.goto(live.url + f"/console/search?q={number}")
    page.wait_for_url(re.compile(rf".*/console/tickets/{number}$"))
    sign_out(page)


def test_an_agent_gets_404_for_the_admin_pages(live, page) -> None:  # type: ignore[no-untyped-def]
    sign_in(live, page, "agent")
    assert page.locator("nav.main-nav a[href='/console/admin/']").count() == 0
    for path in ("/console/admin/", "/console/admin/users", "/console/admin/intake"):
        response = page.goto(live.url + path)
        assert response is not None and response.status == 404, path
    assert_accessible(page, context="admin page refused")
    sign_out(page)
