"""The outbox: every outbound message is a row first, then a job sends it.

A row is claimed with one conditional UPDATE (pending → sending, with a
lease), so two workers never send the same row; the claim is committed
before the provider is called.  A temporary failure puts the row back with
exponential backoff; a permanent one, or too many attempts, marks it failed
with the error visible on its ticket.  The sweeper re-enqueues due rows and
rows whose lease ran out (their worker died); an email re-sent that way
carries the same Message-ID, so the receiving side sees one message.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from channels.errors import DeliveryError, PermanentDeliveryError, TemporaryDeliveryError
from channels.message import Attachment as OutboundAttachment
from channels.message import Channel, OutboundMessage
from servicedesk import audit, sms_consent, sms_status
from servicedesk.errors import keep_failure, raise_first
from servicedesk.models import Attachment, Message, OutboxItem, OutboxStatus
from servicedesk.queueing import OUTBOUND, Gathered
from servicedesk.runtime import Runtime

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
DELIVER_JOB = "servicedesk.jobs.deliver_outbox"
#: Rows handed to one delivery job: an enquiry's acknowledgement and its
#: notice to the expert go together, in one SMTP session (rq's own handling
#: of a job costs about a third of what sending a mail does, and each
#: session a connection, a TLS handshake and a login), while a sweep or an
#: announcement of hundreds is still spread over the workers.
ROWS_PER_JOB = 10
#: The job fresh rows are gathered for (``dispatch``), ROWS_PER_JOB to a call.
DELIVERIES = Gathered(DELIVER_JOB, ROWS_PER_JOB)
LEASE = timedelta(minutes=5)
#: A row never tried yet was handed to the outbound queue when it was
#: committed (``dispatch``) and usually waits there still: the sweeper
#: leaves it alone this long, as the intake sweeper leaves a contact just
#: stored, so that a busy queue is not given a second job for each of its
#: rows.  A row whose dispatch was lost (Redis away) is found after it.
QUEUED_GRACE = timedelta(minutes=2)
#: Twilio's "the recipient has opted out" (they sent STOP).
TWILIO_UNSUBSCRIBED = "21610"


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 … minutes, capped at an hour."""
    return timedelta(minutes=min(60, 2 ** max(0, attempts - 1)))


