"""Delivery status callbacks: parsing, and never stepping a status backwards."""

from __future__ import annotations

import itertools

import pytest

from channels.errors import ParseError
from channels.sms import MessageStatus, StatusUpdate, is_forward, parse_status_callback

SID = "SM5d7e9f1a3b5c7d9e1f3a5b7c9d1e3f5a"


def test_parse_delivered() -> None:
    form = {
        "SmsSid": SID,
        "SmsStatus": "delivered",
        "MessageStatus": "delivered",
        "To": "+358401112233",
        "MessageSid": SID,
        "AccountSid": "AC0123456789abcdef0123456789abcdef",
        "From": "+358401234567",
        "ApiVersion": "2010-04-01",
        "RawDlrDoneDate": "2411291042",
    }
    assert parse_status_callback(form) == StatusUpdate(message_sid=SID, status="delivered")


def test_parse_undelivered_with_error() -> None:
    form = {
        "MessageSid": SID,
        "MessageStatus": "Undelivered",
        "ErrorCode": "30003",
        "ErrorMessage": "Unreachable destination handset",
    }
    update = parse_status_callback(form)
    assert update == StatusUpdate(SID, "undelivered", "30003", "Unreachable destination handset")
    assert update.is_permanent_failure


def test_parse_old_field_names() -> None:
    update = parse_status_callback({"SmsSid": SID, "SmsStatus": "sent", "ErrorCode": ""})
    assert update == StatusUpdate(SID, "sent", None, None)
    assert not update.is_permanent_failure


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"MessageStatus": "sent"}, "no MessageSid"),
        ({"MessageSid": SID}, "no MessageStatus"),
        ({"MessageSid": SID, "MessageStatus": " "}, "no MessageStatus"),
    ],
)
def test_parse_errors(form: dict[str, str], error: str) -> None:
    with pytest.raises(ParseError, match=error):
        parse_status_callback(form)


@pytest.mark.parametrize(
    ("code", "permanent"),
    [
        ("21610", True),
        ("30005", True),
        ("30008", True),
        ("30001", False),
        ("x", False),
        (None, False),
    ],
)
def test_permanent_error_codes(code: str | None, permanent: bool) -> None:
    assert StatusUpdate(SID, "failed", code).is_permanent_failure is permanent


@pytest.mark.parametrize(
    ("old", "new", "forward"),
    [
        (None, "queued", True),
        (None, "delivered", True),
        ("", "sent", True),
        ("accepted", "queued", True),
        ("queued", "sending", True),
        ("queued", "sent", True),
        ("sending", "sent", True),
        ("sent", "delivered", True),
        ("sent", "undelivered", True),
        ("sent", "failed", True),
        ("queued", "failed", True),
        ("delivered", "read", True),
        ("undelivered", "delivered", True),  # a late positive receipt wins
        ("Sent", "DELIVERED", True),
        ("mystery", "sent", True),  # an unknown old status is replaced
        # backwards or sideways: never
        ("sent", "queued", False),
        ("sent", "sending", False),
        ("delivered", "sent", False),
        ("delivered", "undelivered", False),
        ("delivered", "failed", False),
        ("delivered", "delivered", False),
        ("undelivered", "failed", False),
        ("undelivered", "sent", False),
        ("failed", "delivered", False),
        ("failed", "read", False),
        ("failed", "undelivered", False),
        ("canceled", "sent", False),
        ("canceled", "delivered", False),
        ("read", "delivered", False),
        ("queued", "queued", False),
        ("queued", "scheduled", False),
        ("sent", "mystery", False),  # unknown new statuses are not recorded
        (None, "receiving", False),
    ],
)
def test_is_forward(old: str | None, new: str, forward: bool) -> None:
    assert is_forward(old, new) is forward


def _apply(statuses: tuple[str, ...]) -> str | None:
    current: str | None = None
    for status in statuses:
        if is_forward(current, status):
            current = status
    return current


def test_any_arrival_order_ends_delivered() -> None:
    callbacks = ("queued", "sending", "sent", "delivered")
    for order in itertools.permutations(callbacks):
        assert _apply(order) == "delivered"


def test_any_arrival_order_ends_failed() -> None:
    for order in itertools.permutations(("queued", "sending", "failed")):
        assert _apply(order) == "failed"


def test_every_twilio_status_is_ranked() -> None:
    for status in MessageStatus:
        assert is_forward(None, status)
