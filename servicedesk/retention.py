"""Data retention and erasure (GDPR): personal data goes, statistics stay.

The retention job takes the closed tickets of each desk whose closing is
older than the desk's ``retention_months`` (``desk_policies``; 24 by
default) and removes what identifies a person: message bodies (replaced by
a note), subjects and addresses, attachment files, call numbers and
recordings, the raw inbound records, survey comments, free-text audit
reasons and personal values in audit data, and the link from the ticket to
its contact.  A contact left without tickets loses its name and every
email address and phone number.  What reports count stays: the ticket's
desk, channel, topic, language, region, queue, organisation, status and
timestamps, and each message's direction, channel and time.  Each ticket
gets a ``ticket_redactions`` row and an audit event with the counts.

Erasure on request (``erase_contact``) does the same at once for every
ticket of one contact, closing the open ones, and is audited too.

Attachment files are content-addressed, so one file can back attachments
of several tickets: a file is deleted only when no attachment row that is
still in use has its key, checked again after the commit
(``delete_files``), so a rolled-back run never loses a file; and an
intake storing the same content at that moment is waited for
(``file_holds``), so its new attachment keeps its file.
"""

from __future__ import annotations

import calendar
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import Session

from servicedesk import audit, desk_policies, file_holds, retention_runs
from servicedesk.errors import NotFoundError
from servicedesk.intake.filters import normalise_email, normalise_phone
from servicedesk.lifecycle import ACTIVE, TicketStatus
from servicedesk.models import (
    AnnouncementDelivery,
    Attachment,
    AuditEvent,
    CallRecord,
    Contact,
    ContactIdentity,
    IntakeRecord,
    Message,
    OutboxItem,
    Survey,
    Ticket,
    TicketRedaction,
    User,
)
from servicedesk.runtime import Runtime
from servicedesk.storage import Storage

logger = logging.getLogger(__name__)

BATCH = 500
NOTES = {
    "retention": {
        "fi": "[Viestin sisältö on poistettu säilytysajan päätyttyä.]",
        "sv": "[Meddelandets innehåll har raderats efter lagringstiden.]",
        "en": "[The content of this message was removed when its retention period ended.]",
    },
    "erasure": {
        "fi": "[Viestin sisältö on poistettu henkilön pyynnöstä.]",
        "sv": "[Meddelandets innehåll har raderats på personens begäran.]",
        "en": "[The content of this message was removed at the person's request.]",
    },
}
OUR_ACTORS = frozenset({"system", "intake", "routing", "api"})
PERSONAL_KEYS = frozenset({"number", "address", "email", "phone", "name", "to", "sender"})


