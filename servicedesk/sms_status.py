"""Delivery statuses of our outbound SMS, from Twilio's status callbacks.

The outbox sets ``Message.external_id`` to Twilio's ``SM…`` sid when it
hands a message over; each callback then finds the message by that sid.
Callbacks race each other, so a status is recorded only when it moves
forward (:func:`channels.sms.is_forward`): a late ``sent`` never hides a
``delivered``.  A failure is written on the message (visible on the ticket)
with an audit event; error 21610 also marks the number opted out.

A callback can beat the outbox: Twilio may post ``queued`` or ``sent``
before the outbox has committed the sid it got back, and Twilio does not
retry status callbacks.  Such a callback is kept (:func:`keep_for_later`)
as a raw record in the intake table under the channel ``sms-stat``, with
status ``ignored`` so the intake sweeper and replay leave it alone, and is
applied when the outbox stores the sid (:func:`apply_waiting`).  The
webhook looks once more after keeping it, so whichever of the two commits
last applies it; applying twice is harmless (statuses only move forward).
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from channels.message import Channel
from channels.sms import StatusUpdate, is_forward
from servicedesk import audit, sms_consent
from servicedesk.models import IntakeRecord, IntakeStatus, Message

logger = logging.getLogger(__name__)

FAILED_STATUSES = frozenset({"failed", "undelivered"})
UNSUBSCRIBED = "21610"


#: Where a callback for a sid not stored yet waits (``intake_records``;
#: the column holds eight characters).
WAITING_CHANNEL = "sms-stat"
WAITING_FORMAT = "sms-status"
WAITING_NOTE = "a delivery status for an SMS whose sid the outbox has not stored yet"


class StatusResult(StrEnum):
    RECORDED = "recorded"
    UNCHANGED = "unchanged"  # a repeat, or a status that would step backwards
    UNKNOWN = "unknown"  # no message of ours has this sid


def describe_failure(update: StatusUpdate) -> str:
    text = f"Twilio reports the SMS {update.status}"
    if update.error_code:
        text += f" (error {update.error_code}"
        text += f": {update.error_message})" if update.error_message else ")"
    return text


def record_status(session: Session, update: StatusUpdate, now: datetime) -> StatusResult:
    """Record one callback on its message (the caller commits)."""
    message = session.execute(
        select(Message).where(
            Message.channel == Channel.SMS.value,
            Message.external_id == update.message_sid,
            Message.direction == "outbound",
        )
    ).scalar_one_or_none()
    if message is None:
        logger.info("status callback for unknown SMS %s", update.message_sid)
        return StatusResult.UNKNOWN
    if not is_forward(message.delivery_status, update.status):
        return StatusResult.UNCHANGED
    previous = message.delivery_status
    message.delivery_status = update.status
    if update.status in FAILED_STATUSES:
        message.delivery_error = describe_failure(update)
        audit.record(
            session,
            message.ticket_id,
            audit.SYSTEM,
            "delivery_failed",
            message.delivery_error,
            {
                "message_id": message.id,
                "status": update.status,
                "error_code": update.error_code,
                "previous": previous,
            },
            at=now,
        )
        if update.error_code == UNSUBSCRIBED:
            identity = sms_consent.phone_identity(session, message.recipient)
            if identity is not None:
                sms_consent.opt_out(
                    session,
                    identity,
                    at=now,
                    reason=f"Twilio reports error 21610: {message.recipient} has opted out",
                    actor=audit.SYSTEM,
                )
    else:
        # A late "delivered" after a carrier's "undelivered": the text arrived.
        message.delivery_error = None
    return StatusResult.RECORDED


def keep_for_later(session: Session, update: StatusUpdate, now: datetime) -> bool:
    """Keep a callback for a sid we do not know (yet); False when the same
    status of the same sid is kept already (the caller commits)."""
    key = f"{update.message_sid}:{update.status}"[:255]
    kept = session.execute(
        select(IntakeRecord.id).where(
            IntakeRecord.channel == WAITING_CHANNEL, IntakeRecord.external_id == key
        )
    ).first()
    if kept is not None:
        return False
    session.add(
        IntakeRecord(
            channel=WAITING_CHANNEL,
            external_id=key,
            source="twilio",
            format=WAITING_FORMAT,
            raw=json.dumps(asdict(update)).encode(),
            status=IntakeStatus.IGNORED,
            error=WAITING_NOTE,
            received_at=now,
        )
    )
    return True


def apply_waiting(session: Session, message_sid: str, now: datetime) -> int:
    """Apply the callbacks kept for ``message_sid``, oldest first, now that
    its message is known; returns how many (the caller commits)."""
    records = (
        session.execute(
            select(IntakeRecord)
            .where(
                IntakeRecord.channel == WAITING_CHANNEL,
                IntakeRecord.external_id.like(f"{message_sid}:%"),
                IntakeRecord.status == IntakeStatus.IGNORED,
            )
            .order_by(IntakeRecord.id)
            .with_for_update(skip_locked=True)
        )
        .scalars()
        .all()
    )
    applied = 0
    for record in records:
        update = StatusUpdate(**json.loads(record.raw))
        if record_status(session, update, now) is StatusResult.UNKNOWN:
            break  # still unknown: the outbox applies them when it stores the sid
        record.status = IntakeStatus.PROCESSED
        record.error = None
        record.processed_at = now
        applied += 1
    return applied
