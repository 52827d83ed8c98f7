"""Messages taken in at the same moment by two processes, on PostgreSQL
shared for real (a database of the test's own): the first one's
transaction has written its rows and not committed when the second is
processed.  No enquiry may be put aside or doubled: two first enquiries
from one new address both become tickets of one contact, one mail stored
twice is one ticket, and two texts sent in a row make one ticket.  An
erasure or a retention run meeting a message being taken in waits for it:
the erasure takes the new enquiry too, the retention leaves its contact.
A reply and a merge of its ticket at the same moment: the reply ends on
the ticket the conversation goes on in, whichever comes first.  At the
console: two agents merging two tickets into each other at once (one is
done, the other refused, no deadlock), and an agent whose connection
PostgreSQL ends mid-answer (the "try again" page, nothing half stored)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.test import TestResponse

from channels.message import Channel, Hints, InboundMessage
from servicedesk import (
    audit,
    deadlines,
    followups,
    mail_intake,
    retention,
    ticket_links,
    tickets,
)
from servicedesk import runtime as runtime_module
from servicedesk.app import create_app
from servicedesk.db import Database
from servicedesk.intake import pipeline
from servicedesk.lifecycle import TicketStatus
from servicedesk.models import (
    AuditEvent,
    Contact,
    ContactIdentity,
    IntakeRecord,
    IntakeStatus,
    Message,
    Ticket,
    TicketRedaction,
)
from servicedesk.queueing import InlineJobQueue
from servicedesk.runtime import Runtime
from servicedesk.settings import Settings
from servicedesk.storage import LocalStorage
from tests.conftest import prepare_database
from tests.fakes import RecordingMailSender
from tests.integration.console_kit import fast_sign_in, make_user, send_answer, token

T = TypeVar("T")

ADDRESS = "uusi.hakija@example.fi"
PHONE = "+358405556677"


def runtime_on(engine: Engine, folder: Path, mail: RecordingMailSender) -> Runtime:
    settings = Settings(
        database_url=engine.url.render_as_string(hide_password=False),
        secret_key="test-secret-key-that-is-long-enough",
        base_url="http://desk.test",
        instance_path=folder,
        storage_dir=folder / "files",
        mail_from="neuvonta@desk.test",
        staff_mail_address="tuki@desk.test",
    )
    return Runtime(
        settings=settings,
        db=Database(engine, sessionmaker(engine, expire_on_commit=False)),
        jobs=InlineJobQueue(),
        storage=LocalStorage(settings.storage_dir),
        mail=mail,
    )


def enquiry(number: int, text: str) -> InboundMessage:
    return InboundMessage(
        channel=Channel.WEB,
        external_id=f"web:contact:concurrency-{number}",
        sender_address=ADDRESS,
        sender_name="Uusi Hakija",
        text=text,
        hints=Hints(audience="applicant", language="fi", municipality="564"),
    )


def wait_until_blocked(
    engine: Engine, other: threading.Thread, timeout: float = 20.0, waiting: int = 1
) -> None:
    """Until ``waiting`` connections of this database wait for a lock, or
    the ``other`` thread has finished without waiting for one."""
    deadline = time.monotonic() + timeout
    with engine.connect() as connection:
        while time.monotonic() < deadline and other.is_alive():
            waiters = connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
            connection.rollback()
            if waiters >= waiting:
                return
            time.sleep(0.05)


def in_thread_as(runtime: Runtime, work: Callable[[], object]) -> threading.Thread:
    """``work`` on a thread of its own, with ``runtime`` the one its inline
    jobs find (a thread starts without one), as in a process of its own."""

    def run() -> None:
        token = runtime_module.activate(runtime)
        try:
            work()
        finally:
            runtime_module.deactivate(token)

    return threading.Thread(target=run)


@dataclass
class Desk:
    engine: Engine
    runtime: Runtime
    mail: RecordingMailSender

    def store(self, message: InboundMessage) -> int:
        """A form, an API call or an SMS, kept as the pipeline keeps them."""
        return self._kept(
            message.channel.value,
            pipeline.encode_inbound(message),
            message.external_id,
            pipeline.INBOUND_JSON,
        )

    def taken_in(self, message: InboundMessage) -> int:
        """``message`` stored and processed at once; its ticket's id."""
        record_id = self.store(message)
        pipeline.process_record(self.runtime, record_id)
        ticket_id = self.records([record_id])[0].ticket_id
        assert ticket_id is not None
        return ticket_id

    def decoded(self, record_id: int) -> InboundMessage:
        """A stored record's message, as the pipeline reads it."""
        with self.runtime.db.session() as session:
            return pipeline.decode(self.runtime, session.get_one(IntakeRecord, record_id))

    def store_mail(self, raw: bytes) -> int:
        """A raw mail, kept as the poller keeps it."""
        return self._kept("email", raw, mail_intake.raw_id(raw), pipeline.RFC822)

    def _kept(self, channel: str, raw: bytes, external_id: str, format: str) -> int:
        record_id, is_new = pipeline.receive(
            self.runtime,
            channel=channel,
            raw=raw,
            external_id=external_id,
            source="test",
            format=format,
        )
        assert is_new
        return record_id

    def race(self, first: InboundMessage, first_id: int, second_id: int) -> None:
        """The first record's transaction has written its rows and not
        committed yet when the second record is processed in another
        process; then the first commits."""
        self.meanwhile(first, first_id, lambda: pipeline.process_record(self.runtime, second_id))

    def meanwhile(self, first: InboundMessage, first_id: int, work: Callable[[], object]) -> None:
        """The first record's transaction has written its rows and not
        committed yet when ``work`` runs in another process; then the
        first commits, and ``work`` finishes."""
        applied = self.holding(
            lambda session: pipeline.accept(session, self.runtime, first, record_id=first_id), work
        )
        pipeline.after_commit(self.runtime, applied)

    def holding(self, hold: Callable[[Session], T], work: Callable[[], object]) -> T:
        """``hold`` has written its rows in a transaction not committed yet
        when ``work`` runs in another process; then it commits, and
        ``work`` finishes."""
        holding = self.runtime.db.sessions()
        held = hold(holding)
        holding.flush()
        other = in_thread_as(self.runtime, work)
        other.start()
        try:
            wait_until_blocked(self.engine, other)
        finally:
            holding.commit()
            holding.close()
        other.join(timeout=60)
        assert not other.is_alive()
        return held

    def records(self, ids: list[int]) -> list[IntakeRecord]:
        with self.runtime.db.session() as session:
            found = {
                r.id: r
                for r in session.execute(
                    select(IntakeRecord).where(IntakeRecord.id.in_(ids))
                ).scalars()
            }
        return [found[i] for i in ids]