@dataclass(frozen=True, slots=True)
class RetentionReport:
    """What a run removed (or, dry, would remove)."""

    dry_run: bool
    cutoffs: dict[str, datetime]
    tickets: list[str] = field(default_factory=list)  # ticket numbers
    counts: dict[str, int] = field(default_factory=dict)
    storage_keys: list[str] = field(default_factory=list)  # files to delete after commit

    def lines(self) -> list[str]:
        verb = "would anonymise" if self.dry_run else "anonymised"
        lines = [
            f"{desk}: closed before {cutoff:%Y-%m-%d}" for desk, cutoff in self.cutoffs.items()
        ]
        lines.append(f"{verb} {len(self.tickets)} ticket(s)")
        lines += [f"  {name}: {count}" for name, count in sorted(self.counts.items()) if count]
        return lines


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` calendar months earlier (clamped to
    the month's last day)."""
    total = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(total, 12)
    month += 1
    last_day = calendar.monthrange(year, month)[1]
    return moment.replace(year=year, month=month, day=min(moment.day, last_day))


def due_tickets(session: Session, desk: str, cutoff: datetime, limit: int) -> list[Ticket]:
    """Closed tickets of a desk, closed before ``cutoff``, not yet anonymised."""
    return list(
        session.execute(
            select(Ticket)
            .where(
                Ticket.audience == desk,
                Ticket.status == TicketStatus.CLOSED,
                Ticket.closed_at < cutoff,
                ~exists().where(TicketRedaction.ticket_id == Ticket.id),
            )
            .order_by(Ticket.id)
            .limit(limit)
        ).scalars()
    )


def _clean_data(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in (data or {}).items() if k not in PERSONAL_KEYS}


def _redact_messages(
    session: Session, messages: list[Message], note: str, now: datetime
) -> tuple[int, int, set[str]]:
    """Bodies, addresses and attachments of some messages; (messages,
    attachments, storage keys)."""
    keys: set[str] = set()
    attachments = 0
    for message in messages:
        message.body_text = note
        message.body_html = None
        message.subject = ""
        message.author_contact_id = None
        if message.direction == "inbound":
            message.sender, message.sender_name = "", ""
        elif message.direction == "outbound":
            message.recipient = ""
        for attachment in message.attachments:
            if attachment.deleted_at is None:
                attachment.deleted_at = now
                attachments += 1
            attachment.filename = ""
            keys.add(attachment.storage_key)
    return len(messages), attachments, keys


def redact_ticket(
    session: Session, ticket: Ticket, *, reason: str, actor: audit.Actor, now: datetime
) -> tuple[Counter[str], set[str]]:
    """Remove a ticket's personal data; (counts, storage keys to check)."""
    note = NOTES[reason].get(ticket.language, NOTES[reason]["fi"])
    counts: Counter[str] = Counter(tickets=1)
    messages = list(
        session.execute(select(Message).where(Message.ticket_id == ticket.id)).scalars()
    )
    counts["messages"], counts["attachments"], keys = _redact_messages(session, messages, note, now)
    for call in session.execute(
        select(CallRecord).where(CallRecord.ticket_id == ticket.id)
    ).scalars():
        call.from_number = call.to_number = ""
        call.municipality_heard = call.recording_url = None
        call.recording_data = None
        call.notes = ""
        counts["call_records"] += 1
    counts["outbox_items"] = session.execute(
        update(OutboxItem)
        .where(OutboxItem.ticket_id == ticket.id)
        .values(to_address="", payload={"removed": reason}, last_error=None)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    counts["intake_records"] = session.execute(
        update(IntakeRecord)
        .where(IntakeRecord.ticket_id == ticket.id)
        .values(raw=b"", error=None)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    counts["surveys"] = session.execute(
        update(Survey)
        .where(Survey.ticket_id == ticket.id, Survey.comment != "")
        .values(comment="")
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    for event in session.execute(
        select(AuditEvent).where(AuditEvent.ticket_id == ticket.id)
    ).scalars():
        if event.actor_user_id is None and event.actor not in OUR_ACTORS:
            event.actor = "the contact"
        event.reason = ""
        event.data = _clean_data(event.data)
        counts["audit_events"] += 1
    ticket.subject = ""
    ticket.municipality_code = None
    ticket.contact_id = None
    # The details hold the same words as the reasons (names, places, hints).
    ticket.routing = {
        k: v for k, v in (ticket.routing or {}).items() if k not in ("reasons", "details")
    }
    session.add(
        TicketRedaction(ticket_id=ticket.id, reason=reason, summary=dict(counts), redacted_at=now)
    )
    audit.record(
        session,
        ticket.id,
        actor,
        "personal_data_removed",
        "retention period ended" if reason == "retention" else "erased at the person's request",
        dict(counts),
        at=now,
    )
    return counts, keys


def anonymise_contact(session: Session, contact: Contact, now: datetime) -> None:
    """A contact without tickets: no name, no addresses, no place."""
    for identity in list(contact.identities):
        session.delete(identity)
    session.execute(
        update(AnnouncementDelivery)
        .where(AnnouncementDelivery.contact_id == contact.id)
        .values(address=None, contact_id=None)
        .execution_options(synchronize_session=False)
    )
    contact.name = ""
    contact.municipality_code = None
    contact.anonymized_at = now


def _orphaned_contacts(session: Session, contact_ids: set[int], now: datetime) -> int:
    done = 0
    for contact_id in sorted(contact_ids):
        # Locked before their tickets are counted: a ticket their message
        # being taken in now makes is seen, not anonymised away from them.
        contact = session.get(Contact, contact_id, with_for_update=True)
        if session.execute(
            select(Ticket.id).where(Ticket.contact_id == contact_id).limit(1)
        ).first():
            continue
        if contact is not None and contact.anonymized_at is None:
            anonymise_contact(session, contact, now)
            done += 1
    return done


def run(
    session: Session,
    now: datetime,
    *,
    dry_run: bool = False,
    limit: int = BATCH,
    actor: audit.Actor = audit.SYSTEM,
) -> RetentionReport:
    """Anonymise up to ``limit`` tickets per desk whose retention ended.
    The caller commits and then calls ``delete_files`` with the report's
    storage keys."""
    cutoffs = {
        p.desk: months_before(now, p.retention_months) for p in desk_policies.all_policies(session)
    }
    due = [t for desk, cutoff in cutoffs.items() for t in due_tickets(session, desk, cutoff, limit)]
    if dry_run:
        messages = session.execute(
            select(func.count(Message.id)).where(Message.ticket_id.in_([t.id for t in due]))
        ).scalar_one()
        counts = {"tickets": len(due), "messages": messages}
        return RetentionReport(True, cutoffs, [t.number for t in due], counts)
    total: Counter[str] = Counter()
    keys: set[str] = set()
    contacts = {t.contact_id for t in due if t.contact_id is not None}
    for ticket in due:
        counts, found = redact_ticket(session, ticket, reason="retention", actor=actor, now=now)
        total += counts
        keys |= found
    session.flush()
    total["contacts"] = _orphaned_contacts(session, contacts, now)
    if due:
        logger.info("retention: anonymised %d tickets", len(due))
    return RetentionReport(False, cutoffs, [t.number for t in due], dict(total), sorted(keys))


def delete_files(session: Session, storage: Storage, keys: list[str]) -> int:
    """After commit: delete the files no attachment in use still needs."""
    if not keys:
        return 0
    digests = set(
        session.execute(select(Attachment.sha256).where(Attachment.storage_key.in_(keys))).scalars()
    )
    # An intake storing the same content holds its digest until it commits
    # (``file_holds``): waited for here, its attachment is in use below.
    # In one order, so two erasures at once cannot deadlock.
    for digest in sorted(digests):
        file_holds.claim_for_deleting(session, digest)
    in_use = set(
        session.execute(
            select(Attachment.storage_key).where(
                Attachment.storage_key.in_(keys), Attachment.deleted_at.is_(None)
            )
        ).scalars()
    )
    deleted = 0
    for key in keys:
        if key not in in_use:
            storage.delete(key)
            deleted += 1
    return deleted


def run_recorded(
    session: Session,
    storage: Storage,
    now: datetime,
    *,
    actor: audit.Actor = audit.SYSTEM,
    limit: int = BATCH,
) -> RetentionReport:
    """A run and its record, whoever runs it (the job, the command line,
    the console): anonymise, write the ``retention_run`` event in the same
    transaction, commit, delete the files no longer needed and note their
    count on the event (committed again)."""
    report = run(session, now, actor=actor, limit=limit)
    event = retention_runs.record(
        session,
        actor=actor,
        now=now,
        cutoffs=report.cutoffs,
        numbers=report.tickets,
        counts=report.counts,
    )
    session.commit()
    deleted = delete_files(session, storage, report.storage_keys)
    report.counts["files_deleted"] = deleted
    retention_runs.note_files_deleted(event, deleted)
    session.commit()
    return report


def run_job(
    runtime: Runtime, *, dry_run: bool = False, actor: audit.Actor = audit.SYSTEM
) -> RetentionReport:
    """The periodic job (and ``servicedesk retention run``)."""
    with runtime.db.session() as session:
        if dry_run:
            report = run(session, runtime.now(), dry_run=True)
            session.rollback()
            return report
        return run_recorded(session, runtime.storage, runtime.now(), actor=actor)


def requested_by(session: Session, email: str | None) -> audit.Actor:
    """Who asked for an export or erasure: a console user, or the command line."""
    if not email:
        return audit.Actor("command line")
    user = session.execute(
        select(User).where(User.email == email.strip().lower())
    ).scalar_one_or_none()
    if user is None:
        raise NotFoundError(f"no user {email}", field="by")
    return audit.Actor.of(user)


def find_contact(session: Session, identifier: str, *, lock: bool = False) -> Contact | None:
    """The contact known by an email address or a phone number; with
    ``lock``, their row is locked until the caller's transaction ends."""
    identifier = identifier.strip()
    if "@" in identifier:
        kind, value = "email", normalise_email(identifier)
    else:
        kind, value = "phone", normalise_phone(identifier)
    if value is None:
        return None
    query = (
        select(Contact)
        .join(ContactIdentity, ContactIdentity.contact_id == Contact.id)
        .where(ContactIdentity.kind == kind, ContactIdentity.value == value)
    )
    if lock:
        query = query.with_for_update(of=Contact)
    return session.execute(query).scalar_one_or_none()


def erase_contact(
    session: Session, identifier: str, *, actor: audit.Actor, now: datetime
) -> RetentionReport:
    """Erase everything personal about one contact, now: every ticket of
    theirs is closed (if open) and anonymised, their messages elsewhere too,
    and the contact itself.  The caller commits, then ``delete_files``."""
    # The contact's row first, as the intake takes it (lookups.
    # contact_by_identity): a message of theirs being taken in now is
    # waited for and erased with the rest, and neither side waits on a
    # ticket the other holds while holding the contact (a deadlock).
    contact = find_contact(session, identifier, lock=True)
    if contact is None:
        raise NotFoundError("no contact with that email address or phone number")
    addresses = [i.value for i in contact.identities]
    tickets = list(
        session.execute(
            select(Ticket).where(Ticket.contact_id == contact.id).order_by(Ticket.id)
        ).scalars()
    )
    total: Counter[str] = Counter()
    keys: set[str] = set()
    for ticket in tickets:
        if ticket.status in {s.value for s in ACTIVE} | {TicketStatus.RESOLVED.value}:
            audit.record(
                session,
                ticket.id,
                actor,
                "status_changed",
                "closed: the person asked for erasure",
                {"from": ticket.status, "to": TicketStatus.CLOSED.value},
                at=now,
            )
            ticket.status, ticket.closed_at, ticket.updated_at = TicketStatus.CLOSED, now, now
        if session.get(TicketRedaction, ticket.id) is None:
            counts, found = redact_ticket(session, ticket, reason="erasure", actor=actor, now=now)
            total += counts
            keys |= found
    elsewhere = list(
        session.execute(select(Message).where(Message.author_contact_id == contact.id)).scalars()
    )
    messages, attachments, found = _redact_messages(session, elsewhere, NOTES["erasure"]["en"], now)
    total["messages"] += messages
    total["attachments"] += attachments
    keys |= found
    if addresses:
        total["outbox_items"] += session.execute(
            update(OutboxItem)
            .where(OutboxItem.to_address.in_(addresses))
            .values(to_address="", payload={"removed": "erasure"}, last_error=None)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
    session.flush()
    anonymise_contact(session, contact, now)
    total["contacts"] += 1
    audit.record(
        session,
        None,
        actor,
        "contact_erased",
        "erased at the person's request",
        {"contact_id": contact.id, "tickets": [t.number for t in tickets]},
        at=now,
    )
    return RetentionReport(False, {}, [t.number for t in tickets], dict(total), sorted(keys))
