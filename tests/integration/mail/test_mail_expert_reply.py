"""The routed-ticket loop by email: the queue's expert is notified, answers
by replying to the notification, and the answer (quoted history folded
away) reaches the applicant on the channel they used.  Only experts and
agents of the ticket's organisation answer this way; anything else is kept
as an internal note for review."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from channels.email import SmtpSender
from channels.message import Channel, InboundMessage
from channels.sms import RecordingSmsGateway
from servicedesk.intake import pipeline
from servicedesk.mail_intake import IngestResult, ingest
from servicedesk.models import AuditEvent, Message, Ticket, User
from servicedesk.runtime import Runtime
from tests.integration.mail.conftest import DESK, make_mail
from tests.smtp_server import SmtpServer

APPLICANT = "aino.korhonen@example.org"
EXPERT = "maria.virtanen@example.fi"  # osao's expert in config/directory/demo.yaml
OTHER_EXPERT = "elina.laine@example.fi"  # omnia's
QUESTION = "Hei! Haluaisin hakea OSAOn sähköalan perustutkintoon. Milloin haku alkaa?"
ANSWER = "Hei Aino,\n\nhaku alkaa 1.3. ja päättyy 31.3.\n\nTerveisin Maria"


@pytest.fixture
def smtp_rt(rt: Runtime, smtp: SmtpServer) -> Iterator[Runtime]:
    recording = rt.mail
    rt.mail = SmtpSender(smtp.host, smtp.port, starttls=False, timeout=10)
    yield rt
    rt.mail = recording


def ticket_of(rt: Runtime, number: str | None) -> Ticket:
    with rt.db.session() as session:
        return session.execute(select(Ticket).where(Ticket.number == number)).scalar_one()


def plain(mail: EmailMessage) -> str:
    body = mail.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def reply_to(
    notification: EmailMessage, *, sender: str, body: str, headers: Sequence[tuple[str, str]] = ()
) -> bytes:
    """What a mail program makes of "Reply" on the notification."""
    message_id = notification["Message-ID"].strip("<>")
    quoted = "\n".join(f"> {line}" for line in plain(notification).splitlines())
    return make_mail(
        sender=sender,
        name="",
        to=DESK,
        subject=f"Re: {notification['Subject']}",
        in_reply_to=message_id,
        references=notification["References"].split() if notification["References"] else [],
        body=f"{body}\n\nOn Tue, 1 Sep 2026 at 10.00, Neuvonta <{DESK}> wrote:\n{quoted}\n",
        headers=headers,
    )


def routed_by_email(rt: Runtime, smtp: SmtpServer) -> tuple[Ticket, EmailMessage]:
    result = ingest(rt, make_mail(sender=APPLICANT, subject="Sähköala", body=QUESTION), name="q")
    ticket = ticket_of(rt, result.ticket_number)
    assert (ticket.organization_id, ticket.queue_id) == ("osao", "osao-applicants")
    (notification,) = smtp.to(EXPERT)
    assert f"[#{ticket.number}]" in notification["Subject"]
    assert QUESTION in plain(notification)
    assert notification["From"].addresses[0].addr_spec == DESK
    # the applicant's own thread never carries the notification's id
    (ack,) = smtp.to(APPLICANT)
    assert notification["Message-ID"] not in (ack["References"] or "")
    return ticket, notification


def test_the_expert_answers_by_replying_and_the_applicant_gets_the_answer(
    smtp_rt: Runtime, smtp: SmtpServer
) -> None:
    ticket, notification = routed_by_email(smtp_rt, smtp)
    result: IngestResult = ingest(
        smtp_rt, reply_to(notification, sender=EXPERT, body=ANSWER), name="expert"
    )
    assert (result.outcome, result.ticket_number) == ("added", ticket.number)

    ack, answer = smtp.to(APPLICANT)
    text = plain(answer)
    assert "haku alkaa 1.3. ja päättyy 31.3." in text
    assert "Uusi kysymys" not in text and QUESTION not in text, "the quoted history stays out"
    assert answer["Subject"] == f"Re: Sähköala [#{ticket.number}]"
    assert answer["From"].addresses[0].addr_spec == DESK
    assert answer["Auto-Submitted"] is None
    assert answer["In-Reply-To"] == ack["Message-ID"]
    with smtp_rt.db.session() as session:
        expert = session.execute(select(User).where(User.email == EXPERT)).scalar_one()
        rows = (
            session.execute(
                select(Message).where(Message.ticket_id == ticket.id).order_by(Message.id)
            )
            .scalars()
            .all()
        )
        theirs = next(m for m in rows if m.sender == EXPERT)
        assert (theirs.direction, theirs.is_public, theirs.needs_review) == ("note", False, False)
        assert theirs.author_user_id == expert.id
        sent = rows[-1]
        assert (sent.direction, sent.recipient, sent.author_user_id) == (
            "outbound",
            APPLICANT,
            expert.id,
        )
        assert sent.email_message_id == answer["Message-ID"].strip("<>")
        refreshed = session.get(Ticket, ticket.id)
        assert refreshed is not None and refreshed.status == "pending"
        assert refreshed.first_response_at is not None


def test_an_sms_ticket_gets_the_experts_answer_by_sms(
    smtp_rt: Runtime, smtp: SmtpServer, sms: RecordingSmsGateway
) -> None:
    contact = InboundMessage(
        channel=Channel.SMS,
        external_id="SM" + "1" * 32,
        sender_address="+358401234567",
        recipient_address=smtp_rt.settings.sms_number or "",
        text=QUESTION,
    )
    record_id, _new = pipeline.receive(
        smtp_rt,
        channel="sms",
        raw=pipeline.encode_inbound(contact),
        external_id=contact.external_id,
    )
    applied = pipeline.process_record(smtp_rt, record_id)
    assert applied is not None and applied.ticket is not None
    assert applied.ticket.queue_id == "osao-applicants"
    (notification,) = smtp.to(EXPERT)
    sms.sent.clear()  # the acknowledgement
    ingest(smtp_rt, reply_to(notification, sender=EXPERT, body=ANSWER), name="expert")
    (answer,) = sms.sent
    assert answer.to_address == "+358401234567"
    assert "haku alkaa 1.3." in answer.text and "Uusi kysymys" not in answer.text


@pytest.mark.parametrize(
    ("sender", "headers"),
    [
        (OTHER_EXPERT, []),  # an expert, but of another organisation
        ("maria.private@example.net", []),  # not a user: a forwarded notification
        (EXPERT, [("Auto-Submitted", "auto-replied")]),  # the expert's out-of-office
    ],
    ids=["other-organisation", "not-a-user", "out-of-office"],
)
def test_anyone_else_is_kept_as_a_note_for_review(
    smtp_rt: Runtime, smtp: SmtpServer, sender: str, headers: list[tuple[str, str]]
) -> None:
    ticket, notification = routed_by_email(smtp_rt, smtp)
    sent_before = len(smtp.handler.received)
    result = ingest(
        smtp_rt, reply_to(notification, sender=sender, body=ANSWER, headers=headers), name="x"
    )
    assert (result.outcome, result.ticket_number) == ("added", ticket.number)
    assert len(smtp.handler.received) == sent_before, "nothing reaches the applicant, or them"
    with smtp_rt.db.session() as session:
        kept = session.execute(
            select(Message).where(Message.ticket_id == ticket.id, Message.sender == sender)
        ).scalar_one()
        assert (kept.direction, kept.is_public, kept.needs_review) == ("note", False, True)
        refreshed = session.get(Ticket, ticket.id)
        assert refreshed is not None and refreshed.status == "new"


def _nothing_sent_and_kept_for_review(
    rt: Runtime, smtp: SmtpServer, ticket: Ticket, sent_before: int, sender: str
) -> None:
    assert len(smtp.handler.received) == sent_before, "nothing reaches the applicant, or them"
    with rt.db.session() as session:
        kept = session.execute(
            select(Message).where(Message.ticket_id == ticket.id, Message.sender == sender)
        ).scalar_one()
        assert (kept.direction, kept.is_public, kept.needs_review) == ("note", False, True)
        refreshed = session.get(Ticket, ticket.id)
        assert refreshed is not None and refreshed.status == "new"


@pytest.mark.parametrize(
    "references",
    [(), ["ack"]],
    ids=["ticket-tag-only", "replying-to-the-applicants-mail"],
)
def test_a_forged_expert_address_is_only_a_note_for_review(
    smtp_rt: Runtime, smtp: SmtpServer, references: list[str]
) -> None:
    """From and the subject's tag are all a forger needs to know (tags are
    sequential); the Message-ID of our mail to the expert they do not."""
    ticket, _notification = routed_by_email(smtp_rt, smtp)
    (ack,) = smtp.to(APPLICANT)
    sent_before = len(smtp.handler.received)
    forged = make_mail(
        sender=EXPERT,
        name="Maria Virtanen",
        subject=f"Re: Sähköala [#{ticket.number}]",
        references=[ack["Message-ID"].strip("<>")] if references else [],
        body="Hei Aino, maksa hakemusmaksu tilille FI00 1234 5678 9012 34.",
    )
    result = ingest(smtp_rt, forged, name="forged")
    assert (result.outcome, result.ticket_number) == ("added", ticket.number)
    assert result.detail == "an internal note for review"
    _nothing_sent_and_kept_for_review(smtp_rt, smtp, ticket, sent_before, EXPERT)


def test_a_stranger_with_the_ticket_tag_makes_a_ticket_of_their_own(
    smtp_rt: Runtime, smtp: SmtpServer
) -> None:
    ticket, _notification = routed_by_email(smtp_rt, smtp)
    stranger = "mallory@example.net"
    result = ingest(
        smtp_rt,
        make_mail(sender=stranger, name="", subject=f"Re: Sähköala [#{ticket.number}]"),
        name="stranger",
    )
    assert result.outcome == "created" and result.ticket_number != ticket.number
    with smtp_rt.db.session() as session:
        on_ticket = session.execute(
            select(Message).where(Message.ticket_id == ticket.id, Message.sender == stranger)
        ).all()
        assert on_ticket == []
        refreshed = session.get(Ticket, ticket.id)
        assert refreshed is not None and refreshed.status == "new"


def test_a_genuine_reply_after_the_ticket_left_the_organisation_is_a_note(
    smtp_rt: Runtime, smtp: SmtpServer
) -> None:
    """The expert really was notified, but the ticket is another
    organisation's now: they may no longer answer on it."""
    ticket, notification = routed_by_email(smtp_rt, smtp)
    with smtp_rt.db.transaction() as session:
        moved = session.get(Ticket, ticket.id)
        assert moved is not None
        moved.organization_id, moved.queue_id = "omnia", None
    sent_before = len(smtp.handler.received)
    result = ingest(smtp_rt, reply_to(notification, sender=EXPERT, body=ANSWER), name="late")
    assert (result.outcome, result.ticket_number) == ("added", ticket.number)
    _nothing_sent_and_kept_for_review(smtp_rt, smtp, ticket, sent_before, EXPERT)


