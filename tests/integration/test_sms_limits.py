"""The console's warning for long SMS replies, and the opt keyword filter
(pure: no database)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from channels.message import Channel, InboundMessage
from servicedesk.intake.envelope import Envelope
from servicedesk.intake.filters import screen_opt_keywords
from servicedesk.sms_limits import MAX_SEGMENTS, reply_cost, reply_warning


def test_a_short_reply_needs_no_warning() -> None:
    assert reply_warning("Haku alkaa 2.4. Tervetuloa!") is None


def test_finnish_letters_stay_gsm7() -> None:
    # 458 characters and the template's newline: 459 septets, 3 × 153.
    text = "äöå" * 152 + "ää"
    cost = reply_cost(text)
    assert (cost.encoding, cost.segments, cost.characters) == ("GSM-7", MAX_SEGMENTS, ())
    assert reply_warning(text) is None

    warning = reply_warning(text + "ö")
    assert warning is not None
    assert "4 SMS messages" in warning
    assert "UCS-2" not in warning


def test_one_character_outside_gsm7_turns_a_reply_into_ucs2() -> None:
    text = "Tervetuloa " + "a" * 190 + " õ"  # 202 units with the newline: 4 × 67
    cost = reply_cost(text)
    assert (cost.encoding, cost.segments, cost.characters) == ("UCS-2", 4, ("õ",))
    warning = reply_warning(text)
    assert warning is not None
    assert "UCS-2" in warning and "õ" in warning
    assert reply_warning("Kiitos! 😀") is None


def envelope(
    text: str, channel: Channel = Channel.SMS, sender: str | None = "+358401234567"
) -> Envelope:
    message = InboundMessage(
        channel=channel, external_id="SM1", sender_address=sender or "", text=text
    )
    return Envelope(
        message=message,
        received_at=datetime(2026, 3, 2, tzinfo=UTC),
        sender_kind="phone" if sender else None,
        sender=sender,
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("STOP", "stop"),
        ("stopall", "stop"),
        ("Unsubscribe!", "stop"),
        (" cancel ", "stop"),
        ("End.", "stop"),
        ("QUIT", "stop"),
        ("START", "start"),
        ("yes", "start"),
        ("Unstop", "start"),
        ("HELP", None),
        ("stop sending these", None),
        ("Lopeta", None),
    ],
)
def test_screen_opt_keywords(text: str, expected: str | None) -> None:
    env = screen_opt_keywords(envelope(text), None)  # type: ignore[arg-type]
    assert env.sms_opt == expected
    assert env.is_stopped is (expected is not None)


def test_opt_keywords_only_by_sms() -> None:
    assert screen_opt_keywords(envelope("STOP", Channel.EMAIL), None).sms_opt is None  # type: ignore[arg-type]
    assert screen_opt_keywords(envelope("STOP", sender=None), None).sms_opt is None  # type: ignore[arg-type]
