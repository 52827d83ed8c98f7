"""``apply``: the one intake step that writes.  Everything an envelope
decided becomes rows in one transaction (the caller commits): contact and
identities, the ticket or its new message, attachments, the call record,
audit events, the acknowledgement and notifications as outbox rows, and the
intake record marked processed."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from channels.email.quote import split_quoted
from channels.message import Attachment as InboundAttachment
from channels.message import AutoKind, Channel, InboundMessage
from servicedesk import audit, deadlines, file_holds, notify, outbox, sms_consent
from servicedesk.errors import DeliveryRefusedError
from servicedesk.intake.envelope import Envelope
from servicedesk.intake.filters import normalise_phone
from servicedesk.intake.lookups import bare_ids
from servicedesk.lifecycle import TicketStatus, status_after_agent_reply, status_after_contact_reply
from servicedesk.models import (
    Attachment,
    CallRecord,
    Contact,
    ContactIdentity,
    IntakeRecord,
    IntakeStatus,
    Message,
    Organization,
    Queue,
    Ticket,
    TicketLink,
    User,
)
from servicedesk.numbering import next_number
from servicedesk.runtime import Runtime
from servicedesk.tickets import wrote_since

#: Call outcomes that leave the caller waiting for a call back.
CALLBACK_OUTCOMES = frozenset({"missed", "voicemail"})


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
        _learn_from_routing(contact, env)  # written with the row, not updated after it
        session.add(contact)
        session.flush()
        # identify_sender looked each of these up in this transaction and
        # found no contact; one added by another process meanwhile meets the
        # unique constraint, and the record is taken through again.
        session.add_all(
            ContactIdentity(contact_id=contact.id, kind=kind, value=value) for kind, value in pairs
        )
        return contact
    _learn_from_routing(contact, env)
    if not contact.name and msg.sender_name.strip():
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


def _learn_from_routing(contact: Contact, env: Envelope) -> None:
    """What the routing of a new ticket found, kept on its contact where
    not known yet: the language, and an applicant's region and
    municipality."""
    decision = env.decision
    if decision is None or env.ticket is not None:
        return
    if contact.language is None:
        contact.language = decision.language
    if contact.region_code is None and decision.region and env.audience == "applicant":
        contact.region_code = decision.region
        contact.municipality_code = decision.municipality


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
            # For the console to say the reasons in the agent's language.
            "details": [{"code": r.code, "params": dict(r.params)} for r in decision.reasons],
        }
        ticket.assignee_id = env.assignee_id
        if decision.queue_id:
            ticket.due_at = deadlines.response_due(session, decision.queue_id, now)
        target = session.get(Organization, decision.organization_id or "")
        if target is not None and target.kind in deadlines.RETURN_KINDS:
            # Routed straight to an institution: the same promise as a
            # forward, so a silent inbox hands it back to the regional desk.
            ticket.forwarded_at = now
    ticket.number = next_number(session, now)  # last, so the counter lock is held briefly
    session.add(ticket)
    session.flush()
    return ticket


def store_attachments(
    session: Session,
    runtime: Runtime,
    message: Message,
    files: Sequence[InboundAttachment],
    *,
    unnamed: str = "attachment",
) -> None:
    """Keep ``files`` as the message's attachments: stored (their locks
    taken in the order an erasure takes its own, ``file_holds``) and
    added to the session; ``unnamed`` names a file that came without one."""
    stored_files = file_holds.store_all(session, runtime.storage, [f.data for f in files])
    for file, stored in zip(files, stored_files, strict=True):
        session.add(
            Attachment(
                message_id=message.id,
                filename=file.filename[:255] or unnamed,
                content_type=file.content_type[:255] or "application/octet-stream",
                size=stored.size,
                sha256=stored.sha256,
                storage_key=stored.key,
                content_id=file.content_id,
                is_inline=file.is_inline,
            )
        )


def _record_call(
    session: Session, env: Envelope, ticket: Ticket, message: Message
) -> CallRecord | None:
    call = env.message.call
    if call is None:
        return None
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
    record.outcome = call.outcome
    # The phone flow keeps the call's state in this row while the call
    # runs, and Twilio's status and recording callbacks may arrive before
    # or after this job: what they wrote is not overwritten with nothing.
    record.language = call.language or record.language
    record.municipality_heard = call.municipality_heard or record.municipality_heard
    if record.duration_seconds is None:
        record.duration_seconds = call.duration_seconds
    record.answered_by = call.answered_by or record.answered_by
    record.recording_url = call.recording_url or record.recording_url
    record.region_code = record.region_code or ticket.region_code
    record.queue_id = record.queue_id or ticket.queue_id
    return record


#: The line the applicant's status page shows for a call: the call's
#: summary is for agents (whom the desk rang, at which number).
CALL_LINES = {
    "fi": "Puhelu {day}.{month}. klo {time}",
    "sv": "Samtal {day}.{month}. kl. {time}",
    "en": "Phone call on {day}.{month}. at {time}",
}


def call_line(language: str | None, at: datetime, timezone: str) -> str:
    """``Puhelu 10.3. klo 12.05`` in the caller's language, local time."""
    local = at.astimezone(ZoneInfo(timezone))
    separator = ":" if language == "en" else "."
    return CALL_LINES.get(language or "fi", CALL_LINES["fi"]).format(
        day=local.day, month=local.month, time=f"{local.hour}{separator}{local.minute:02d}"
    )