@pytest.fixture
def desk(scratch_postgres: Engine, tmp_path: Path) -> Iterator[Desk]:
    prepare_database(scratch_postgres)
    mail = RecordingMailSender()
    runtime = runtime_on(scratch_postgres, tmp_path, mail)
    token = runtime_module.activate(runtime)
    try:
        yield Desk(scratch_postgres, runtime, mail)
    finally:
        runtime_module.deactivate(token)


def test_two_first_enquiries_from_one_new_address_both_become_tickets(desk: Desk) -> None:
    first, second = enquiry(1, "Milloin haku alkaa?"), enquiry(2, "Ja mihin liitteet lähetetään?")
    ids = [desk.store(first), desk.store(second)]
    desk.race(first, *ids)

    records = desk.records(ids)
    assert [r.status for r in records] == [IntakeStatus.PROCESSED] * 2, [r.error for r in records]
    with desk.runtime.db.session() as session:
        tickets = [session.get(Ticket, r.ticket_id) for r in records]
        assert all(tickets) and tickets[0] is not tickets[1]
        assert tickets[0].contact_id == tickets[1].contact_id  # type: ignore[union-attr]
        identities = session.execute(
            select(func.count(ContactIdentity.id)).where(ContactIdentity.value == ADDRESS)
        ).scalar_one()
        assert identities == 1
    # Each enquirer was answered: two acknowledgements to the address.
    assert len(desk.mail.to(ADDRESS)) == 2


def test_one_mail_stored_twice_at_once_is_one_ticket(desk: Desk) -> None:
    """The same mail (one Message-ID) delivered to both desk addresses,
    each copy taken in by a poller of its own at the same moment."""
    copies = [
        (
            f"Delivered-To: {to}\r\nFrom: Uusi Hakija <{ADDRESS}>\r\nTo: {to}\r\n"
            "Subject: Hakuaika\r\nMessage-ID: <kerran@example.fi>\r\n"
            "Date: Mon, 30 Nov 2026 08:00:00 +0200\r\n\r\nMilloin haku alkaa?\r\n"
        ).encode()
        for to in ("neuvonta@desk.test", "tuki@desk.test")
    ]
    ids = [desk.store_mail(raw) for raw in copies]
    first = desk.decoded(ids[0])
    desk.race(first, *ids)

    records = desk.records(ids)
    assert [r.status for r in records] == [IntakeStatus.PROCESSED, IntakeStatus.DUPLICATE]
    assert "duplicate" in (records[1].error or "")
    with desk.runtime.db.session() as session:
        assert session.execute(select(func.count(Ticket.id))).scalar_one() == 1
    assert len(desk.mail.to(ADDRESS)) == 1


