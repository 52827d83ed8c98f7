"""Mail out through a real SMTP server (aiosmtpd) with ``SmtpSender``: our
Message-ID chosen and stored before sending, threading headers, the ticket
tag, the desk's From, ``Auto-Submitted`` on automatic mail only, text and
HTML alternatives, attachments, the ticket's language; header injection
impossible end to end; 4xx retried with backoff, 5xx failed visibly."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from channels.email import SmtpSender
from servicedesk import outbox, template_store, tickets
from servicedesk.mail_intake import IngestResult, ingest
from servicedesk.models import Attachment, Message, OutboxItem, Ticket
from servicedesk.runtime import Runtime
from tests.integration.mail.conftest import DESK, STAFF_DESK, make_mail
from tests.smtp_server import SmtpServer


@pytest.fixture
def smtp_rt(rt: Runtime, smtp: SmtpServer) -> Iterator[Runtime]:
    """The suite's runtime, sending through the real SMTP server."""
    recording = rt.mail
    rt.mail = SmtpSender(smtp.host, smtp.port, starttls=False, timeout=10)
    yield rt
    rt.mail = recording


def take_in(rt: Runtime, raw: bytes) -> IngestResult:
    result = ingest(rt, raw, name="test")
    assert result.ticket_number, result.describe()
    return result


def ticket_of(rt: Runtime, number: str) -> Ticket:
    with rt.db.session() as session:
        return session.execute(select(Ticket).where(Ticket.number == number)).scalar_one()


def outbound(rt: Runtime, ticket_id: int, to: str) -> list[Message]:
    with rt.db.session() as session:
        return list(
            session.execute(
                select(Message)
                .where(
                    Message.ticket_id == ticket_id,
                    Message.direction == "outbound",
                    Message.recipient == to,
                )
                .order_by(Message.id)
            ).scalars()
        )


def parts(mail: EmailMessage) -> dict[str, str]:
    """Content type → decoded text of the mail's text parts."""
    return {
        part.get_content_type(): part.get_content()
        for part in mail.walk()
        if part.get_content_maintype() == "text"
    }


@pytest.mark.parametrize(
    ("body", "language", "greeting"),
    [
        (
            "Hei! Asun Oulussa ja haluaisin opiskella lähihoitajaksi oppisopimuksella.",
            "fi",
            "Kysymyksesi on vastaanotettu",
        ),
        (
            "Hej! Jag bor i Vasa och vill studera till närvårdare. Hur ansöker jag?",
            "sv",
            "Vi har tagit emot din fråga",
        ),
        (
            "Hello, I live in Espoo and would like to apply for vocational training in English.",
            "en",
            "We have received your question",
        ),
    ],
    ids=["fi", "sv", "en"],
)
def test_the_acknowledgement_as_it_arrives(
    smtp_rt: Runtime, smtp: SmtpServer, body: str, language: str, greeting: str
) -> None:
    result = take_in(
        smtp_rt, make_mail(sender="hakija@example.org", body=body, message_id="q1@example.org")
    )
    ticket = ticket_of(smtp_rt, result.ticket_number or "")
    assert ticket.language == language
    (ack,) = smtp.to("hakija@example.org")
    (row,) = outbound(smtp_rt, ticket.id, "hakija@example.org")
    # our Message-ID, chosen and stored before sending, is the one that arrived
    assert ack["Message-ID"] == f"<{row.email_message_id}>"
    assert (row.email_message_id or "").endswith("@desk.test")
    assert row.delivery_status == "sent"
    assert ack["In-Reply-To"] == "<q1@example.org>"
    assert "<q1@example.org>" in ack["References"]
    assert ack["Subject"] == f"{greeting} [#{ticket.number}]"
    assert ack["From"].addresses[0].addr_spec == DESK
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["Content-Language"] == language
    assert ack.get_content_type() == "multipart/alternative"
    text = parts(ack)
    assert ticket.number in text["text/plain"]
    assert f"/status/{ticket.status_token}" in text["text/plain"]
    assert f'href="http://desk.test/status/{ticket.status_token}"' in text["text/html"]
    assert f'<html lang="{language}">' in text["text/html"]


