"""Voice webhooks into VoiceEvent values, and a call into an InboundMessage."""

from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator

from channels.errors import ParseError
from channels.message import CallDetails, Channel, Hints
from channels.voice import (
    CallOutcome,
    VoiceEvent,
    call_details,
    call_outcome,
    call_to_inbound,
    parse_voice_webhook,
    public_url,
    verify_signature,
)

CALL_SID = "CA8f1e2d3c4b5a69788796a5b4c3d2e1f0"
RECORDING_URL = (
    "https://api.twilio.com/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef"
    "/Recordings/RE0a1b2c3d4e5f60718293a4b5c6d7e8f9"
)

GATHER_FORM = {
    "AccountSid": "AC0123456789abcdef0123456789abcdef",
    "ApiVersion": "2010-04-01",
    "CallSid": CALL_SID,
    "CallStatus": "in-progress",
    "Called": "+358401234567",
    "Caller": "+358401112233",
    "Direction": "inbound",
    "From": "+358401112233",
    "FromCountry": "FI",
    "To": "+358401234567",
    "ToCountry": "FI",
    "SpeechResult": "Oulu.",
    "Confidence": "0.8734",
    "Language": "fi-FI",
}


def test_gather_with_speech() -> None:
    event = parse_voice_webhook(GATHER_FORM)
    assert event == VoiceEvent(
        call_sid=CALL_SID,
        from_number="+358401112233",
        to_number="+358401234567",
        call_status="in-progress",
        speech_result="Oulu.",
        confidence=pytest.approx(0.8734),  # type: ignore[arg-type]
    )
    assert event.has_caller_id


def test_dial_and_record_callbacks() -> None:
    form = {
        "CallSid": CALL_SID,
        "From": "+358401112233",
        "To": "+358401234567",
        "CallStatus": "in-progress",
        "Digits": "2",
        "DialCallStatus": "no-answer",
        "DialCallDuration": "0",
        "RecordingUrl": RECORDING_URL,
        "RecordingDuration": "42",
        "RecordingSid": "RE0a1b2c3d4e5f60718293a4b5c6d7e8f9",
        "CallDuration": "95",
        "AnsweredBy": "human",
    }
    event = parse_voice_webhook(form)
    assert event.digits == "2"
    assert event.dial_call_status == "no-answer"
    assert event.dial_call_duration == 0
    assert event.recording_url == RECORDING_URL
    assert event.recording_duration == 42
    assert event.recording_sid == "RE0a1b2c3d4e5f60718293a4b5c6d7e8f9"
    assert event.call_duration == 95
    assert event.answered_by == "human"
    assert event.speech_result is None
    assert event.confidence is None


def test_minimal() -> None:
    assert parse_voice_webhook({"CallSid": CALL_SID}) == VoiceEvent(call_sid=CALL_SID)


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({}, "no CallSid"),
        ({"CallSid": " "}, "no CallSid"),
        ({"CallSid": CALL_SID, "Confidence": "high"}, "Confidence"),
        ({"CallSid": CALL_SID, "RecordingDuration": "4.5"}, "RecordingDuration"),
        ({"CallSid": CALL_SID, "DialCallDuration": "x"}, "DialCallDuration"),
    ],
)
def test_unparseable(form: dict[str, str], error: str) -> None:
    with pytest.raises(ParseError, match=error):
        parse_voice_webhook(form)


@pytest.mark.parametrize(
    ("number", "known"),
    [
        ("+358401112233", True),
        ("anonymous", False),
        ("Anonymous", False),
        ("+266696687", False),
        ("", False),
        ("restricted", False),
        ("client:agent", True),
    ],
)
def test_caller_id(number: str, known: bool) -> None:
    assert VoiceEvent(CALL_SID, from_number=number).has_caller_id is known


