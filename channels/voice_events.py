"""The webhooks of a phone call, and the call as an inbound message.

:func:`parse_voice_webhook` reads any request Twilio makes during a call
(each step's action, the Dial and Record callbacks, the status callback);
:func:`call_details` and :func:`call_to_inbound` turn a finished call into the
:class:`~channels.message.InboundMessage` of the ``phone`` channel that
enters the intake pipeline like any email.  Re-exported by
:mod:`channels.voice`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from channels.errors import ParseError
from channels.message import CallDetails, Channel, Hints, InboundMessage

__all__ = [
    "ANONYMOUS_CALLERS",
    "CallOutcome",
    "VoiceEvent",
    "call_details",
    "call_outcome",
    "call_to_inbound",
    "parse_voice_webhook",
]

#: ``From`` values Twilio uses when the caller withheld their number.
ANONYMOUS_CALLERS = frozenset(
    {
        "",
        "anonymous",
        "restricted",
        "unknown",
        "blocked",
        "+266696687",
        "+86282452253",
        "+7378742833",
        "+2562533",
    }
)


class CallOutcome(StrEnum):
    ANSWERED = "answered"
    MISSED = "missed"
    VOICEMAIL = "voicemail"


@dataclass(frozen=True, slots=True)
class VoiceEvent:
    """One request Twilio made during a call (any step, or the status
    callback).  Absent fields are ``None``; durations are seconds."""

    call_sid: str
    from_number: str = ""
    to_number: str = ""
    call_status: str | None = None
    digits: str | None = None
    speech_result: str | None = None
    confidence: float | None = None
    dial_call_status: str | None = None
    dial_call_duration: int | None = None
    recording_url: str | None = None
    recording_duration: int | None = None
    recording_sid: str | None = None
    call_duration: int | None = None
    answered_by: str | None = None

    @property
    def has_caller_id(self) -> bool:
        """Whether the caller's number is known, so a call back is possible."""
        return self.from_number.strip().lower() not in ANONYMOUS_CALLERS


def _optional(form: Mapping[str, str], name: str) -> str | None:
    return (form.get(name) or "").strip() or None


#: The longest call Twilio connects (its own limit is 24 hours): a
#: duration past it, or below 0, is not a duration.
MAX_SECONDS = 86_400


def _number(form: Mapping[str, str], name: str, kind: type[int] | type[float]) -> Any:
    """A duration in seconds (``int``, 0 to a day) or a speech confidence
    (``float``, 0 to 1); anything else is a ``ParseError``."""
    raw = _optional(form, name)
    if raw is None:
        return None
    try:
        value = kind(raw)
    except ValueError:
        raise ParseError(f"voice webhook has {name}={raw[:40]!r}, not a number") from None
    if not 0 <= value <= (MAX_SECONDS if kind is int else 1):  # NaN fails too
        raise ParseError(f"voice webhook has {name}={raw[:40]!r}, out of range")
    return value


def parse_voice_webhook(form: Mapping[str, str]) -> VoiceEvent:
    """The parameters of a voice webhook; ``ParseError`` without ``CallSid``."""
    call_sid = _optional(form, "CallSid")
    if call_sid is None:
        raise ParseError("voice webhook has no CallSid")
    return VoiceEvent(
        call_sid=call_sid,
        from_number=_optional(form, "From") or "",
        to_number=_optional(form, "To") or "",
        call_status=_optional(form, "CallStatus"),
        digits=_optional(form, "Digits"),
        speech_result=_optional(form, "SpeechResult"),
        confidence=_number(form, "Confidence", float),
        dial_call_status=_optional(form, "DialCallStatus"),
        dial_call_duration=_number(form, "DialCallDuration", int),
        recording_url=_optional(form, "RecordingUrl"),
        recording_duration=_number(form, "RecordingDuration", int),
        recording_sid=_optional(form, "RecordingSid"),
        call_duration=_number(form, "CallDuration", int),
        answered_by=_optional(form, "AnsweredBy"),
    )


def call_outcome(event: VoiceEvent) -> CallOutcome | None:
    """What the event says about the call: a recording is a voicemail; a
    dialled party who picked up (``completed``/``answered``) is answered;
    busy, no-answer, failed or canceled is missed; else ``None``."""
    if event.recording_url:
        return CallOutcome.VOICEMAIL
    if event.dial_call_status is None:
        return None
    if event.dial_call_status.lower() in {"completed", "answered"}:
        return CallOutcome.ANSWERED
    return CallOutcome.MISSED


def call_details(
    event: VoiceEvent,
    *,
    language: str | None = None,
    municipality_heard: str | None = None,
    answered_by: str | None = None,
) -> CallDetails:
    """The call record for a finished step: outcome, duration (the whole
    call's if known, else the connected part) and the recording link.
    ``answered_by`` is whom the desk dialled, which Twilio does not know."""
    outcome = call_outcome(event) or CallOutcome.MISSED
    duration = event.call_duration if event.call_duration is not None else event.dial_call_duration
    return CallDetails(
        call_sid=event.call_sid,
        language=language,
        municipality_heard=municipality_heard,
        duration_seconds=duration,
        outcome=str(outcome),
        answered_by=answered_by if outcome == CallOutcome.ANSWERED else None,
        recording_url=event.recording_url,
    )


def call_to_inbound(
    event: VoiceEvent,
    details: CallDetails,
    text: str,
    *,
    audience: str | None = None,
    region: str | None = None,
) -> InboundMessage:
    """The call as an inbound message of the ``phone`` channel, so it enters
    the same intake pipeline as an email.  ``external_id`` is the CallSid
    (the pipeline de-duplicates repeated webhooks by it); ``text`` is what
    the application writes for the agent ("Missed call, voicemail 0:42").
    The language, municipality and region the caller chose become hints."""
    if details.call_sid != event.call_sid:
        raise ValueError(f"call details of {details.call_sid} given for {event.call_sid}")
    return InboundMessage(
        channel=Channel.PHONE,
        external_id=event.call_sid,
        sender_address=event.from_number,
        recipient_address=event.to_number,
        text=text,
        call=details,
        hints=Hints(
            audience=audience,
            language=details.language,
            municipality=details.municipality_heard,
            region=region,
        ),
    )
