"""Property tests of what outsiders send, with hypothesis: the three
Twilio webhook parsers (SMS, status callback, voice) and the public web
form end to end.  Whatever arrives, a parser gives its value or a
``ParseError``; the form answers 200, 400 or 422 (or 429 when the same
address posts too much), never 5xx, and keeps no NUL or lone surrogate.

(The mail parser has its own: tests/channels/email/test_email_parser_fuzz.py;
the JSON API is fuzzed from its OpenAPI document by schemathesis in
tests/integration/test_openapi_fuzz.py.)"""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from channels.errors import ParseError
from channels.message import InboundMessage
from channels.sms import StatusUpdate, parse_status_callback, parse_webhook
from channels.voice_events import VoiceEvent, parse_voice_webhook
from tests.integration.portal_client import hidden_fields

TWILIO_KEYS = [
    "MessageSid", "SmsMessageSid", "AccountSid", "From", "To", "Body", "NumMedia",
    "MediaUrl0", "MediaContentType0", "MediaUrl1", "MediaContentType1", "MessageStatus",
    "SmsStatus", "ErrorCode", "ErrorMessage", "CallSid", "CallStatus", "Digits",
    "SpeechResult", "Confidence", "RecordingUrl", "RecordingSid", "RecordingDuration",
    "RecordingStatus", "DialCallStatus", "DialCallDuration", "CallDuration", "FromCity",
    "OptOutType",
]  # fmt: skip
VALUES = st.one_of(
    st.text(max_size=200),
    st.sampled_from(
        ["", "0", "1", "-1", "99999999999999999999", "+358401234567", "SM" + "a" * 32,
         "https://api.twilio.com/x", "javascript:alert(1)", "completed", "delivered",
         "\x00", "\ud800", "1e309", "NaN", " ", "STOP", "ALOITA"]
    ),
)  # fmt: skip
FORMS = st.dictionaries(
    st.one_of(st.sampled_from(TWILIO_KEYS), st.text(max_size=20)), VALUES, max_size=12
)
RELAXED = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@RELAXED
@given(FORMS)
@example({"MessageSid": "SM1", "From": "+358401234567", "Body": "a\x00b\ud800"})
def test_sms_webhook_parser(form: dict[str, str]) -> None:
    try:
        message = parse_webhook(form)
    except ParseError:
        return
    assert isinstance(message, InboundMessage)
    assert "\x00" not in message.text
    message.text.encode("utf-8")


@RELAXED
@given(FORMS)
def test_status_callback_parser(form: dict[str, str]) -> None:
    with contextlib.suppress(ParseError):
        assert isinstance(parse_status_callback(form), StatusUpdate)


@RELAXED
@given(FORMS)
def test_voice_webhook_parser(form: dict[str, str]) -> None:
    with contextlib.suppress(ParseError):
        assert isinstance(parse_voice_webhook(form), VoiceEvent)


FORM_FIELDS = [
    "name",
    "email",
    "phone",
    "municipality",
    "institution",
    "topic",
    "message",
    "website",
]
FORM_VALUES = st.one_of(
    st.text(max_size=300),
    st.sampled_from(
        ["Oulu", "Vasa", "osao", "funding", "a@example.org", "040 123 4567", "x" * 11000]
    ),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    st.fixed_dictionaries({}, optional={name: FORM_VALUES for name in FORM_FIELDS}),
    st.sampled_from(["/contact?lang=fi", "/contact?lang=en", "/staff/contact?lang=sv"]),
)
def test_the_web_form_never_fails_on_what_is_typed(
    app, client, fields: dict[str, str], path: str
) -> None:  # type: ignore[no-untyped-def]
    app.config.update(PORTAL_SUBMIT_LIMITS="10000/minute", PORTAL_POST_LIMITS="10000/minute")
    page = client.get(path)
    assert page.status_code == 200
    answer = client.post(path, data={**hidden_fields(page.get_data(as_text=True)), **fields})
    assert answer.status_code in (200, 400, 422), answer.status_code
