"""The intake pipeline, end to end: store the raw contact, decode it with
its channel's adapter, run the filters, apply in one transaction, then
enqueue the after-commit work.  Every channel enters here.

A record that cannot be decoded is kept with its error (failed intake,
replayable); a record whose processing crashed stays ``received`` and the
sweeper tries it again; a duplicate delivery is recognised by the channel's
own id, first at storage and again (unique constraint) at apply.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import asdict, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, undefer

from channels.email import parse as parse_mail
from channels.errors import ParseError
from channels.message import (
    Attachment,
    AutoKind,
    CallDetails,
    Channel,
    Hints,
    InboundMessage,
    RemoteMedia,
)
from channels.sms import parse_webhook as parse_sms_webhook
from servicedesk import outbox
from servicedesk.db import upsert
from servicedesk.intake import filters
from servicedesk.intake.apply import Applied, apply
from servicedesk.intake.envelope import Envelope
from servicedesk.intake.lookups import SqlLookups
from servicedesk.masking import IDENTITY_CODE, mask_identity_codes
from servicedesk.models import IntakeRecord, IntakeStatus
from servicedesk.queueing import INBOUND, Gathered, RqJobQueue
from servicedesk.runtime import Runtime

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
PROCESS_JOB = "servicedesk.jobs.process_intake"
# How many contacts one web process takes through the pipeline inside
# their requests at once (see ``process_or_queue``).  A process runs
# Python on one core at a time; two keep it busy while one waits for the
# database, and more would only queue behind each other and behind the
# agents' pages in the same process.
IN_REQUEST_AT_ONCE = 2
#: Stored records taken through in one call of the intake job (a gathered
#: job makes up to ``queueing.GATHERED_CALLS`` of them): rq spends some
#: 3-4 ms of CPU on a job whatever it does, a mail's intake some 25, and
#: the mail the records' tickets queue is handed to the outbound queue
#: together, to go out over one SMTP session instead of one each.
RECORDS_PER_JOB = 10
#: The job stored records are gathered for (``hand_over``).
INTAKES = Gathered(PROCESS_JOB, RECORDS_PER_JOB)
_in_request = threading.BoundedSemaphore(IN_REQUEST_AT_ONCE)
RFC822 = "rfc822"
TWILIO_FORM = "twilio-form"
INBOUND_JSON = "inbound-json"


def encode_inbound(message: InboundMessage) -> bytes:
    """A structured contact (form, API, call) as the raw bytes we keep."""
    data = asdict(message)
    data["attachments"] = [
        {**a, "data": base64.b64encode(a["data"]).decode("ascii")} for a in data["attachments"]
    ]
    data["sent_at"] = message.sent_at.isoformat() if message.sent_at else None
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def decode_inbound(raw: bytes) -> InboundMessage:
    try:
        data: dict[str, Any] = json.loads(raw)
        return InboundMessage(
            channel=Channel(data["channel"]),
            external_id=data["external_id"],
            sender_address=data.get("sender_address", ""),
            sender_name=data.get("sender_name", ""),
            sender_phone=data.get("sender_phone", ""),
            recipient_address=data.get("recipient_address", ""),
            subject=data.get("subject", ""),
            text=data.get("text", ""),
            html=data.get("html"),
            sent_at=datetime.fromisoformat(data["sent_at"]) if data.get("sent_at") else None,
            attachments=tuple(
                Attachment(**{**a, "data": base64.b64decode(a["data"])})
                for a in data.get("attachments", [])
            ),
            remote_media=tuple(RemoteMedia(**m) for m in data.get("remote_media", [])),
            references=tuple(data.get("references", ())),
            auto_kind=AutoKind(data.get("auto_kind", "none")),
            bounced_message_ids=tuple(data.get("bounced_message_ids", ())),
            hints=Hints(**data.get("hints", {})),
            call=CallDetails(**data["call"]) if data.get("call") else None,
            notes=tuple(data.get("notes", ())),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise ParseError(f"stored contact could not be read: {exc}") from exc


def decode(runtime: Runtime, record: IntakeRecord) -> InboundMessage:
    if record.format == RFC822:
        s = runtime.settings
        message = parse_mail(
            record.raw,
            desk_addresses=(s.mail_from, s.staff_mail_address),
            max_attachment_bytes=s.max_attachment_bytes,
        )
        if record.source == "staff" and message.hints.audience is None:
            message = replace(message, hints=replace(message.hints, audience="staff"))
        return message
    if record.format == TWILIO_FORM:
        try:
            form = json.loads(record.raw)
        except ValueError as exc:
            raise ParseError(f"stored SMS webhook is not JSON: {exc}") from exc
        return parse_sms_webhook(form)
    return decode_inbound(record.raw)


def store_raw(
    session: Session,
    *,
    channel: str,
    raw: bytes,
    external_id: str | None,
    source: str = "",
    format: str = INBOUND_JSON,
    now: datetime,
) -> tuple[int, bool]:
    """Keep the raw contact first.  Returns the record's id and whether it
    is new: a retry of the same channel id (the unique constraint) inserts
    nothing and gets the id of the record already kept."""
    values = {
        "channel": channel,
        "external_id": external_id,
        "raw": raw,
        "source": source,
        "format": format,
        "received_at": now,
    }
    inserted = session.execute(
        upsert(session)(IntakeRecord)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["channel", "external_id"])
        .returning(IntakeRecord.id)
    ).scalar_one_or_none()
    if inserted is not None:
        return inserted, True
    existing = session.execute(
        select(IntakeRecord.id).where(
            IntakeRecord.channel == channel, IntakeRecord.external_id == external_id
        )
    ).scalar_one()
    return existing, False


def accept(
    session: Session,
    runtime: Runtime,
    message: InboundMessage,
    *,
    record_id: int | None = None,
    received_at: datetime | None = None,
) -> Applied:
    """Filters, then apply; the caller commits and then calls after_commit."""
    envelope = Envelope(
        message=message, received_at=received_at or runtime.now(), intake_record_id=record_id
    )
    envelope = filters.run(envelope, SqlLookups(session, runtime.settings))
    return apply(session, runtime, envelope)


def after_commit(runtime: Runtime, applied: Applied) -> None:
    outbox.dispatch(runtime, applied.outbox_ids)


#: How many times a record is taken through again after meeting a
#: concurrent write (see ``process_record``) before the sweeper is left to it.
CONFLICT_ATTEMPTS = 3
#: PostgreSQL's "try the transaction again": a serialization failure, and
#: a deadlock it broke by choosing this transaction.
RETRY_STATES = {"40001", "40P01"}


def is_conflict(exc: Exception) -> bool:
    """A concurrent transaction got in the way: the same work, tried again
    from the start, sees what it committed and goes through."""
    if isinstance(exc, IntegrityError):
        return True
    return isinstance(exc, OperationalError) and getattr(exc.orig, "sqlstate", None) in RETRY_STATES


def process_record(runtime: Runtime, record_id: int, *, dispatch: bool = True) -> Applied | None:
    """Take one stored record through the pipeline.  Safe to call twice.
    With ``dispatch=False`` the caller hands ``outbox_ids`` of the result
    to the outbound queue (``outbox.dispatch``) itself, with those of
    other records.

    Another process may commit rows this one's unique constraints meet
    between our reading and our commit: the same message stored by a second
    poller, or the same new address added by a second first enquiry (two
    forms posted at once, a mail and a form); or PostgreSQL may end this
    transaction to break a deadlock with another.  The record is then taken
    through again from the start, when the other process's rows are
    visible: the filters recognise a true duplicate, and a new contact's
    second enquiry finds the contact.  Never put aside unread."""
    for attempt in range(1, CONFLICT_ATTEMPTS + 1):
        try:
            return _process_once(runtime, record_id, dispatch=dispatch)
        except (IntegrityError, OperationalError) as exc:
            if not is_conflict(exc):
                raise
            conflict = exc
            # The kind only: the error's text may quote the row's values.
            logger.info(
                "intake record %s met a concurrent transaction (attempt %d): %s",
                record_id,
                attempt,
                type(exc.orig).__name__,
            )
    _note_attempt(runtime, record_id, conflict)
    return None


def _process_once(runtime: Runtime, record_id: int, *, dispatch: bool) -> Applied | None:
    with runtime.db.session() as session:
        # The row lock makes a second process (another poller, a sweeper
        # and a job racing) skip the record instead of applying it twice.
        record = session.execute(
            select(IntakeRecord)
            .where(IntakeRecord.id == record_id)
            .options(undefer(IntakeRecord.raw))  # decoded next: one round trip, not two
            .with_for_update(skip_locked=True)
        ).scalar_one_or_none()
        if record is None or record.status not in {IntakeStatus.RECEIVED, IntakeStatus.FAILED}:
            return None
        try:
            message = decode(runtime, record)
        except ParseError as exc:
            record.status = IntakeStatus.FAILED
            record.error = str(exc)
            record.attempts += 1
            session.commit()
            logger.warning("intake record %s could not be parsed: %s", record_id, exc)
            return None
        try:
            applied = accept(
                session, runtime, message, record_id=record.id, received_at=record.received_at
            )
            scrub_identity_codes(record, message)
            session.commit()
        except Exception as exc:
            session.rollback()
            if not is_conflict(exc):
                _note_attempt(runtime, record_id, exc)
            raise
    if dispatch:
        after_commit(runtime, applied)
    return applied


def scrub_identity_codes(record: IntakeRecord, message: InboundMessage) -> None:
    """A processed record keeps no personal identity code: the ticket holds
    the masked message, and so does the stored original from now on.  A
    structured record (form, API, SMS webhook) has its text values masked
    in place; a raw mail carrying a code anywhere (headers, parts,
    encodings) is replaced by the masked message without its attachments,
    which are stored with the ticket.  The record's id (a mail's SHA-256)
    still recognises the original when it comes again."""
    if record.status != IntakeStatus.PROCESSED or not IDENTITY_CODE.search(
        record.raw.decode("latin-1")
    ):
        return
    if record.format in {TWILIO_FORM, INBOUND_JSON}:
        try:
            data = json.loads(record.raw)
        except ValueError:
            data = None
        if isinstance(data, dict):
            masked_data = {
                key: value if key == "attachments" else _masked_values(value)
                for key, value in data.items()
            }
            record.raw = json.dumps(masked_data, ensure_ascii=False).encode("utf-8")
            return
    masked = replace(
        message,
        subject=mask_identity_codes(message.subject)[0],
        text=mask_identity_codes(message.text)[0],
        html=mask_identity_codes(message.html)[0] if message.html else None,
        sender_name=mask_identity_codes(message.sender_name)[0],
        attachments=(),
    )
    record.raw = encode_inbound(masked)
    record.format = INBOUND_JSON


def _masked_values(value: Any) -> Any:
    if isinstance(value, str):
        return mask_identity_codes(value)[0]
    if isinstance(value, list):
        return [_masked_values(v) for v in value]
    if isinstance(value, dict):
        return {k: _masked_values(v) for k, v in value.items()}
    return value


def _note_attempt(runtime: Runtime, record_id: int, exc: Exception) -> None:
    try:
        with runtime.db.transaction() as session:
            record = session.get(IntakeRecord, record_id)
            if record is not None:
                record.attempts += 1
                record.error = f"{type(exc).__name__}: {exc}"[:2000]
                if record.attempts >= MAX_ATTEMPTS:
                    record.status = IntakeStatus.FAILED
    except Exception:  # the database itself may be what failed
        logger.exception("could not record the failed attempt on intake record %s", record_id)


def receive(
    runtime: Runtime,
    *,
    channel: str,
    raw: bytes,
    external_id: str | None,
    source: str = "",
    format: str = INBOUND_JSON,
) -> tuple[int, bool]:
    """Store a raw contact in its own transaction; (record id, is new)."""
    with runtime.db.transaction() as session:
        return store_raw(
            session,
            channel=channel,
            raw=raw,
            external_id=external_id,
            source=source,
            format=format,
            now=runtime.now(),
        )


def is_stored_as_sent(runtime: Runtime, record_id: int, raw: bytes) -> bool:
    """Whether a structured contact sent again under a channel id already
    kept (an API Idempotency-Key) is the one kept: compared as the desk
    keeps it, with identity codes masked (``scrub_identity_codes``)."""
    with runtime.db.session() as session:
        stored = session.execute(
            select(IntakeRecord.raw).where(IntakeRecord.id == record_id)
        ).scalar_one_or_none()
    try:
        return stored is not None and _masked_values(json.loads(stored)) == _masked_values(
            json.loads(raw)
        )
    except ValueError:
        return False


def process_or_queue(runtime: Runtime, record_id: int) -> bool:
    """Take a contact just stored by a web request (the form, the API)
    through the pipeline now, so the sender sees its ticket number; or,
    when this process already does so for ``IN_REQUEST_AT_ONCE`` others
    (a deadline-day peak), hand it to the rq workers and answer at once:
    the contact is stored, the sender is told its number follows, and the
    workers make the ticket and send the acknowledgement as soon as they
    get to it.  Without Redis (the embedded default), or with Redis
    unreachable (nothing would take the contact up before it is back),
    the contact is processed now.  False when it was handed to the
    workers: the caller answers so without reading the record back."""
    if has_workers(runtime):
        if _in_request.acquire(blocking=False):
            try:
                process_record(runtime, record_id)
            finally:
                _in_request.release()
            return True
        if queue_for_workers(runtime, [record_id]):
            return False
    process_record(runtime, record_id)
    return True


def has_workers(runtime: Runtime) -> bool:
    """Whether rq workers take stored contacts through (Redis is
    configured), rather than the process that stored them."""
    return isinstance(runtime.jobs, RqJobQueue)


def queue_for_workers(runtime: Runtime, record_ids: Sequence[int]) -> bool:
    """Hand stored records to the workers' inbound queue, up to
    ``RECORDS_PER_JOB`` to a call, gathered with the records other
    processes hand over while the workers are busy (``JobQueue.gather``).
    False without rq, or with Redis unreachable: the caller then processes
    them itself (a job already queued for some of them finds them done).
    A job lost after this (a worker killed, Redis emptied) leaves its
    records received, and the sweeper queues them again
    (``stale_records``)."""
    return has_workers(runtime) and hand_over(runtime, record_ids)


def hand_over(runtime: Runtime, record_ids: Sequence[int]) -> bool:
    """Records just stored to the inbound queue's job, ``RECORDS_PER_JOB``
    to a call: with rq, gathered with those other processes hand over
    while the workers are busy; inline, taken through now.  False when
    they could not be queued (the sweeper finds them)."""
    return runtime.jobs.gather(INBOUND, INTAKES, list(record_ids))


def is_waiting(runtime: Runtime, record_id: int) -> bool:
    """Whether a stored record still waits to be processed: the retry of a
    contact whose first attempt was cut short (its process died between
    storing and processing) takes it through at once instead of leaving it
    to the sweeper."""
    with runtime.db.session() as session:
        status = session.execute(
            select(IntakeRecord.status).where(IntakeRecord.id == record_id)
        ).scalar_one_or_none()
    return status == IntakeStatus.RECEIVED


def stale_records(session: Session, now: datetime, limit: int) -> Iterable[int]:
    """Records a lost job left behind: received a while ago, not done."""
    return (
        session.execute(
            select(IntakeRecord.id)
            .where(
                or_(IntakeRecord.status == IntakeStatus.RECEIVED),
                IntakeRecord.received_at < now - timedelta(minutes=2),
                IntakeRecord.attempts < MAX_ATTEMPTS,
            )
            .order_by(IntakeRecord.id)
            .limit(limit)
        )
        .scalars()
        .all()
    )
