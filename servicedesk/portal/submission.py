"""A checked form becomes an ``InboundMessage`` on the web channel and goes
through the intake pipeline like every other contact: stored raw first,
then processed.  No Flask here: the views pass plain values in.

The channel id is ``web:<submission id>:<hash of the text and files>``, so
posting the same page twice (a double click, a reload of the result page)
finds the ticket the first post made instead of making a second one, while
a changed text, or other files, sent from the same page is a new contact
(the files chosen again after going back are not dropped).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from channels.message import Attachment, Channel, Hints, InboundMessage
from servicedesk.intake import pipeline
from servicedesk.models import IntakeRecord, IntakeStatus, Ticket
from servicedesk.runtime import Runtime

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Sender:
    name: str
    email: str | None
    phone: str | None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of a submission: the ticket it made or joined, or None
    when it was stored but not processed yet (the sweeper will retry)."""

    ticket: Ticket | None
    is_new: bool


def external_id(
    kind: str, submission: str, text: str, attachments: tuple[Attachment, ...] = ()
) -> str:
    digest = hashlib.sha256(text.encode("utf-8"))
    for attachment in attachments:
        digest.update(b"\0" + hashlib.sha256(attachment.data).digest())
    return f"web:{kind}:{submission}:{digest.hexdigest()[:16]}"


def build_message(
    *,
    kind: str,
    submission: str,
    sender: Sender,
    text: str,
    hints: Hints,
    subject: str = "",
    attachments: tuple[Attachment, ...] = (),
) -> InboundMessage:
    return InboundMessage(
        channel=Channel.WEB,
        external_id=external_id(kind, submission, text, attachments),
        sender_address=sender.email or "",
        sender_phone=sender.phone or "",
        sender_name=sender.name.strip()[:200],
        subject=subject,
        text=text.strip(),
        attachments=attachments,
        hints=hints,
    )


def submit(runtime: Runtime, session: Session, message: InboundMessage, source: str) -> Outcome:
    """Store and process; the caller's ``session`` reads the result.

    The pipeline writes in its own transactions; the request's session
    ends whatever it has read so far first, so it holds no transaction
    open meanwhile and afterwards sees what the pipeline wrote."""
    session.commit()
    record_id, is_new = pipeline.receive(
        runtime,
        channel=message.channel.value,
        raw=pipeline.encode_inbound(message),
        external_id=message.external_id,
        source=source,
    )
    if is_new or pipeline.is_waiting(runtime, record_id):
        try:
            if not pipeline.process_or_queue(runtime, record_id):
                # The workers make the ticket: its number follows by mail.
                return Outcome(ticket=None, is_new=is_new)
        except Exception:
            # The raw contact is kept and the sweeper retries it; the sender
            # is told their message arrived and the number follows by mail
            # (as when the desk is too busy to make its ticket at once).
            logger.exception("web submission %s stored but not processed yet", record_id)
    # The record with its ticket, as the pipeline left them: one statement.
    found = session.execute(
        select(IntakeRecord, Ticket)
        .outerjoin(Ticket, Ticket.id == IntakeRecord.ticket_id)
        .where(IntakeRecord.id == record_id)
        .execution_options(populate_existing=True)
    ).first()
    record, ticket = found if found is not None else (None, None)
    if record is None or ticket is None:
        if record is not None and record.status == IntakeStatus.FAILED:
            logger.warning("web submission %s failed: %s", record_id, record.error)
        return Outcome(ticket=None, is_new=is_new)
    return Outcome(ticket=ticket, is_new=is_new)