def text_message(number: int, text: str) -> InboundMessage:
    return InboundMessage(
        channel=Channel.SMS,
        external_id=f"SMrace{number:028x}",
        sender_address=PHONE,
        recipient_address="+358401110000",
        text=text,
        hints=Hints(audience="applicant"),
    )


@pytest.mark.parametrize("known", [True, False], ids=["known-number", "new-number"])
def test_two_texts_sent_at_once_make_one_ticket(desk: Desk, known: bool) -> None:
    """Someone sends two SMS in a row; Twilio posts both at once.  The
    second waits for the first and joins the ticket it made, as it would
    a second later: a known number (their last ticket closed) waits on
    their contact, a new one meets the first's new identity and is taken
    through again."""
    closed_id = None
    if known:
        earlier = desk.store(text_message(0, "Kiitos vastauksesta!"))
        pipeline.process_record(desk.runtime, earlier)
        with desk.runtime.db.transaction() as session:
            closed = session.get_one(Ticket, desk.records([earlier])[0].ticket_id)
            closed.status = "closed"
            closed_id = closed.id

    first, second = text_message(1, "Hei,"), text_message(2, "milloin haku alkaa?")
    ids = [desk.store(first), desk.store(second)]
    desk.race(first, *ids)

    records = desk.records(ids)
    assert [r.status for r in records] == [IntakeStatus.PROCESSED] * 2, [r.error for r in records]
    assert records[0].ticket_id == records[1].ticket_id != closed_id


def test_an_intake_ended_to_break_a_deadlock_is_taken_through_again(desk: Desk) -> None:
    """Another transaction (an erasure, say) holds the ticket a known
    number's new text joins, and then wants their contact, which the intake
    holds: PostgreSQL breaks the deadlock by ending one of them.  The
    text still joins its ticket."""
    ticket_id = desk.taken_in(text_message(10, "Hei, kysyisin hausta."))
    with desk.runtime.db.session() as session:
        contact_id = session.get_one(Ticket, ticket_id).contact_id

    holding = desk.runtime.db.sessions()
    holding.execute(update(Ticket).where(Ticket.id == ticket_id).values(subject="Haku"))
    later = desk.store(text_message(11, "Vielä yksi kysymys."))
    other = in_thread_as(desk.runtime, lambda: pipeline.process_record(desk.runtime, later))
    other.start()
    try:
        wait_until_blocked(desk.engine, other)  # the intake holds the contact, waits for the ticket
        holding.execute(select(Contact).where(Contact.id == contact_id).with_for_update())
        holding.commit()
    except OperationalError:  # the holder was the one ended: fine too
        holding.rollback()
    finally:
        holding.close()
    other.join(timeout=60)
    assert not other.is_alive()

    record = desk.records([later])[0]
    assert (record.status, record.ticket_id) == (IntakeStatus.PROCESSED, ticket_id), record.error


def test_an_erasure_waits_for_a_message_of_theirs_being_taken_in_and_erases_it_too(
    desk: Desk,
) -> None:
    """A person's erasure is run while a new enquiry of theirs is being
    taken in: the erasure waits for it, and nothing of theirs is left,
    the new enquiry included."""
    earlier = desk.store(enquiry(20, "Ensimmäinen kysymys hausta."))
    pipeline.process_record(desk.runtime, earlier)
    message = enquiry(21, "Toinen kysymys samalta hakijalta.")
    later = desk.store(message)

    def erase() -> None:
        with desk.runtime.db.session() as session:
            retention.erase_contact(
                session, ADDRESS, actor=audit.Actor("tietosuoja"), now=desk.runtime.now()
            )
            session.commit()

    desk.meanwhile(message, later, erase)

    records = desk.records([earlier, later])
    tickets = [r.ticket_id for r in records if r.ticket_id is not None]
    assert len(set(tickets)) == 2, [r.error for r in records]
    with desk.runtime.db.session() as session:
        redacted = session.execute(
            select(TicketRedaction.ticket_id).where(TicketRedaction.ticket_id.in_(tickets))
        ).scalars()
        assert sorted(redacted) == sorted(tickets)
        left = session.execute(
            select(Message.id).where(
                Message.body_text.contains("kysymys") | (Message.sender == ADDRESS)
            )
        ).all()
        assert left == []
        assert (
            session.execute(select(ContactIdentity).where(ContactIdentity.value == ADDRESS)).all()
            == []
        )