def add(
    session: Session,
    *,
    kind: str,
    channel: str,
    to_address: str,
    payload: dict[str, Any],
    ticket_id: int | None = None,
    message: Message | None = None,
    is_automatic: bool = False,
    now: datetime,
) -> OutboxItem:
    item = OutboxItem(
        kind=kind,
        channel=channel,
        to_address=to_address,
        payload=payload,
        ticket_id=ticket_id,
        message_id=message.id if message is not None else None,
        is_automatic=is_automatic,
        status=OutboxStatus.PENDING,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(item)
    return item


def claim(session: Session, item_id: int, now: datetime) -> OutboxItem | None:
    """Take the row for sending, or None when someone else has it, it is
    done, or it waits out its retry pause: a job that comes early (the
    rows of a ticket dispatched after an agent's action) does not spend
    one of its attempts before the backoff is over."""
    claimed = session.execute(
        update(OutboxItem)
        .where(
            OutboxItem.id == item_id,
            or_(
                # A row never tried is taken whatever the clock says: the
                # process that queued it may run a second or two ahead.
                (OutboxItem.status == OutboxStatus.PENDING)
                & ((OutboxItem.attempts == 0) | (OutboxItem.next_attempt_at <= now)),
                (OutboxItem.status == OutboxStatus.SENDING) & (OutboxItem.lease_until < now),
            ),
        )
        .values(
            status=OutboxStatus.SENDING,
            lease_until=now + LEASE,
            attempts=OutboxItem.attempts + 1,
        )
        # The row as claimed, in the same statement (not read again).
        .returning(OutboxItem)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    session.commit()
    return claimed


def to_outbound(session: Session, runtime: Runtime, item: OutboxItem) -> OutboundMessage:
    p = item.payload
    attachments: list[OutboundAttachment] = []
    for attachment_id in p.get("attachment_ids", []):
        row = session.get(Attachment, attachment_id)
        if row is not None and row.deleted_at is None:
            try:
                data = runtime.storage.read(row.storage_key)
            except (OSError, ValueError) as exc:
                # Retried with backoff like a refusal, then failed where the
                # agent sees it, not retried after every lease for ever.
                raise TemporaryDeliveryError(
                    f"attachment {row.filename!r} cannot be read from storage "
                    f"({type(exc).__name__})"
                ) from exc
            attachments.append(
                OutboundAttachment(filename=row.filename, content_type=row.content_type, data=data)
            )
    return OutboundMessage(
        channel=Channel(item.channel),
        to_address=item.to_address,
        to_name=p.get("to_name", ""),
        from_address=p.get("from_address", ""),
        from_name=p.get("from_name", ""),
        subject=p.get("subject", ""),
        text=p.get("text", ""),
        html=p.get("html"),
        message_id=p.get("message_id"),
        in_reply_to=p.get("in_reply_to"),
        references=tuple(p.get("references", ())),
        is_automatic=item.is_automatic,
        language=p.get("language", "fi"),
        attachments=tuple(attachments),
        status_callback=p.get("status_callback"),
    )


def _set_message_status(
    session: Session, item: OutboxItem, status: str, error: str | None = None
) -> None:
    """The delivery state shown on the message the row sends (an UPDATE:
    the message itself, bodies and all, is not read for it)."""
    if item.message_id is None:
        return
    values: dict[str, Any] = {"delivery_status": status, "delivery_error": error}
    if item.provider_id and item.channel == Channel.SMS:
        values["external_id"] = item.provider_id
    session.execute(update(Message).where(Message.id == item.message_id).values(**values))


def _note_unsubscribed(session: Session, item: OutboxItem, now: datetime) -> None:
    """Twilio blocks the number (its owner sent STOP, perhaps before we knew
    them): mark it opted out, so nothing more is queued for it."""
    identity = sms_consent.phone_identity(session, item.to_address)
    if identity is not None:
        sms_consent.opt_out(
            session,
            identity,
            at=now,
            reason=f"Twilio refused an SMS with error 21610: {item.to_address} has opted out",
            actor=audit.SYSTEM,
        )


#: Why an SMS queued before its number sent STOP was not sent.
OPTED_OUT = "not sent: the number opted out of SMS (they sent STOP) after this was queued"


def _refuse_opted_out(session: Session, item: OutboxItem) -> str:
    """The number sent STOP after this row was queued: failed, not sent,
    and visible on the ticket like any failed delivery."""
    item.status = OutboxStatus.FAILED
    item.last_error = OPTED_OUT
    item.error_code = "opted_out"
    item.lease_until = None
    _set_message_status(session, item, "failed", OPTED_OUT)
    session.commit()
    logger.info("outbox %s not sent: the number opted out of SMS", item.id)
    return item.status


def deliver(runtime: Runtime, item_id: int) -> str:
    """Send one outbox row; returns the row's status afterwards."""
    with runtime.db.session() as session:
        now = runtime.now()
        item = claim(session, item_id, now)
        if item is None:
            current = session.get(OutboxItem, item_id)
            return current.status if current is not None else "missing"
        if item.channel == Channel.SMS and sms_consent.is_opted_out(session, item.to_address):
            return _refuse_opted_out(session, item)
        try:
            outbound = to_outbound(session, runtime, item)
            sender = runtime.mail if item.channel == Channel.EMAIL else runtime.sms
            if sender is None:
                raise PermanentDeliveryError(f"no {item.channel} provider is configured")
            receipt = sender.send(outbound)
        except DeliveryError as exc:
            permanent = isinstance(exc, PermanentDeliveryError) or item.attempts >= MAX_ATTEMPTS
            item.last_error = str(exc)
            item.error_code = exc.code
            item.lease_until = None
            if permanent:
                item.status = OutboxStatus.FAILED
                _set_message_status(session, item, "failed", str(exc))
                if item.channel == Channel.SMS and exc.code == TWILIO_UNSUBSCRIBED:
                    _note_unsubscribed(session, item, now)
                logger.warning("outbox %s failed for good: %s", item.id, exc)
            else:
                item.status = OutboxStatus.PENDING
                item.next_attempt_at = now + backoff(item.attempts)
                _set_message_status(session, item, "retrying", str(exc))
                logger.info("outbox %s will be retried: %s", item.id, exc)
            session.commit()
            return item.status
        item.status = OutboxStatus.SENT
        item.provider_id = receipt.provider_id
        item.sent_at = runtime.now()
        item.lease_until = None
        item.last_error = None
        _set_message_status(session, item, receipt.status)
        session.commit()
        logger.info("outbox %s sent (%s)", item.id, item.channel)
        # Status callbacks that came before this commit (see sms_status).
        sid = receipt.provider_id if item.channel == Channel.SMS and item.message_id else None
        if sid and sms_status.apply_waiting(session, sid, runtime.now()):
            session.commit()
        return item.status


def due_items(session: Session, now: datetime, limit: int = 500) -> Sequence[int]:
    """Rows for the sweeper to queue: a retry whose pause is over, a row
    never tried whose job has had ``QUEUED_GRACE`` to run, and a row whose
    lease ran out (its worker died)."""
    return (
        session.execute(
            select(OutboxItem.id)
            .where(
                or_(
                    (OutboxItem.status == OutboxStatus.PENDING)
                    & (OutboxItem.attempts > 0)
                    & (OutboxItem.next_attempt_at <= now),
                    (OutboxItem.status == OutboxStatus.PENDING)
                    & (OutboxItem.attempts == 0)
                    & (OutboxItem.next_attempt_at <= now - QUEUED_GRACE),
                    (OutboxItem.status == OutboxStatus.SENDING) & (OutboxItem.lease_until < now),
                )
            )
            .order_by(OutboxItem.id)
            .limit(limit)
        )
        .scalars()
        .all()
    )


def retry(session: Session, item_id: int, now: datetime) -> bool:
    """Put a failed row back for sending (an agent's "try again")."""
    result = session.execute(
        update(OutboxItem)
        .where(OutboxItem.id == item_id, OutboxItem.status == OutboxStatus.FAILED)
        .values(status=OutboxStatus.PENDING, next_attempt_at=now, attempts=0, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def pending_for(session: Session, ticket_ids: Sequence[int]) -> list[int]:
    """The unsent rows of some tickets (what a change just queued)."""
    if not ticket_ids:
        return []
    return list(
        session.execute(
            select(OutboxItem.id)
            .where(
                OutboxItem.ticket_id.in_(list(ticket_ids)),
                OutboxItem.status == OutboxStatus.PENDING,
            )
            .order_by(OutboxItem.id)
        ).scalars()
    )


def dispatch(runtime: Runtime, item_ids: Sequence[int]) -> None:
    """After commit: hand the rows to the outbound queue, up to
    ROWS_PER_JOB to a call, gathered with the rows other processes commit
    while the workers are busy (``JobQueue.gather``).  If that fails
    (Redis down) the sweeper finds them; nothing is lost."""
    runtime.jobs.gather(OUTBOUND, DELIVERIES, list(item_ids))


def deliver_each(runtime: Runtime, item_ids: Sequence[int]) -> None:
    """Send several rows, each on its own: one that fails unexpectedly (the
    database away) does not keep the others from being sent.  The first
    such failure is raised at the end, so the job is marked failed (the
    others are logged); the rows are still the sweeper's."""
    failures: list[tuple[int, Exception]] = []
    # One SMTP session for the job's mails (SmtpSender.several); the log
    # sender and the tests' recording one send without a session.
    several = getattr(runtime.mail, "several", contextlib.nullcontext)
    with several():
        for item_id in item_ids:
            try:
                deliver(runtime, item_id)
            except Exception as exc:
                keep_failure(failures, item_id, exc)
    raise_first(failures, logger, "outbox %s: delivery failed")
