"""Loop protection: nothing automatic answers machine-written mail; an
out-of-office joins its thread without changing anything; a delivery report
fails the message it reports on and makes no ticket; at most N automatic
mails per address per hour."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from servicedesk import outbox, tickets
from servicedesk.mail_intake import ingest
from servicedesk.models import AuditEvent, Message, Ticket
from servicedesk.runtime import Runtime
from servicedesk.settings import Settings
from tests.fakes import RecordingMailSender
from tests.integration.mail.conftest import DESK, count_tickets, make_mail

SENDER = "hakija@example.org"
EXCHANGE_OOO = [
    ("X-Auto-Response-Suppress", "All"),
    ("X-MS-Exchange-Inbox-Rules-Loop", "hakija@example.org"),
]


@pytest.mark.parametrize(
    ("sender", "subject", "headers", "ticket"),
    [
        (SENDER, "Kysymys", [("Auto-Submitted", "auto-replied")], True),
        (SENDER, "Kysymys", [("Auto-Submitted", "auto-generated; type=notice")], True),
        (SENDER, "Uutiskirje", [("Precedence", "bulk")], True),
        (SENDER, "Roskaa", [("Precedence", "junk")], True),
        (SENDER, "Lista", [("Precedence", "list")], True),
        (SENDER, "Lista", [("List-Id", "<hakijat.lists.example.org>")], True),
        (SENDER, "Lista", [("List-Unsubscribe", "<mailto:leave@lists.example.org>")], True),
        (SENDER, "Vastaus", [("X-Autoreply", "yes")], True),
        (SENDER, "Vastaus", [("X-Autorespond", "Thank you")], True),
        (SENDER, "Automatic reply: Oppisopimus", EXCHANGE_OOO, True),
        (SENDER, "Kysymys", [("Return-Path", "<>")], True),
        (DESK, "Välitetty", [], True),  # from our own desk address
        ("MAILER-DAEMON@mx.example.org", "Returned mail", [], True),
        ("postmaster@example.org", "Delivery failure", [], True),
    ],
    ids=[
        "auto-replied",
        "auto-generated",
        "precedence-bulk",
        "precedence-junk",
        "precedence-list",
        "list-id",
        "list-unsubscribe",
        "x-autoreply",
        "x-autorespond",
        "exchange-ooo",
        "null-return-path",
        "own-desk-address",
        "mailer-daemon",
        "postmaster",
    ],
)
def test_machine_mail_gets_no_acknowledgement_and_no_notification(
    rt: Runtime,
    mail: RecordingMailSender,
    sender: str,
    subject: str,
    headers: list[tuple[str, str]],
    ticket: bool,
) -> None:
    result = ingest(
        rt,
        make_mail(sender=sender, subject=subject, headers=headers, body="Hei! Asun Oulussa."),
        name="auto",
    )
    assert mail.sent == [], "nothing automatic answers a machine"
    assert result.outcome == ("created" if ticket else "ignored")
    assert count_tickets(rt.db) == int(ticket)


def test_an_ordinary_mail_is_acknowledged_and_notified(
    rt: Runtime, mail: RecordingMailSender
) -> None:
    ingest(rt, make_mail(sender=SENDER, headers=[("Auto-Submitted", "no")]), name="human")
    assert len(mail.to(SENDER)) == 1
    assert len(mail.sent) > 1, "the queue's experts were told"


def test_our_own_message_coming_back_is_dropped(rt: Runtime, mail: RecordingMailSender) -> None:
    result = ingest(rt, make_mail(sender=SENDER, message_id="20260901.abc@desk.test"), name="own")
    assert result.outcome == "ignored" and "mail loop" in result.detail
    assert mail.sent == [] and count_tickets(rt.db) == 0


def ticket_and_ack(rt: Runtime, mail: RecordingMailSender) -> tuple[str, str]:
    result = ingest(rt, make_mail(sender=SENDER, message_id="asks@example.org"), name="q")
    (ack,) = mail.to(SENDER)
    assert result.ticket_number and ack.message_id
    return result.ticket_number, ack.message_id


def test_an_out_of_office_joins_the_thread_without_changing_it(
    rt: Runtime, mail: RecordingMailSender
) -> None:
    number, ack = ticket_and_ack(rt, mail)
    with rt.db.transaction() as session:
        ticket = session.execute(select(Ticket).where(Ticket.number == number)).scalar_one()
        tickets.reply(session, rt, ticket, "Hakuaika alkaa maaliskuussa.", None)
        session.commit()
        outbox.dispatch(rt, outbox.pending_for(session, [ticket.id]))
    sent_before = len(mail.sent)
    result = ingest(
        rt,
        make_mail(
            sender=SENDER,
            subject=f"Automaattinen vastaus: Re: Oppisopimus [#{number}]",
            in_reply_to=ack,
            headers=[("Auto-Submitted", "auto-replied")],
            body="Olen lomalla 14.9. asti.",
        ),
        name="ooo",
    )
    assert (result.outcome, result.ticket_number) == ("added", number)
    with rt.db.session() as session:
        ticket = session.execute(select(Ticket).where(Ticket.number == number)).scalar_one()
        assert ticket.status == "pending", "an out-of-office does not reopen"
        last = (
            session.execute(
                select(Message).where(Message.ticket_id == ticket.id).order_by(Message.id.desc())
            )
            .scalars()
            .first()
        )
        assert last is not None and last.auto_kind == "out_of_office"
    assert len(mail.sent) == sent_before


def delivery_report(message_id: str, recipient: str) -> bytes:
    return f"""Return-Path: <>
