"""``SqlLookups``: the read side the intake filters use, on one session."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from channels.message import Channel
from routing import Candidate, Directory
from servicedesk import directory_store
from servicedesk.intake.envelope import ContactRef, TicketRef, UserRef
from servicedesk.lifecycle import ACTIVE
from servicedesk.models import (
    CallRecord,
    Contact,
    ContactIdentity,
    Message,
    QueueMember,
    Ticket,
    User,
)
from servicedesk.settings import Settings

#: How many merges a ticket number is followed through (A into B, B into C).
MERGE_HOPS = 10


def bare_ids(message_ids: Sequence[str]) -> list[str]:
    """Message-IDs as stored (``email_message_id``): without <>, none empty."""
    return [m.strip("<> ") for m in message_ids if m.strip("<> ")]


def _ticket_ref(ticket: Ticket | None) -> TicketRef | None:
    if ticket is None:
        return None
    return TicketRef(
        id=ticket.id,
        number=ticket.number,
        status=ticket.status,
        audience=ticket.audience,
        contact_id=ticket.contact_id,
        organization_id=ticket.organization_id,
        queue_id=ticket.queue_id,
        region=ticket.region_code,
        updated_at=ticket.updated_at,
    )


class SqlLookups:
    def __init__(self, session: Session, settings: Settings) -> None:
        self.session = session
        self.settings = settings

    def directory(self) -> Directory:
        return directory_store.current(self.session)

    def desk_audience(self, channel: str, recipient: str) -> str | None:
        recipient = (recipient or "").strip().lower()
        if not recipient:
            return None
        s = self.settings
        if channel == Channel.EMAIL:
            if recipient == s.staff_mail_address:
                return "staff"
            if recipient == s.mail_from:
                return "applicant"
        if channel in {Channel.SMS, Channel.PHONE}:
            if recipient in {s.staff_sms_number, s.staff_phone_number}:
                return "staff"
            if recipient in {s.sms_number, s.phone_number}:
                return "applicant"
        return None

    def own_message_domain(self) -> str:
        return self.settings.mail_domain

    def has_message(self, channel: str, external_id: str) -> bool:
        found = self.session.execute(
            select(Message.id).where(Message.channel == channel, Message.external_id == external_id)
        ).first()
        return found is not None

    def fingerprint_of(self, channel: str, external_id: str) -> str | None:
        return self.session.execute(
            select(Message.fingerprint).where(
                Message.channel == channel, Message.external_id == external_id
            )
        ).scalar_one_or_none()

    def contact_by_identity(self, kind: str, value: str) -> ContactRef | None:
        # The contact's row stays locked until this intake commits: a
        # second message of the same person taken in at the same moment (two
        # texts in a row, posted by Twilio at once) waits here, and then
        # finds the ticket the first one made instead of making another.
        contact = self.session.execute(
            select(Contact)
            .join(ContactIdentity, ContactIdentity.contact_id == Contact.id)
            .where(ContactIdentity.kind == kind, ContactIdentity.value == value)
            .with_for_update(of=Contact)
        ).scalar_one_or_none()
        if contact is None:
            return None
        return ContactRef(
            id=contact.id,
            region=contact.region_code,
            municipality=contact.municipality_code,
            staff_organization_id=contact.staff_organization_id,
            language=contact.language,
        )

    def user_by_email(self, email: str) -> UserRef | None:
        user = self.session.execute(
            select(User).where(func.lower(User.email) == email.lower(), User.is_active)
        ).scalar_one_or_none()
        if user is None:
            return None
        return UserRef(id=user.id, role=user.role, organization_id=user.organization_id)

    def _joined(self, query: Select[Ticket]) -> TicketRef | None:
        """The ticket ``query`` finds, locked until this intake commits, or,
        when an agent merged it, the one it was merged into (locked too):
        the conversation goes on there.  The lock makes a merge being done
        meanwhile wait for this message, or this message wait for the merge
        and then follow it (``ticket_links.merge`` locks both tickets)."""
        ticket = self._locked(query)
        for _hop in range(MERGE_HOPS):
            if ticket is None or ticket.merged_into_id is None:
                break
            ticket = self._locked(select(Ticket).where(Ticket.id == ticket.merged_into_id))
        return _ticket_ref(ticket)

    def _locked(self, query: Select[Ticket]) -> Ticket | None:
        # populate_existing: a ticket already in the session is read again,
        # as the lock left it (merged meanwhile, say).
        return self.session.execute(
            query.with_for_update(of=Ticket).execution_options(populate_existing=True)
        ).scalar_one_or_none()

    def ticket_by_number(self, number: str) -> TicketRef | None:
        return self._joined(select(Ticket).where(Ticket.number == number))

    def ticket_by_email_message_id(self, message_ids: Sequence[str]) -> TicketRef | None:
        ids = bare_ids(message_ids)
        if not ids:
            return None
        return self._joined(
            select(Ticket)
            .join(Message, Message.ticket_id == Ticket.id)
            .where(Message.email_message_id.in_(ids))
            .order_by(Message.id.desc())
            .limit(1)
        )

    def was_sent_to(self, ticket_id: int, address: str, message_ids: Sequence[str]) -> bool:
        ids = bare_ids(message_ids)
        if not ids or not address:
            return False
        found = self.session.execute(
            select(Message.id)
            .where(
                Message.ticket_id == ticket_id,
                Message.direction == "outbound",
                Message.channel == Channel.EMAIL,
                Message.email_message_id.in_(ids),
                func.lower(Message.recipient) == address.strip().lower(),
            )
            .limit(1)
        ).first()
        return found is not None

    def latest_ticket_of_contact(
        self, contact_id: int, *, audience: str | None = None
    ) -> TicketRef | None:
        query = select(Ticket).where(
            Ticket.contact_id == contact_id, Ticket.merged_into_id.is_(None)
        )
        if audience is not None:
            query = query.where(Ticket.audience == audience)
        return self._joined(query.order_by(Ticket.id.desc()).limit(1))

    def previous_region(self, contact_id: int) -> str | None:
        return self.session.execute(
            select(Ticket.region_code)
            .where(Ticket.contact_id == contact_id, Ticket.region_code.is_not(None))
            .order_by(Ticket.id.desc())
            .limit(1)
        ).scalar_one_or_none()

    def ticket_by_call_sid(self, call_sid: str) -> TicketRef | None:
        return self._joined(
            select(Ticket)
            .join(CallRecord, CallRecord.ticket_id == Ticket.id)
            .where(CallRecord.call_sid == call_sid)
        )

    def assignment_candidates(self, queue_id: str) -> Sequence[Candidate]:
        """The queue's active members with their queues and how many active
        tickets each holds: three statements however many members, and the
        counts read only the members' own tickets (an index range each)."""
        members = list(
            self.session.execute(
                select(User)
                .join(QueueMember, QueueMember.user_id == User.id)
                .where(QueueMember.queue_id == queue_id, User.is_active)
                .order_by(User.id)
            ).scalars()
        )
        if not members:
            return []
        ids = [user.id for user in members]
        queues: dict[int, list[str]] = {user_id: [] for user_id in ids}
        for user_id, member_of in self.session.execute(
            select(QueueMember.user_id, QueueMember.queue_id)
            .where(QueueMember.user_id.in_(ids))
            .order_by(QueueMember.queue_id)
        ):
            queues[user_id].append(member_of)
        open_tickets = {
            assignee: count
            for assignee, count in self.session.execute(
                select(Ticket.assignee_id, func.count(Ticket.id))
                .where(Ticket.assignee_id.in_(ids), Ticket.status.in_([s.value for s in ACTIVE]))
                .group_by(Ticket.assignee_id)
            )
        }
        return [
            Candidate(
                user_id=str(user.id),
                queue_ids=tuple(queues[user.id]),
                topics=tuple(user.topics or ()),
                languages=tuple(user.languages or ()),
                open_tickets=open_tickets.get(user.id, 0),
                available=bool(user.is_available),
            )
            for user in members
        ]

    def sms_thread_days(self) -> int:
        return self.settings.sms_thread_days