def test_the_mails_queued_together_go_out_in_one_smtp_session(
    smtp_rt: Runtime, smtp: SmtpServer
) -> None:
    with smtp_rt.db.session() as session:
        rows = [
            outbox.add(
                session,
                kind="test",
                channel="email",
                to_address=f"together{n}@example.org",
                now=smtp_rt.now(),
                payload={"subject": "Hei", "text": "Viesti", "from_address": DESK},
            )
            for n in range(3)
        ]
        session.commit()
        ids = [row.id for row in rows]
    outbox.dispatch(smtp_rt, ids)
    assert [len(smtp.to(f"together{n}@example.org")) for n in range(3)] == [1, 1, 1]
    assert len(set(smtp.handler.peers)) == 1


def test_the_ticket_tag_survives_templates_edited_without_it(
    smtp_rt: Runtime, smtp: SmtpServer
) -> None:
    """An administrator's edit may drop the tag; replies must still thread."""
    with smtp_rt.db.transaction() as session:
        for event in ("ticket_received", "ticket_routed"):
            template_store.save(
                session,
                event,
                "fi",
                "Subject: Saimme viestisi\nHei!\n\nNumero: {{ number }}.",
                user=None,
                now=smtp_rt.now(),
            )
    result = take_in(
        smtp_rt,
        make_mail(
            sender="hakija@example.org",
            subject="Sähköala",
            body="Hei! Haluaisin hakea OSAOn sähköalan perustutkintoon. Milloin haku alkaa?",
        ),
    )
    number = result.ticket_number
    (ack,) = smtp.to("hakija@example.org")
    assert ack["Subject"] == f"Saimme viestisi [#{number}]"
    (notification,) = smtp.to("maria.virtanen@example.fi")  # osao's expert in the demo
    assert notification["Subject"] == f"Saimme viestisi [#{number}]"
    # (the shipped templates carry the tag already: the test above sees it once)


def test_a_staff_ticket_is_answered_from_the_staff_desk(smtp_rt: Runtime, smtp: SmtpServer) -> None:
    take_in(
        smtp_rt,
        make_mail(
            sender="opo@osao.fi",
            to=STAFF_DESK,
            subject="Virkailijan työpöytä",
            body="En pääse kirjautumaan virkailijan työpöydälle.",
        ),
    )
    (ack,) = smtp.to("opo@osao.fi")
    assert ack["From"].addresses[0].addr_spec == STAFF_DESK


def test_a_reply_threads_carries_attachments_and_is_not_automatic(
    smtp_rt: Runtime, smtp: SmtpServer
) -> None:
    pdf = b"%PDF-1.4 todistus"
    result = take_in(
        smtp_rt,
        make_mail(
            sender="hakija@example.org",
            subject="Todistus",
            message_id="with-file@example.org",
            attachments=[("todistus.pdf", "application/pdf", pdf)],
        ),
    )
    with smtp_rt.db.session() as session:
        ticket = session.execute(
            select(Ticket).where(Ticket.number == result.ticket_number)
        ).scalar_one()
        file = session.execute(select(Attachment)).scalar_one()
        ack = session.execute(
            select(Message).where(
                Message.ticket_id == ticket.id, Message.recipient == "hakija@example.org"
            )
        ).scalar_one()
        reply = tickets.reply(
            session,
            smtp_rt,
            ticket,
            "Liitteenä <todistus> & ohjeet.",
            None,
            attachment_ids=[file.id],
        )
        session.commit()
        pending = outbox.pending_for(session, [ticket.id])
    outbox.dispatch(smtp_rt, pending)
    ack_id, reply_id = ack.email_message_id, reply.email_message_id
    sent = smtp.to("hakija@example.org")[-1]
    assert sent["Message-ID"] == f"<{reply_id}>"
    assert sent["Subject"] == f"Re: Todistus [#{ticket.number}]"
    assert sent["In-Reply-To"] == f"<{ack_id}>"
    assert sent["References"].split() == ["<with-file@example.org>", f"<{ack_id}>"]
    assert sent["Auto-Submitted"] is None
    (attached,) = list(sent.iter_attachments())
    assert attached.get_filename() == "todistus.pdf"
    assert attached.get_content() == pdf
    text = parts(sent)
    assert "Liitteenä <todistus> & ohjeet." in text["text/plain"]
    assert "Liitteenä &lt;todistus&gt; &amp; ohjeet." in text["text/html"]
    assert "<todistus>" not in text["text/html"]


