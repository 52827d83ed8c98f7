"""The public pages in a real browser, in Finnish, Swedish and English: the
contact form with and without errors, a file, the page with the ticket
number, the status page (a new message, "my question is answered"), the
staff form and the 404 page; axe-core on every page; keyboard only; the
acknowledgement arriving at the live server's SMTP server."""

from __future__ import annotations

import re

import pytest

from servicedesk.app import create_app
from servicedesk.extensions import limiter
from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
TICKET_NUMBER = re.compile(r"20\d\d-\d{6,}")

# What each language says where the tests look.
WORDS = {
    "fi": {
        "title": "Kysy koulutukseen hakemisesta",
        "problem": "Lomakkeessa on virhe",
        "reach": "Anna sähköpostiosoite tai puhelinnumero",
        "sent": "Kiitos. Kysymyksesi on saapunut.",
        "status_link": "Katso kysymyksesi ja vastauksemme",
        "send_message": "Lähetä viesti",
        "message_sent": "Viestisi on lähetetty.",
        "answered": "Kyllä, sain vastauksen",
        "resolved": "Vastattu. Voit yhä kirjoittaa meille alla.",
        "staff_title": "Tuki oppilaitosten henkilöstölle",
        "not_staff": "Tämä ei ole tuntemamme oppilaitoksen sähköpostiosoite.",
        "not_found": "Sivua ei löytynyt",
        "municipality": "Oulu",
    },
    "sv": {
        "title": "Fråga om att söka till utbildning",
        "problem": "Det finns ett problem",
        "reach": "Ge en e-postadress eller ett telefonnummer",
        "sent": "Tack. Vi har fått din fråga.",
        "status_link": "Se din fråga och våra svar",
        "send_message": "Skicka meddelandet",
        "message_sent": "Ditt meddelande har skickats.",
        "answered": "Ja, jag har fått svar",
        "resolved": "Besvarad. Du kan fortfarande skriva till oss här nedan.",
        "staff_title": "Stöd för personal vid läroanstalter",
        "not_staff": "Det här är inte e-postadressen till en läroanstalt",
        "not_found": "Sidan hittades inte",
        "municipality": "Vasa",
    },
    "en": {
        "title": "Ask about applying to education",
        "problem": "There is a problem",
        "reach": "Give an email address or a phone number",
        "sent": "Thank you. We have your question.",
        "status_link": "See your question and our answers",
        "send_message": "Send the message",
        "message_sent": "Your message was sent.",
        "answered": "Yes, my question is answered",
        "resolved": "Answered. You can still write to us below.",
        "staff_title": "Support for staff of educational institutions",
        "not_staff": "This is not the email address of an institution we know.",
        "not_found": "Page not found",
        "municipality": "Helsingfors",
    },
}
LANGUAGES = tuple(WORDS)


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> None:
    # Every test posts from 127.0.0.1; each starts with fresh counters.
    limiter.reset()


def submit(page) -> None:  # type: ignore[no-untyped-def]
    with page.expect_navigation():
        page.locator("form.portal-form button[type=submit]").first.click()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_applicant_asks_follows_the_status_page_and_marks_it_answered(live, page, lang) -> None:
    words = WORDS[lang]
    email = f"hakija-{lang}@example.org"
    page.goto(f"{live.url}/contact?lang={lang}")
    assert page.get_attribute("html", "lang") == lang
    assert page.title().startswith(words["title"])
    assert_accessible(page, context="contact, empty")

    # Without an address and a message: the summary, focused, linked to the fields.
    submit(page)
    summary = page.locator("#error-summary")
    assert words["problem"] in summary.inner_text()
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert [a.get_attribute("href") for a in summary.locator("a").all()] == ["#email", "#message"]
    assert page.locator("#email").get_attribute("aria-invalid") == "true"
    assert words["reach"] in page.locator("#email-error").inner_text()
    summary.locator("a").first.click()
    assert page.evaluate("document.activeElement.id") == "email"
    assert_accessible(page, context="contact, with errors")

    # Corrected, with a file.
    page.fill("#name", "Testi Hakija")
    page.fill("#email", email)
    page.fill("#municipality", words["municipality"])
    page.select_option("#topic", "application")
    page.fill("#message", f"Miten haen koulutukseen? ({lang})")
    upload = {"name": "todistus.pdf", "mimeType": "application/pdf", "buffer": PDF}
    page.set_input_files("#attachments", files=[upload])
    submit(page)
    assert page.locator("h1").inner_text() == words["sent"]
    number = page.locator(".ticket-number strong").inner_text()
    assert TICKET_NUMBER.fullmatch(number)
    assert_accessible(page, context="sent")
    (ack,) = live.smtp.to(email)
    assert number in ack["Subject"]

    # The status page: the question, the file, a new message, "answered".
    with page.expect_navigation():
        page.get_by_role("link", name=words["status_link"]).click()
    assert number in page.locator("h1").inner_text()
    assert "todistus.pdf" in page.locator(".thread").inner_text()
    assert_accessible(page, context="status")
    page.fill("#message", "Lisätieto: haen syksyllä.")
    with page.expect_navigation():
        page.get_by_role("button", name=words["send_message"]).click()
    assert words["message_sent"] in page.locator(".notice").inner_text()
    assert "Lisätieto: haen syksyllä." in page.locator(".thread").inner_text()
    with page.expect_navigation():
        page.get_by_role("button", name=words["answered"]).click()
    assert page.locator(".status").inner_text() == words["resolved"]
    assert_accessible(page, context="status, answered")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_staff_form_checks_the_institution_address(live, page, lang) -> None:
    words = WORDS[lang]
    page.goto(f"{live.url}/staff/contact?lang={lang}")
    assert page.get_attribute("html", "lang") == lang
    assert page.locator("h1").inner_text() == words["staff_title"]
    assert_accessible(page, context="staff, empty")
    page.fill("#email", "opettaja@gmail.com")
    page.fill("#message", "Hakulomake ei aukea.")
    submit(page)
    assert words["not_staff"] in page.locator("#error-summary").inner_text()
    assert_accessible(page, context="staff, with errors")
    page.fill("#email", f"opettaja-{lang}@osao.fi")
    submit(page)
    assert page.locator("h1").inner_text() == words["sent"]
    assert_accessible(page, context="staff, sent")
    number = page.locator(".ticket-number strong").inner_text()
    (ack,) = live.smtp.to(f"opettaja-{lang}@osao.fi")
    assert number in ack["Subject"]


