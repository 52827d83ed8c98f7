"""Threading of inbound mail: our ticket tag in the subject, then the
Message-IDs we sent or received; a reply to a closed ticket makes a linked
follow-up; a stranger never gets into someone else's ticket."""

from __future__ import annotations

from sqlalchemy import select

from servicedesk import ticket_links, tickets
from servicedesk.mail_intake import IngestResult, ingest
from servicedesk.models import AuditEvent, Message, Ticket, TicketLink
from servicedesk.runtime import Runtime
from tests.fakes import RecordingMailSender
from tests.integration.mail.conftest import count_tickets, make_mail

APPLICANT = "aino.korhonen@example.org"


def take_in(rt: Runtime, raw: bytes) -> IngestResult:
    return ingest(rt, raw, name="test")


def first_ticket(rt: Runtime, mail: RecordingMailSender) -> tuple[str, str]:
    """A new ticket from the applicant: its number and our acknowledgement's Message-ID."""
    result = take_in(rt, make_mail(sender=APPLICANT, message_id="first@example.org"))
    assert result.outcome == "created"
    (ack,) = mail.to(APPLICANT)
    assert ack.message_id
    return result.ticket_number or "", ack.message_id


def messages(rt: Runtime, number: str) -> list[Message]:
    with rt.db.session() as session:
        ticket = session.execute(select(Ticket).where(Ticket.number == number)).scalar_one()
        return list(
            session.execute(
                select(Message).where(Message.ticket_id == ticket.id).order_by(Message.id)
            ).scalars()
        )


def set_status(rt: Runtime, number: str, status: str) -> None:
    with rt.db.transaction() as session:
        ticket = session.execute(select(Ticket).where(Ticket.number == number)).scalar_one()
        tickets.change_status(session, ticket, status, None, "test", rt.now())


def test_the_ticket_tag_in_the_subject_threads_the_contacts_mail(
    rt: Runtime, mail: RecordingMailSender
) -> None:
    number, _ack = first_ticket(rt, mail)
    set_status(rt, number, "pending")
    result = take_in(rt, make_mail(sender=APPLICANT, subject=f"Lisätietoa [#{number}]"))
    assert (result.outcome, result.ticket_number) == ("added", number)
    assert messages(rt, number)[-1].direction == "inbound"
    with rt.db.session() as session:
        ticket = session.execute(select(Ticket).where(Ticket.number == number)).scalar_one()
        assert ticket.status == "open", "the contact wrote again"
    assert count_tickets(rt.db) == 1
    assert len(mail.to(APPLICANT)) == 1, "no second acknowledgement"


def test_in_reply_to_a_message_we_sent_threads_without_a_tag(
    rt: Runtime, mail: RecordingMailSender
) -> None:
    number, ack = first_ticket(rt, mail)
    result = take_in(rt, make_mail(sender=APPLICANT, subject="Re: kiitos", in_reply_to=ack))
    assert (result.outcome, result.ticket_number) == ("added", number)


def test_references_to_a_message_we_received_thread_too(
    rt: Runtime, mail: RecordingMailSender
) -> None:
    number, _ack = first_ticket(rt, mail)
    # The applicant writes again from their sent folder ("forgot to say …").
    result = take_in(
        rt, make_mail(sender=APPLICANT, subject="Vielä", references=["first@example.org"])
    )
    assert (result.outcome, result.ticket_number) == ("added", number)


def test_a_reply_to_a_closed_ticket_makes_a_linked_follow_up(
    rt: Runtime, mail: RecordingMailSender
) -> None:
    number, ack = first_ticket(rt, mail)
    set_status(rt, number, "closed")
    result = take_in(
        rt, make_mail(sender=APPLICANT, subject=f"Re: Oppisopimus [#{number}]", in_reply_to=ack)
    )
    assert result.outcome == "created" and result.ticket_number != number
    with rt.db.session() as session:
        old = session.execute(select(Ticket).where(Ticket.number == number)).scalar_one()
        new = session.execute(
            select(Ticket).where(Ticket.number == result.ticket_number)
        ).scalar_one()
        link = session.execute(select(TicketLink)).scalar_one()
        assert (link.ticket_id, link.other_ticket_id, link.kind) == (new.id, old.id, "follow_up")
        assert old.status == "closed", "a closed ticket stays closed"
        assert new.contact_id == old.contact_id


