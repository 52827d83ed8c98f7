"""The phone line's webhooks: one route per step of a call.

    POST /webhooks/twilio/voice                  greeting, language menu
         /webhooks/twilio/voice/language         the language key → known caller?
         /webhooks/twilio/voice/municipality     speech (or 0) → region menu?
         /webhooks/twilio/voice/region-menu      the keypad fallback
         /webhooks/twilio/voice/region           the region key (9: the next page, ?page=N)
         /webhooks/twilio/voice/dialed           <Dial> action: answered or voicemail
         /webhooks/twilio/voice/recorded         <Record> action: the voicemail
         /webhooks/twilio/voice/recording        recording status callback
         /webhooks/twilio/voice/status           call status callback

The phone number's "call status changes" webhook in Twilio must point to
``/webhooks/twilio/voice/status``: it is how a caller who hangs up before
reaching anyone still becomes a missed call with a call-back task.

Every answer is TwiML from :mod:`channels.voice`; the decisions are in
:mod:`servicedesk.voice_flow`; the state is the call's ``CallRecord`` row.
Retries are counted in the action URL's query (``?attempt=2``), which is
part of what Twilio signs.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from flask import Response, request

from channels import voice
from channels.errors import ParseError
from channels.voice import CallOutcome, VoiceEvent
from servicedesk import directory_store, voice_flow
from servicedesk.models import CallRecord
from servicedesk.web import db, runtime
from servicedesk.webhooks import webhooks
from servicedesk.webhooks.signature import EMPTY_TWIML, twilio_signed, twiml
from servicedesk.whole_numbers import whole_number

logger = logging.getLogger(__name__)

PREFIX = "/webhooks/twilio/voice"
DIAL_TIMEOUT = 20
VOICEMAIL_SECONDS = 120
#: The menus' own query values: anything past these is not one of ours.
MAX_ATTEMPT = 9
MAX_MENU_PAGE = 99
ENDED = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})


def step_url(step: str = "", **query: int | str) -> str:
    """The public URL of a step, as Twilio will request (and sign) it."""
    url = runtime().settings.base_url + PREFIX + (f"/{step}" if step else "")
    return f"{url}?{urlencode(query)}" if query else url


def attempt() -> int:
    return whole_number(request.args.get("attempt"), low=1, high=MAX_ATTEMPT) or 1


def current_call() -> tuple[VoiceEvent, CallRecord] | Response:
    """The request's event and the call's row (made if this is its first
    request), or a 400 answer for a request without a CallSid."""
    try:
        event = voice.parse_voice_webhook(request.form)
    except ParseError as exc:
        logger.warning("unreadable voice webhook on %s: %s", request.path, exc)
        return Response(str(exc) + "\n", 400, mimetype="text/plain")
    rt = runtime()
    return event, voice_flow.ensure_call(db(), rt.settings, event, rt.now())


def language_of(record: CallRecord) -> str:
    return record.language or "fi"


# --- the steps -----------------------------------------------------------------------


@webhooks.post("/twilio/voice")
@twilio_signed
def voice_incoming() -> Response:
    found = current_call()
    if isinstance(found, Response):
        return found
    _event, record = found
    db().commit()
    action = step_url("language", attempt=attempt()) if attempt() > 1 else step_url("language")
    return twiml(voice.language_menu(action, staff=record.audience == "staff"))


@webhooks.post("/twilio/voice/language")
@twilio_signed
def voice_language() -> Response:
    found = current_call()
    if isinstance(found, Response):
        return found
    event, record = found
    language = voice.language_for_digits(event.digits)
    if language is None and attempt() == 1:
        db().commit()
        return twiml(voice.not_understood("fi", step_url(attempt=2)))
    # Twice nothing understood: most callers speak Finnish.
    record.language = language or "fi"
    if record.audience == "staff":
        return connect(record)
    if voice_flow.known_region(db(), record.from_number) is not None:
        return connect(record)
    db().commit()
    return ask_municipality(record)


def ask_municipality(record: CallRecord) -> Response:
    language = language_of(record)
    directory = directory_store.current(db())
    hints = voice_flow.municipality_hints(directory, language)
    return twiml(voice.ask_municipality(language, step_url("municipality"), hints))


@webhooks.post("/twilio/voice/municipality")
@twilio_signed
def voice_municipality() -> Response:
    found = current_call()
    if isinstance(found, Response):
        return found
    event, record = found
    language = language_of(record)
    if event.speech_result and not event.digits:
        record.municipality_heard = event.speech_result.strip()[:200]
        directory = directory_store.current(db())
        municipality = voice_flow.match_municipality(
            directory, event.speech_result, runtime().now()
        )
        if municipality is not None:
            record.municipality_code = municipality.code
            record.region_code = municipality.region
            return connect(record)
    db().commit()
    if event.digits:  # the prompt says: press 0 for the keypad
        return region_menu(record)
    return twiml(voice.not_understood(language, step_url("region-menu")))


@webhooks.post("/twilio/voice/region-menu")
@twilio_signed
def voice_region_menu() -> Response:
    found = current_call()
    if isinstance(found, Response):
        return found
    _event, record = found
    db().commit()
    return region_menu(record)


def menu_page() -> int:
    return whole_number(request.args.get("page"), low=1, high=MAX_MENU_PAGE) or 1


def region_menu(record: CallRecord, page: int = 1) -> Response:
    language = language_of(record)
    choices = voice_flow.region_choices(directory_store.current(db()), language)
    shown, more = voice_flow.region_page(choices, page)
    if not shown:
        return connect(record)
    action = step_url("region", page=page) if page > 1 else step_url("region")
    return twiml(voice.region_menu(language, action, shown, more=more))


@webhooks.post("/twilio/voice/region")
@twilio_signed
def voice_region() -> Response:
    found = current_call()
    if isinstance(found, Response):
        return found
    event, record = found
    page = menu_page()
    choices = voice_flow.region_choices(directory_store.current(db()), language_of(record))
    shown, more = voice_flow.region_page(choices, page)
    if more and (event.digits or "").strip() == voice.MORE_REGIONS_KEY:
        db().commit()
        return region_menu(record, page + 1)
    # 0, nothing or a key without a region: the national desk takes it.
    record.region_code = voice.region_for_digits(event.digits, shown)
    return connect(record)


def connect(record: CallRecord) -> Response:
    """Ring the destination when it is open, else offer a voicemail."""
    session = db()
    target = voice_flow.destination(session, record, runtime().now())
    record.queue_id = target.queue_id
    language = language_of(record)
    if target.is_open and target.number:
        record.dialed = target.number[:32]
        session.commit()
        return twiml(
            voice.connect(
                language, target.number, action_url=step_url("dialed"), timeout=DIAL_TIMEOUT
            )
        )
    session.commit()
    if not target.is_open:
        return twiml(
            voice.closed(
                language,
                step_url("recorded"),
                opening_hours=target.hours_text,
                recording_status_callback=step_url("recording"),
                max_length=VOICEMAIL_SECONDS,
            )
        )
    return voicemail(record)


def voicemail(record: CallRecord) -> Response:
    return twiml(
        voice.voicemail(
            language_of(record),
            step_url("recorded"),
            recording_status_callback=step_url("recording"),
            max_length=VOICEMAIL_SECONDS,
        )
    )


@webhooks.post("/twilio/voice/dialed")
@twilio_signed
def voice_dialed() -> Response:
    found = current_call()
    if isinstance(found, Response):
        return found
    event, record = found
    if voice.call_outcome(event) is CallOutcome.ANSWERED:
        voice_flow.finish_call(runtime(), db(), record, event, CallOutcome.ANSWERED)
        return twiml(voice.goodbye(language_of(record)))
    db().commit()
    return voicemail(record)


@webhooks.post("/twilio/voice/recorded")
@twilio_signed
def voice_recorded() -> Response:
    found = current_call()
    if isinstance(found, Response):
        return found
    event, record = found
    if event.recording_url:
        voice_flow.finish_call(runtime(), db(), record, event, CallOutcome.VOICEMAIL)
    else:
        db().commit()
    return twiml(voice.recorded(language_of(record)))


@webhooks.post("/twilio/voice/recording")
@twilio_signed
def voice_recording() -> Response:
    found = current_call()
    if isinstance(found, Response):
        return found
    event, record = found
    voice_flow.note_recording(record, event)
    db().commit()
    return twiml(EMPTY_TWIML)


@webhooks.post("/twilio/voice/status")
@twilio_signed
def voice_status() -> Response:
    found = current_call()
    if isinstance(found, Response):
        return found
    event, record = found
    if (event.call_status or "").lower() in ENDED:
        voice_flow.note_call_ended(record, event, runtime().now())
        if not voice_flow.is_finished(record):
            voice_flow.finish_call(runtime(), db(), record, event, CallOutcome.MISSED)
    db().commit()
    return twiml(EMPTY_TWIML)
