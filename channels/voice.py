"""The phone channel: TwiML for each step of a call, and the call's webhooks.

Every builder is a pure function that returns a TwiML document built with the
SDK's :class:`~twilio.twiml.voice_response.VoiceResponse`; the URLs of the
next steps are parameters, so the webhook routes in ``servicedesk`` decide
the flow and this module only decides what the caller hears.  The steps::

    language_menu ─► ask_municipality ─► (region_menu) ─► connect ─► goodbye
                                                  └─► closed / voicemail ─► recorded

After each ``<Gather>`` a ``<Redirect>`` to the same action URL follows, so a
caller who presses nothing still reaches the next step (with no ``Digits``
and no ``SpeechResult``) instead of hearing silence and a hang-up.

The call's webhooks are read by :mod:`channels.voice_events` (re-exported
here: :func:`parse_voice_webhook`, :func:`call_to_inbound`).

Voicemails are recorded without Twilio's transcription: it does not
understand Finnish or Swedish, so an agent listens to the recording.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from twilio.twiml.voice_response import VoiceResponse

from channels.twilio_signature import public_url, verify_signature
from channels.voice_events import (
    ANONYMOUS_CALLERS,
    CallOutcome,
    VoiceEvent,
    call_details,
    call_outcome,
    call_to_inbound,
    parse_voice_webhook,
)
from channels.voice_prompts import LANGUAGES, Prompts, prompts_for

__all__ = [
    "ANONYMOUS_CALLERS",
    "LANGUAGES",
    "MAX_HINTS",
    "MAX_HINT_LENGTH",
    "CallOutcome",
    "VoiceEvent",
    "ask_municipality",
    "call_details",
    "call_outcome",
    "call_to_inbound",
    "closed",
    "connect",
    "goodbye",
    "language_for_digits",
    "language_menu",
    "not_understood",
    "parse_voice_webhook",
    "public_url",
    "recorded",
    "region_for_digits",
    "region_menu",
    "speech_hints",
    "verify_signature",
    "voicemail",
]

#: Twilio's limits for ``<Gather hints>``: at most 500 entries, each at most
#: 100 characters, separated by commas.
MAX_HINTS = 500
MAX_HINT_LENGTH = 100

_MAX_REGIONS = 9


def _say(node: Any, text: str, prompts: Prompts) -> None:
    node.say(text, language=prompts.locale, voice=prompts.voice)


def _document(response: Any) -> str:
    return str(response.to_xml())


# --- language -------------------------------------------------------------------


def language_for_digits(digits: str | None) -> str | None:
    """The language chosen in :func:`language_menu`: 1 fi, 2 sv, 3 en."""
    key = (digits or "").strip()
    if len(key) == 1 and key in "123":
        return LANGUAGES[int(key) - 1]
    return None


def language_menu(action_url: str, *, staff: bool, timeout: int = 6) -> str:
    """Greet the caller (applicant or staff line) and ask for a language,
    each choice spoken in its own language."""
    response = VoiceResponse()
    response.pause(length=1)  # the first words are often clipped while the line connects
    gather = response.gather(
        input="dtmf", num_digits=1, action=action_url, method="POST", timeout=timeout
    )
    for language in LANGUAGES:
        prompts = prompts_for(language)
        welcome = prompts.welcome_staff if staff else prompts.welcome_applicant
        _say(gather, f"{welcome} {prompts.choose_language}", prompts)
    response.redirect(action_url, method="POST")
    return _document(response)


# --- where the caller lives ----------------------------------------------------------


def speech_hints(names: Sequence[str]) -> str:
    """``names`` as a ``hints`` value Twilio accepts: commas inside a name
    would split it, so they become spaces; empty and duplicate names go;
    names over 100 characters are dropped (a cut name helps nobody); at most
    500 are kept, in the given order, so put the likeliest first."""
    kept: dict[str, None] = {}
    for name in names:
        hint = " ".join(name.replace(",", " ").split())
        if hint and len(hint) <= MAX_HINT_LENGTH:
            kept.setdefault(hint, None)
        if len(kept) == MAX_HINTS:
            break
    return ",".join(kept)


def ask_municipality(
    language: str, action_url: str, hints: Sequence[str], *, timeout: int = 6
) -> str:
    """Ask for the home municipality by speech, with the municipality names
    as recognition hints; any key (the prompt says 0) leads to the keypad
    menu instead."""
    prompts = prompts_for(language)
    response = VoiceResponse()
    gather = response.gather(
        input="speech dtmf",
        language=prompts.locale,
        hints=speech_hints(hints) or None,
        speech_timeout="auto",
        num_digits=1,
        action=action_url,
        method="POST",
        timeout=timeout,
    )
    _say(gather, prompts.ask_municipality, prompts)
    response.redirect(action_url, method="POST")
    return _document(response)


#: The key for the next page of a region menu longer than nine regions.
MORE_REGIONS_KEY = "9"


def _check_regions(regions: Sequence[tuple[str, str]], *, more: bool = False) -> None:
    if not regions:
        raise ValueError("a region menu needs at least one region")
    keys = _MAX_REGIONS - 1 if more else _MAX_REGIONS
    if len(regions) > keys:
        raise ValueError(f"a keypad menu has keys 1-{keys}: {len(regions)} regions is too many")


def region_menu(
    language: str, action_url: str, regions: Sequence[tuple[str, str]], *, more: bool = False
) -> str:
    """The keypad fallback: ``regions`` are ``(code, spoken name)`` pairs,
    numbered 1, 2, … in the order given; 0 is "other or don't know".
    :func:`region_for_digits` maps the key back with the same list.  With
    ``more`` (a page of a longer list: at most eight regions) key 9 asks
    for the next page, which the caller of this function serves."""
    _check_regions(regions, more=more)
    prompts = prompts_for(language)
    response = VoiceResponse()
    gather = response.gather(
        input="dtmf", num_digits=1, action=action_url, method="POST", timeout=8
    )
    sentences = [prompts.choose_region]
    sentences += [
        prompts.region_choice.format(name=name, digit=index)
        for index, (_code, name) in enumerate(regions, start=1)
    ]
    if more:
        sentences.append(prompts.region_more.format(digit=MORE_REGIONS_KEY))
    sentences.append(prompts.region_other)
    _say(gather, " ".join(sentences), prompts)
    response.redirect(action_url, method="POST")
    return _document(response)


def region_for_digits(digits: str | None, regions: Sequence[tuple[str, str]]) -> str | None:
    """The region code behind the key pressed in :func:`region_menu`, or
    ``None`` for 0, nothing or a key with no region."""
    key = (digits or "").strip()
    if len(key) == 1 and key in "123456789" and int(key) <= len(regions):
        return regions[int(key) - 1][0]
    return None


# --- connecting, voicemail, ending -----------------------------------------------------


def connect(
    language: str,
    number: str,
    *,
    action_url: str,
    timeout: int = 20,
    caller_id: str | None = None,
) -> str:
    """Ring ``number`` (the regional desk or an expert) for ``timeout``
    seconds.  Twilio then posts ``DialCallStatus`` to ``action_url``, which
    answers with :func:`goodbye` or, on no-answer/busy/failed,
    :func:`voicemail`.  ``answerOnBridge`` keeps the caller hearing the ring
    until someone answers, so the recorded duration is talk time."""
    if not 5 <= timeout <= 600:
        raise ValueError("Twilio accepts a Dial timeout of 5-600 seconds")
    prompts = prompts_for(language)
    response = VoiceResponse()
    _say(response, prompts.connecting, prompts)
    dial = response.dial(
        action=action_url,
        method="POST",
        timeout=timeout,
        caller_id=caller_id,
        answer_on_bridge=True,
    )
    dial.number(number)
    return _document(response)


def _record(
    response: Any,
    prompts: Prompts,
    action_url: str,
    recording_status_callback: str | None,
    max_length: int,
) -> None:
    if not 1 <= max_length <= 14400:
        raise ValueError("Twilio records 1-14400 seconds")
    length = prompts.message_length.format(length=prompts.duration(max_length))
    _say(response, f"{prompts.leave_message} {length} {prompts.finish_message}", prompts)
    response.record(
        action=action_url,
        method="POST",
        max_length=max_length,
        play_beep=True,
        finish_on_key="#",
        timeout=5,
        trim="trim-silence",
        transcribe=False,
        recording_status_callback=recording_status_callback,
        recording_status_callback_method="POST" if recording_status_callback else None,
    )
    # Twilio skips the action when nothing was recorded and carries on here.
    _say(response, prompts.goodbye, prompts)
    response.hangup()


def voicemail(
    language: str,
    action_url: str,
    *,
    recording_status_callback: str | None = None,
    max_length: int = 120,
) -> str:
    """Nobody answered: promise a call back and record a message."""
    prompts = prompts_for(language)
    response = VoiceResponse()
    _say(response, prompts.nobody_answers, prompts)
    _record(response, prompts, action_url, recording_status_callback, max_length)
    return _document(response)


def closed(
    language: str,
    action_url: str,
    *,
    opening_hours: str | None = None,
    recording_status_callback: str | None = None,
    max_length: int = 120,
) -> str:
    """Outside opening hours (or on a public holiday): say so, say when the
    line is open (``opening_hours``, already in ``language``), then offer a
    voicemail as :func:`voicemail` does."""
    prompts = prompts_for(language)
    response = VoiceResponse()
    text = f"{prompts.closed} {opening_hours}" if opening_hours else prompts.closed
    _say(response, text, prompts)
    _record(response, prompts, action_url, recording_status_callback, max_length)
    return _document(response)


def recorded(language: str) -> str:
    """Thank the caller for the voicemail, promise the call back, hang up."""
    prompts = prompts_for(language)
    response = VoiceResponse()
    _say(response, prompts.recorded, prompts)
    response.hangup()
    return _document(response)


def goodbye(language: str) -> str:
    prompts = prompts_for(language)
    response = VoiceResponse()
    _say(response, prompts.goodbye, prompts)
    response.hangup()
    return _document(response)


def not_understood(language: str, retry_url: str) -> str:
    """Apologise and go back to the step at ``retry_url``.  The caller's
    route counts the retries (for instance in a query parameter) so a
    caller is never looped for ever."""
    prompts = prompts_for(language)
    response = VoiceResponse()
    _say(response, prompts.not_understood, prompts)
    response.redirect(retry_url, method="POST")
    return _document(response)
