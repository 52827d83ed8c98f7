"""The RecordingSmsGateway fake that the application's tests pass in."""

from __future__ import annotations

import pytest

from channels.errors import PermanentDeliveryError, TemporaryDeliveryError
from channels.message import Attachment, Channel, OutboundMessage
from channels.sms import RecordingSmsGateway, SmsGateway, TwilioSmsGateway


def sms(text: str) -> OutboundMessage:
    return OutboundMessage(
        channel=Channel.SMS, to_address="+358401112233", from_address="+358401234567", text=text
    )


def test_records_sent_messages() -> None:
    gateway = RecordingSmsGateway()
    first = gateway.send(sms("yksi"))
    second = gateway.send(sms("kaksi"))
    assert [m.text for m in gateway.sent] == ["yksi", "kaksi"]
    assert first.provider_id != second.provider_id
    assert first.status == "queued"
    assert gateway.receipts == [first, second]


def test_fails_as_told() -> None:
    gateway = RecordingSmsGateway()
    gateway.fail_next(PermanentDeliveryError("opted out", code="21610"))
    gateway.fail_next(TemporaryDeliveryError("down"), times=2)
    with pytest.raises(PermanentDeliveryError) as caught:
        gateway.send(sms("a"))
    assert caught.value.code == "21610"
    for _ in range(2):
        with pytest.raises(TemporaryDeliveryError):
            gateway.send(sms("b"))
    gateway.send(sms("c"))
    assert [m.text for m in gateway.attempts] == ["a", "b", "b", "c"]
    assert [m.text for m in gateway.sent] == ["c"]


def test_media() -> None:
    gateway = RecordingSmsGateway()
    picture = Attachment(filename="ME1.jpg", content_type="image/jpeg", data=b"\xff\xd8")
    gateway.add_media("https://api.twilio.com/x/Media/ME1", picture)
    assert gateway.fetch_media("https://api.twilio.com/x/Media/ME1") == picture
    with pytest.raises(PermanentDeliveryError):
        gateway.fetch_media("https://api.twilio.com/x/Media/ME2")
    assert gateway.fetched == [
        "https://api.twilio.com/x/Media/ME1",
        "https://api.twilio.com/x/Media/ME2",
    ]


def test_both_gateways_are_sms_gateways() -> None:
    gateways: list[SmsGateway] = [RecordingSmsGateway()]
    with TwilioSmsGateway("AC" + "1" * 32, "token", "+358401234567") as real:
        gateways.append(real)
        assert all(callable(g.send) and callable(g.fetch_media) for g in gateways)
