"""The agent console in a real browser: every role signs in and sees its
own desks; an agent works a ticket end to end (reply by email that really
reaches the SMTP server, forward to OSAO), OSAO's expert answers and the
status changes; two tickets are merged; the console works without
JavaScript.  axe-core checks every page visited."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from email.message import EmailMessage

import pytest

from channels.message import Channel, Hints, InboundMessage
from servicedesk.intake import pipeline
from tests.browser.conftest import PASSWORD, USERS, assert_accessible

pytestmark = pytest.mark.browser


def enquire(live, *, email: str, text: str, subject: str, audience: str = "applicant") -> str:  # type: ignore[no-untyped-def]
    """A contact through the real intake pipeline; returns the ticket number."""
    message = InboundMessage(
        channel=Channel.WEB,
        external_id=f"browser:{uuid.uuid4()}",
        sender_address=email,
        sender_name="Oona Hakija",
        subject=subject,
        text=text,
        hints=Hints(audience=audience),
    )
    record_id, _ = pipeline.receive(
        live.runtime,
        channel="web",
        raw=pipeline.encode_inbound(message),
        external_id=message.external_id,
        source="browser-test",
    )
    applied = pipeline.process_record(live.runtime, record_id)
    assert applied is not None and applied.ticket is not None
    return applied.ticket.number


def sign_in(live, page, role: str) -> None:  # type: ignore[no-untyped-def]
    """Through the sign-in page, checking it and the desks page with axe."""
    page.goto(live.url + "/login")
    assert_accessible(page, context="sign-in")
    page.fill("input[name=email]", USERS[role][0])
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/console/$"))
    assert_accessible(page, context=f"desks of {role}")


def sign_out(page) -> None:  # type: ignore[no-untyped-def]
    page.click("header .account button[type=submit]")
    page.wait_for_url(re.compile(r".*/login$"))


def status_of(page) -> str:  # type: ignore[no-untyped-def]
    return str(page.inner_text("#ticket-status"))


@pytest.fixture
def no_js_page(browser) -> Iterator[object]:  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="fi-FI", java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_each_role_sees_its_own_desks(live, page) -> None:
    suffix = uuid.uuid4().hex[:8]
    staff = enquire(
        live,
        email=f"opettaja.{suffix}@osao.fi",
        subject="Opiskelijavalinta",
        text="Miten merkitsen hakijan valituksi?",
        audience="staff",
    )
    applicant = enquire(
        live,
        email=f"hakija.{suffix}@example.org",
        subject="Hakuaika",
        text="Hei, asun Oulussa. Milloin haku alkaa?",
    )
    page.goto(live.url + "/login")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "email"
    page.fill("input[name=email]", USERS["agent"][0])
    page.fill("input[name=password]", "wrong-password")
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.get_by_role("alert").is_visible()
    assert_accessible(page, context="sign-in refused")

    expected = {
        "admin": ({"applicants", "staff"}, True, {staff, applicant}),
        "agent": ({"applicants", "staff"}, False, {staff, applicant}),
        "helpdesk": ({"staff"}, False, {staff}),
        "superuser": ({"staff"}, False, {staff}),
        "expert": ({"applicants", "staff"}, False, {staff}),
    }
    for role, (desks, admin_link, visible) in expected.items():
        sign_in(live, page, role)
        shown = {d for d in ("applicants", "staff") if page.locator(f"#desk-{d}").count()}
        assert shown == desks, role
        assert (page.locator("a[href='/console/admin/']").count() == 1) == admin_link
        assert page.locator("form[role=search] input[name=q]").count() == 1
        for desk in sorted(desks):
            page.goto(f"{live.url}/console/desks/{desk}/")
            assert_accessible(page, context=f"{desk} desk of {role}")
            listed = set(re.findall(r"\d{4}-\d{6}", page.inner_text("main")))
            on_desk = {staff} if desk == "staff" else {applicant}
            assert listed & {staff, applicant} == visible & on_desk, (role, desk)
        if role == "superuser":
            queues = page.locator(".queue-list a").all_inner_texts()
            assert queues == ["Oulun seudun ammattiopisto"]
        if role == "helpdesk":
            response = page.goto(f"{live.url}/console/tickets/{applicant}")
            assert response is not None and response.status == 404
            assert_accessible(page, context="404 in the console")
        if role == "agent":
            page.goto(live.url + "/console/password")
            assert_accessible(page, context="settings")
        page.goto(live.url + "/console/")
        sign_out(page)


def test_a_ticket_from_the_queue_to_the_institution_and_back(live, page) -> None:
    email = f"oona.{uuid.uuid4().hex[:8]}@example.org"
    number = enquire(
        live,
        email=email,
        subject="Lähihoitajaksi",
        text="Hei, asun Oulussa. Miten haen lähihoitajakoulutukseen?",
    )

    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(live, page, "agent")
    with page.expect_navigation():
        page.locator("#desk-applicants").locator("xpath=..").get_by_role(
            "link", name="Pohjois-Pohjanmaan hakeutumisneuvonta", exact=True
        ).click()
    assert_accessible(page, context="queue list")
    page.get_by_role("link", name=number, exact=True).click()
    page.wait_for_url(f"**/console/tickets/{number}")
    assert_accessible(page, context="ticket page")
    assert "Miten haen lähihoitajakoulutukseen?" in page.inner_text("#thread")

    # A template goes in at the cursor without a page load (JavaScript).
    page.select_option("#reply-snippet", "thanks")
    page.click("#reply-insert")
    assert "kiitos kysymyksestäsi" in page.input_value("#reply-body")
    assert page.url.endswith(f"/console/tickets/{number}")

    # Reply by email: it reaches the SMTP server.
    page.fill("#reply-body", "Hei Oona, haku alkaa maaliskuussa. Kysyn vielä oppilaitokselta.")
    page.click("button[name=reply-send]")
    page.wait_for_selector(".flash")
    assert_accessible(page, context="ticket after reply")
    mails = live.smtp.to(email)
    assert any("haku alkaa maaliskuussa" in m.get_body(("plain",)).get_content() for m in mails)
    assert status_of(page) == "Odottaa yhteydenottajaa"

    # Forward to the institution with a note; its expert is told by email.
    page.select_option("#forward-queue", "osao-applicants")
    page.fill("#forward-note", "Lähihoitajakoulutuksen hakuajat, kiitos!")
    page.click("#forward-section button[type=submit]")
    page.wait_for_selector(".flash")
    assert "Oulun seudun ammattiopisto" in page.inner_text(".ticket-head")
    assert live.smtp.to("maria.virtanen@example.fi"), "OSAO's expert got the notification"
    sign_out(page)

    # OSAO's expert finds it on their desk and answers.
    sign_in(live, page, "expert")
    with page.expect_navigation():
        page.locator("section.desk-applicant").get_by_role(
            "link", name="Oulun seudun ammattiopisto", exact=True
        ).click()
    assert_accessible(page, context="expert's queue")
    with page.expect_navigation():
        page.get_by_role("link", name=number, exact=True).click()
    assert status_of(page) == "Avoin"
    assert "Lähihoitajakoulutuksen hakuajat, kiitos!" in page.inner_text("#thread")
    page.fill("#reply-body", "Hei! Lähihoitajakoulutukseen voi hakea jatkuvassa haussa.")
    page.click("button[name=reply-send]")
    page.wait_for_selector(".flash")
    assert status_of(page) == "Odottaa yhteydenottajaa"
    assert any(
        "jatkuvassa haussa" in m.get_body(("plain",)).get_content() for m in live.smtp.to(email)
    )
    page.select_option("#status-status", "resolved")
    page.click("#status-section button[type=submit]")
    page.wait_for_selector(".flash")
    assert status_of(page) == "Ratkaistu"
    assert_accessible(page, context="expert's ticket after answering")
    history = page.inner_text(".audit")
    assert "Välitetty" in history and "Tila muutettu" in history
    assert not errors, errors


def test_merge_two_tickets(live, page) -> None:
    email = f"tuplat.{uuid.uuid4().hex[:8]}@example.org"
    first = enquire(
        live, email=email, subject="Hakuaika", text="Hei, asun Oulussa. Milloin haku alkaa?"
    )
    second = enquire(
        live,
        email=email,
        subject="Hakuaika uudestaan",
        text="Hei, asun Oulussa. Kysyin jo, mutta milloin haku alkaa?",
    )
    sign_in(live, page, "agent")
    page.goto(f"{live.url}/console/tickets/{first}")
    assert second in page.inner_text(".ticket-side")  # the contact's other ticket
    page.click("#merge-section summary")
    page.fill("#merge-number", second)
    page.click("#merge-section button[type=submit]")
    page.wait_for_selector(".flash")
    assert "Kysyin jo, mutta milloin haku alkaa?" in page.inner_text("#thread")
    assert_accessible(page, context="ticket after merge")
    page.goto(f"{live.url}/console/tickets/{second}")
    assert status_of(page) == "Suljettu"
    assert first in page.inner_text(".ticket-side")
    assert_accessible(page, context="merged ticket")


def test_console_works_without_javascript(live, no_js_page) -> None:
    page = no_js_page
    email = f"ilman.js.{uuid.uuid4().hex[:8]}@example.org"
    number = enquire(
        live, email=email, subject="Ilman skriptejä", text="Hei, asun Oulussa. Milloin haku alkaa?"
    )
    page.goto(live.url + "/login")
    page.fill("input[name=email]", USERS["agent"][0])
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/console/$"))
    page.goto(f"{live.url}/console/tickets/{number}")
    # A template comes in through the server, after what was typed.
    page.fill("#reply-body", "Hei,")
    page.select_option("#reply-snippet", "application-period")
    page.click("#reply-insert")
    assert "Opintopolusta" in page.input_value("#reply-body")
    page.click("button[name=reply-send]")
    page.wait_for_selector(".flash")
    assert any("Opintopolusta" in m.get_body(("plain",)).get_content() for m in live.smtp.to(email))


def test_html_mail_and_attachment(live, page) -> None:
    sender = f"liite.{uuid.uuid4().hex[:8]}@example.org"
    mail = EmailMessage()
    mail["From"] = f"Liisa Liite <{sender}>"
    mail["To"] = "neuvonta@desk.test"
    mail["Subject"] = "Todistus liitteenä"
    mail["Message-ID"] = f"<{uuid.uuid4().hex}@example.org>"
    mail.set_content("Hei, asun Oulussa. Liitteenä todistukseni.")
    mail.add_alternative(
        "<p>Hei, asun Oulussa. <b>Liitteenä</b> todistukseni.</p><script>alert(1)</script>",
        subtype="html",
    )
    mail.add_attachment(
        b"%PDF-1.4 todistus", maintype="application", subtype="pdf", filename="todistus.pdf"
    )
    record_id, _ = pipeline.receive(
        live.runtime,
        channel="email",
        raw=mail.as_bytes(),
        external_id=mail["Message-ID"],
        source="browser-test",
        format=pipeline.RFC822,
    )
    applied = pipeline.process_record(live.runtime, record_id)
    assert applied is not None and applied.ticket is not None
    sign_in(live, page, "agent")
    page.goto(f"{live.url}/console/tickets/{applied.ticket.number}")
    page.click("details.html-body summary")
    frame = page.frame_locator("details.html-body iframe")
    assert "Liitteenä" in frame.locator("body").inner_text()
    assert frame.locator("script").count() == 0
    assert_accessible(page, context="ticket with an HTML mail and an attachment")
    link = page.get_by_role("link", name="todistus.pdf")
    response = page.request.get(live.url + str(link.get_attribute("href")))
    assert response.status == 200
    assert response.headers["content-disposition"].startswith("attachment")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.body() == b"%PDF-1.4 todistus"


def test_filter_errors_are_accessible(live, page) -> None:
    """A filter the server cannot use is reported in an alert, and the
    page with the alert passes axe (a list inside role=alert used to fail
    the `listitem` rule)."""
    sign_in(live, page, "admin")
    for path, context in (
        ("/console/desks/applicants/?channel=bogus", "desk with a bad filter"),
        ("/console/search?q=haku&desk=bogus", "search with a bad filter"),
        ("/console/reports?from=bogus&desk=bogus", "reports with bad filters"),
    ):
        page.goto(live.url + path)
        alert = page.get_by_role("alert")
        assert alert.count() == 1 and alert.locator("li").count() >= 1, context
        assert_accessible(page, context=context)
