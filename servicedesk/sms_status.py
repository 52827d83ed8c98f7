"""Delivery statuses of our outbound SMS, from Twilio's status callbacks.

The outbox sets ``Message.external_id`` to Twilio's ``SM…`` sid when it
hands a message over; each callback then finds the message by that sid.
Callbacks race each other, so a status is recorded only when it moves
forward (:func:`channels.sms.is_forward`): a late ``sent`` never hides a
``delivered``.  A failure is written on the message (visible on the ticket)
with an audit event; error 21610 also marks the number opted out.
"""

from __future__ import annotations

import logging
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from channels.message import Channel
from channels.sms import StatusUpdate, is_forward
from servicedesk import audit, sms_consent
from servicedesk.models import Message

logger = logging.getLogger(__name__)

FAILED_STATUSES = frozenset({"failed", "undelivered"})
UNSUBSCRIBED = "21610"


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
