"""The SMS webhook: signed by Twilio, stored raw first, processed by a job,
threaded by number, de-duplicated by MessageSid, MMS media fetched, and
the STOP / START words honoured."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from channels.message import Attachment as MediaFile
from servicedesk import jobs
from servicedesk.db import Database
from servicedesk.intake.pipeline import TWILIO_FORM
from servicedesk.models import (
    Attachment,
    AuditEvent,
    ContactIdentity,
    IntakeRecord,
    Message,
    Ticket,
)
from servicedesk.queueing import RecordingJobQueue, RqJobQueue
from servicedesk.runtime import Runtime
from servicedesk.storage import LocalStorage
from tests.conftest import work
from tests.fakes import RecordingMailSender
from tests.integration.twilio_requests import CALLER, Twilio, twiml

SMS_PATH = "/webhooks/twilio/sms"
DESK = "+358401110000"
STAFF_DESK = "+358401110001"
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def sms_form(
    body: str = "Hei! Milloin yhteishaku alkaa?",
    sid: str = "SM" + "a" * 32,
    sender: str = CALLER,
    to: str = DESK,
    **extra: str,
) -> dict[str, str]:
    return {
        "MessageSid": sid,
        "SmsMessageSid": sid,
        "AccountSid": "AC" + "0" * 32,
        "From": sender,
        "To": to,
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        **extra,
    }


def sid(n: int) -> str:
    # Not the shape RecordingSmsGateway gives its outbound sids.
    return f"SMfeed{n:028x}"


@pytest.fixture
def twilio(client, settings) -> Twilio:  # type: ignore[no-untyped-def]
    return Twilio(client, settings)


@pytest.fixture
def clock(rt):  # type: ignore[no-untyped-def]
    """A clock the test moves: ``clock.now = ...``."""

    class Clock:
        now = T0

    holder = Clock()
    rt.clock = lambda: holder.now
    return holder


def tickets_of(session, number: str = CALLER) -> list[Ticket]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return list(
        session.execute(
            select(Ticket)
            .join(Message, Message.ticket_id == Ticket.id)
            .where(Message.sender == number, Message.direction == "inbound")
            .distinct()
            .order_by(Ticket.id)
        ).scalars()
    )


def events(session, ticket_id: int | None, kind: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    return list(
        session.execute(
            select(AuditEvent).where(AuditEvent.ticket_id == ticket_id, AuditEvent.kind == kind)
        ).scalars()
    )


# --- signature ----------------------------------------------------------------------


def test_signed_sms_is_stored_raw_then_processed_by_a_job(rt, twilio, session) -> None:
    rt.jobs = RecordingJobQueue()
    form = sms_form()

    response = twilio.post(SMS_PATH, form)

    assert len(twiml(response)) == 0  # an empty <Response/>, at once
    record = session.execute(select(IntakeRecord)).scalar_one()
    assert (record.channel, record.external_id, record.format) == (
        "sms",
        form["MessageSid"],
        TWILIO_FORM,
    )
    assert record.status == "received"
    assert json.loads(record.raw) == form
    assert rt.jobs.jobs == [("inbound", "servicedesk.jobs.process_intake", (record.id,))]
    assert tickets_of(session) == []

    rt.jobs.run_all()

    [ticket] = tickets_of(session)
    assert ticket.channel == "sms"
    assert ticket.audience == "applicant"
    message = (
        session.execute(select(Message).where(Message.ticket_id == ticket.id)).scalars().first()
    )
    assert message.body_text == form["Body"]
    assert message.external_id == form["MessageSid"]


@pytest.mark.parametrize("how", ["forged", "missing", "signed_for_the_app_url", "tampered"])
def test_bad_signature_is_refused_and_nothing_stored(twilio, session, how) -> None:
    form = sms_form()
    if how == "forged":
        response = twilio.post(SMS_PATH, form, signature="bm90IGEgc2lnbmF0dXJlIGF0IGFsbA==")
    elif how == "missing":
        response = twilio.post(SMS_PATH, form, signature="")
    elif how == "signed_for_the_app_url":
        response = twilio.post(SMS_PATH, form, signed_url="http://localhost" + SMS_PATH)
    else:
        signature = twilio.sign("http://desk.test" + SMS_PATH, form)
        response = twilio.post(SMS_PATH, {**form, "Body": "Lähetä rahaa"}, signature=signature)

    assert response.status_code == 403
    assert session.execute(select(func.count(IntakeRecord.id))).scalar_one() == 0
    assert session.execute(select(func.count(Ticket.id))).scalar_one() == 0


def test_behind_a_proxy_the_public_url_is_what_is_checked(twilio, session) -> None:
    # The app sees http://internal:8080/..., Twilio signed SERVICEDESK_BASE_URL.
    response = twilio.post(SMS_PATH, sms_form(), app_base_url="http://internal:8080")

    assert response.status_code == 200
    assert len(tickets_of(session)) == 1


def test_retries_of_one_message_sid_make_one_ticket_and_one_message(twilio, session, sms) -> None:
    form = sms_form()
    first = twilio.post(SMS_PATH, form)
    second = twilio.post(SMS_PATH, form)

    assert first.status_code == second.status_code == 200
    [ticket] = tickets_of(session)
    messages = session.execute(
        select(Message).where(Message.ticket_id == ticket.id, Message.direction == "inbound")
    ).scalars()
    assert len(list(messages)) == 1
    assert session.execute(select(func.count(IntakeRecord.id))).scalar_one() == 1
    assert len(sms.sent) == 1  # one acknowledgement


def test_database_down_answers_5xx_so_twilio_retries(settings, sms, tmp_path) -> None:
    from servicedesk.app import create_app

    broken = Runtime(
        settings=settings,
        db=Database.connect("postgresql+psycopg://nobody@127.0.0.1:9/none"),
        jobs=RecordingJobQueue(),
        storage=LocalStorage(tmp_path),
        mail=RecordingMailSender(),
        sms=sms,
    )
    app = create_app(settings, broken)
    app.config.update(TESTING=True)

    response = Twilio(app.test_client(), settings).post(SMS_PATH, sms_form())

    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert broken.jobs.jobs == []


# --- threading and desks ------------------------------------------------------------------


def test_an_sms_joins_the_senders_open_ticket_for_14_days(twilio, session, clock) -> None:
    twilio.post(SMS_PATH, sms_form("Hei, milloin haku alkaa?", sid=sid(1)))
    clock.now = T0 + timedelta(days=10)
    twilio.post(SMS_PATH, sms_form("Ja vielä: tarvitsenko todistuksen?", sid=sid(2)))

    [ticket] = tickets_of(session)
    assert events(session, ticket.id, "message_added")

    clock.now = T0 + timedelta(days=10 + 15)  # 15 days since the last update
    twilio.post(SMS_PATH, sms_form("Uusi kysymys oppisopimuksesta", sid=sid(3)))
    first, second = tickets_of(session)
    assert first.id == ticket.id

    second.status = "closed"
    session.commit()
    clock.now += timedelta(hours=1)
    twilio.post(SMS_PATH, sms_form("Kiitos vastauksesta, vielä yksi asia", sid=sid(4)))
    *_, third = tickets_of(session)
    assert third.id not in {first.id, second.id}  # a closed ticket is never reopened


def test_the_number_written_to_decides_the_desk(twilio, session, sms) -> None:
    twilio.post(SMS_PATH, sms_form("Järjestelmä ei toimi, en pääse kirjautumaan", to=STAFF_DESK))
    other = "+358409999999"
    twilio.post(SMS_PATH, sms_form("Milloin haku alkaa?", sid=sid(9), sender=other, to=DESK))

    [staff] = tickets_of(session)
    [applicant] = tickets_of(session, other)
    assert staff.audience == "staff"
    assert staff.queue_id in {"helpdesk-technical", "helpdesk-content"}
    assert applicant.audience == "applicant"
    # each acknowledgement comes from the number the contact wrote to
    sent = {m.to_address: m for m in sms.sent}
    assert sent[CALLER].from_address == STAFF_DESK
    assert sent[other].from_address == DESK
    assert sent[other].status_callback == "http://desk.test/webhooks/twilio/sms/status"
    assert applicant.number in sent[other].text


def test_an_sms_to_the_staff_number_never_joins_an_applicant_ticket(twilio, session) -> None:
    twilio.post(SMS_PATH, sms_form("Milloin haku alkaa?", to=DESK))
    twilio.post(
        SMS_PATH,
        sms_form("Järjestelmä ei toimi, en pääse kirjautumaan", sid=sid(10), to=STAFF_DESK),
    )
    twilio.post(SMS_PATH, sms_form("Vielä hakemuksestani", sid=sid(11), to=DESK))

    applicant, staff = tickets_of(session)
    assert (applicant.audience, staff.audience) == ("applicant", "staff")
    assert staff.id != applicant.id
    texts = {
        ticket.id: [
            m.body_text
            for m in session.execute(
                select(Message).where(
                    Message.ticket_id == ticket.id, Message.direction == "inbound"
                )
            ).scalars()
        ]
        for ticket in (applicant, staff)
    }
    assert texts[applicant.id] == ["Milloin haku alkaa?", "Vielä hakemuksestani"]
    assert texts[staff.id] == ["Järjestelmä ei toimi, en pääse kirjautumaan"]


# --- MMS --------------------------------------------------------------------------------


def test_mms_media_are_fetched_by_a_job_and_kept_as_attachments(rt, twilio, session, sms) -> None:
    base = "https://api.twilio.com/2010-04-01/Accounts/AC" + "0" * 32 + "/Messages/MM1/Media/"
    photo, gone = base + "ME" + "1" * 32, base + "ME" + "2" * 32
    sms.add_media(photo, MediaFile("ME" + "1" * 32 + ".jpg", "image/jpeg", b"\xff\xd8\xffjpeg"))
    form = sms_form(
        "Tässä todistukseni",
        NumMedia="2",
        MediaUrl0=photo,
        MediaContentType0="image/jpeg",
        MediaUrl1=gone,
        MediaContentType1="image/png",
    )

    twilio.post(SMS_PATH, form)

    [ticket] = tickets_of(session)
    message = session.execute(
        select(Message).where(Message.ticket_id == ticket.id, Message.direction == "inbound")
    ).scalar_one()
    [attachment] = session.execute(
        select(Attachment).where(Attachment.message_id == message.id)
    ).scalars()
    assert attachment.content_type == "image/jpeg"
    assert rt.storage.read(attachment.storage_key) == b"\xff\xd8\xffjpeg"
    assert sms.fetched == [photo, gone]
    [missing] = events(session, ticket.id, "media_not_fetched")
    assert "20404" in missing.reason or "no media" in missing.reason

    # the job is idempotent: what is kept is not fetched again
    jobs.fetch_sms_media(message.id)
    assert sms.fetched.count(photo) == 1
    count = select(func.count(Attachment.id)).where(Attachment.message_id == message.id)
    assert session.execute(count).scalar_one() == 1


# --- STOP and START -------------------------------------------------------------------------


def phone_identity(session, number: str = CALLER) -> ContactIdentity:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.execute(
        select(ContactIdentity).where(
            ContactIdentity.kind == "phone", ContactIdentity.value == number
        )
    ).scalar_one()


@pytest.mark.parametrize("keyword", ["STOP", " stopall ", "Unsubscribe.", "cancel", "END", "quit"])
def test_stop_words_opt_the_number_out_and_make_no_ticket(
    twilio, session, sms, api, clock, keyword
) -> None:
    twilio.post(SMS_PATH, sms_form("Milloin haku alkaa?", sid=sid(1)))
    [ticket] = tickets_of(session)
    assert len(sms.sent) == 1  # the acknowledgement

    response = twilio.post(SMS_PATH, sms_form(keyword, sid=sid(2)))

    assert response.status_code == 200
    assert [t.id for t in tickets_of(session)] == [ticket.id]
    assert phone_identity(session).sms_opted_out_at is not None
    [event] = events(session, ticket.id, "sms_opted_out")
    assert CALLER in event.reason
    record = session.execute(
        select(IntakeRecord).where(IntakeRecord.external_id == sid(2))
    ).scalar_one()
    assert record.status == "processed"
    assert session.execute(select(Message).where(Message.external_id == sid(2))).first() is None

    refused = api.post(f"/tickets/{ticket.number}/replies", json={"body": "Haku alkaa 2.4."})
    assert refused.status_code == 409
    error = refused.get_json()["error"]
    assert error["code"] == "delivery_refused"
    assert "opted out" in error["message"]

    # a new question from the number: a ticket, but no acknowledgement by SMS
    ticket.status = "closed"
    session.commit()
    clock.now += timedelta(minutes=5)
    twilio.post(SMS_PATH, sms_form("Toinen kysymys: oppisopimus?", sid=sid(3)))
    assert len(tickets_of(session)) == 2
    assert len(sms.sent) == 1


def test_start_opts_the_number_back_in(twilio, session, sms, api) -> None:
    twilio.post(SMS_PATH, sms_form("Milloin haku alkaa?", sid=sid(1)))
    twilio.post(SMS_PATH, sms_form("STOP", sid=sid(2)))
    twilio.post(SMS_PATH, sms_form("Stop", sid=sid(3)))  # a repeat changes nothing
    twilio.post(SMS_PATH, sms_form("start", sid=sid(4)))

    [ticket] = tickets_of(session)
    assert phone_identity(session).sms_opted_out_at is None
    assert len(events(session, ticket.id, "sms_opted_out")) == 1
    assert len(events(session, ticket.id, "sms_opted_in")) == 1

    answered = api.post(f"/tickets/{ticket.number}/replies", json={"body": "Haku alkaa 2.4."})
    assert answered.status_code == 201
    assert sms.sent[-1].text.startswith("Haku alkaa 2.4.")


def test_stop_from_an_unknown_number_is_remembered(twilio, session) -> None:
    twilio.post(SMS_PATH, sms_form("STOP", sender="+358405550000"))

    assert session.execute(select(func.count(Ticket.id))).scalar_one() == 0
    assert phone_identity(session, "+358405550000").sms_opted_out_at is not None
    [event] = events(session, None, "sms_opted_out")
    assert "+358405550000" in event.reason


def test_help_and_longer_texts_reach_an_agent(twilio, session) -> None:
    twilio.post(SMS_PATH, sms_form("Stop sending me these, I already applied", sid=sid(1)))

    [ticket] = tickets_of(session)
    assert ticket.channel == "sms"
    assert phone_identity(session).sms_opted_out_at is None


@pytest.mark.redis
def test_messages_arriving_while_the_workers_are_busy_share_one_job(
    rq_runtime: Runtime, twilio, session, sms
) -> None:
    senders = [f"+35840555{n:04d}" for n in range(3)]
    for n, sender in enumerate(senders):
        assert twilio.post(SMS_PATH, sms_form(sid=sid(n), sender=sender)).status_code == 200
    assert isinstance(rq_runtime.jobs, RqJobQueue)
    assert rq_runtime.jobs.queue("inbound").count == 1, "one job for the three"

    work(rq_runtime)
    assert [len(tickets_of(session, sender)) for sender in senders] == [1, 1, 1]
