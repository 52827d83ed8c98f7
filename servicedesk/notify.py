"""Outbound messages about a ticket: acknowledgements, routed-ticket
notifications and replies.  Each becomes a ``Message`` on the ticket (so
the thread shows it and replies thread onto its Message-ID) and an outbox
row in the same transaction; nothing is sent here."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import timedelta
from html import escape

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from channels.email.compose import make_message_id
from channels.message import Channel
from servicedesk import audit, outbox, sms_consent, template_store
from servicedesk.errors import DeliveryRefusedError
from servicedesk.masking import mask_identity_codes
from servicedesk.models import (
    Contact,
    ContactIdentity,
    Message,
    Organization,
    OutboxItem,
    Queue,
    QueueMember,
    Region,
    Ticket,
    User,
)
from servicedesk.runtime import Runtime

logger = logging.getLogger(__name__)

SMS_OPTED_OUT = "this number has opted out of SMS (they sent STOP); answer by email or phone"


def status_url(runtime: Runtime, ticket: Ticket) -> str:
    return f"{runtime.settings.base_url}/status/{ticket.status_token}"


def desk_address(runtime: Runtime, ticket: Ticket) -> str:
    s = runtime.settings
    return s.staff_mail_address if ticket.audience == "staff" else s.mail_from


def desk_number(runtime: Runtime, ticket: Ticket) -> str:
    s = runtime.settings
    if ticket.audience == "staff":
        return s.staff_sms_number or s.sms_number or ""
    return s.sms_number or ""


def thread_ids(session: Session, ticket: Ticket, *, public_only: bool = False) -> list[str]:
    """Every Message-ID on the ticket, oldest first (for References);
    ``public_only`` leaves out internal notifications and notes."""
    query = select(Message.email_message_id).where(
        Message.ticket_id == ticket.id, Message.email_message_id.is_not(None)
    )
    if public_only:
        query = query.where(Message.is_public)
    return [i for i in session.execute(query.order_by(Message.id)).scalars() if i]


def is_throttled(session: Session, runtime: Runtime, address: str) -> bool:
    """At most N automatic messages per address per hour (loop protection)."""
    limit = runtime.settings.auto_reply_limit_per_hour
    since = runtime.now() - timedelta(hours=1)
    sent = session.execute(
        select(func.count(OutboxItem.id)).where(
            OutboxItem.to_address == address,
            OutboxItem.is_automatic,
            OutboxItem.created_at >= since,
        )
    ).scalar_one()
    return sent >= limit


_URL = re.compile(r"https?://[^\s<>\"']*[^\s<>\"'.,;:!?)\]]")


def html_alternative(text: str, language: str) -> str:
    """The HTML part of a mail: the plain text, escaped, in paragraphs, with
    its web addresses as links.  Built from the text alone, so nothing a
    contact wrote can become markup."""
    blocks = []
    for paragraph in re.split(r"\n[ \t]*\n", text.strip()):
        pieces: list[str] = []
        last = 0
        for match in _URL.finditer(paragraph):
            url = escape(match.group(0))
            pieces += [escape(paragraph[last : match.start()]), f'<a href="{url}">{url}</a>']
            last = match.end()
        pieces.append(escape(paragraph[last:]))
        blocks.append("<p>" + "".join(pieces).replace("\n", "<br>\n") + "</p>")
    lang = escape(language if language.isalpha() else "fi")
    body = "\n".join(blocks)
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8"></head>\n'
        f"<body>\n{body}\n</body></html>\n"
    )


def _queue_email(
    session: Session,
    runtime: Runtime,
    ticket: Ticket,
    *,
    kind: str,
    to: str,
    to_name: str,
    subject: str,
    text: str,
    is_automatic: bool,
    author: User | None = None,
    is_public: bool = True,
    attachment_ids: Sequence[int] = (),
    shown_text: str | None = None,
) -> Message:
    now = runtime.now()
    # The templates carry the tag, but an administrator may edit it out, and
    # without it a reply from a mail program that drops our References
    # (some webmails do) would start a new ticket.
    tag = f"[#{ticket.number}]"
    if tag not in subject:
        subject = f"{subject.rstrip()} {tag}".lstrip()
    # Only the conversation the recipient may see: the Message-IDs of
    # internal notifications and notes never travel in a contact's headers.
    references = thread_ids(session, ticket, public_only=True)[-20:]
    message_id = make_message_id(runtime.settings.mail_domain)
    message = Message(
        ticket_id=ticket.id,
        direction="outbound",
        channel=Channel.EMAIL,
        email_message_id=message_id.strip("<>"),
        author_user_id=author.id if author else None,
        sender=desk_address(runtime, ticket),
        recipient=to,
        subject=subject,
        body_text=shown_text if shown_text is not None else text,
        auto_kind="auto_reply" if is_automatic else "none",
        is_public=is_public,
        delivery_status="pending",
        created_at=now,
    )
    session.add(message)
    session.flush()
    outbox.add(
        session,
        kind=kind,
        channel=Channel.EMAIL,
        to_address=to,
        ticket_id=ticket.id,
        message=message,
        is_automatic=is_automatic,
        now=now,
        payload={
            "to_name": to_name,
            "from_address": desk_address(runtime, ticket),
            "from_name": "",
            "subject": subject,
            "text": text,
            "html": html_alternative(text, ticket.language),
            "message_id": message_id,
            "in_reply_to": f"<{references[-1]}>" if references else None,
            "references": [f"<{r}>" for r in references],
            "language": ticket.language,
            "attachment_ids": list(attachment_ids),
        },
    )
    return message


def _queue_sms(
    session: Session,
    runtime: Runtime,
    ticket: Ticket,
    *,
    kind: str,
    to: str,
    text: str,
    is_automatic: bool,
    author: User | None = None,
) -> Message:
    # Every SMS passes here, whoever queues it: an opted-out number gets none.
    if sms_consent.is_opted_out(session, to):
        raise DeliveryRefusedError(SMS_OPTED_OUT)
    now = runtime.now()
    message = Message(
        ticket_id=ticket.id,
        direction="outbound",
        channel=Channel.SMS,
        author_user_id=author.id if author else None,
        sender=desk_number(runtime, ticket),
        recipient=to,
        body_text=text,
        auto_kind="auto_reply" if is_automatic else "none",
        delivery_status="pending",
        created_at=now,
    )
    session.add(message)
    session.flush()
    outbox.add(
        session,
        kind=kind,
        channel=Channel.SMS,
        to_address=to,
        ticket_id=ticket.id,
        message=message,
        is_automatic=is_automatic,
        now=now,
        payload={
            "from_address": desk_number(runtime, ticket),
            "text": text,
            "language": ticket.language,
            "status_callback": runtime.settings.base_url + "/webhooks/twilio/sms/status",
        },
    )
    return message


def identities(session: Session, contact_id: int | None) -> list[ContactIdentity]:
    if contact_id is None:
        return []
    return list(
        session.execute(
            select(ContactIdentity)
            .where(ContactIdentity.contact_id == contact_id)
            .order_by(ContactIdentity.id)
        ).scalars()
    )


def reply_channel(ticket: Ticket, ids: Sequence[ContactIdentity], preferred: str | None) -> str:
    """The channel an answer goes out on: the one asked for, else the one
    the ticket came in on, else whatever address the contact has."""
    kinds = {i.kind for i in ids}
    if preferred in {Channel.EMAIL, Channel.SMS}:
        return preferred
    if ticket.channel == Channel.EMAIL and "email" in kinds:
        return Channel.EMAIL
    if ticket.channel in {Channel.SMS, Channel.PHONE} and "phone" in kinds:
        return Channel.SMS
    if "email" in kinds:
        return Channel.EMAIL
    if "phone" in kinds:
        return Channel.SMS
    raise DeliveryRefusedError("the contact has no email address or phone number to answer to")


def acknowledge(session: Session, runtime: Runtime, ticket: Ticket) -> Message | None:
    """The "we have your question" message, on the ticket's own channel
    where it has an address; skipped (with an audit event) when throttled."""
    ids = identities(session, ticket.contact_id)
    try:
        channel = reply_channel(ticket, ids, None)
    except DeliveryRefusedError:
        return None
    kind = "email" if channel == Channel.EMAIL else "phone"
    identity = next(i for i in ids if i.kind == kind)
    if channel == Channel.SMS and (identity.is_opted_out or runtime.sms is None):
        return None
    if is_throttled(session, runtime, identity.value):
        audit.record(
            session,
            ticket.id,
            audit.SYSTEM,
            "acknowledgement_skipped",
            "automatic message limit per hour reached for this address",
        )
        return None
    contact = session.get(Contact, ticket.contact_id) if ticket.contact_id else None
    organization = (
        session.get(Organization, ticket.organization_id) if ticket.organization_id else None
    )
    event = "staff_ticket_received" if ticket.audience == "staff" else "ticket_received"
    rendered = template_store.render(
        session,
        event,
        ticket.language,
        region_code=ticket.region_code,
        sms=channel == Channel.SMS,
        number=ticket.number,
        name=(contact.name if contact else "") or "",
        status_url=status_url(runtime, ticket),
        organization=organization.name(ticket.language) if organization else "",
    )
    if channel == Channel.SMS:
        return _queue_sms(
            session,
            runtime,
            ticket,
            kind="acknowledgement",
            to=identity.value,
            text=rendered.text,
            is_automatic=True,
        )
    return _queue_email(
        session,
        runtime,
        ticket,
        kind="acknowledgement",
        to=identity.value,
        to_name=contact.name if contact else "",
        subject=rendered.subject,
        text=rendered.text,
        is_automatic=True,
    )


def notify_routed(
    session: Session, runtime: Runtime, ticket: Ticket, body: str, reasons: Sequence[str]
) -> list[Message]:
    """Tell the experts of the ticket's queue (or the organisation's
    address) that a ticket is theirs; they may answer by replying.
    Returns the notifications, each with its outbox row."""
    if ticket.queue_id is None:
        return []
    queue = session.get(Queue, ticket.queue_id)
    organization = (
        session.get(Organization, ticket.organization_id) if ticket.organization_id else None
    )
    recipients = list(
        session.execute(
            select(User)
            .join(QueueMember, QueueMember.user_id == User.id)
            .where(
                QueueMember.queue_id == ticket.queue_id,
                User.is_active,
                User.role.in_(["expert", "superuser"]),
            )
            .order_by(User.id)
        ).scalars()
    )
    addresses = [(u.email, u.name, u.ui_language or "fi") for u in recipients]
    if not addresses and organization is not None and organization.email:
        addresses = [(organization.email, organization.name("fi"), "fi")]
    region = session.get(Region, ticket.region_code) if ticket.region_code else None
    notifications: list[Message] = []
    for address, name, language in addresses:
        rendered = template_store.render(
            session,
            "ticket_routed",
            language,
            region_code=ticket.region_code,
            number=ticket.number,
            queue=queue.label(language) if queue else ticket.queue_id,
            organization=organization.name(language) if organization else "",
            subject=ticket.subject,
            channel=ticket.channel,
            region=(region.name_sv if language == "sv" else region.name_fi) if region else "",
            reasons=list(reasons),
            body=body,
            console_url=f"{runtime.settings.base_url}/console/tickets/{ticket.number}",
        )
        notifications.append(
            _queue_email(
                session,
                runtime,
                ticket,
                kind="notification",
                to=address,
                to_name=name,
                subject=rendered.subject,
                text=rendered.text,
                is_automatic=True,
                is_public=False,
            )
        )
    return notifications


def queue_reply(
    session: Session,
    runtime: Runtime,
    ticket: Ticket,
    body: str,
    *,
    author: User | None,
    channel: str | None = None,
    attachment_ids: Sequence[int] = (),
) -> Message:
    """An answer to the contact on the ticket's channel (or the one chosen).
    Refused, with the reason, when the contact cannot be reached there.
    An identity code in it is masked, as in everything the desk sends
    (the message's ``masked_codes`` counts them), whoever wrote it: an
    agent in the console or the API, an expert replying by mail."""
    body, masked = mask_identity_codes(body.strip())
    ids = identities(session, ticket.contact_id)
    chosen = reply_channel(ticket, ids, channel)
    kind = "email" if chosen == Channel.EMAIL else "phone"
    identity = next((i for i in ids if i.kind == kind), None)
    if identity is None:
        raise DeliveryRefusedError(
            f"the contact has no {'email address' if kind == 'email' else 'phone number'}"
        )
    contact = session.get(Contact, ticket.contact_id) if ticket.contact_id else None
    language = ticket.language
    if chosen == Channel.SMS:
        if identity.is_opted_out:
            raise DeliveryRefusedError(SMS_OPTED_OUT)
        sent = _queue_sms(
            session,
            runtime,
            ticket,
            kind="reply",
            to=identity.value,
            text=answer_sms_text(session, ticket, body),
            is_automatic=False,
            author=author,
        )
        sent.masked_codes = masked
        return sent
    subject = ticket.subject or ""
    if subject and not subject.lower().startswith(("re:", "vs:", "sv:")):
        subject = "Re: " + subject
    rendered = template_store.render(
        session,
        "reply",
        language,
        region_code=ticket.region_code,
        subject=subject or ticket.number,
        number=ticket.number,
        body=body,
        status_url=status_url(runtime, ticket),
    )
    sent = _queue_email(
        session,
        runtime,
        ticket,
        kind="reply",
        to=identity.value,
        to_name=contact.name if contact else "",
        subject=rendered.subject,
        text=rendered.text,
        is_automatic=False,
        author=author,
        attachment_ids=attachment_ids,
        shown_text=body,
    )
    sent.masked_codes = masked
    return sent


def answer_sms_text(session: Session, ticket: Ticket, body: str) -> str:
    """An answer as its SMS goes out: in the reply template (an
    administrator's text and the region's part included), in the ticket's
    language, identity codes masked."""
    return template_store.render(
        session,
        "reply",
        ticket.language,
        region_code=ticket.region_code,
        sms=True,
        body=mask_identity_codes(body.strip())[0],
    ).text