def _add_public_call_line(
    session: Session, runtime: Runtime, env: Envelope, ticket: Ticket, message: Message
) -> None:
    """A call through the phone line: its summary stays internal, and the
    contact sees only that they called, and when."""
    call = env.message.call
    if call is None or env.message.channel != Channel.PHONE or not message.is_public:
        return
    message.is_public = False
    language = call.language or env.message.hints.language or ticket.language
    session.add(
        Message(
            ticket_id=ticket.id,
            direction="inbound",
            channel=Channel.PHONE.value,
            author_contact_id=message.author_contact_id,
            sender=message.sender,
            sender_name=message.sender_name,
            recipient=message.recipient,
            body_text=call_line(language, env.received_at, runtime.settings.timezone),
            is_public=True,
            created_at=env.received_at,
        )
    )


def _needs_callback(env: Envelope) -> bool:
    call = env.message.call
    return (
        env.message.channel == Channel.PHONE
        and call is not None
        and call.outcome in CALLBACK_OUTCOMES
    )


def _request_callback(
    session: Session, env: Envelope, ticket: Ticket, queue_id: str | None
) -> None:
    """A missed call or a voicemail: an internal note saying whom to call,
    and the event that puts the call back on the list of the queue the call
    was for (``queue_id``: the call's regional queue, which is not the
    ticket's when the call joined an open ticket elsewhere)."""
    call = env.message.call
    assert call is not None
    what = "left a voicemail" if call.outcome == "voicemail" else "called and nobody answered"
    number = env.sender if env.sender_kind == "phone" else None
    if number:
        text = f"Call back {number}: the caller {what}."
    else:
        text = f"The caller {what} with their number hidden: no call back is possible."
    if call.recording_url:
        text += f"\nRecording: {call.recording_url}"
    session.add(
        Message(
            ticket_id=ticket.id,
            direction="note",
            channel=Channel.PHONE.value,
            sender="phone line",
            sender_name="Phone line",
            body_text=text,
            is_public=False,
            created_at=env.received_at,
        )
    )
    if number:
        audit.record(
            session,
            ticket.id,
            audit.INTAKE,
            "callback_requested",
            f"the caller {what}; call back {number}",
            {
                "number": number,
                "outcome": call.outcome,
                "call_sid": call.call_sid,
                "queue": queue_id or ticket.queue_id,
                "recording_url": call.recording_url,
            },
            at=env.received_at,
        )


def _record_sms_opt(session: Session, env: Envelope) -> None:
    """STOP or START by SMS: the number's opt-out flag, with its event on
    the contact's latest ticket.  A number we did not know yet becomes a
    contact, so the opt-out holds when it later writes or fills in a form."""
    if env.sender is None:
        return
    _upsert_contact(session, env)
    session.flush()
    identity = sms_consent.phone_identity(session, env.sender)
    if identity is None:
        return
    keyword = env.message.text.strip()[:20]
    if env.sms_opt == "stop":
        sms_consent.opt_out(
            session,
            identity,
            at=env.received_at,
            reason=f"the contact sent {keyword!r} by SMS: no SMS is sent to {env.sender}",
        )
    else:
        sms_consent.opt_in(
            session,
            identity,
            at=env.received_at,
            reason=f"the contact sent {keyword!r} by SMS: SMS may be sent to {env.sender} again",
        )


_DIAGNOSTIC = re.compile(r"^\s*Diagnostic-Code:\s*(?:[\w-]+\s*;\s*)?(.+)$", re.I | re.M)
_STATUS = re.compile(r"^\s*Status:\s*([245]\.\d{1,3}\.\d{1,3})\b", re.I | re.M)


def bounce_reason(text: str) -> str:
    """What the receiving server said, from a delivery report's text."""
    found = _DIAGNOSTIC.search(text) or _STATUS.search(text)
    detail = " ".join(found.group(1).split())[:300] if found else ""
    return "the receiving mail server returned it" + (f": {detail}" if detail else "")