From: MAILER-DAEMON@mx.example.org (Mail Delivery System)
To: {DESK}
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn-1@mx.example.org>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b"

--b
Content-Type: text/plain; charset=us-ascii

Your message could not be delivered.

--b
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org

Final-Recipient: rfc822; {recipient}
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <{recipient}>: User unknown

--b
Content-Type: message/rfc822

From: {DESK}
To: {recipient}
Subject: Kysymyksesi on vastaanotettu
Message-ID: <{message_id}>

Kiitos viestistäsi.

--b--
""".replace("\n", "\r\n").encode()


def test_a_delivery_report_fails_the_message_it_is_about(
    rt: Runtime, mail: RecordingMailSender
) -> None:
    number, ack = ticket_and_ack(rt, mail)
    sent_before = len(mail.sent)
    result = ingest(rt, delivery_report(ack, SENDER), name="dsn")
    assert (result.outcome, result.ticket_number) == ("added", number)
    assert count_tickets(rt.db) == 1, "a delivery report makes no ticket"
    with rt.db.session() as session:
        ours = session.execute(select(Message).where(Message.email_message_id == ack)).scalar_one()
        assert ours.delivery_status == "failed"
        assert ours.delivery_error and "550 5.1.1" in ours.delivery_error
        report = session.execute(
            select(Message).where(Message.email_message_id == "dsn-1@mx.example.org")
        ).scalar_one()
        assert (report.direction, report.is_public) == ("note", False)
        ticket = session.get(Ticket, ours.ticket_id)
        assert ticket is not None and ticket.status == "new"
    assert len(mail.sent) == sent_before


def test_a_delivery_report_about_mail_we_never_sent_is_kept_unanswered(
    rt: Runtime, mail: RecordingMailSender
) -> None:
    result = ingest(rt, delivery_report("someone-else@example.org", SENDER), name="dsn")
    assert result.outcome == "created"  # nothing that reached the desk is dropped
    assert count_tickets(rt.db) == 1 and mail.sent == []


def test_at_most_the_limit_of_automatic_mails_per_address_per_hour(
    rt: Runtime, mail: RecordingMailSender
) -> None:
    assert rt.settings.auto_reply_limit_per_hour == 3
    assert Settings.from_env({"SERVICEDESK_AUTO_REPLY_LIMIT": "5"}).auto_reply_limit_per_hour == 5
    for n in range(5):
        result = ingest(
            rt,
            make_mail(sender=SENDER, subject=f"Kysymys {n}", body="Milloin haku alkaa?"),
            name=f"q{n}",
        )
        assert result.outcome == "created"
    assert len(mail.to(SENDER)) == 3
    with rt.db.session() as session:
        skipped = (
            session.execute(select(AuditEvent).where(AuditEvent.kind == "acknowledgement_skipped"))
            .scalars()
            .all()
        )
    assert len(skipped) == 2