def test_retention_keeps_a_contact_whose_new_enquiry_is_being_taken_in(desk: Desk) -> None:
    """The retention run anonymises a person's only old ticket while a new
    enquiry of theirs is being taken in: the person has a ticket again, so
    their name and address stay and the answer can reach them."""
    old_ticket = desk.taken_in(enquiry(30, "Vanha kysymys viime vuodelta."))
    with desk.runtime.db.transaction() as session:
        ticket = session.get_one(Ticket, old_ticket)
        ticket.status, ticket.closed_at = TicketStatus.CLOSED, desk.runtime.now()
        contact_id = ticket.contact_id
    message = enquiry(31, "Uusi kysymys tämän vuoden haussa.")
    later = desk.store(message)
    years_later = desk.runtime.now() + timedelta(days=5 * 366)

    def run_retention() -> None:
        with desk.runtime.db.session() as session:
            retention.run(session, years_later)
            session.commit()

    desk.meanwhile(message, later, run_retention)

    new_ticket = desk.records([later])[0].ticket_id
    with desk.runtime.db.session() as session:
        assert session.get(TicketRedaction, old_ticket) is not None
        assert session.get_one(Ticket, new_ticket).contact_id == contact_id
        contact = session.get_one(Contact, contact_id)
        assert (contact.name, contact.anonymized_at) == ("Uusi Hakija", None)
        assert (
            session.execute(
                select(ContactIdentity.contact_id).where(ContactIdentity.value == ADDRESS)
            ).scalar_one()
            == contact_id
        )


def reply_mail(number: str, n: int) -> bytes:
    return (
        f"From: Uusi Hakija <{ADDRESS}>\r\nTo: neuvonta@desk.test\r\n"
        f"Subject: Re: [#{number}] Hakuaika\r\nMessage-ID: <vastaus-{n}@example.fi>\r\n"
        "Date: Mon, 30 Nov 2026 09:00:00 +0200\r\n\r\nKiitos, vielä yksi kysymys.\r\n"
    ).encode()


def two_tickets(desk: Desk, first: int) -> tuple[int, int]:
    """The same applicant's two tickets (the second a duplicate)."""
    ids = [
        desk.store(enquiry(first, "Milloin haku alkaa?")),
        desk.store(enquiry(first + 1, "Milloin haku alkaa? Kysyn uudestaan.")),
    ]
    for record_id in ids:
        pipeline.process_record(desk.runtime, record_id)
    kept, duplicate = (r.ticket_id for r in desk.records(ids))
    assert kept is not None and duplicate is not None and kept != duplicate
    return kept, duplicate


def merge(desk: Desk, session: Session, duplicate: int, kept: int) -> None:
    ticket_links.merge(
        session,
        session.get_one(Ticket, duplicate),
        session.get_one(Ticket, kept),
        None,
        desk.runtime.now(),
    )


def messages_of(desk: Desk, ticket_id: int) -> list[str]:
    with desk.runtime.db.session() as session:
        return list(
            session.execute(
                select(Message.body_text)
                .where(Message.ticket_id == ticket_id, Message.direction == "inbound")
                .order_by(Message.id)
            ).scalars()
        )


def test_a_reply_arriving_while_its_ticket_is_merged_follows_the_merge(desk: Desk) -> None:
    """An agent merges the duplicate into the first ticket; before the
    merge commits, the applicant's reply to the duplicate's acknowledgement
    is taken in.  It waits for the merge and joins the ticket kept, instead
    of landing on (and reopening) the closed duplicate."""
    kept, duplicate = two_tickets(desk, 40)
    with desk.runtime.db.session() as session:
        number = session.get_one(Ticket, duplicate).number
    reply = desk.store_mail(reply_mail(number, 1))

    desk.holding(
        lambda session: merge(desk, session, duplicate, kept),
        lambda: pipeline.process_record(desk.runtime, reply),
    )

    record = desk.records([reply])[0]
    assert (record.status, record.ticket_id) == (IntakeStatus.PROCESSED, kept), record.error
    assert messages_of(desk, duplicate) == []
    assert messages_of(desk, kept)[-1].startswith("Kiitos, vielä yksi kysymys.")
    with desk.runtime.db.session() as session:
        assert session.get_one(Ticket, duplicate).status == TicketStatus.CLOSED


