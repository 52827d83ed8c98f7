"""The console's knowledge base, message templates, announcements and
reports in a real browser, signed in as an administrator: an article is
written with its live preview, saved and published, then suggested on a
ticket and inserted into the reply with and without JavaScript; a
template's live preview shows the reason a text is refused; a report page
and its CSV; an announcement's banner on every console page.  axe-core
checks every page visited."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from servicedesk import announcements, knowledge
from servicedesk.models import Announcement, Article, ArticleText
from tests.browser.conftest import assert_accessible
from tests.browser.test_console_flows import enquire, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def no_js_page(browser) -> Iterator[object]:  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="fi-FI", java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def write_article(page, title: str) -> str:  # type: ignore[no-untyped-def]
    """Through the editor: live preview, the server's preview, save, publish."""
    page.goto(page.url.split("/console/")[0] + "/console/kb/new")
    assert_accessible(page, context="new article")
    page.fill("#title_fi", title)
    page.fill(
        "#body_fi",
        "Yhteishaku alkaa **maaliskuussa**.\n\n- Hakuaika päättyy huhtikuussa\n",
    )
    page.wait_for_selector("#kb-preview-fi strong")  # the live preview
    assert page.inner_text("#kb-preview-fi strong") == "maaliskuussa"
    page.check("input[name=topics][value=application]")
    with page.expect_navigation():
        page.click("button[name=action][value=preview]")
    assert page.locator("#kb-preview-fi li").inner_text() == "Hakuaika päättyy huhtikuussa"
    assert_accessible(page, context="article preview")
    page.click("button[name=action][value=save]")
    page.wait_for_url(re.compile(r".*/console/kb/\d+$"))
    assert_accessible(page, context="article page")
    page.click(".kb-actions button.primary")  # publish
    page.wait_for_selector(".flash")
    return page.url.rsplit("/", 1)[1]


@pytest.fixture
def archived_afterwards(live) -> Iterator[list[str]]:  # type: ignore[no-untyped-def]
    """Titles of articles a test publishes in the shared live database,
    archived when it ends, so the public /kb tests never find them."""
    titles: list[str] = []
    yield titles
    with live.runtime.db.transaction() as session:
        rows = session.execute(
            select(Article).join(ArticleText).where(ArticleText.title.in_(titles))
        ).scalars()
        for row in rows:
            knowledge.archive(session, row, None, live.runtime.now())


def test_article_from_the_editor_to_a_reply(live, page, no_js_page, archived_afterwards) -> None:
    # A word, never only digits: a run of digits is scrubbed from knowledge-
    # base searches like a phone number (one run in seventeen was "614552").
    suffix = "k" + uuid.uuid4().hex[:6]
    title = f"Yhteishaun aikataulu {suffix}"
    archived_afterwards.append(title)
    number = enquire(
        live,
        email=f"kb.{suffix}@example.org",
        subject="Milloin yhteishaku alkaa?",
        text="Hei, milloin yhteishaku alkaa ja mihin asti hakuaika on?",
    )
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(live, page, "admin")
    with page.expect_navigation():
        page.click("nav.main-nav a[href='/console/kb/']")
    assert_accessible(page, context="knowledge base")
    article_id = write_article(page, title)
    page.goto(f"{live.url}/console/kb/?q={suffix}")
    assert page.get_by_role("link", name=title).count() == 1
    page.goto(f"{live.url}/console/kb/review")
    assert_accessible(page, context="needs review")

    # On the ticket: inserted at the cursor, no page load.
    page.goto(f"{live.url}/console/tickets/{number}")
    assert_accessible(page, context="ticket with suggestions")
    page.fill("#reply-body", "Hei,")
    page.click(f"button[value='answer:{article_id}']")
    assert page.url.endswith(f"/console/tickets/{number}")
    assert page.input_value("#reply-body").startswith(f"Hei,\n\n{title}\n\nYhteishaku alkaa")
    page.click("button[name=reply-send]")
    page.wait_for_selector(".flash")
    page.goto(f"{live.url}/console/kb/{article_id}")
    assert page.inner_text("#kb-uses") == "1"
    assert not errors, errors

    # Without JavaScript: the form goes to the server and comes back filled.
    live.login(no_js_page, "admin")
    no_js_page.goto(f"{live.url}/console/tickets/{number}")
    no_js_page.fill("#reply-body", "Toinen vastaus.")
    no_js_page.click(f"button[value='link:{article_id}']")
    assert no_js_page.input_value("#reply-body") == (
        f"Toinen vastaus.\n\n{live.url}/kb/{article_id}?lang=fi"
    )
    # axe needs scripts: the same server-filled page, reached the same way
    # (a plain form submission, no click handler), is checked with them on.
    page.goto(f"{live.url}/console/tickets/{number}")
    page.evaluate(
        "document.getElementById('reply-form').requestSubmit("
        f"document.querySelector(\"button[value='link:{article_id}']\"))"
    )
    page.wait_for_url(re.compile(r".*/kb-insert$"))
    assert page.input_value("#reply-body").endswith(f"/kb/{article_id}?lang=fi")
    assert_accessible(page, context="ticket after inserting a link on the server")