def _mark_bounced(session: Session, env: Envelope, ticket: Ticket) -> None:
    """A delivery report: the outbound message it reports on is failed,
    with the server's words as the error anyone looking at the ticket sees."""
    ids = [i.strip("<>") for i in env.message.bounced_message_ids]
    if not ids:
        return
    reason = bounce_reason(env.message.text)
    session.execute(
        update(Message)
        .where(
            Message.ticket_id == ticket.id,
            Message.email_message_id.in_(ids),
            Message.direction == "outbound",
        )
        .values(delivery_status="failed", delivery_error=reason)
        .execution_options(synchronize_session=False)
    )
    audit.record(
        session,
        ticket.id,
        audit.INTAKE,
        "delivery_failed",
        "a delivery report says our message could not be delivered",
        {"message_ids": ids, "error": reason},
    )


def _directory_rows(session: Session, env: Envelope) -> list[object]:
    """The routing decision's queue and organisations, read once."""
    decision = env.decision
    if decision is None or env.ticket is not None:
        return []
    queue = session.get(Queue, decision.queue_id) if decision.queue_id else None
    organizations = {decision.organization_id, queue.organization_id if queue else None}
    return [queue, *(session.get(Organization, i) for i in organizations if i)]


def apply(session: Session, runtime: Runtime, env: Envelope) -> Applied:
    record = session.get(IntakeRecord, env.intake_record_id) if env.intake_record_id else None
    if env.sms_opt is not None:
        _record_sms_opt(session, env)
        if record is not None:
            record.status = IntakeStatus.PROCESSED
            record.error = None
            record.processed_at = runtime.now()
        return Applied(ticket=None, message=None, created=False, stop_reason=env.stop_reason)
    if env.stop_reason is not None:
        if record is not None:
            duplicate = env.stop_reason.startswith("duplicate")
            record.status = IntakeStatus.DUPLICATE if duplicate else IntakeStatus.IGNORED
            record.error = env.stop_reason
            record.processed_at = runtime.now()
        return Applied(ticket=None, message=None, created=False, stop_reason=env.stop_reason)

    if env.ticket is None and _needs_callback(env):
        # A call back is for whoever in the queue is free first.
        env = replace(
            env,
            assignee_id=None,
            assignment_reason="a call back: left unassigned in the queue for whoever is free first",
        )
    msg = env.message
    # The deadline, the acknowledgement and the notification each read the
    # ticket's queue and organisation: held here, the session's identity
    # map (weak references only) answers them instead of the database.
    held = _directory_rows(session, env)
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
        external_id=env.message_key or msg.external_id or None,
        email_message_id=msg.external_id if msg.channel == Channel.EMAIL else None,
        fingerprint=env.fingerprint or None,
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
    store_attachments(session, runtime, message, msg.attachments)
    call_record = _record_call(session, env, ticket, message)
    _add_public_call_line(session, runtime, env, ticket, message)

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

    if _needs_callback(env):
        _request_callback(session, env, ticket, call_record.queue_id if call_record else None)

    outbound: list[Message] = []
    if created and not env.suppress_auto_replies:
        ack = notify.acknowledge(session, runtime, ticket)
        if ack is not None:
            outbound.append(ack)
    if created and ticket.queue_id and not env.suppress_auto_replies:
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
    del held
    return Applied(ticket=ticket, message=message, created=created, outbox_ids=outbox_ids)


def _relay_answer(
    session: Session, runtime: Runtime, env: Envelope, ticket: Ticket, message: Message
) -> None:
    """An expert answered by replying to the notification: their text
    (quoted history folded away) goes to the contact on the ticket's channel."""
    author = session.get(User, env.author.id) if env.author else None
    visible, _quoted = split_quoted(env.message.text)
    session.flush()  # the reply's attachments need their ids
    files = session.execute(
        select(Attachment.id).where(Attachment.message_id == message.id, ~Attachment.is_inline)
    ).scalars()
    try:
        if not visible.strip():
            raise DeliveryRefusedError("the reply had no text of its own to send")
        reply = notify.queue_reply(
            session, runtime, ticket, visible, author=author, attachment_ids=list(files)
        )
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
    if _contact_wrote_since(session, ticket, env.message.references):
        # The answer went out, but it answers an earlier mail: the ticket
        # stays with the desk until someone has read the contact's newer one.
        audit.record(
            session,
            ticket.id,
            audit.INTAKE,
            "status_kept",
            "the contact wrote again after the mail the expert answered; the ticket stays open",
        )
        return
    target = status_after_agent_reply(ticket.status)
    if target is not None:
        ticket.status = target.value


def _contact_wrote_since(session: Session, ticket: Ticket, references: Sequence[str]) -> bool:
    """Whether the contact wrote on ``ticket`` after the newest of our mails
    that ``references`` names (the notification an expert replied to)."""
    ids = bare_ids(references)
    answered = session.execute(
        select(func.max(Message.id)).where(
            Message.ticket_id == ticket.id,
            Message.direction == "outbound",
            Message.email_message_id.in_(ids),
        )
    ).scalar()
    return answered is not None and wrote_since(session, ticket, answered)
