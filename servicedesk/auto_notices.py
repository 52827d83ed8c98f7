"""Automatic notices to the person who asked: their question was passed on
to an institution, we are waiting for their reply, it is resolved (with the
survey link), it was closed automatically.

Each notice is rendered from the edited templates (``template_store``:
the national part with the ticket region's own part), goes out on the
channel the contact is answered on (email when an SMS cannot be sent), and
becomes a ``Message`` and an outbox row like every other outbound message;
nothing is sent here.  Every attempt leaves an audit event
``notice_<event>`` on the ticket, sent or skipped with the reason, which
is also what the periodic jobs look at so that nothing is sent twice.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from channels.message import Channel
from servicedesk import audit, notify, template_store
from servicedesk.errors import DeliveryRefusedError
from servicedesk.models import Contact, ContactIdentity, Message, Organization, Ticket
from servicedesk.runtime import Runtime

logger = logging.getLogger(__name__)

#: Organisations whose tickets count as "passed on to an institution".
INSTITUTION_KINDS = frozenset({"institution", "apprenticeship_office"})


def audit_kind(event: str) -> str:
    return f"notice_{event}"


def _recipient(
    session: Session, runtime: Runtime, ticket: Ticket
) -> tuple[str, ContactIdentity] | str:
    """(channel, identity) to send on, or the reason there is none."""
    ids = notify.identities(session, ticket.contact_id)
    try:
        channel = notify.reply_channel(ticket, ids, None)
    except DeliveryRefusedError:
        return "the contact has no email address or phone number"
    if channel == Channel.SMS:
        phone = next(i for i in ids if i.kind == "phone")
        if not phone.is_opted_out and runtime.sms is not None:
            return Channel.SMS.value, phone
        email = next((i for i in ids if i.kind == "email"), None)
        if email is None:
            return "the number has opted out of SMS and there is no email address"
        return Channel.EMAIL.value, email
    return Channel.EMAIL.value, next(i for i in ids if i.kind == "email")


def send_notice(
    session: Session, runtime: Runtime, ticket: Ticket, event: str, **context: Any
) -> Message | None:
    """Queue the ``event`` notice to the ticket's contact; None (with the
    reason in the audit trail) when it cannot or may not be sent."""
    now = runtime.now()
    found = _recipient(session, runtime, ticket)
    if isinstance(found, str):
        _skipped(session, ticket, event, found, now)
        return None
    channel, identity = found
    if notify.is_throttled(session, runtime, identity.value):
        _skipped(session, ticket, event, "automatic message limit per hour reached", now)
        return None
    contact = session.get(Contact, ticket.contact_id) if ticket.contact_id else None
    base: dict[str, Any] = {
        "number": ticket.number,
        "name": (contact.name if contact else "") or "",
        "status_url": notify.status_url(runtime, ticket),
        "desk": ticket.audience,
    }
    rendered = template_store.render(
        session,
        event,
        ticket.language,
        region_code=ticket.region_code,
        sms=channel == Channel.SMS,
        **{**base, **context},
    )
    try:
        if channel == Channel.SMS:
            message = notify._queue_sms(
                session,
                runtime,
                ticket,
                kind=event,
                to=identity.value,
                text=rendered.text,
                is_automatic=True,
            )
        else:
            message = notify._queue_email(
                session,
                runtime,
                ticket,
                kind=event,
                to=identity.value,
                to_name=base["name"],
                subject=rendered.subject,
                text=rendered.text,
                is_automatic=True,
            )
    except DeliveryRefusedError as exc:
        _skipped(session, ticket, event, exc.message, now)
        return None
    audit.record(
        session,
        ticket.id,
        audit.SYSTEM,
        audit_kind(event),
        "",
        {"sent": True, "channel": channel, "message_id": message.id},
        at=now,
    )
    return message


def _skipped(session: Session, ticket: Ticket, event: str, reason: str, now: datetime) -> None:
    audit.record(
        session, ticket.id, audit.SYSTEM, audit_kind(event), reason, {"sent": False}, at=now
    )
    logger.info("notice %s for ticket %s not sent: %s", event, ticket.id, reason)


def tell_forwarded(session: Session, runtime: Runtime, ticket: Ticket) -> Message | None:
    """After a forward: tell an applicant that an institution now has their
    question (forwards between desks are not news to them)."""
    if ticket.audience != "applicant" or ticket.organization_id is None:
        return None
    organization = session.get(Organization, ticket.organization_id)
    if organization is None or organization.kind not in INSTITUTION_KINDS:
        return None
    return send_notice(
        session,
        runtime,
        ticket,
        "ticket_forwarded",
        organization=organization.name(ticket.language),
    )
