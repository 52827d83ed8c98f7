"""Everything the ticket page shows, gathered in a few queries: the whole
conversation across channels in time order (each message with its author,
delivery state, attachments and call record; quoted mail history split off
for folding), and the side panel (the contact with every identity, their
other tickets the user may see, links, routing reasons, the audit trail)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, defer, selectinload

from channels.email.quote import split_quoted
from servicedesk import access
from servicedesk import tickets as ticket_ops
from servicedesk.console.reasons import reason_texts
from servicedesk.models import (
    Attachment,
    AuditEvent,
    CallRecord,
    Contact,
    ContactIdentity,
    Message,
    Municipality,
    OutboxItem,
    OutboxStatus,
    Region,
    Ticket,
    TicketLink,
    User,
)

OTHER_TICKETS_SHOWN = 50


@dataclass
class Entry:
    """One message of the conversation as the page shows it."""

    message: Message
    author: str
    text: str
    quoted: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    call: CallRecord | None = None
    can_retry: bool = False

    @property
    def is_note(self) -> bool:
        return self.message.direction == "note"

    @property
    def is_automatic(self) -> bool:
        return self.message.auto_kind not in {"none", ""}


@dataclass
class Related:
    kind: str
    ticket: Ticket
    outgoing: bool  # this ticket → other


@dataclass
class TicketPage:
    ticket: Ticket
    entries: list[Entry]
    contact: Contact | None
    identities: list[ContactIdentity]
    municipality: str | None
    region: str | None
    other_tickets: list[Ticket]
    related: list[Related]
    events: list[AuditEvent]
    reasons: list[str]
    is_active: bool
    is_overdue: bool
    orphan_calls: list[CallRecord] = field(default_factory=list)
    recorded_calls: set[int] = field(default_factory=set)

    def has_identity(self, kind: str) -> bool:
        return any(i.kind == kind for i in self.identities)

    @property
    def newest_from_contact(self) -> int:
        """The id of the newest message from the contact on the page (0 for
        none): the reply and status forms carry it, so an answer written
        while the contact wrote again is not sent unread (``console.actions``)."""
        inbound = (e.message.id for e in self.entries if e.message.direction == "inbound")
        return max(inbound, default=0)

    @property
    def first_from_contact(self) -> str:
        """The text of the contact's first message ("" for none), which the
        knowledge-base suggestions read with the subject."""
        inbound = [e.message for e in self.entries if e.message.direction == "inbound"]
        return min(inbound, key=lambda m: m.id).body_text if inbound else ""

    @property
    def sms_opted_out(self) -> bool:
        phones = [i for i in self.identities if i.kind == "phone"]
        return bool(phones) and all(i.is_opted_out for i in phones)


def _author(message: Message, contact: Contact | None) -> str:
    if message.author is not None:
        return message.author.name
    if message.direction == "inbound":
        name = message.sender_name or (contact.name if contact else "")
        if name and message.sender and name != message.sender:
            return f"{name} <{message.sender}>"
        return name or message.sender
    return message.sender_name or message.sender or "system"


def entries(
    session: Session, ticket: Ticket, contact: Contact | None, calls: list[CallRecord]
) -> list[Entry]:
    messages = list(
        session.execute(
            select(Message)
            .where(Message.ticket_id == ticket.id)
            .options(selectinload(Message.author))
            .order_by(Message.created_at, Message.id)
        ).scalars()
    )
    ids = [m.id for m in messages]
    attachments: dict[int, list[Attachment]] = {}
    call_of = {c.message_id: c for c in calls if c.message_id is not None}
    failed: set[int] = set()
    if ids:
        for a in session.execute(
            select(Attachment)
            .where(Attachment.message_id.in_(ids), Attachment.deleted_at.is_(None))
            .order_by(Attachment.id)
        ).scalars():
            attachments.setdefault(a.message_id, []).append(a)
        failed = {
            message_id
            for message_id in session.execute(
                select(OutboxItem.message_id).where(
                    OutboxItem.message_id.in_(ids), OutboxItem.status == OutboxStatus.FAILED
                )
            ).scalars()
            if message_id is not None
        }
    result = []
    for m in messages:
        # Only mail carries quoted history; an SMS or a note is shown whole.
        text, quoted = (
            split_quoted(m.body_text)
            if m.channel == "email" and m.direction == "inbound"
            else (m.body_text, "")
        )
        result.append(
            Entry(
                message=m,
                author=_author(m, contact),
                text=text.strip("\n"),
                quoted=quoted.strip("\n"),
                attachments=attachments.get(m.id, []),
                call=call_of.get(m.id),
                can_retry=m.id in failed,
            )
        )
    return result


def _related(session: Session, ticket: Ticket, user: User) -> list[Related]:
    links = session.execute(
        select(TicketLink).where(
            or_(TicketLink.ticket_id == ticket.id, TicketLink.other_ticket_id == ticket.id)
        )
    ).scalars()
    pairs = [
        (
            link.kind,
            link.other_ticket_id if link.ticket_id == ticket.id else link.ticket_id,
            link.ticket_id == ticket.id,
        )
        for link in links
    ]
    others = (
        {
            t.id: t
            for t in session.execute(
                select(Ticket)
                .where(Ticket.id.in_([p[1] for p in pairs]), access.visible(user))
                .options(defer(Ticket.routing))
            ).scalars()
        }
        if pairs
        else {}
    )
    seen: set[tuple[str, int]] = set()
    related = []
    for kind, other_id, outgoing in pairs:
        if other_id in others and (kind, other_id) not in seen:
            seen.add((kind, other_id))
            related.append(Related(kind, others[other_id], outgoing))
    return related


def build(session: Session, ticket: Ticket, user: User, now: datetime) -> TicketPage:
    contact = session.get(Contact, ticket.contact_id) if ticket.contact_id else None
    identities = (
        list(
            session.execute(
                select(ContactIdentity)
                .where(ContactIdentity.contact_id == contact.id)
                .order_by(ContactIdentity.id)
            ).scalars()
        )
        if contact
        else []
    )
    code = (contact.municipality_code if contact else None) or ticket.municipality_code
    # The municipality with its region, mostly the ticket's own: then one
    # statement reads both.
    found = (
        session.execute(
            select(Municipality, Region)
            .outerjoin(Region, Region.code == Municipality.region_code)
            .where(Municipality.code == code)
        ).first()
        if code
        else None
    )
    municipality = found[0] if found else None
    region = session.get(Region, ticket.region_code) if ticket.region_code else None
    others = (
        list(
            session.execute(
                select(Ticket)
                .where(
                    Ticket.contact_id == contact.id, Ticket.id != ticket.id, access.visible(user)
                )
                .options(defer(Ticket.routing))  # this ticket's explanation only
                .order_by(Ticket.id.desc())
                .limit(OTHER_TICKETS_SHOWN)
            ).scalars()
        )
        if contact
        else []
    )
    active = ticket_ops.is_active(ticket)
    # The calls, and which have a stored recording, without loading the audio.
    rows = session.execute(
        select(CallRecord, CallRecord.recording_data.is_not(None))
        .where(CallRecord.ticket_id == ticket.id)
        .order_by(CallRecord.id)
    ).all()
    calls = [call for call, _has_audio in rows]
    recorded = {call.id for call, has_audio in rows if has_audio}
    thread = entries(session, ticket, contact, calls)
    in_thread = {e.message.id for e in thread}
    orphans = [c for c in calls if c.message_id is None or c.message_id not in in_thread]
    return TicketPage(
        ticket=ticket,
        entries=thread,
        contact=contact,
        identities=identities,
        municipality=(
            f"{municipality.name_fi} / {municipality.name_sv}"
            if municipality and municipality.name_sv != municipality.name_fi
            else municipality.name_fi
            if municipality
            else None
        ),
        region=region.name_fi if region else None,
        other_tickets=others,
        related=_related(session, ticket, user),
        events=ticket_ops.events(session, ticket.id),
        reasons=reason_texts(ticket.routing),
        is_active=active,
        is_overdue=bool(active and ticket.due_at is not None and ticket.due_at < now),
        orphan_calls=orphans,
        recorded_calls=recorded,
    )
