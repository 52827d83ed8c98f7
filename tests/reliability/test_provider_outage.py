"""A provider down: the SMTP server refuses connections, Twilio answers
500.  The acknowledgements wait in the outbox and are tried again with
growing pauses (1, 2, 4 … minutes, at most an hour), are marked failed
after the limit with the error shown on the ticket page, and go out when
an agent presses "try again" once the provider is back.

Real transports throughout: the SMTP sender against a port nothing
listens on and then a real aiosmtpd on that very port, Twilio's SDK
against the local stand-in.  The clock is the runtime's, moved by the test
(the sweeper runs whenever it would have).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from channels.email.smtp import SmtpSender
from channels.sms import TwilioSmsGateway
from channels.twilio_transport import RedirectedTransport
from servicedesk import jobs, outbox
from servicedesk.models import Message, OutboxItem, OutboxStatus, Ticket
from tests.integration.console_kit import make_user, post_form, sign_in
from tests.integration.twilio_requests import Twilio
from tests.ports import free_port
from tests.smtp_server import RecordingHandler
from tests.twilio_server import FakeTwilioServer

T0 = datetime(2026, 8, 17, 9, 0, tzinfo=UTC)
EXPECTED_PAUSES = [1, 2, 4, 8, 16, 32, 60]  # minutes after attempts 1..7; the 8th fails


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(rt):  # type: ignore[no-untyped-def]
    moved = Clock()
    rt.clock = moved
    return moved


@pytest.fixture
def fake_twilio(settings) -> Iterator[FakeTwilioServer]:  # type: ignore[no-untyped-def]
    with FakeTwilioServer(
        account_sid=settings.twilio_account_sid, auth_token=settings.twilio_auth_token
    ) as server:
        yield server


def run_out_of_attempts(rt, session, clock: Clock, item_id: int) -> list[int]:  # type: ignore[no-untyped-def]
    """Let the sweeper retry the row whenever it is due; the pauses seen."""
    pauses = []
    for _ in range(outbox.MAX_ATTEMPTS + 2):
        row = session.get(OutboxItem, item_id, populate_existing=True)
        if row.status != OutboxStatus.PENDING:
            break
        pauses.append(round((row.next_attempt_at - clock.now).total_seconds() / 60))
        clock.now = row.next_attempt_at + timedelta(seconds=1)
        jobs.sweep_outbox()  # inline: the sweep enqueues, the delivery runs
    return pauses


def test_smtp_down_retries_fails_visibly_and_sends_when_retried_by_hand(
    rt, app, client, api, session, clock
) -> None:  # type: ignore[no-untyped-def]
    port = free_port()  # nothing listens here yet
    rt.mail = SmtpSender("127.0.0.1", port, starttls=False, timeout=5)
    answer = api.post("/enquiries", json={"email": "hakija@example.org", "body": "Hei, haku?"})
    assert answer.status_code == 201
    number = answer.get_json()["ticket"]["number"]
    ticket = session.execute(select(Ticket).where(Ticket.number == number)).scalar_one()
    item = session.execute(
        select(OutboxItem).where(
            OutboxItem.ticket_id == ticket.id, OutboxItem.to_address == "hakija@example.org"
        )
    ).scalar_one()
    assert item.status == OutboxStatus.PENDING and item.attempts == 1
    assert "SMTP connection failed" in (item.last_error or "")

    pauses = [EXPECTED_PAUSES[0], *run_out_of_attempts(rt, session, clock, item.id)[1:]]
    item = session.get(OutboxItem, item.id, populate_existing=True)
    assert item.status == OutboxStatus.FAILED
    assert item.attempts == outbox.MAX_ATTEMPTS
    assert pauses == EXPECTED_PAUSES

    agent = make_user(session, "agent")
    session.commit()
    sign_in(client, agent)
    page = client.get(f"/console/tickets/{number}").get_data(as_text=True)
    assert "Delivery error:" in page and "SMTP connection failed" in page

    handler = RecordingHandler()
    server = Controller(handler, hostname="127.0.0.1", port=port)
    server.start()
    try:
        retried = post_form(
            client,
            f"/console/tickets/{number}",
            f"/console/tickets/{number}/messages/{item.message_id}/retry",
            {},
        )
        assert retried.status_code in (302, 303)
    finally:
        server.stop()
    item = session.get(OutboxItem, item.id, populate_existing=True)
    assert item.status == OutboxStatus.SENT
    assert len(handler.received) == 1
    assert handler.received[0].rcpt_tos == ["hakija@example.org"]
    message = session.get(Message, item.message_id, populate_existing=True)
    assert message.delivery_error is None


def test_twilio_down_retries_fails_visibly_and_sends_when_retried_by_hand(
    rt, app, client, session, settings, clock, fake_twilio
) -> None:  # type: ignore[no-untyped-def]
    rt.sms = TwilioSmsGateway(
        fake_twilio.account_sid,
        fake_twilio.auth_token,
        settings.sms_number,
        http_client=RedirectedTransport(fake_twilio.base_url),
    )
    fake_twilio.fail_next(500, times=outbox.MAX_ATTEMPTS)  # a proxy's 500 page, every time
    answer = Twilio(client, settings).post(
        "/webhooks/twilio/sms",
        {
            "MessageSid": "SM" + "7" * 32,
            "AccountSid": settings.twilio_account_sid,
            "From": "+358401234567",
            "To": settings.sms_number,
            "Body": "Milloin haku alkaa?",
            "NumMedia": "0",
        },
    )
    assert answer.status_code == 200
    item = session.execute(
        select(OutboxItem).where(
            OutboxItem.channel == "sms", OutboxItem.to_address == "+358401234567"
        )
    ).scalar_one()
    assert item.status == OutboxStatus.PENDING
    assert "HTTP 500" in (item.last_error or "")
    run_out_of_attempts(rt, session, clock, item.id)
    item = session.get(OutboxItem, item.id, populate_existing=True)
    assert item.status == OutboxStatus.FAILED and item.attempts == outbox.MAX_ATTEMPTS
    ticket = session.get(Ticket, item.ticket_id)

    agent = make_user(session, "agent")
    session.commit()
    sign_in(client, agent)
    page = client.get(f"/console/tickets/{ticket.number}").get_data(as_text=True)
    assert "Delivery error:" in page and "HTTP 500" in page
    retried = post_form(
        client,
        f"/console/tickets/{ticket.number}",
        f"/console/tickets/{ticket.number}/messages/{item.message_id}/retry",
        {},
    )
    assert retried.status_code in (302, 303)
    item = session.get(OutboxItem, item.id, populate_existing=True)
    assert item.status == OutboxStatus.SENT
    sent = fake_twilio.messages
    assert len(sent) == outbox.MAX_ATTEMPTS + 1
    assert sent[-1].field("To") == "+358401234567"