def test_a_merge_waits_for_a_reply_being_taken_in_and_moves_it_too(desk: Desk) -> None:
    """The reply to the duplicate is being taken in when the agent merges
    it: the merge waits, and the reply moves with the duplicate's other
    messages."""
    kept, duplicate = two_tickets(desk, 50)
    with desk.runtime.db.session() as session:
        number = session.get_one(Ticket, duplicate).number
    raw = reply_mail(number, 2)
    reply = desk.store_mail(raw)
    message = desk.decoded(reply)

    def merge_it() -> None:
        with desk.runtime.db.session() as session:
            merge(desk, session, duplicate, kept)
            session.commit()

    desk.meanwhile(message, reply, merge_it)

    assert messages_of(desk, duplicate) == []
    assert len(messages_of(desk, kept)) == 3  # both enquiries and the reply
    with desk.runtime.db.session() as session:
        ticket = session.get_one(Ticket, duplicate)
        assert (ticket.status, ticket.merged_into_id) == (TicketStatus.CLOSED, kept)


def agents_at_the_console(desk: Desk, n: int) -> list[FlaskClient]:
    """``n`` agents signed in to the console, each in a browser of their own."""
    app = create_app(desk.runtime.settings, desk.runtime)
    app.config.update(TESTING=True)
    with desk.runtime.db.transaction() as session:
        users = [make_user(session, "agent", name=f"Agentti {i}") for i in range(n)]
    clients = [app.test_client() for _ in users]
    for client, user in zip(clients, users, strict=True):
        fast_sign_in(client, user)
        token(client)
    return clients


def number_of(desk: Desk, ticket_id: int) -> str:
    with desk.runtime.db.session() as session:
        return session.get_one(Ticket, ticket_id).number


def test_an_agent_whose_database_connection_is_lost_gets_the_retry_page(desk: Desk) -> None:
    """PostgreSQL ends the connection of an agent's answer being saved (as
    a restart or an administrator would): the agent gets the "try again in
    a moment" page (503), not a server error, the answer is not half
    stored, and the same post works at once afterwards."""
    ticket_id = desk.taken_in(enquiry(70, "Milloin haku alkaa?"))
    number = number_of(desk, ticket_id)
    (client,) = agents_at_the_console(desk, 1)
    responses: list[TestResponse] = []

    def answer() -> None:
        responses.append(send_answer(client, number, "Haku alkaa maaliskuussa."))

    holding = desk.runtime.db.sessions()
    holding.get_one(Ticket, ticket_id, with_for_update=True)
    agent = in_thread_as(desk.runtime, answer)
    agent.start()
    try:
        wait_until_blocked(desk.engine, agent)
        with desk.engine.connect() as connection:
            ended = connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).all()
        assert ended == [(True,)]
    finally:
        holding.rollback()
        holding.close()
    agent.join(timeout=60)
    assert not agent.is_alive()

    (lost,) = responses
    assert lost.status_code == 503
    assert lost.headers["Retry-After"] == "30"
    assert "Try again in a moment" in lost.get_data(as_text=True)
    with desk.runtime.db.session() as session:
        assert session.get_one(Ticket, ticket_id).status == TicketStatus.NEW
    assert send_answer(client, number, "Haku alkaa maaliskuussa.").status_code == 302
    with desk.runtime.db.session() as session:
        assert session.get_one(Ticket, ticket_id).status == TicketStatus.PENDING


def test_two_agents_merging_two_tickets_into_each_other_at_once(desk: Desk) -> None:
    """Two agents, each on one of the applicant's two tickets, merge the
    other one into theirs at the same moment (both posts wait for a third
    transaction holding the tickets, then run together).  One merge is
    done and the other agent is told why theirs was not (409), instead of
    a deadlock PostgreSQL ends with the "unavailable, retry" page."""
    first, second = two_tickets(desk, 60)
    clients = agents_at_the_console(desk, 2)
    numbers = [number_of(desk, i) for i in (first, second)]
    statuses: list[int] = []

    def merging(client: FlaskClient, into: str, other: str) -> Callable[[], None]:
        def post() -> None:
            response = client.post(
                f"/console/tickets/{into}/merge",
                data={"csrf_token": token(client), "merge-number": other},
            )
            statuses.append(response.status_code)

        return post

    agents = [
        in_thread_as(desk.runtime, merging(clients[0], numbers[0], numbers[1])),
        in_thread_as(desk.runtime, merging(clients[1], numbers[1], numbers[0])),
    ]
    holding = desk.runtime.db.sessions()
    holding.execute(select(Ticket).where(Ticket.id.in_([first, second])).with_for_update()).all()
    for agent in agents:
        agent.start()
    try:
        wait_until_blocked(desk.engine, agents[1], waiting=2)
    finally:
        holding.commit()
        holding.close()
    for agent in agents:
        agent.join(timeout=60)
        assert not agent.is_alive()

    assert sorted(statuses) == [302, 409], statuses
    with desk.runtime.db.session() as session:
        merged = [session.get_one(Ticket, i).merged_into_id is not None for i in (first, second)]
    assert sorted(merged) == [False, True]