@pytest.mark.parametrize(
    ("fields", "outcome"),
    [
        ({"dial_call_status": "completed"}, CallOutcome.ANSWERED),
        ({"dial_call_status": "answered"}, CallOutcome.ANSWERED),
        ({"dial_call_status": "no-answer"}, CallOutcome.MISSED),
        ({"dial_call_status": "busy"}, CallOutcome.MISSED),
        ({"dial_call_status": "failed"}, CallOutcome.MISSED),
        ({"dial_call_status": "canceled"}, CallOutcome.MISSED),
        ({"dial_call_status": "busy", "recording_url": RECORDING_URL}, CallOutcome.VOICEMAIL),
        ({"recording_url": RECORDING_URL}, CallOutcome.VOICEMAIL),
        ({}, None),
    ],
)
def test_call_outcome(fields: dict[str, str], outcome: CallOutcome | None) -> None:
    assert call_outcome(VoiceEvent(CALL_SID, **fields)) == outcome  # type: ignore[arg-type]


def test_call_details_of_an_answered_call() -> None:
    event = VoiceEvent(CALL_SID, dial_call_status="completed", dial_call_duration=312)
    details = call_details(
        event, language="sv", municipality_heard="Vasa", answered_by="expert@vamia.fi"
    )
    assert details == CallDetails(
        call_sid=CALL_SID,
        language="sv",
        municipality_heard="Vasa",
        duration_seconds=312,
        outcome="answered",
        answered_by="expert@vamia.fi",
        recording_url=None,
    )


def test_call_details_of_a_voicemail() -> None:
    event = VoiceEvent(
        CALL_SID, dial_call_status="no-answer", recording_url=RECORDING_URL, call_duration=80
    )
    details = call_details(event, language="fi", answered_by="expert@osao.fi")
    assert details.outcome == "voicemail"
    assert details.answered_by is None
    assert details.duration_seconds == 80
    assert details.recording_url == RECORDING_URL


def test_call_details_without_any_result_is_missed() -> None:
    assert call_details(VoiceEvent(CALL_SID)).outcome == "missed"


def test_call_to_inbound() -> None:
    event = parse_voice_webhook(
        {
            "CallSid": CALL_SID,
            "From": "+358401112233",
            "To": "+358401234567",
            "RecordingUrl": RECORDING_URL,
        }
    )
    details = call_details(event, language="fi", municipality_heard="Oulu")
    message = call_to_inbound(
        event, details, "Vastaamaton puhelu, ääniviesti 0:42", audience="applicant", region="17"
    )
    assert message.channel == Channel.PHONE
    assert message.external_id == CALL_SID
    assert message.sender_address == "+358401112233"
    assert message.recipient_address == "+358401234567"
    assert message.text == "Vastaamaton puhelu, ääniviesti 0:42"
    assert message.call == details
    assert message.hints == Hints(
        audience="applicant", language="fi", municipality="Oulu", region="17"
    )
    assert message.attachments == ()


def test_call_to_inbound_checks_the_call() -> None:
    event = VoiceEvent(CALL_SID)
    with pytest.raises(ValueError, match="CAother"):
        call_to_inbound(event, CallDetails(call_sid="CAother"), "")


def test_signature_of_a_proxied_voice_step() -> None:
    token = "9c2f4e1a7b3d5f6e8a0b1c2d3e4f5a6b"
    signed = "https://desk.example.fi/webhooks/twilio/voice/municipality?lang=fi&try=1"
    signature = RequestValidator(token).compute_signature(signed, GATHER_FORM)
    url = public_url(
        "https://desk.example.fi", "/webhooks/twilio/voice/municipality", "lang=fi&try=1"
    )
    assert verify_signature(url, GATHER_FORM, signature, token)
    assert not verify_signature(
        public_url(
            "https://desk.example.fi", "/webhooks/twilio/voice/municipality", "lang=sv&try=1"
        ),
        GATHER_FORM,
        signature,
        token,
    )
    assert not verify_signature(url, {**GATHER_FORM, "Digits": "0"}, signature, token)