INJECTIONS = [
    # encoded words that decode to line breaks and header lines
    "=?utf-8?q?Hakemus=0D=0ABcc=3A_victim=40evil=2Etest?=",
    "=?utf-8?b?SGFrZW11cw0KQmNjOiB2aWN0aW1AZXZpbC50ZXN0?=",
    # a folded header whose continuation looks like a header line
    "Hakemus\r\n Bcc: victim@evil.test",
    "=?utf-8?q?Hakemus=0AX-Injected=3A_yes=0A=0Abody?=",
]
ALLOWED_HEADERS = {
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "in-reply-to",
    "references",
    "auto-submitted",
    "x-auto-response-suppress",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "content-language",
    "x-peer",
    "x-mailfrom",
    "x-rcptto",
}


@pytest.mark.parametrize("subject", INJECTIONS, ids=range(len(INJECTIONS)))
def test_no_header_can_be_injected_through_a_subject_or_a_name(
    smtp_rt: Runtime, smtp: SmtpServer, subject: str
) -> None:
    raw = (
        "From: =?utf-8?q?Aino=0D=0ABcc=3A_victim2=40evil=2Etest?= <aino@example.org>\r\n"
        f"To: {DESK}\r\nSubject: {subject}\r\nMessage-ID: <inject@example.org>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nMilloin haku alkaa?\r\n"
    ).encode()
    result = take_in(smtp_rt, raw)
    with smtp_rt.db.session() as session:
        ticket = session.execute(
            select(Ticket).where(Ticket.number == result.ticket_number)
        ).scalar_one()
        tickets.reply(session, smtp_rt, ticket, "Haku alkaa maaliskuussa.", None)
        session.commit()
        pending = outbox.pending_for(session, [ticket.id])
    outbox.dispatch(smtp_rt, pending)
    # the acknowledgement, the reply, and the experts' notifications (which
    # carry the subject too)
    assert len(smtp.to("aino@example.org")) == 2
    for envelope in smtp.handler.received:
        assert len(envelope.rcpt_tos) == 1
        assert "evil.test" not in envelope.rcpt_tos[0], "nobody else got it"
    for mail in smtp.messages():
        names = {name.lower() for name in mail}
        assert names <= ALLOWED_HEADERS, names - ALLOWED_HEADERS
        assert "\n" not in mail["Subject"] and "\r" not in mail["Subject"]
        (to,) = mail["To"].addresses  # the name stays a (quoted) name
        assert not to.addr_spec.endswith("evil.test")


@pytest.mark.parametrize(
    ("address", "status", "delivery_status", "code"),
    [
        ("greylist@example.org", "pending", "retrying", "450"),
        ("nobody@example.org", "failed", "failed", "550"),
    ],
    ids=["4xx", "5xx"],
)
def test_a_refusal_is_retried_or_failed_and_visible_on_the_message(
    smtp_rt: Runtime, smtp: SmtpServer, address: str, status: str, delivery_status: str, code: str
) -> None:
    result = take_in(smtp_rt, make_mail(sender=address))
    ticket = ticket_of(smtp_rt, result.ticket_number or "")
    (row,) = outbound(smtp_rt, ticket.id, address)
    assert row.delivery_status == delivery_status
    assert row.delivery_error and f"SMTP {code}" in row.delivery_error
    with smtp_rt.db.session() as session:
        item = session.execute(
            select(OutboxItem).where(OutboxItem.message_id == row.id)
        ).scalar_one()
        assert (item.status, item.attempts, item.error_code) == (status, 1, code)
        if status == "pending":  # backoff: not before a minute
            assert item.next_attempt_at >= item.created_at + timedelta(seconds=55)
            assert item.id not in outbox.due_items(session, smtp_rt.now())
    assert smtp.to(address) == []
