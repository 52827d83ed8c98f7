"""Call backs: a missed call or a voicemail is listed on its desk's "Call
backs" view under the queue the call was for (even when the call joined
the caller's open ticket in another queue), counted in the desk's
navigation, and "Called back" on the ticket ends it, audited."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from servicedesk.models import AuditEvent, Ticket
from tests.integration import console_kit
from tests.integration.console_kit import fast_sign_in, make_user, token
from tests.integration.test_voice_flow import OPEN, Call, gather, record_of
from tests.integration.twilio_requests import CALLER, Twilio

app = console_kit.app  # the fixture, with compiled templates shared between tests

OULU_QUEUE = "pohjois-pohjanmaa-applicants"
LIST = "/console/desks/applicants/callbacks"


@pytest.fixture
def twilio(client, settings) -> Twilio:  # type: ignore[no-untyped-def]
    return Twilio(client, settings)


@pytest.fixture
def voicemail_on_an_open_ticket(rt, twilio, session) -> Ticket:  # type: ignore[no-untyped-def]
    """The caller's open SMS ticket in the national queue; then a call
    routed to Oulu that nobody answers, joining that ticket."""
    rt.clock = lambda: OPEN
    twilio.post(
        "/webhooks/twilio/sms",
        {
            "MessageSid": "SMfeed" + "2" * 28,
            "From": CALLER,
            "To": "+358401110000",
            "Body": "Hei, kysyisin hakemisesta.",
            "NumMedia": "0",
        },
    )
    call = Call(twilio)
    ask = gather(call.post(gather(call.start()).get("action"), Digits="1"))
    dial = call.post(ask.get("action"), SpeechResult="Oulu").find("Dial")
    offer = call.post(dial.get("action"), DialCallStatus="no-answer")
    call.post(
        offer.find("Record").get("action"),
        RecordingUrl="https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE" + "9" * 32,
        RecordingDuration="12",
    )
    session.expire_all()
    return session.get(Ticket, record_of(session).ticket_id)


def events(session, ticket: Ticket, kind: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    return list(
        session.execute(
            select(AuditEvent).where(AuditEvent.ticket_id == ticket.id, AuditEvent.kind == kind)
        ).scalars()
    )


def count_after(page: str, text: str) -> int:
    found = re.search(re.escape(text) + r'</a> <span class="count">(\d+)</span>', page)
    assert found is not None, text
    return int(found.group(1))


def test_a_call_back_is_listed_in_the_queue_of_the_call_and_done_once(
    client, session, voicemail_on_an_open_ticket
) -> None:
    ticket = voicemail_on_an_open_ticket
    assert ticket.queue_id != OULU_QUEUE  # the call joined the SMS ticket elsewhere
    [requested] = events(session, ticket, "callback_requested")
    assert requested.data["queue"] == OULU_QUEUE
    agent = make_user(session, "agent")
    session.commit()
    fast_sign_in(client, agent)

    in_oulu = client.get(f"{LIST}?queue={OULU_QUEUE}").get_data(as_text=True)
    assert ticket.number in in_oulu and CALLER in in_oulu and "Voicemail" in in_oulu
    assert ticket.number not in client.get(f"{LIST}?queue={ticket.queue_id}").get_data(as_text=True)
    assert (
        count_after(client.get("/console/desks/applicants/").get_data(as_text=True), "Call backs")
        == 1
    )
    page = client.get(f"/console/tickets/{ticket.number}").get_data(as_text=True)
    assert 'id="callback-section"' in page and "Called back" in page

    done = client.post(
        f"/console/tickets/{ticket.number}/called-back", data={"csrf_token": token(client)}
    )

    assert done.status_code == 302
    [event] = events(session, ticket, "callback_done")
    assert event.actor_user_id == agent.id
    assert event.data["queues"] == [OULU_QUEUE]
    assert ticket.number not in client.get(LIST).get_data(as_text=True)
    assert count_after(client.get(LIST).get_data(as_text=True), "Call backs") == 0
    again = client.post(
        f"/console/tickets/{ticket.number}/called-back", data={"csrf_token": token(client)}
    )
    assert again.status_code == 400
    assert "No call back is waiting on this ticket." in again.get_data(as_text=True)
    assert len(events(session, ticket, "callback_done")) == 1


def test_called_back_needs_the_csrf_token_and_a_ticket_the_user_sees(
    client, session, voicemail_on_an_open_ticket
) -> None:
    ticket = voicemail_on_an_open_ticket
    outsider = make_user(session, "expert", organization="osao")
    session.commit()
    fast_sign_in(client, outsider)

    assert client.post(f"/console/tickets/{ticket.number}/called-back").status_code == 400
    refused = client.post(
        f"/console/tickets/{ticket.number}/called-back", data={"csrf_token": token(client)}
    )
    assert refused.status_code == 404
    assert events(session, ticket, "callback_done") == []


def test_the_call_backs_view_in_finnish(client, session, voicemail_on_an_open_ticket) -> None:
    agent = make_user(session, "agent", ui_language="fi")
    session.commit()
    fast_sign_in(client, agent)

    page = client.get(LIST).get_data(as_text=True)

    assert "Takaisinsoitot" in page and "Vastaajaviesti" in page
    assert voicemail_on_an_open_ticket.number in page
