"""Outbound SMS through the real twilio ``Client`` pointed at a local HTTP
server (``tests/twilio_server.py``), and the delivery status callbacks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from channels.message import Attachment as MediaFile
from channels.message import DeliveryReceipt, OutboundMessage
from channels.sms import RecordingSmsGateway, TwilioSmsGateway
from servicedesk import outbox, sms_status
from servicedesk.app import create_app
from servicedesk.models import (
    Attachment,
    AuditEvent,
    ContactIdentity,
    IntakeRecord,
    Message,
    OutboxItem,
    OutboxStatus,
    Ticket,
)
from tests.integration.twilio_requests import CALLER, Twilio, twiml
from tests.twilio_server import FakeTwilioServer, LocalTwilioHttpClient

SMS_PATH = "/webhooks/twilio/sms"
STATUS_PATH = "/webhooks/twilio/sms/status"
DESK = "+358401110000"


@pytest.fixture
def twilio_api(settings) -> Iterator[FakeTwilioServer]:  # type: ignore[no-untyped-def]
    with FakeTwilioServer(
        account_sid=settings.twilio_account_sid, auth_token=settings.twilio_auth_token
    ) as server:
        yield server


@pytest.fixture
def gateway(rt, twilio_api: FakeTwilioServer) -> Iterator[TwilioSmsGateway]:  # type: ignore[no-untyped-def]
    """The gateway ``Runtime.from_settings`` builds, talking to the local server."""
    settings = rt.settings
    http_client = LocalTwilioHttpClient(twilio_api.base_url, timeout=5)
    gateway = TwilioSmsGateway(
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        settings.sms_number,
        http_client=http_client,
        status_callback=settings.base_url + STATUS_PATH,
    )
    rt.sms = gateway
    yield gateway
    http_client.close()


@pytest.fixture
def twilio(client, settings) -> Twilio:  # type: ignore[no-untyped-def]
    return Twilio(client, settings)


def incoming(twilio: Twilio, session, body: str = "Milloin haku alkaa?", **extra: str) -> Ticket:  # type: ignore[no-untyped-def]
    form = {
        "MessageSid": "SMfeed" + "0" * 28,
        "From": CALLER,
        "To": DESK,
        "Body": body,
        "NumMedia": "0",
        **extra,
    }
    assert twilio.post(SMS_PATH, form).status_code == 200
    session.expire_all()
    return session.execute(select(Ticket)).scalar_one()


def reply_message(session, ticket: Ticket) -> Message:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.execute(
        select(Message)
        .where(
            Message.ticket_id == ticket.id,
            Message.direction == "outbound",
            Message.auto_kind == "none",
        )
        .order_by(Message.id.desc())
        .limit(1)
    ).scalar_one()


def test_reply_goes_through_the_sdk_with_a_status_callback(
    twilio, gateway, twilio_api, session, api, settings
) -> None:
    ticket = incoming(twilio, session)
    [ack] = twilio_api.messages
    assert ack.field("To") == CALLER and ticket.number in (ack.field("Body") or "")

    response = api.post(
        f"/tickets/{ticket.number}/replies", json={"body": "Haku alkaa 2.4. klo 8."}
    )

    assert response.status_code == 201
    sent = twilio_api.messages[-1]
    assert sent.path == f"/2010-04-01/Accounts/{settings.twilio_account_sid}/Messages.json"
    assert sent.auth == (settings.twilio_account_sid, settings.twilio_auth_token)
    assert sent.field("To") == CALLER
    assert sent.field("From") == DESK
    assert sent.field("Body") == "Haku alkaa 2.4. klo 8.\n"
    assert sent.field("StatusCallback") == "http://desk.test/webhooks/twilio/sms/status"
    message = reply_message(session, ticket)
    assert message.delivery_status == "queued"
    assert message.external_id and message.external_id.startswith("SM")


@pytest.mark.parametrize(
    ("code", "opts_out"), [(21610, True), (21211, False)], ids=["unsubscribed", "invalid"]
)
def test_permanent_twilio_errors_are_a_visible_failed_delivery(
    twilio, gateway, twilio_api, session, api, code, opts_out
) -> None:
    ticket = incoming(twilio, session)
    twilio_api.fail_next(400, code, "refused")

    response = api.post(f"/tickets/{ticket.number}/replies", json={"body": "Vastaus"})

    assert response.status_code == 201  # queued; the outbox found out
    message = reply_message(session, ticket)
    assert message.delivery_status == "failed"
    assert str(code) in (message.delivery_error or "")
    item = session.execute(
        select(OutboxItem).where(OutboxItem.message_id == message.id)
    ).scalar_one()
    assert (item.status, item.attempts, item.error_code) == (OutboxStatus.FAILED, 1, str(code))
    assert item.id not in outbox.due_items(session, item.created_at + timedelta(days=1))
    detail = api.get(f"/tickets/{ticket.number}").get_json()
    [shown] = [m for m in detail["messages"] if m["id"] == message.id]
    assert shown["delivery_status"] == "failed" and str(code) in shown["delivery_error"]
    identity = session.execute(
        select(ContactIdentity).where(ContactIdentity.value == CALLER)
    ).scalar_one()
    assert (identity.sms_opted_out_at is not None) is opts_out


def test_a_server_error_is_retried_with_backoff(
    rt, twilio, gateway, twilio_api, session, api
) -> None:
    ticket = incoming(twilio, session)
    twilio_api.fail_next(500)

    api.post(f"/tickets/{ticket.number}/replies", json={"body": "Vastaus"})

    message = reply_message(session, ticket)
    assert message.delivery_status == "retrying"
    item = session.execute(
        select(OutboxItem).where(OutboxItem.message_id == message.id)
    ).scalar_one()
    assert (item.status, item.attempts) == (OutboxStatus.PENDING, 1)
    assert item.next_attempt_at >= rt.now() + timedelta(seconds=50)
    assert item.id not in outbox.due_items(session, rt.now())

    later = rt.now() + timedelta(minutes=2)
    assert item.id in outbox.due_items(session, later)
    rt.clock = lambda: later
    assert outbox.deliver(rt, item.id) == OutboxStatus.SENT
    assert len(twilio_api.messages) == 3  # acknowledgement, the 500, the retry
    assert reply_message(session, ticket).delivery_status == "queued"


def test_mms_media_are_fetched_with_the_account_credentials(
    rt, twilio, gateway, twilio_api, session, settings
) -> None:
    url = twilio_api.add_media("image/png", b"\x89PNG\r\n\x1a\nimage")

    ticket = incoming(
        twilio,
        session,
        "Kuva hakemuksesta",
        NumMedia="1",
        MediaUrl0=url,
        MediaContentType0="image/png",
    )

    [attachment] = session.execute(
        select(Attachment).join(Message).where(Message.ticket_id == ticket.id)
    ).scalars()
    assert attachment.filename.endswith(".png")
    assert rt.storage.read(attachment.storage_key) == b"\x89PNG\r\n\x1a\nimage"
    [fetch] = [r for r in twilio_api.requests if r.method == "GET" and "/Media/" in r.path]
    assert fetch.auth == (settings.twilio_account_sid, settings.twilio_auth_token)


# --- status callbacks ----------------------------------------------------------------


def status(twilio: Twilio, message_sid: str, value: str, **extra: str):  # type: ignore[no-untyped-def]
    form = {"MessageSid": message_sid, "MessageStatus": value, "AccountSid": "AC1", **extra}
    return twilio.post(STATUS_PATH, form)


def test_status_callbacks_never_step_backwards(twilio, session, api, sms) -> None:
    ticket = incoming(twilio, session)
    api.post(f"/tickets/{ticket.number}/replies", json={"body": "Vastaus"})
    message = reply_message(session, ticket)
    sid = message.external_id
    assert sid == sms.receipts[-1].provider_id

    for value in ("sent", "delivered", "sent", "queued"):
        assert len(twiml(status(twilio, sid, value))) == 0
    assert reply_message(session, ticket).delivery_status == "delivered"

    assert status(twilio, sid, "read").status_code == 200
    assert reply_message(session, ticket).delivery_status == "read"


def test_an_undelivered_sms_is_shown_until_a_late_delivery_report(
    twilio, session, api, sms
) -> None:
    ticket = incoming(twilio, session)
    api.post(f"/tickets/{ticket.number}/replies", json={"body": "Vastaus"})
    sid = reply_message(session, ticket).external_id

    status(twilio, sid, "undelivered", ErrorCode="30003", ErrorMessage="Unreachable handset")

    message = reply_message(session, ticket)
    assert message.delivery_status == "undelivered"
    assert "30003" in message.delivery_error
    assert session.execute(
        select(AuditEvent).where(
            AuditEvent.ticket_id == ticket.id, AuditEvent.kind == "delivery_failed"
        )
    ).scalar_one()

    status(twilio, sid, "delivered")
    message = reply_message(session, ticket)
    assert (message.delivery_status, message.delivery_error) == ("delivered", None)


def test_unknown_or_forged_status_callbacks_change_nothing(twilio, session, api) -> None:
    ticket = incoming(twilio, session)
    api.post(f"/tickets/{ticket.number}/replies", json={"body": "Vastaus"})
    sid = reply_message(session, ticket).external_id

    unknown = status(twilio, "SM" + "f" * 32, "delivered")
    forged = twilio.post(
        STATUS_PATH, {"MessageSid": sid, "MessageStatus": "failed"}, signature="Zm9yZ2Vk"
    )

    assert unknown.status_code == 200  # Twilio must not retry it for ever
    assert forged.status_code == 403
    assert reply_message(session, ticket).delivery_status == "queued"


class CallbackFirstGateway:
    """An SMS provider whose status callbacks arrive before ``send``
    returns its sid (Twilio can be that fast): ``callbacks`` are posted to
    the status webhook from inside ``send``, through ``twilio``'s own
    application instance (another web process, with its own app context)."""

    def __init__(self, inner: RecordingSmsGateway, twilio: Twilio, callbacks: list[str]) -> None:
        self.inner = inner
        self.twilio = twilio
        self.callbacks = callbacks
        self.answers: list[int] = []

    def send(self, message: OutboundMessage) -> DeliveryReceipt:
        receipt = self.inner.send(message)
        for value in self.callbacks:
            self.answers.append(status(self.twilio, receipt.provider_id, value).status_code)
        return receipt

    def fetch_media(self, url: str) -> MediaFile:
        return self.inner.fetch_media(url)


def test_a_status_callback_before_the_sid_is_stored_is_applied_afterwards(
    rt, twilio, session, api, sms
) -> None:
    ticket = incoming(twilio, session)
    other_process = Twilio(create_app(rt.settings, rt).test_client(), rt.settings)
    racing = CallbackFirstGateway(sms, other_process, ["sent", "delivered"])
    rt.sms = racing

    api.post(f"/tickets/{ticket.number}/replies", json={"body": "Vastaus"})

    assert racing.answers == [200, 200]
    message = reply_message(session, ticket)
    assert message.external_id == sms.receipts[-1].provider_id
    assert message.delivery_status == "delivered"
    kept = (
        session.execute(
            select(IntakeRecord).where(IntakeRecord.channel == sms_status.WAITING_CHANNEL)
        )
        .scalars()
        .all()
    )
    assert sorted(r.external_id for r in kept) == [
        f"{message.external_id}:delivered",
        f"{message.external_id}:sent",
    ]
    assert {r.status for r in kept} == {"processed"}
    # a late repeat is an ordinary known-sid callback now
    assert status(twilio, message.external_id, "sent").status_code == 200
    assert reply_message(session, ticket).delivery_status == "delivered"


def test_a_status_callback_for_a_sid_never_sent_by_us_waits_and_changes_nothing(
    twilio, session
) -> None:
    unknown = "SM" + "e" * 32

    assert status(twilio, unknown, "delivered").status_code == 200
    assert status(twilio, unknown, "delivered").status_code == 200  # a repeat is kept once

    [kept] = (
        session.execute(
            select(IntakeRecord).where(IntakeRecord.channel == sms_status.WAITING_CHANNEL)
        )
        .scalars()
        .all()
    )
    assert (kept.external_id, kept.status) == (f"{unknown}:delivered", "ignored")