def test_an_answer_to_an_earlier_mail_leaves_a_newer_question_open(
    smtp_rt: Runtime, smtp: SmtpServer
) -> None:
    """The applicant wrote again after the expert was notified; the expert
    answers the notification.  The answer goes out, but the ticket does
    not wait for the applicant: their newer question is still unread."""
    ticket, notification = routed_by_email(smtp_rt, smtp)
    (ack,) = smtp.to(APPLICANT)
    follow_up = make_mail(
        sender=APPLICANT,
        subject=f"Re: {ack['Subject']}",
        in_reply_to=ack["Message-ID"].strip("<>"),
        body="Ja tarvitaanko todistus?",
    )
    assert ingest(smtp_rt, follow_up, name="again").ticket_number == ticket.number
    ingest(smtp_rt, reply_to(notification, sender=EXPERT, body=ANSWER), name="expert")

    assert any("haku alkaa 1.3." in plain(m) for m in smtp.to(APPLICANT))
    with smtp_rt.db.session() as session:
        kept = session.get_one(Ticket, ticket.id)
        assert kept.status != "pending"  # still on the desk's worklist
        kinds = session.execute(
            select(AuditEvent.kind).where(AuditEvent.ticket_id == ticket.id)
        ).scalars()
        assert "status_kept" in set(kinds)
