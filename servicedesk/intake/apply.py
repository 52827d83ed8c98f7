"""``apply``: the one intake step that writes.  Everything an envelope
decided becomes rows in one transaction (the caller commits): contact and
identities, the ticket or its new message, attachments, the call record,
audit events, the acknowledgement and notifications as outbox rows, and the
intake record marked processed."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from channels.email.quote import split_quoted
from channels.message import AutoKind, Channel, InboundMessage
from servicedesk import audit, deadlines, notify, outbox
from servicedesk.errors import DeliveryRefusedError
from servicedesk.intake.envelope import Envelope
from servicedesk.intake.filters import normalise_phone
from servicedesk.lifecycle import TicketStatus, status_after_agent_reply, status_after_contact_reply
from servicedesk.models import (
    Attachment,
    CallRecord,
    Contact,
    ContactIdentity,
    IntakeRecord,
    IntakeStatus,
    Message,
    Ticket,
    TicketLink,
    User,
)
from servicedesk.numbering import next_number
from servicedesk.runtime import Runtime


@dataclass
class Applied:
    ticket: Ticket | None
    message: Message | None
    created: bool
    outbox_ids: list[int] = field(default_factory=list)
    stop_reason: str | None = None


def _subject(msg: InboundMessage) -> str:
    if msg.subject.strip():
        return msg.subject.strip()[:500]
    first_line = next((line.strip() for line in msg.text.splitlines() if line.strip()), "")
    return (first_line[:80] + "…") if len(first_line) > 80 else first_line


def _upsert_contact(session: Session, env: Envelope) -> Contact | None:
    msg = env.message
    pairs: list[tuple[str, str]] = []
    if env.sender_kind and env.sender:
        pairs.append((env.sender_kind, env.sender))
    if msg.sender_phone and env.sender_kind == "email":
        phone = normalise_phone(msg.sender_phone)
        if phone:
            pairs.append(("phone", phone))
    contact = session.get(Contact, env.contact.id) if env.contact else None
    if contact is None and not pairs:
        return None
    if contact is None:
        contact = Contact(name=msg.sender_name.strip()[:200], created_at=env.received_at)
        session.add(contact)
        session.flush()
    elif not contact.name and msg.sender_name.strip():
        contact.name = msg.sender_name.strip()[:200]
    for kind, value in pairs:
        existing = session.execute(
            select(ContactIdentity).where(
                ContactIdentity.kind == kind, ContactIdentity.value == value
            )
        ).scalar_one_or_none()
        if existing is None:
            session.add(ContactIdentity(contact_id=contact.id, kind=kind, value=value))
    return contact


def _new_ticket(
    session: Session, runtime: Runtime, env: Envelope, contact: Contact | None
) -> Ticket:
    decision = env.decision
    msg = env.message
    now = env.received_at
    ticket = Ticket(
        subject=_subject(msg),
        status=TicketStatus.NEW,
        audience=env.audience,
        channel=msg.channel.value,
        contact_id=contact.id if contact else None,
        status_token=secrets.token_urlsafe(24),
        masked_codes=env.masked_codes,
        created_at=now,
        updated_at=now,
        last_contact_at=now,
    )
    if decision is not None:
        ticket.queue_id = decision.queue_id
        ticket.organization_id = decision.organization_id
        ticket.region_code = decision.region
        ticket.municipality_code = decision.municipality
        ticket.topic = decision.topic
        ticket.language = decision.language
        ticket.priority = decision.priority
        ticket.routing = {
            "rule": decision.rule_id,
            "reasons": [r.text for r in decision.reasons],
            "steps": [r.step for r in decision.reasons],
        }
        ticket.assignee_id = env.assignee_id
        if decision.queue_id:
            ticket.due_at = deadlines.response_due(session, decision.queue_id, now)
    if contact is not None:
        if contact.language is None:
            contact.language = ticket.language
        if contact.region_code is None and ticket.region_code and env.audience == "applicant":
            contact.region_code = ticket.region_code
            contact.municipality_code = ticket.municipality_code
    ticket.number = next_number(session, now)  # last, so the counter lock is held briefly
    session.add(ticket)
    session.flush()
    return ticket


def _store_attachments(
    session: Session, runtime: Runtime, message: Message, msg: InboundMessage
) -> None:
    for attachment in msg.attachments:
        stored = runtime.storage.put(attachment.data)
        session.add(
            Attachment(
                message_id=message.id,
                filename=attachment.filename[:255] or "attachment",
                content_type=attachment.content_type[:255] or "application/octet-stream",
                size=stored.size,
                sha256=stored.sha256,
                storage_key=stored.key,
                content_id=attachment.content_id,
                is_inline=attachment.is_inline,
            )
        )


def _record_call(session: Session, env: Envelope, ticket: Ticket, message: Message) -> None:
    call = env.message.call
    if call is None:
        return
    record = session.execute(
        select(CallRecord).where(CallRecord.call_sid == call.call_sid)
    ).scalar_one_or_none()
    if record is None:
        record = CallRecord(call_sid=call.call_sid, created_at=env.received_at)
        session.add(record)
    record.ticket_id = ticket.id
    record.message_id = message.id
    record.from_number = env.sender or env.message.sender_address
    record.to_number = env.message.recipient_address
    record.audience = env.audience
    record.language = call.language
    record.municipality_heard = call.municipality_heard
    record.duration_seconds = call.duration_seconds
    record.outcome = call.outcome
    record.answered_by = call.answered_by
    record.recording_url = call.recording_url
    record.region_code = ticket.region_code
    record.queue_id = ticket.queue_id


def _mark_bounced(session: Session, env: Envelope, ticket: Ticket) -> None:
    ids = [i.strip("<>") for i in env.message.bounced_message_ids]
    if not ids:
        return
    session.execute(
        update(Message)
        .where(Message.ticket_id == ticket.id, Message.email_message_id.in_(ids))
        .values(delivery_status="failed", delivery_error="the receiving mail server returned it")
        .execution_options(synchronize_session=False)
    )
    audit.record(
        session,
        ticket.id,
        audit.INTAKE,
        "delivery_failed",
        "a delivery report says our message could not be delivered",
        {"message_ids": ids},
    )


def apply(session: Session, runtime: Runtime, env: Envelope) -> Applied:
    record = session.get(IntakeRecord, env.intake_record_id) if env.intake_record_id else None
    if env.stop_reason is not None:
        if record is not None:
            duplicate = env.stop_reason.startswith("duplicate")
            record.status = IntakeStatus.DUPLICATE if duplicate else IntakeStatus.IGNORED
            record.error = env.stop_reason
            record.processed_at = runtime.now()
        return Applied(ticket=None, message=None, created=False, stop_reason=env.stop_reason)

    msg = env.message
    contact = _upsert_contact(session, env)
    created = env.ticket is None
    existing = session.get(Ticket, env.ticket.id) if env.ticket is not None else None
    ticket = existing if existing is not None else _new_ticket(session, runtime, env, contact)
    is_bounce = msg.auto_kind == AutoKind.BOUNCE
    relays_answer = env.author is not None and not env.needs_review and not created
    direction = "inbound"
    if is_bounce or env.needs_review:
        direction = "note"
    message = Message(
        ticket_id=ticket.id,
        direction=direction,
        channel=msg.channel.value,
        external_id=msg.external_id or None,
        email_message_id=msg.external_id if msg.channel == Channel.EMAIL else None,
        author_user_id=env.author.id if env.author else None,
        author_contact_id=contact.id if contact and env.author is None else None,
        sender=env.sender or msg.sender_address,
        sender_name=msg.sender_name[:200],
        recipient=msg.recipient_address,
        subject=msg.subject[:500],
        body_text=msg.text,
        body_html=msg.html,
        auto_kind=msg.auto_kind.value,
        needs_review=env.needs_review,
        is_public=direction == "inbound" and not relays_answer,
        masked_codes=env.masked_codes,
        created_at=env.received_at,
    )
    session.add(message)
    session.flush()
    _store_attachments(session, runtime, message, msg)
    _record_call(session, env, ticket, message)

    if created:
        audit.record(
            session,
            ticket.id,
            audit.INTAKE,
            "created",
            f"new {msg.channel.value} contact"
            + (f"; {env.thread_reason}" if env.thread_reason else ""),
            {"channel": msg.channel.value, "message_id": message.id},
            at=env.received_at,
        )
        if env.decision is not None:
            audit.record(
                session,
                ticket.id,
                audit.ROUTING,
                "routed",
                "; ".join(r.text for r in env.decision.reasons),
                {
                    "queue": env.decision.queue_id,
                    "organization": env.decision.organization_id,
                    "region": env.decision.region,
                    "topic": env.decision.topic,
                    "rule": env.decision.rule_id,
                },
                at=env.received_at,
            )
        if env.assignee_id is not None or env.assignment_reason:
            audit.record(
                session,
                ticket.id,
                audit.ROUTING,
                "assigned",
                env.assignment_reason,
                {"assignee": env.assignee_id},
                at=env.received_at,
            )
        if env.follow_up_of is not None:
            session.add(
                TicketLink(
                    ticket_id=ticket.id, other_ticket_id=env.follow_up_of.id, kind="follow_up"
                )
            )
            audit.record(
                session,
                ticket.id,
                audit.INTAKE,
                "linked",
                f"follow-up of closed ticket {env.follow_up_of.number}",
                {"other": env.follow_up_of.number},
                at=env.received_at,
            )
        if env.masked_codes:
            audit.record(
                session,
                ticket.id,
                audit.INTAKE,
                "masked",
                f"{env.masked_codes} personal identity code(s) masked",
                at=env.received_at,
            )
    else:
        ticket.updated_at = env.received_at
        audit.record(
            session,
            ticket.id,
            audit.INTAKE,
            "message_added",
            env.thread_reason,
            {
                "message_id": message.id,
                "channel": msg.channel.value,
                "auto_kind": msg.auto_kind.value,
                "masked": env.masked_codes,
            },
            at=env.received_at,
        )
        ticket.masked_codes += env.masked_codes
        if is_bounce:
            _mark_bounced(session, env, ticket)
        elif relays_answer:
            _relay_answer(session, runtime, env, ticket, message)
        elif not env.keeps_status and not env.needs_review:
            ticket.last_contact_at = env.received_at
            target = status_after_contact_reply(ticket.status)
            if target is not None:
                audit.record(
                    session,
                    ticket.id,
                    audit.INTAKE,
                    "status_changed",
                    "the contact wrote again",
                    {"from": ticket.status, "to": target.value},
                )
                ticket.status = target.value

    outbound: list[Message] = []
    if created and not env.suppress_auto_replies:
        ack = notify.acknowledge(session, runtime, ticket)
        if ack is not None:
            outbound.append(ack)
    if created and ticket.queue_id:
        notify.notify_routed(
            session, runtime, ticket, msg.text[:4000], ticket.routing.get("reasons", [])
        )
    if record is not None:
        record.status = IntakeStatus.PROCESSED
        record.ticket_id = ticket.id
        record.processed_at = runtime.now()
        record.error = None
    session.flush()
    outbox_ids = outbox.pending_for(session, [ticket.id])
    return Applied(ticket=ticket, message=message, created=created, outbox_ids=outbox_ids)


def _relay_answer(
    session: Session, runtime: Runtime, env: Envelope, ticket: Ticket, message: Message
) -> None:
    """An expert answered by replying to the notification: their text
    (quoted history folded away) goes to the contact on the ticket's channel."""
    author = session.get(User, env.author.id) if env.author else None
    visible, _quoted = split_quoted(env.message.text)
    try:
        reply = notify.queue_reply(session, runtime, ticket, visible, author=author)
    except DeliveryRefusedError as exc:
        message.direction = "note"
        message.needs_review = True
        audit.record(session, ticket.id, audit.INTAKE, "answer_not_sent", str(exc))
        return
    message.direction = "note"
    message.is_public = False
    audit.record(
        session,
        ticket.id,
        audit.Actor.of(author) if author else audit.INTAKE,
        "replied_by_email",
        "an expert answered by replying to the notification",
        {"message_id": reply.id, "channel": reply.channel},
    )
    if ticket.first_response_at is None:
        ticket.first_response_at = env.received_at
    target = status_after_agent_reply(ticket.status)
    if target is not None:
        ticket.status = target.value