def test_a_strangers_tag_does_not_let_them_into_the_ticket(
    rt: Runtime, mail: RecordingMailSender
) -> None:
    number, _ack = first_ticket(rt, mail)
    result = take_in(
        rt,
        make_mail(sender="mallory@example.net", name="Mallory", subject=f"Re: [#{number}] anna"),
    )
    assert result.outcome == "created" and result.ticket_number != number
    assert [m.sender for m in messages(rt, number) if m.direction != "outbound"] == [APPLICANT]
    # the stranger hears about their own ticket only
    (theirs,) = mail.to("mallory@example.net")
    assert f"[#{result.ticket_number}]" in theirs.subject and number not in theirs.text


def test_a_stranger_quoting_our_message_id_is_kept_for_review_and_not_answered(
    rt: Runtime, mail: RecordingMailSender
) -> None:
    number, ack = first_ticket(rt, mail)
    # Someone the applicant copied in answers all.
    result = take_in(
        rt, make_mail(sender="aiti@example.net", subject="Re: Oppisopimus", in_reply_to=ack)
    )
    assert (result.outcome, result.ticket_number) == ("added", number)
    note = messages(rt, number)[-1]
    assert note.sender == "aiti@example.net"
    assert (note.direction, note.is_public, note.needs_review) == ("note", False, True)
    assert mail.to("aiti@example.net") == []
    assert count_tickets(rt.db) == 1


def test_staff_writing_about_a_closed_ticket_is_kept_on_it_for_review(
    rt: Runtime, mail: RecordingMailSender
) -> None:
    number, _ack = first_ticket(rt, mail)
    set_status(rt, number, "closed")
    result = take_in(
        rt,
        make_mail(
            sender="maria.virtanen@example.fi", subject=f"Re: [#{number}]", body="Vielä tästä."
        ),
    )
    assert (result.outcome, result.ticket_number) == ("added", number)
    assert messages(rt, number)[-1].needs_review
    assert count_tickets(rt.db) == 1
    assert mail.to("maria.virtanen@example.fi") == []


def test_replies_on_a_follow_up_stay_on_the_follow_up(
    rt: Runtime, mail: RecordingMailSender
) -> None:
    number, ack = first_ticket(rt, mail)
    set_status(rt, number, "closed")
    follow_up = take_in(
        rt, make_mail(sender=APPLICANT, subject=f"Re: Oppisopimus [#{number}]", in_reply_to=ack)
    )
    assert follow_up.outcome == "created"
    with rt.db.transaction() as session:
        ticket = session.execute(
            select(Ticket).where(Ticket.number == follow_up.ticket_number)
        ).scalar_one()
        reply = tickets.reply(session, rt, ticket, "Tässä vastaus.", None)
        subject, reply_id = reply.subject, reply.email_message_id
    # The follow-up's subject still carries the closed ticket's tag first.
    assert subject.index(f"[#{number}]") < subject.index(f"[#{follow_up.ticket_number}]")
    again = take_in(rt, make_mail(sender=APPLICANT, subject=f"Re: {subject}", in_reply_to=reply_id))
    assert (again.outcome, again.ticket_number) == ("added", follow_up.ticket_number)
    assert count_tickets(rt.db) == 2


def test_a_reply_to_a_merged_ticket_joins_the_ticket_it_was_merged_into(
    rt: Runtime, mail: RecordingMailSender
) -> None:
    """An agent merged the applicant's second ticket into the first; the
    applicant answers the second's acknowledgement (its number in the
    subject, the references dropped by their mail program): the answer
    joins the ticket the agent works on, not a new one."""
    kept, _ack = first_ticket(rt, mail)
    second = take_in(rt, make_mail(sender=APPLICANT, subject="Oppisopimus taas"))
    assert second.outcome == "created" and second.ticket_number
    with rt.db.transaction() as session:
        source, target = (
            session.execute(select(Ticket).where(Ticket.number == n)).scalar_one()
            for n in (second.ticket_number, kept)
        )
        ticket_links.merge(session, source, target, None, rt.now())

    result = take_in(
        rt, make_mail(sender=APPLICANT, subject=f"Re: Oppisopimus taas [#{second.ticket_number}]")
    )
    assert (result.outcome, result.ticket_number) == ("added", kept)
    assert count_tickets(rt.db) == 2
    assert messages(rt, kept)[-1].subject == f"Re: Oppisopimus taas [#{second.ticket_number}]"
    with rt.db.session() as session:
        reason = session.execute(
            select(AuditEvent.reason)
            .where(AuditEvent.kind == "message_added")
            .order_by(AuditEvent.id.desc())
            .limit(1)
        ).scalar_one()
    assert reason == f"ticket number [#{second.ticket_number}] in the subject, merged into {kept}"