def replied_after_weeks(
    desk: Desk, n: int, status: TicketStatus, since: str
) -> tuple[int, int, InboundMessage]:
    """The applicant's ticket left in ``status`` 60 days ago (``since`` is
    the time that says so), and their reply to it, stored and not yet
    taken in: (ticket id, the reply's record id, the reply)."""
    ticket_id = desk.taken_in(enquiry(n, "Milloin haku alkaa?"))
    with desk.runtime.db.transaction() as session:
        ticket = session.get_one(Ticket, ticket_id)
        ticket.status = status
        setattr(ticket, since, desk.runtime.now() - timedelta(days=60))
        number = ticket.number
    reply = desk.store_mail(reply_mail(number, n))
    return ticket_id, reply, desk.decoded(reply)


def test_a_resolved_ticket_is_not_closed_over_a_reply_being_taken_in(desk: Desk) -> None:
    """The nightly run closes resolved tickets while the applicant's reply
    to one is being taken in: the reply reopens it, and the run leaves it
    open for the desk (next time it will not be due) instead of closing it
    over the reply."""
    ticket_id, reply, message = replied_after_weeks(desk, 60, TicketStatus.RESOLVED, "resolved_at")

    desk.meanwhile(message, reply, lambda: followups.close_resolved(desk.runtime))

    assert desk.records([reply])[0].ticket_id == ticket_id
    with desk.runtime.db.session() as session:
        assert session.get_one(Ticket, ticket_id).status == TicketStatus.OPEN


def test_an_institution_answering_as_its_time_runs_out_keeps_the_ticket(desk: Desk) -> None:
    """The expert's answer is being saved when the deadline check runs:
    the check leaves the ticket to the answer instead of moving it back
    to the regional desk over it (and unassigning the expert)."""
    ticket_id = desk.taken_in(enquiry(70, "Hei, asun Oulussa. Milloin haku alkaa?"))
    with desk.runtime.db.transaction() as session:
        ticket = session.get_one(Ticket, ticket_id)
        tickets.forward(session, desk.runtime, ticket, "osao-applicants", "", None)
        due = ticket.due_at
    assert due is not None
    desk.runtime.clock = lambda: due + timedelta(minutes=1)

    def answer(session: Session) -> object:
        ticket = session.get_one(Ticket, ticket_id)
        return tickets.reply(session, desk.runtime, ticket, "Haku alkaa maaliskuussa.", None)

    desk.holding(answer, lambda: deadlines.return_overdue_forwards(desk.runtime))

    with desk.runtime.db.session() as session:
        assert session.get_one(Ticket, ticket_id).organization_id == "osao"
        assert deadlines.return_overdue_forwards(desk.runtime) == 0  # answered: stays


def test_no_reminder_goes_to_someone_whose_reply_is_being_taken_in(desk: Desk) -> None:
    """The hourly reminders run while the applicant's long-awaited reply to
    a waiting ticket is being taken in: they get no "we are waiting for
    your reply" notice for a ticket they have just answered."""
    ticket_id, reply, message = replied_after_weeks(desk, 80, TicketStatus.PENDING, "updated_at")
    sent_before = len(desk.mail.to(ADDRESS))

    desk.meanwhile(message, reply, lambda: followups.remind_pending(desk.runtime))

    with desk.runtime.db.session() as session:
        reminders = session.execute(
            select(func.count(AuditEvent.id)).where(
                AuditEvent.ticket_id == ticket_id,
                AuditEvent.kind == "notice_pending_reminder",
            )
        ).scalar_one()
        assert reminders == 0
        assert session.get_one(Ticket, ticket_id).status == TicketStatus.OPEN
    assert len(desk.mail.to(ADDRESS)) == sent_before
