"""SMS in: the webhook's form stored as it came, and MMS media fetched later.

The webhook stores Twilio's form (``twilio-form``: the form as JSON) with
the ``MessageSid`` as the channel id, so a retry is recognised before any
work is done, and a job takes it through the intake pipeline like any mail.

MMS media stay on Twilio until :func:`fetch_media` (a job, after the
message exists) downloads them with the account's credentials
(``gateway.fetch_media``) and keeps them as attachments of the message.
The job is idempotent: media already kept are not fetched again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Protocol, runtime_checkable

from sqlalchemy import select
from sqlalchemy.orm import Session

from channels.errors import ParseError, PermanentDeliveryError, TemporaryDeliveryError
from channels.message import Attachment as MediaFile
from channels.message import Channel
from channels.sms import MAX_SID_LENGTH, media_filename, parse_webhook
from servicedesk import audit
from servicedesk.intake import apply, pipeline
from servicedesk.intake.apply import Applied
from servicedesk.models import IntakeRecord, Message
from servicedesk.queueing import INBOUND
from servicedesk.runtime import Runtime

logger = logging.getLogger(__name__)

MEDIA_JOB = "servicedesk.jobs.fetch_sms_media"


@runtime_checkable
class MediaSource(Protocol):
    """The part of an SMS gateway this module needs."""

    def fetch_media(self, url: str) -> MediaFile: ...


def media_source(runtime: Runtime) -> MediaSource | None:
    return runtime.sms if isinstance(runtime.sms, MediaSource) else None


def message_sid(form: Mapping[str, str]) -> str | None:
    """The id the webhook is kept under; a value no Twilio id looks like (a
    forged request signed with our token, a broken proxy) is kept without
    one, and its processing fails visibly with the parser's reason."""
    sid = (form.get("MessageSid") or form.get("SmsMessageSid") or "").strip()
    return sid if 0 < len(sid) <= MAX_SID_LENGTH else None


def store_webhook(runtime: Runtime, form: Mapping[str, str]) -> tuple[int, bool]:
    """Keep the webhook's form; (intake record id, whether it is new).

    A form that cannot be parsed is kept too: processing marks it failed
    with the reason, where an operator can see and replay it.
    """
    raw = json.dumps(dict(form), ensure_ascii=False, sort_keys=True).encode("utf-8")
    return pipeline.receive(
        runtime,
        channel=Channel.SMS.value,
        raw=raw,
        external_id=message_sid(form),
        format=pipeline.TWILIO_FORM,
    )


def _has_media(record: IntakeRecord) -> bool:
    try:
        form = json.loads(record.raw)
        return int(form.get("NumMedia") or 0) > 0
    except (ValueError, TypeError, AttributeError):
        return False


def _intake_record(session: Session, message: Message) -> IntakeRecord | None:
    if message.external_id is None:
        return None
    return session.execute(
        select(IntakeRecord).where(
            IntakeRecord.channel == Channel.SMS.value,
            IntakeRecord.external_id == message.external_id,
            IntakeRecord.format == pipeline.TWILIO_FORM,
        )
    ).scalar_one_or_none()


def enqueue_media_fetch(runtime: Runtime, applied: Applied) -> bool:
    """After an MMS became a message: queue the job that fetches its media."""
    message = applied.message
    if message is None or message.channel != Channel.SMS.value:
        return False
    with runtime.db.session() as session:
        record = _intake_record(session, message)
        if record is None or not _has_media(record):
            return False
    return runtime.jobs.enqueue(INBOUND, MEDIA_JOB, message.id)


def _stem(filename: str) -> str:
    return filename.rsplit(".", 1)[0]


def fetch_media(runtime: Runtime, message_id: int) -> int:
    """Fetch the MMS media of one inbound message; returns how many were
    kept now.  A permanent failure (gone, too large) is written on the
    ticket and skipped; a temporary one is raised after keeping what was
    fetched, so a retry of the job fetches the rest."""
    source = media_source(runtime)
    now = runtime.now()
    with runtime.db.session() as session:
        message = session.get(Message, message_id)
        if message is None or message.channel != Channel.SMS.value:
            return 0
        record = _intake_record(session, message)
        if record is None:
            return 0
        try:
            media = parse_webhook(json.loads(record.raw)).remote_media
        except (ParseError, ValueError) as exc:
            logger.warning("media of SMS message %s not readable: %s", message_id, exc)
            return 0
        if not media:
            return 0
        if source is None:
            _note_not_fetched(session, message, now, "no SMS provider is configured")
            session.commit()
            return 0
        kept_stems = {_stem(a.filename) for a in message.attachments}
        fetched: list[MediaFile] = []
        try:
            for item in media:
                stem = _stem(media_filename(item.url, item.content_type))
                if stem in kept_stems:
                    continue
                try:
                    downloaded = source.fetch_media(item.url)
                except PermanentDeliveryError as exc:
                    _note_not_fetched(session, message, now, str(exc))
                    kept_stems.add(stem)
                    continue
                if len(downloaded.data) > runtime.settings.max_attachment_bytes:
                    _note_not_fetched(
                        session, message, now, f"{downloaded.filename} is larger than allowed"
                    )
                    continue
                fetched.append(downloaded)
                kept_stems.add(stem)
        except TemporaryDeliveryError:
            _keep(session, runtime, message, fetched)
            session.commit()
            raise
        _keep(session, runtime, message, fetched)
        session.commit()
        kept = len(fetched)
        if kept:
            logger.info("kept %d MMS media of message %s", kept, message_id)
        return kept


def _keep(session: Session, runtime: Runtime, message: Message, media: list[MediaFile]) -> None:
    """Keep the fetched media all at once, so their files' locks are taken
    in the order an erasure takes its own."""
    apply.store_attachments(session, runtime, message, media, unnamed="media")
    session.flush()


def _note_not_fetched(session: Session, message: Message, at: datetime, why: str) -> None:
    audit.record(
        session,
        message.ticket_id,
        audit.SYSTEM,
        "media_not_fetched",
        f"an MMS picture or file could not be fetched: {why}",
        {"message_id": message.id},
        at=at,
    )
