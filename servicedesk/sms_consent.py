"""Whether a phone number may be sent SMS: opting out and back in.

A number is opted out when its owner sends one of Twilio's STOP words (the
intake pipeline), or when Twilio refuses a send with error 21610 (the
number is blocked on Twilio's side, whatever we knew).  It is opted back
in by a START word.  The flag lives on the phone ``ContactIdentity``; each
change writes an audit event on the contact's latest ticket, so agents see
why their SMS replies are refused.  Nothing here sends anything.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from servicedesk import audit
from servicedesk.models import ContactIdentity, Ticket

OPTED_OUT = "sms_opted_out"
OPTED_IN = "sms_opted_in"


def phone_identity(session: Session, number: str) -> ContactIdentity | None:
    """The phone identity for an E.164 number, if any contact has it."""
    return session.execute(
        select(ContactIdentity).where(
            ContactIdentity.kind == "phone", ContactIdentity.value == number
        )
    ).scalar_one_or_none()


def latest_ticket_id(session: Session, contact_id: int) -> int | None:
    return session.execute(
        select(Ticket.id)
        .where(Ticket.contact_id == contact_id, Ticket.merged_into_id.is_(None))
        .order_by(Ticket.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def opt_out(
    session: Session,
    identity: ContactIdentity,
    *,
    at: datetime,
    reason: str,
    actor: audit.Actor = audit.INTAKE,
) -> bool:
    """Mark the number opted out; False when it already was (no new event)."""
    if identity.sms_opted_out_at is not None:
        return False
    identity.sms_opted_out_at = at
    audit.record(
        session,
        latest_ticket_id(session, identity.contact_id),
        actor,
        OPTED_OUT,
        reason,
        {"number": identity.value},
        at=at,
    )
    return True


def opt_in(
    session: Session,
    identity: ContactIdentity,
    *,
    at: datetime,
    reason: str,
    actor: audit.Actor = audit.INTAKE,
) -> bool:
    """Clear the opt-out; False when the number was not opted out."""
    if identity.sms_opted_out_at is None:
        return False
    identity.sms_opted_out_at = None
    audit.record(
        session,
        latest_ticket_id(session, identity.contact_id),
        actor,
        OPTED_IN,
        reason,
        {"number": identity.value},
        at=at,
    )
    return True


def is_opted_out(session: Session, number: str) -> bool:
    identity = phone_identity(session, number)
    return identity is not None and identity.is_opted_out
