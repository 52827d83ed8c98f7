"""The phone line's decisions: who is calling, where they live, whom to
ring, whether anyone is there, and the finished call as a contact.

The state of a call lives in its ``CallRecord`` row, keyed by the CallSid
(language, the municipality heard, the region, the queue, the number
dialled), so any web process can answer any step.  The route of a call is
the route of an enquiry (``routing.decide`` with the caller's language,
municipality or region, and what their contact profile says), and the
number rung is the target queue's, else its organisation's, else an
available expert's of that queue; the line is open during the
organisation's opening hours, Finnish public holidays excepted.

A finished call enters the intake pipeline like any other contact (stored
raw, then processed by a job, de-duplicated by its CallSid); a missed call
or a voicemail becomes a call-back task there (``intake.apply``).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from channels.message import InboundMessage
from channels.voice import CallOutcome, VoiceEvent, call_details, call_to_inbound
from routing import Directory, Municipality, RoutingRequest, decide, is_open
from routing.directory import normal_key
from routing.lexicon import REGION_NAMES_EN
from servicedesk import directory_store
from servicedesk.deadlines import FINNISH_HOLIDAYS
from servicedesk.intake import pipeline
from servicedesk.intake.filters import normalise_phone
from servicedesk.models import CallRecord, Contact, ContactIdentity, QueueMember, Ticket, User
from servicedesk.phone_hours import describe_opening_hours
from servicedesk.runtime import Runtime
from servicedesk.settings import Settings

logger = logging.getLogger(__name__)

IN_PROGRESS = "in_progress"
MAX_MENU_REGIONS = 9
_WORDS = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
_MIN_PREFIX = 4


# --- the call's row ---------------------------------------------------------------


def audience_of(settings: Settings, to_number: str) -> str:
    """The staff line is the number in ``SERVICEDESK_STAFF_PHONE_NUMBER``."""
    staff = settings.staff_phone_number
    called = normalise_phone(to_number) or to_number.strip()
    return "staff" if staff and called == staff else "applicant"


def ensure_call(
    session: Session, settings: Settings, event: VoiceEvent, now: datetime
) -> CallRecord:
    """The call's row, made on its first request (any step will do)."""
    record = call_record(session, event.call_sid)
    if record is not None:
        return record
    record = CallRecord(
        call_sid=event.call_sid,
        from_number=(normalise_phone(event.from_number) or event.from_number)[:32],
        to_number=event.to_number[:32],
        audience=audience_of(settings, event.to_number),
        outcome=IN_PROGRESS,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(record)
    except IntegrityError:  # a parallel request of the same call made it first
        found = call_record(session, event.call_sid)
        assert found is not None
        return found
    return record


def call_record(session: Session, call_sid: str) -> CallRecord | None:
    return session.execute(
        select(CallRecord).where(CallRecord.call_sid == call_sid)
    ).scalar_one_or_none()


def is_finished(record: CallRecord) -> bool:
    return record.outcome != IN_PROGRESS


# --- who is calling and where they live ----------------------------------------------


def caller_contact(session: Session, number: str) -> Contact | None:
    phone = normalise_phone(number)
    if phone is None:
        return None
    return session.execute(
        select(Contact)
        .join(ContactIdentity, ContactIdentity.contact_id == Contact.id)
        .where(ContactIdentity.kind == "phone", ContactIdentity.value == phone)
    ).scalar_one_or_none()


def _previous_region(session: Session, contact_id: int) -> str | None:
    return session.execute(
        select(Ticket.region_code)
        .where(Ticket.contact_id == contact_id, Ticket.region_code.is_not(None))
        .order_by(Ticket.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def known_region(session: Session, number: str) -> str | None:
    """The region of a caller known by number: their profile's, else their
    last ticket's.  Such a caller is not asked where they live."""
    contact = caller_contact(session, number)
    if contact is None:
        return None
    return contact.region_code or _previous_region(session, contact.id)


def municipality_hints(directory: Directory, language: str) -> list[str]:
    """Municipality names for speech recognition, the caller's language first."""
    municipalities = list(directory.municipalities.values())
    first = [m.name_sv if language == "sv" else m.name_fi for m in municipalities]
    second = [m.name_fi if language == "sv" else m.name_sv for m in municipalities]
    return [name for name in first + second if name]


def match_municipality(directory: Directory, speech: str, now: datetime) -> Municipality | None:
    """The municipality a caller said: a name or code as such ("Vasa",
    "Oulu."), a name inside a sentence or inflected ("asun Oulussa",
    "Helsingistä", the routing engine's reading), or the unique start of one
    name ("Kristiinan")."""
    words = _WORDS.findall(speech)
    if not words:
        return None
    found = directory.find_municipality(" ".join(words))
    if found is not None:
        return found
    decision = decide(RoutingRequest(channel="phone", text=speech.strip()), directory, now)
    if decision.municipality is not None:
        return directory.municipalities.get(decision.municipality)
    for word in words:
        key = normal_key(word)
        if len(key) < _MIN_PREFIX:
            continue
        codes = {
            code for name, code in directory.municipality_names.items() if name.startswith(key)
        }
        if len(codes) == 1:
            return directory.municipalities.get(codes.pop())
    return None


def region_choices(directory: Directory, language: str) -> list[tuple[str, str]]:
    """The keypad menu: the regions that have a regional desk, by code, as
    ``(code, name in the caller's language)``; all of them, paged by
    :func:`region_page`."""
    choices = []
    for code in sorted(directory.regional_desks):
        region = directory.regions[code]
        if language == "sv":
            name = region.name_sv or region.name_fi
        elif language == "en":
            name = REGION_NAMES_EN.get(code, (region.name_fi,))[0]
        else:
            name = region.name_fi
        choices.append((code, name))
    return choices


def region_page(choices: list[tuple[str, str]], page: int) -> tuple[list[tuple[str, str]], bool]:
    """One page of the keypad menu and whether another follows.  Up to
    nine regions fit on keys 1-9; a longer list goes eight to a page, key
    9 saying "more regions" (19 regions: 8 + 8 + 3)."""
    if len(choices) <= MAX_MENU_REGIONS:
        return (choices, False) if page == 1 else ([], False)
    size = MAX_MENU_REGIONS - 1
    start = (page - 1) * size
    if page < 1 or start >= len(choices):
        return [], False
    return choices[start : start + size], start + size < len(choices)


# --- whom to ring --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Destination:
    """Where a call goes: the queue and organisation an enquiry would go
    to, the number to ring (``None``: nobody to ring), whether the
    organisation is open now, and its hours as the caller hears them."""

    queue_id: str | None
    organization_id: str | None
    number: str | None
    label: str
    is_open: bool
    hours_text: str | None


def _expert_phone(session: Session, queue_id: str) -> tuple[str, str] | None:
    row = session.execute(
        select(User.phone, User.name)
        .join(QueueMember, QueueMember.user_id == User.id)
        .where(
            QueueMember.queue_id == queue_id,
            User.is_active,
            User.is_available,
            User.phone.is_not(None),
            User.phone != "",
        )
        .order_by(User.id)
        .limit(1)
    ).first()
    if row is None or not row.phone:
        return None
    return row.phone, row.name


def destination(session: Session, record: CallRecord, now: datetime) -> Destination:
    """Route the call like an enquiry and find the number to ring."""
    directory = directory_store.current(session)
    contact = caller_contact(session, record.from_number)
    decision = decide(
        RoutingRequest(
            audience=record.audience,
            channel="phone",
            language=record.language,
            municipality=record.municipality_code,
            region=record.region_code,
            staff_organization=contact.staff_organization_id if contact else None,
            contact_region=contact.region_code if contact else None,
            previous_region=_previous_region(session, contact.id) if contact else None,
        ),
        directory,
        now,
    )
    queue = directory.queues.get(decision.queue_id or "")
    organization = directory.organizations.get(decision.organization_id or "")
    if organization is None:
        return Destination(decision.queue_id, None, None, "", False, None)
    language = record.language or "fi"
    label = organization.name.pick(language)
    number = (queue.phone if queue else None) or organization.phone
    if not number and queue is not None:
        expert = _expert_phone(session, queue.id)
        if expert is not None:
            number, label = expert
    return Destination(
        queue_id=decision.queue_id,
        organization_id=organization.id,
        number=number,
        label=label,
        is_open=is_open(now, organization.opening_hours, FINNISH_HOLIDAYS),
        hours_text=describe_opening_hours(organization.opening_hours, language),
    )


def answered_by(session: Session, record: CallRecord) -> str | None:
    """Whom the desk rang, for the call record: the expert whose number it
    is, else the organisation of the call's queue."""
    if not record.dialed:
        return None
    expert = session.execute(
        select(User.name).where(User.phone == record.dialed, User.is_active).limit(1)
    ).scalar_one_or_none()
    if expert:
        return f"{expert} ({record.dialed})"
    directory = directory_store.current(session)
    queue = directory.queues.get(record.queue_id or "")
    organization = directory.organizations.get(queue.organization) if queue else None
    if organization is not None:
        return f"{organization.name.fi} ({record.dialed})"
    return record.dialed


# --- the finished call ----------------------------------------------------------------------


def call_summary(record: CallRecord, outcome: CallOutcome, answered: str | None) -> str:
    """The text an agent reads on the ticket."""
    caller = record.from_number or "a hidden number"
    if outcome is CallOutcome.ANSWERED:
        first = f"Phone call from {caller}, answered by {answered or 'the desk'}."
    elif outcome is CallOutcome.VOICEMAIL:
        first = f"Voicemail from {caller}: listen to the recording and call back."
    else:
        first = f"Missed call from {caller}: nobody answered."
    lines = [first]
    if record.language:
        lines.append(f"Language chosen: {record.language}.")
    if record.municipality_heard:
        lines.append(f"Home municipality heard: \u201c{record.municipality_heard}\u201d.")
    if record.region_code:
        lines.append(f"Region chosen: {record.region_code}.")
    return "\n".join(lines)


def finish_call(
    runtime: Runtime,
    session: Session,
    record: CallRecord,
    event: VoiceEvent,
    outcome: CallOutcome,
) -> bool:
    """Store the finished call as an inbound contact and queue its intake.

    The row is marked with the outcome and committed first, so a later
    callback of the same call does not finish it again; the intake record
    is keyed by the CallSid, so a repeat is harmless anyway.  Returns
    whether the call was stored now."""
    if is_finished(record):
        return False
    who = answered_by(session, record) if outcome is CallOutcome.ANSWERED else None
    # Routing reads the caller's language, never the (English) summary
    # written for the agent.
    language = record.language or _known_language(session, record) or "fi"
    record.outcome = outcome.value
    record.answered_by = who
    if event.recording_url:
        record.recording_url = event.recording_url[:500]
    # Committed before the intake: nothing of this request's session stays
    # open (an SQLite write lock would block an inline intake job).
    session.commit()
    message = _as_inbound(record, event, outcome, who, language)
    record_id, is_new = pipeline.receive(
        runtime,
        channel="phone",
        raw=pipeline.encode_inbound(message),
        external_id=record.call_sid,
        format=pipeline.INBOUND_JSON,
    )
    if is_new:
        pipeline.hand_over(runtime, [record_id])
    logger.info("call %s finished: %s", record.call_sid, outcome.value)
    return is_new


def _as_inbound(
    record: CallRecord,
    event: VoiceEvent,
    outcome: CallOutcome,
    who: str | None,
    language: str,
) -> InboundMessage:
    caller = replace(
        event,
        from_number=record.from_number or event.from_number,
        to_number=record.to_number or event.to_number,
    )
    details = replace(
        call_details(
            caller,
            language=record.language,
            municipality_heard=record.municipality_heard,
            answered_by=who,
        ),
        outcome=outcome.value,
        answered_by=who,
    )
    if details.duration_seconds is None:
        details = replace(details, duration_seconds=record.duration_seconds)
    message = call_to_inbound(
        caller,
        details,
        call_summary(record, outcome, who),
        audience=record.audience,
        region=record.region_code,
    )
    # The matched code, not the words heard, is what routing should read.
    hints = replace(message.hints, municipality=record.municipality_code, language=language)
    return replace(message, hints=hints)


def _known_language(session: Session, record: CallRecord) -> str | None:
    contact = caller_contact(session, record.from_number)
    return contact.language if contact else None


def note_call_ended(record: CallRecord, event: VoiceEvent, now: datetime) -> None:
    """Twilio's status callback at the end of the call: its length."""
    record.ended_at = now
    if event.call_duration is not None:
        record.duration_seconds = event.call_duration


def note_recording(record: CallRecord, event: VoiceEvent) -> None:
    """Twilio's recording status callback: the voicemail's final link."""
    if event.recording_url:
        record.recording_url = event.recording_url[:500]
    if record.duration_seconds is None and event.recording_duration is not None:
        record.duration_seconds = event.recording_duration
