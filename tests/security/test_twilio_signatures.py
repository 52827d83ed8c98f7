"""Twilio webhooks: forged and replayed requests.

Forged: every webhook route (walked from the URL map) refuses with 403,
before reading anything, a request without a signature, signed with
another account's token, signed for another URL, or whose fields were
changed after signing — and stores nothing.

Replayed: Twilio's signature covers the URL and the fields but carries no
time or nonce, so a captured request stays valid for ever and cannot be
refused by its age.  The defence is idempotency on Twilio's own ids: an
SMS is kept under its ``MessageSid`` (unique per channel), a call under
its ``CallSid`` (unique), a status update only moves a message's status
forward.  A replay is answered 200 (so the genuine Twilio, retrying, does
not retry for ever) and changes nothing.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from servicedesk.models import CallRecord, IntakeRecord, Message, Ticket
from tests.integration.twilio_requests import Twilio
from tests.security.conftest import World, routes

CALLER = "+358401239876"


def count(session, model) -> int:  # type: ignore[no-untyped-def]
    session.expire_all()
    return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def sms_form(
    settings, sid: str = "SM" + "1" * 32, body: str = "Milloin haku alkaa?"
) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {
        "MessageSid": sid,
        "AccountSid": settings.twilio_account_sid,
        "From": CALLER,
        "To": settings.sms_number,
        "Body": body,
        "NumMedia": "0",
    }


def test_forged_requests_are_refused_on_every_webhook(
    app, client, settings, session, world: World
) -> None:  # type: ignore[no-untyped-def]
    twilio = Twilio(client, settings)
    hooks = [path for _e, path in routes(app, world, "POST") if path.startswith("/webhooks/")]
    assert len(hooks) >= 10
    form = {**sms_form(settings), "CallSid": "CA" + "2" * 32, "CallStatus": "completed"}
    before = [count(session, m) for m in (IntakeRecord, Ticket, CallRecord)]
    other_account = RequestValidator("someone-elses-token")
    for path in hooks:
        url = settings.base_url + path
        attempts = {
            "unsigned": twilio.post(path, form, signature=""),
            "other token": twilio.post(
                path, form, signature=other_account.compute_signature(url, form)
            ),
            "other url": twilio.post(path, form, signed_url=settings.base_url + "/webhooks/other"),
            "changed field": client.post(
                path,
                data={**form, "Body": "changed"},
                headers={"X-Twilio-Signature": twilio.sign(url, form)},
                base_url="http://localhost",
            ),
        }
        for how, answer in attempts.items():
            assert answer.status_code == 403, (path, how, answer.status_code)
    assert [count(session, m) for m in (IntakeRecord, Ticket, CallRecord)] == before


def test_a_replayed_sms_changes_nothing(client, settings, session) -> None:  # type: ignore[no-untyped-def]
    twilio = Twilio(client, settings)
    form = sms_form(settings)
    first = twilio.post("/webhooks/twilio/sms", form)
    assert first.status_code == 200
    state = [count(session, m) for m in (IntakeRecord, Ticket, Message)]
    for _ in range(3):
        assert twilio.post("/webhooks/twilio/sms", form).status_code == 200
    assert [count(session, m) for m in (IntakeRecord, Ticket, Message)] == state


def test_a_replayed_status_callback_does_not_move_the_status_back(
    client, settings, session, sms
) -> None:  # type: ignore[no-untyped-def]
    twilio = Twilio(client, settings)
    assert (
        twilio.post("/webhooks/twilio/sms", sms_form(settings, "SM" + "3" * 32)).status_code == 200
    )
    ack = session.execute(
        select(Message).where(Message.direction == "outbound", Message.channel == "sms")
    ).scalar_one()
    sid = ack.external_id
    assert sid, "the acknowledgement was sent and has Twilio's id"
    base = {"MessageSid": sid, "AccountSid": settings.twilio_account_sid, "To": CALLER}
    sent = {**base, "MessageStatus": "sent"}
    delivered = {**base, "MessageStatus": "delivered"}
    assert twilio.post("/webhooks/twilio/sms/status", sent).status_code == 200
    assert twilio.post("/webhooks/twilio/sms/status", delivered).status_code == 200
    assert twilio.post("/webhooks/twilio/sms/status", sent).status_code == 200  # a replay
    session.expire_all()
    assert session.get(Message, ack.id).delivery_status == "delivered"


@pytest.mark.parametrize("step", ["/webhooks/twilio/voice", "/webhooks/twilio/voice/status"])
def test_a_replayed_call_makes_one_call_and_at_most_one_ticket(
    client, settings, session, step: str
) -> None:  # type: ignore[no-untyped-def]
    twilio = Twilio(client, settings)
    form = {
        "CallSid": "CA" + "4" * 32,
        "AccountSid": settings.twilio_account_sid,
        "From": CALLER,
        "To": settings.phone_number,
        "CallStatus": "completed" if step.endswith("status") else "ringing",
        "CallDuration": "12",
    }
    for _ in range(3):
        assert twilio.post(step, form).status_code == 200
    assert count(session, CallRecord) == 1
    assert count(session, Ticket) <= 1
