"""/contact and /staff/contact on the test client, CSRF on: languages,
validation, the ticket and its acknowledgement, the honeypot, the rate
limits and the attachment limits."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from sqlalchemy import func, select

from servicedesk import directory_store
from servicedesk.models import Attachment, IntakeRecord, Message, Organization, Ticket
from servicedesk.portal.attachments import MEBIBYTE
from tests.integration.portal_client import PDF, PNG, PortalClient, hidden_fields, make_portal


@pytest.fixture
def portal(app, client) -> PortalClient:
    return make_portal(app, client)


QUESTION = "Hei! Miten haen ammatilliseen koulutukseen?"


def count(session, model) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def latest_ticket(session) -> Ticket:
    return session.execute(select(Ticket).order_by(Ticket.id.desc()).limit(1)).scalar_one()


def text(response) -> str:
    return response.get_data(as_text=True)


def summary_links(page: str) -> list[str]:
    summary = page.split('id="error-summary"', 1)[1].split("</div>", 1)[0]
    return re.findall(r'<a href="#([\w-]+)">', summary)


# -- languages ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "accept", "lang", "title"),
    [
        ("", "fi-FI,fi;q=0.9", "fi", "Kysy koulutukseen hakemisesta"),
        ("", "sv-FI,sv;q=0.9,en;q=0.5", "sv", "Fråga om att söka till utbildning"),
        ("", "en-GB,en;q=0.9", "en", "Ask about applying to education"),
        ("?lang=sv", "en-GB,en;q=0.9", "sv", "Fråga om att söka till utbildning"),
        ("?lang=en", "fi-FI", "en", "Ask about applying to education"),
        ("?lang=xx", "de-DE", "fi", "Kysy koulutukseen hakemisesta"),
    ],
)
def test_contact_page_language(portal, query, accept, lang, title) -> None:
    response = portal.get("/contact" + query, headers={"Accept-Language": accept})
    page = text(response)
    assert response.status_code == 200
    assert f'<html lang="{lang}">' in page
    assert f"<title>{title} – " in page
    assert f"<h1>{title}</h1>" in page
    # the switcher names each language in that language and marks the current one
    for code, name in (("fi", "Suomi"), ("sv", "Svenska"), ("en", "English")):
        assert f'lang="{code}" hreflang="{code}"' in page and f">{name}</a>" in page
    assert re.search(rf'hreflang="{lang}" aria-current="true"', page)


@pytest.mark.parametrize(
    ("query", "accept", "lang"),
    [
        ("", "sv-FI,sv;q=0.9", "sv"),
        ("", "de-DE", "fi"),
        ("?lang=en", "fi-FI", "en"),
    ],
)
def test_the_desks_own_address_leads_to_the_contact_form(portal, query, accept, lang) -> None:
    response = portal.get("/" + query, headers={"Accept-Language": accept})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/contact?lang={lang}"
    assert f'<html lang="{lang}">' in text(portal.get(response.headers["Location"]))


def test_contact_form_offers_every_topic_municipality_and_institution(portal) -> None:
    page = text(portal.get("/contact?lang=sv"))
    assert page.count("<option value=") >= 15 + 300
    assert '<option value="Vasa">' in page and '<option value="Vaasa">' in page
    assert '<option value="apprenticeship">Läroavtalsutbildning</option>' in page
    assert 'list="institution-list"' in page and 'list="municipality-list"' in page
    assert 'name="csrf_token"' in page
    assert 'class="hp"' in page and 'name="website"' in page


def test_the_form_offers_an_institution_added_to_the_directory(portal, session) -> None:
    assert "Kuvitteellinen opisto" not in text(portal.get("/contact?lang=fi"))
    session.add(
        Organization(
            id="test-imaginary-college",
            kind="institution",
            region_code="01",
            name_fi="Kuvitteellinen opisto",
            name_sv="Fiktiva institutet",
            name_en="Imaginary College",
        )
    )
    directory_store.bump_version(session)
    session.commit()
    assert '<option value="Kuvitteellinen opisto">' in text(portal.get("/contact?lang=fi"))
    assert '<option value="Fiktiva institutet">' in text(portal.get("/contact?lang=sv"))


# -- a question becomes a ticket ----------------------------------------------


def test_question_becomes_a_routed_ticket_with_an_acknowledgement(portal, session, mail) -> None:
    response = portal.post(
        "/contact?lang=en",
        {
            "name": "Maija Meikäläinen",
            "email": "Maija@Example.org",
            "phone": "040 123 4567",
            "municipality": "Uleåborg",
            "institution": "OSAO",
            "topic": "application",
            "message": "How do I apply to the practical nurse programme?",
        },
    )
    page = text(response)
    assert response.status_code == 200, page
    ticket = latest_ticket(session)
    assert ticket.number in page
    assert f'href="/status/{ticket.status_token}?lang=en"' in page
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    # the hints reached the pipeline: audience, page language, place, institution, topic
    assert ticket.audience == "applicant" and ticket.channel == "web"
    assert ticket.language == "en"
    assert ticket.municipality_code == "564" and ticket.region_code == "17"
    assert ticket.organization_id == "osao" and ticket.queue_id == "osao-applicants"
    assert ticket.topic == "application"
    first = session.execute(select(Message).where(Message.ticket_id == ticket.id)).scalars().first()
    assert first.direction == "inbound" and first.sender == "maija@example.org"
    assert first.sender_name == "Maija Meikäläinen"
    # the acknowledgement went out through the outbox, in English, with the link
    (ack,) = mail.to("maija@example.org")
    assert ticket.number in ack.subject
    assert f"/status/{ticket.status_token}" in ack.text
    assert "We have sent you a confirmation by email." in page


def test_a_new_contact_keeps_what_its_first_enquiry_told(portal, session) -> None:
    """The contact of a first enquiry is written with its addresses, its
    language and its place; a later enquiry from elsewhere does not move
    them (an agent sees where the person first said they live)."""
    first = {"name": "Sanna Svensson", "email": "sanna@example.org", "phone": "040 222 3344"}
    portal.post("/contact?lang=sv", {**first, "municipality": "Vasa", "message": QUESTION})
    contact = latest_ticket(session).contact
    assert (contact.name, contact.language) == ("Sanna Svensson", "sv")
    assert (contact.municipality_code, contact.region_code) == ("905", "15")
    assert sorted((i.kind, i.value) for i in contact.identities) == [
        ("email", "sanna@example.org"),
        ("phone", "+358402223344"),
    ]
    portal.post(
        "/contact?lang=fi",
        {**first, "municipality": "Oulu", "message": "Entä Oulun hakukohteet?"},
    )
    again = latest_ticket(session)
    assert again.contact_id == contact.id and again.municipality_code == "564"
    session.refresh(contact)
    assert (contact.language, contact.municipality_code) == ("sv", "905")
    assert len(contact.identities) == 2


def test_phone_only_is_normalised_and_acknowledged_by_sms(portal, session, sms, mail) -> None:
    response = portal.post("/contact?lang=fi", {"phone": "040 765 4321", "message": QUESTION})
    assert response.status_code == 200, text(response)
    ticket = latest_ticket(session)
    first = session.execute(select(Message).where(Message.ticket_id == ticket.id)).scalars().first()
    assert first.sender == "+358407654321"
    assert [m.to_address for m in sms.sent] == ["+358407654321"]
    assert ticket.number in sms.sent[0].text
    assert not mail.to("+358407654321")
    assert "Lähetimme sinulle vahvistuksen tekstiviestillä." in text(response)


@pytest.mark.parametrize(
    ("value", "code"),
    [("Vasa", "905"), ("vaasa", "905"), ("Helsingfors", "091"), ("Maarianhamina", "478")],
)
def test_municipality_in_finnish_or_swedish(portal, session, value, code) -> None:
    response = portal.post(
        "/contact?lang=sv", {"email": "a@example.org", "municipality": value, "message": QUESTION}
    )
    assert response.status_code == 200, text(response)
    assert latest_ticket(session).municipality_code == code


def test_posting_the_same_page_twice_makes_one_ticket(portal, session, mail) -> None:
    page = text(portal.get("/contact"))
    hidden = hidden_fields(page)
    data = {"email": "twice@example.org", "message": QUESTION}
    first = portal.post("/contact", data, hidden=hidden)
    second = portal.post("/contact", data, hidden=hidden)
    assert first.status_code == second.status_code == 200
    ticket = latest_ticket(session)
    assert ticket.number in text(first) and ticket.number in text(second)
    assert count(session, Ticket) == 1
    assert len(mail.to("twice@example.org")) == 1


def test_the_same_page_posted_again_with_other_files_is_not_dropped(portal, session) -> None:
    """Back to the form after sending, the same text with a file chosen
    (again, or another): the post is taken in with its file, not answered
    with the first ticket while the file is lost."""
    page = text(portal.get("/contact"))
    hidden = hidden_fields(page)
    data = {"email": "files-again@example.org", "message": QUESTION}
    first = portal.post("/contact", data, hidden=hidden)
    with_file = {**data, "attachments": [(io.BytesIO(PDF), "todistus.pdf")]}
    second = portal.post("/contact", with_file, hidden=hidden)
    again = portal.post(
        "/contact", {**data, "attachments": [(io.BytesIO(PDF), "todistus.pdf")]}, hidden=hidden
    )
    assert first.status_code == second.status_code == again.status_code == 200
    assert count(session, Ticket) == 2, "the post with the file is a ticket of its own, once"
    stored = session.execute(select(Attachment)).scalars().all()
    assert [a.filename for a in stored] == ["todistus.pdf"]
    assert latest_ticket(session).number in text(second)


# -- validation ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"message": QUESTION}, "email", "Give an email address or a phone number"),
        ({"email": "not-an-address", "message": QUESTION}, "email", "name@example.fi"),
        ({"email": "a@b", "message": QUESTION}, "email", "name@example.fi"),
        ({"phone": "12", "message": QUESTION}, "phone", "040 123 4567"),
        ({"phone": "+358 40 12", "message": QUESTION}, "phone", "040 123 4567"),
        ({"email": "a@example.org", "message": ""}, "message", "Write your message."),
        ({"email": "a@example.org", "message": "x" * 10_001}, "message", "too long"),
        ({"email": "a@example.org", "message": QUESTION, "name": "n" * 201}, "name", "shorter"),
        (
            {"email": "a@example.org", "message": QUESTION, "municipality": "Atlantis"},
            "municipality",
            "We do not know the municipality Atlantis.",
        ),
        (
            {"email": "a@example.org", "message": QUESTION, "institution": "Hogwarts"},
            "institution",
            "We do not know the institution Hogwarts.",
        ),
        (
            {"email": "a@example.org", "message": QUESTION, "institution": "national-desk"},
            "institution",
            "We do not know the institution",
        ),
        (
            {"email": "a@example.org", "message": QUESTION, "topic": "weather"},
            "topic",
            "Choose a topic from the list.",
        ),
    ],
)
def test_field_errors_are_summarised_and_shown_at_the_field(
    portal, session, data, field, message
) -> None:
    response = portal.post("/contact?lang=en", data)
    page = text(response)
    assert response.status_code == 422
    assert "<title>Error: Ask about applying to education" in page
    assert summary_links(page) == [field]
    assert message in page
    control = re.search(rf'<(?:input|textarea|select)[^>]*\bid="{field}"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in control
    assert f"{field}-error" in re.search(r'aria-describedby="([^"]*)"', control).group(1)
    assert f'id="{field}-error"' in page
    assert count(session, IntakeRecord) == 0 and count(session, Ticket) == 0


def test_errors_come_in_the_page_language_and_keep_what_was_typed(portal) -> None:
    response = portal.post(
        "/contact?lang=sv",
        {"name": "Elsa", "email": "elsa@", "municipality": "Narnia", "message": ""},
    )
    page = text(response)
    assert summary_links(page) == ["email", "municipality", "message"]
    assert "Skriv e-postadressen i formen namn@exempel.fi." in page
    assert "Vi känner inte till kommunen Narnia." in page
    assert "Skriv ditt meddelande." in page
    assert 'value="Elsa"' in page and 'value="Narnia"' in page


# -- CSRF, honeypot, rate limits ------------------------------------------------


def test_a_post_without_the_csrf_token_is_refused(portal, client, session) -> None:
    response = client.post("/contact?lang=fi", data={"email": "a@example.org", "message": QUESTION})
    assert response.status_code == 400
    assert "Lataa sivu uudelleen" in text(response) or "lataa sivu uudelleen" in text(response)
    assert count(session, IntakeRecord) == 0


def test_the_honeypot_refuses_openly_and_stores_nothing(portal, session, mail) -> None:
    response = portal.post(
        "/contact?lang=en",
        {"email": "bot@example.org", "message": "Cheap pills", "website": "http://spam.example"},
    )
    assert response.status_code == 400
    assert "The form was not sent" in text(response)
    assert count(session, IntakeRecord) == 0 and count(session, Ticket) == 0
    assert not mail.sent


def test_accepted_posts_are_rate_limited_per_address(portal, session) -> None:
    # Corrections do not count towards the stricter limit ...
    for _ in range(6):
        assert portal.post("/contact", {"message": QUESTION}).status_code == 422
    # ... accepted questions do: five a minute.
    for i in range(5):
        response = portal.post("/contact", {"email": f"r{i}@example.org", "message": QUESTION})
        assert response.status_code == 200
    refused = portal.post("/contact?lang=sv", {"email": "r5@example.org", "message": QUESTION})
    assert refused.status_code == 429
    assert "För många meddelanden" in text(refused)
    assert '<html lang="sv">' in text(refused)
    assert int(refused.headers["Retry-After"]) > 0
    assert count(session, Ticket) == 5


def test_every_post_counts_towards_the_looser_limit(portal, app) -> None:
    app.config["PORTAL_POST_LIMITS"] = "3/minute"
    for _ in range(3):
        assert portal.post("/contact", {"message": ""}).status_code == 422
    assert portal.post("/contact", {"message": ""}).status_code == 429


# -- attachments ----------------------------------------------------------------


def office_file(part: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(part, "<x/>")
    return buffer.getvalue()


def test_accepted_files_are_stored_with_their_sniffed_type(portal, session) -> None:
    response = portal.post(
        "/contact",
        {
            "email": "files@example.org",
            "message": QUESTION,
            "attachments": [
                (io.BytesIO(PDF), "todistus.pdf"),
                (io.BytesIO(PNG), "kuva.jpg"),  # a PNG whatever its name says
                (io.BytesIO(office_file("word/document.xml")), "cv.docx"),
                (io.BytesIO("Hei, tässä liite.".encode()), "muistio.txt"),
            ],
        },
    )
    assert response.status_code == 200, text(response)
    stored = session.execute(select(Attachment).order_by(Attachment.id)).scalars().all()
    assert [(a.filename, a.content_type) for a in stored] == [
        ("todistus.pdf", "application/pdf"),
        ("kuva.png", "image/png"),
        ("cv.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("muistio.txt", "text/plain"),
    ]


def big(size: int) -> bytes:
    return b"%PDF-1.4\n" + b"0" * (size - 9)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([("ohjelma.pdf", b"MZ\x90\x00\x03binary")], "We cannot take the file ohjelma.pdf."),
        ([("macro.docm", office_file("word/vbaProject.bin"))], "cannot take the file macro.docm"),
        ([("tyhja.pdf", b"")], "The file tyhja.pdf is empty."),
        ([(f"{i}.pdf", PDF) for i in range(6)], "You can attach at most 5 files."),
        ([("iso.pdf", big(10 * MEBIBYTE + 1))], "The file iso.pdf is larger than 10 MB."),
        (
            [("a.pdf", big(10 * MEBIBYTE)), ("b.pdf", big(10 * MEBIBYTE)), ("c.pdf", big(1000))],
            "larger than 20 MB together",
        ),
    ],
)
def test_refused_files_are_explained_at_the_file_field(portal, session, files, message) -> None:
    response = portal.post(
        "/contact?lang=en",
        {
            "email": "files@example.org",
            "message": QUESTION,
            "attachments": [(io.BytesIO(data), name) for name, data in files],
        },
    )
    page = text(response)
    assert response.status_code == 422
    assert summary_links(page) == ["attachments"]
    assert message in page
    assert count(session, IntakeRecord) == 0


def test_a_request_beyond_every_limit_gets_a_plain_413_page(portal, session) -> None:
    files = [(io.BytesIO(big(8 * MEBIBYTE)), f"{i}.pdf") for i in range(3)]
    response = portal.post(
        "/contact?lang=fi", {"email": "a@example.org", "message": QUESTION, "attachments": files}
    )
    assert response.status_code == 413
    assert "Tiedostot ovat liian suuria" in text(response)
    assert count(session, IntakeRecord) == 0


# -- the staff desk's form ------------------------------------------------------------


def test_staff_question_enters_the_staff_desk_of_the_senders_institution(
    portal, session, mail
) -> None:
    response = portal.post(
        "/staff/contact?lang=fi",
        {
            "name": "Outi Opettaja",
            "email": "outi.opettaja@osao.fi",
            "topic": "content",
            "message": "Miten merkitsen hakijan valintakokeen tuloksen?",
        },
    )
    assert response.status_code == 200, text(response)
    ticket = latest_ticket(session)
    assert ticket.audience == "staff" and ticket.channel == "web"
    assert ticket.queue_id == "osao-staff" and ticket.organization_id == "osao"
    (ack,) = mail.to("outi.opettaja@osao.fi")
    assert ticket.number in ack.subject


def test_staff_technical_problem_goes_to_the_national_staff_helpdesk(portal, session) -> None:
    response = portal.post(
        "/staff/contact?lang=en",
        {"email": "it@stadinao.fi", "topic": "technical", "message": "The system shows error 500."},
    )
    assert response.status_code == 200, text(response)
    ticket = latest_ticket(session)
    assert ticket.audience == "staff" and ticket.queue_id == "helpdesk-technical"


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("", "Give your work email address at your institution."),
        ("someone@gmail.com", "This is not the email address of an institution we know."),
        ("opettaja@osao", "name@example.fi"),
    ],
)
def test_staff_form_needs_an_institution_address(portal, session, email, message) -> None:
    response = portal.post("/staff/contact?lang=en", {"email": email, "message": QUESTION})
    page = text(response)
    assert response.status_code == 422
    assert summary_links(page) == ["email"]
    assert message in page
    assert count(session, Ticket) == 0


def test_staff_subdomain_counts_as_the_institution(portal, session) -> None:
    response = portal.post(
        "/staff/contact", {"email": "opo@koulu.osao.fi", "message": "Kysymys hakulomakkeesta."}
    )
    assert response.status_code == 200
    assert latest_ticket(session).queue_id == "osao-staff"
