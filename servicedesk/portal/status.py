"""The applicant's view of one ticket, reached only by its status token.

The token is the ticket's secret (``secrets.token_urlsafe(24)``: 192
random bits, see ``intake.apply``).  Everything here starts from it and
reads only that ticket: its public thread (inbound and outbound messages
marked public; never internal notes, notifications or messages waiting
for review), the identity a new message is sent with, and "my question
is answered".  No Flask here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from servicedesk import tickets
from servicedesk.audit import Actor
from servicedesk.lifecycle import ACTIVE, TicketStatus
from servicedesk.models import (
    Contact,
    ContactIdentity,
    Message,
    Organization,
    Ticket,
)

TOKEN = re.compile(r"^[A-Za-z0-9_-]{22,64}$")
MAX_MERGE_HOPS = 5


@dataclass(frozen=True, slots=True)
class Identity:
    """How the contact is known to the pipeline (so a message joins)."""

    email: str | None
    phone: str | None

    @property
    def label(self) -> str:
        return self.email or self.phone or ""


def find_ticket(session: Session, token: str) -> Ticket | None:
    """The ticket of this token; a ticket merged into another ticket of the
    same contact shows that one (it is the same conversation), a merge into
    someone else's ticket does not."""
    if not TOKEN.match(token or ""):
        return None
    ticket = session.execute(
        select(Ticket).where(Ticket.status_token == token)
    ).scalar_one_or_none()
    for _ in range(MAX_MERGE_HOPS):
        if ticket is None or ticket.merged_into_id is None:
            break
        target = session.get(Ticket, ticket.merged_into_id)
        if target is None or target.contact_id is None or target.contact_id != ticket.contact_id:
            break
        ticket = target
    return ticket


def is_merged_away(ticket: Ticket) -> bool:
    """Merged into a ticket we do not show (another contact's)."""
    return ticket.merged_into_id is not None


def public_thread(session: Session, ticket: Ticket) -> list[Message]:
    return list(
        session.execute(
            select(Message)
            .options(selectinload(Message.attachments))
            .where(
                Message.ticket_id == ticket.id,
                Message.is_public.is_(True),
                Message.needs_review.is_(False),
                Message.direction.in_(("inbound", "outbound")),
            )
            .order_by(Message.created_at, Message.id)
        ).scalars()
    )


def organization_name(session: Session, ticket: Ticket, language: str) -> str:
    if ticket.organization_id is None:
        return ""
    organization = session.get(Organization, ticket.organization_id)
    return organization.name(language) if organization else ""


def identity(session: Session, ticket: Ticket) -> Identity | None:
    """The contact's email and phone, or None when the ticket has no
    contact to write as (then the page offers no message form)."""
    if ticket.contact_id is None:
        return None
    rows = session.execute(
        select(ContactIdentity)
        .where(ContactIdentity.contact_id == ticket.contact_id)
        .order_by(ContactIdentity.id)
    ).scalars()
    email = phone = None
    for row in rows:
        if row.kind == "email" and email is None:
            email = row.value
        elif row.kind == "phone" and phone is None:
            phone = row.value
    if email is None and phone is None:
        return None
    return Identity(email=email, phone=phone)


def contact_name(session: Session, ticket: Ticket) -> str:
    contact = session.get(Contact, ticket.contact_id) if ticket.contact_id else None
    return contact.name if contact else ""


def is_closed(ticket: Ticket) -> bool:
    return ticket.status == TicketStatus.CLOSED


def can_mark_answered(ticket: Ticket) -> bool:
    return TicketStatus(ticket.status) in ACTIVE and not is_merged_away(ticket)


def thread_subject(ticket: Ticket) -> str:
    """The subject a status-page message carries: the ticket tag, which
    ``find_thread`` follows when the sender is the ticket's contact."""
    return f"[#{ticket.number}]"


def contact_actor(who: Identity | None, name: str) -> Actor:
    who_text = f"{name} <{who.label}>" if name and who else (who.label if who else name)
    return Actor(f"{who_text or 'the contact'} (contact, on the status page)"[:200])


def mark_answered(
    session: Session, ticket: Ticket, who: Identity | None, name: str, now: datetime
) -> None:
    """Status → resolved through ``tickets.change_status``, audited as the
    contact.  The caller commits."""
    tickets.change_status(
        session,
        ticket,
        TicketStatus.RESOLVED,
        None,
        "the contact said on the status page that the question is answered",
        now,
        actor=contact_actor(who, name),
    )