def test_template_editor_previews_and_refuses(live, page) -> None:
    sign_in(live, page, "admin")
    page.goto(f"{live.url}/console/admin/templates")
    assert_accessible(page, context="templates")
    with page.expect_navigation():
        page.click("a[href='/console/admin/templates/pending_reminder/fi/sms']")
    assert_accessible(page, context="template editor")
    page.fill("#tpl-text", "Muistutus {{ number }} {{ tuntematon }}")
    page.wait_for_selector("#tpl-preview .tpl-preview-problems")  # live
    assert "tuntematon" in page.inner_text("#tpl-preview")
    page.click("button[name=action][value=save]")
    assert "tuntematon" in page.inner_text("#tpl-text-error")
    assert page.get_attribute("#tpl-text", "aria-invalid") == "true"
    assert_accessible(page, context="template refused")
    page.fill("#tpl-text", "Odotamme vastaustasi asiassa {{ number }}.")
    expect(page.locator("#tpl-preview")).to_contain_text("2026-001234")  # live again
    page.click("button[name=action][value=save]")
    page.wait_for_selector(".flash")
    page.click(".tpl-reset button")
    page.wait_for_selector(".flash")
    assert "{{ status_url }}" in page.input_value("#tpl-text")  # the shipped text again


def test_a_report_page_and_its_csv(live, page) -> None:
    enquire(live, email=f"r.{uuid.uuid4().hex[:6]}@example.org", subject="Raportti", text="Hei")
    sign_in(live, page, "admin")
    with page.expect_navigation():
        page.click("nav.main-nav a[href='/console/reports']")
    assert_accessible(page, context="report dashboard")
    with page.expect_navigation():
        page.click("a[href^='/console/reports/contacts-month?']")
    assert page.locator("svg.chart").count() == 1
    assert page.locator("table.report-table").count() == 1
    assert_accessible(page, context="report page")
    with page.expect_download() as download:
        page.click("a.csv-link")
    content = Path(download.value.path()).read_bytes()
    assert content.startswith(b"month,email,sms,phone,web,api,total\r\n")
    page.select_option("#report-desk", "staff")
    with page.expect_navigation():
        page.click(".report-filters button[type=submit]")
    assert "desk=staff" in page.url
    assert_accessible(page, context="report filtered")


def test_announcement_banner_on_console_pages(live, page) -> None:
    title = f"Sähköposti hidastelee {uuid.uuid4().hex[:6]}"
    sign_in(live, page, "admin")
    page.goto(f"{live.url}/console/admin/announcements")
    assert_accessible(page, context="announcements")
    with page.expect_navigation():
        page.click("a[href='/console/admin/announcements/new']")
    assert_accessible(page, context="new announcement")
    page.select_option("#kind", "technical")
    page.uncheck("input[name=places][value=contact_form]")
    page.uncheck("input[name=places][value=status_pages]")
    page.fill("#title_fi", title)
    page.fill("#body_fi", "Vastaukset viivästyvät tänään.")
    page.click("form.ann-form button.primary")
    page.wait_for_url(re.compile(r".*/console/admin/announcements/\d+$"))
    announcement_id = int(page.url.rsplit("/", 1)[1])
    try:
        assert_accessible(page, context="announcement")
        for url in ("/console/", "/console/kb/", "/console/reports"):
            page.goto(live.url + url)
            assert title in page.inner_text(".kb-banner"), url
        assert_accessible(page, context="page with a banner")
        page.goto(f"{live.url}/console/admin/announcements/{announcement_id}")
        page.select_option("#organizations", "osao")
        with page.expect_navigation():
            page.click("button[name=action][value=check]")
        assert page.locator("#ann-check").count() == 1
        assert_accessible(page, context="recipients checked")
    finally:
        with live.runtime.db.transaction() as session:
            row = session.get(Announcement, announcement_id)
            if row is not None and row.withdrawn_at is None:
                announcements.withdraw(session, row, None, live.runtime.now())
    page.goto(live.url + "/console/")
    assert page.locator(".kb-banner").count() == 0
