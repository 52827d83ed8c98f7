"""Incoming SMS and MMS webhooks into InboundMessage values."""

from __future__ import annotations

import pytest

from channels.errors import ParseError
from channels.message import Channel, RemoteMedia
from channels.sms import parse_webhook

MEDIA_BASE = "https://api.twilio.com/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef"

# The form Twilio posts for an SMS, field for field.
SMS_FORM = {
    "ToCountry": "FI",
    "ToState": "",
    "SmsMessageSid": "SM5d7e9f1a3b5c7d9e1f3a5b7c9d1e3f5a",
    "NumMedia": "0",
    "ToCity": "",
    "FromZip": "",
    "SmsSid": "SM5d7e9f1a3b5c7d9e1f3a5b7c9d1e3f5a",
    "FromState": "",
    "SmsStatus": "received",
    "FromCity": "",
    "Body": "Hei! Mistä löydän tiedot\nammatillisesta koulutuksesta? ",
    "FromCountry": "FI",
    "To": "+358401234567",
    "ToZip": "",
    "NumSegments": "1",
    "MessageSid": "SM5d7e9f1a3b5c7d9e1f3a5b7c9d1e3f5a",
    "AccountSid": "AC0123456789abcdef0123456789abcdef",
    "From": "+358401112233",
    "ApiVersion": "2010-04-01",
}


def test_sms() -> None:
    message = parse_webhook(SMS_FORM)
    assert message.channel == Channel.SMS
    assert message.external_id == "SM5d7e9f1a3b5c7d9e1f3a5b7c9d1e3f5a"
    assert message.sender_address == "+358401112233"
    assert message.recipient_address == "+358401234567"
    assert message.text == "Hei! Mistä löydän tiedot\nammatillisesta koulutuksesta? "
    assert message.remote_media == ()
    assert message.attachments == ()


def test_mms_with_two_media_and_no_body() -> None:
    form = {
        "MessageSid": "MM0a1b2c3d4e5f60718293a4b5c6d7e8f9",
        "From": "+46701234567",
        "To": "+358401234567",
        "Body": "",
        "NumMedia": "2",
        "MediaUrl0": f"{MEDIA_BASE}/Messages/MM0a1b/Media/ME11",
        "MediaContentType0": "image/jpeg",
        "MediaUrl1": f"{MEDIA_BASE}/Messages/MM0a1b/Media/ME22",
        "MediaContentType1": "application/PDF",
    }
    message = parse_webhook(form)
    assert message.text == ""
    assert message.sender_address == "+46701234567"
    assert message.remote_media == (
        RemoteMedia(url=f"{MEDIA_BASE}/Messages/MM0a1b/Media/ME11", content_type="image/jpeg"),
        RemoteMedia(url=f"{MEDIA_BASE}/Messages/MM0a1b/Media/ME22", content_type="application/pdf"),
    )


@pytest.mark.parametrize(
    ("changes", "sid"),
    [
        ({}, "SM5d7e9f1a3b5c7d9e1f3a5b7c9d1e3f5a"),
        ({"MessageSid": None}, "SM5d7e9f1a3b5c7d9e1f3a5b7c9d1e3f5a"),  # SmsMessageSid fallback
        ({"MessageSid": "", "SmsMessageSid": "SMold"}, "SMold"),
    ],
)
def test_external_id(changes: dict[str, str | None], sid: str) -> None:
    form = {key: value for key, value in {**SMS_FORM, **changes}.items() if value is not None}
    assert parse_webhook(form).external_id == sid


def test_missing_body_is_empty_text() -> None:
    form = {key: value for key, value in SMS_FORM.items() if key != "Body"}
    assert parse_webhook(form).text == ""


def test_media_without_content_type() -> None:
    form = {**SMS_FORM, "NumMedia": "1", "MediaUrl0": f"{MEDIA_BASE}/Messages/MM1/Media/ME1"}
    assert parse_webhook(form).remote_media[0].content_type == "application/octet-stream"


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"MessageSid": None, "SmsMessageSid": None}, "no MessageSid"),
        ({"MessageSid": "  ", "SmsMessageSid": ""}, "no MessageSid"),
        ({"From": None}, "no From"),
        ({"From": ""}, "no From"),
        ({"NumMedia": "two"}, "not a number"),
        ({"NumMedia": "-1"}, "NumMedia=-1"),
        ({"NumMedia": "2", "MediaUrl0": f"{MEDIA_BASE}/x"}, "no MediaUrl1"),
    ],
)
def test_unparseable(changes: dict[str, str | None], error: str) -> None:
    form = {key: value for key, value in {**SMS_FORM, **changes}.items() if value is not None}
    with pytest.raises(ParseError, match=error):
        parse_webhook(form)