def fill_question(page, live, lang: str, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live.url}/contact?lang={lang}")
    page.fill("#email", email)
    page.fill("#message", f"Miten haen koulutukseen? ({lang})")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_refusals_and_the_status_page_with_errors_are_accessible(live, page, lang) -> None:
    # The honeypot filled in (by a bot): refused, plainly.
    fill_question(page, live, lang, f"botti-{lang}@example.org")
    page.evaluate("document.querySelector('[name=website]').value = 'http://spam.example'")
    with page.expect_navigation() as refused:
        page.locator("form.portal-form button[type=submit]").first.click()
    assert refused.value is not None and refused.value.status == 400
    assert page.get_attribute("html", "lang") == lang
    assert_accessible(page, context="honeypot refused")

    # A form whose CSRF token has expired.
    fill_question(page, live, lang, f"vanha-{lang}@example.org")
    page.evaluate("document.querySelector('[name=csrf_token]').value = 'expired'")
    with page.expect_navigation() as expired:
        page.locator("form.portal-form button[type=submit]").first.click()
    assert expired.value is not None and expired.value.status == 400
    assert page.get_attribute("html", "lang") == lang
    assert_accessible(page, context="expired form")

    # The status page with an empty message: the error summary.
    fill_question(page, live, lang, f"tila-{lang}@example.org")
    submit(page)
    with page.expect_navigation():
        page.get_by_role("link", name=WORDS[lang]["status_link"]).click()
    with page.expect_navigation() as empty:
        page.get_by_role("button", name=WORDS[lang]["send_message"]).click()
    assert empty.value is not None and empty.value.status == 422
    assert WORDS[lang]["problem"] in page.locator("#error-summary").inner_text()
    assert_accessible(page, context="status, with errors")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_too_large_page_is_accessible(live, page, lang) -> None:
    # A body over the limit is refused before it is read; a browser may see
    # the connection closed instead of the page, so the page comes from
    # the same application through the test client and is shown at the
    # live server's origin (its styles load from there).
    app = create_app(live.runtime.settings, live.runtime)
    refused = app.test_client().post(
        f"/status/{'x' * 32}/answered?lang={lang}",
        data={"padding": "x" * (live.runtime.settings.max_request_bytes + 1)},
    )
    assert refused.status_code == 413
    html = refused.get_data(as_text=True)
    page.route(
        f"{live.url}/too-large",
        lambda route: route.fulfill(status=413, body=html, content_type="text/html; charset=utf-8"),
    )
    page.goto(f"{live.url}/too-large")
    assert page.get_attribute("html", "lang") == lang
    assert_accessible(page, context="413")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_unknown_status_page_is_a_plain_404(live, page, lang) -> None:
    response = page.goto(f"{live.url}/status/no-such-token-anywhere-at-all?lang={lang}")
    assert response is not None and response.status == 404
    assert response.headers["referrer-policy"] == "no-referrer"
    assert page.get_attribute("html", "lang") == lang
    assert page.locator("h1").inner_text() == WORDS[lang]["not_found"]
    assert_accessible(page, context="404")


def test_the_form_works_with_the_keyboard_alone(live, page) -> None:
    page.goto(f"{live.url}/contact?lang=en")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    # the language switcher, then the form's fields in order
    order = []
    for _ in range(12):
        page.keyboard.press("Tab")
        order.append(page.evaluate("document.activeElement.id || document.activeElement.lang"))
    assert order[:3] == ["fi", "sv", "en"]
    fields = [f for f in order[3:] if f]
    expected = ["name", "email", "phone", "municipality", "institution", "topic", "message"]
    assert fields[:7] == expected
    page.focus("#email")
    page.keyboard.type("keyboard@example.org")
    page.focus("#message")
    page.keyboard.type("Typed with the keyboard only.")
    page.focus("form.portal-form button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("h1").inner_text() == WORDS["en"]["sent"]
    # the status link is reachable and followed with the keyboard too
    page.focus("a.button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Typed with the keyboard only." in page.locator(".thread").inner_text()


def test_language_switcher_keeps_the_page(live, page) -> None:
    page.goto(f"{live.url}/staff/contact")
    assert page.get_attribute("html", "lang") == "fi"  # the browser's locale is fi-FI
    with page.expect_navigation():
        page.get_by_role("link", name="Svenska").click()
    assert page.url.endswith("/staff/contact?lang=sv")
    assert page.get_attribute("html", "lang") == "sv"
    assert page.locator("h1").inner_text() == WORDS["sv"]["staff_title"]
