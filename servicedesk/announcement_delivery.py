"""Sending an announcement to a target group by email or SMS.

Two steps, so a large group never floods the providers: ``send_to``
resolves the group into delivery rows (``pending``, or ``skipped`` with the
reason: no address, opted out of SMS), and the periodic job ``run_batch``
moves at most ``BATCH_SIZE`` pending rows per run into the outbox (an SMS
number that opted out meanwhile is skipped then).  A withdrawn
announcement stops sending.  The ``delivery_report`` counts every row per
channel and status (the outbox's status once queued) and lists who was
skipped and why, and what failed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from channels.email.compose import make_message_id
from servicedesk import audit, outbox, sms_consent
from servicedesk.announcements import announcement_text, sms_text
from servicedesk.errors import ConflictError, ValidationError
from servicedesk.lifecycle import ACTIVE
from servicedesk.message_templates import LANGUAGES
from servicedesk.models import (
    Announcement,
    AnnouncementDelivery,
    Contact,
    ContactIdentity,
    OutboxItem,
    OutboxStatus,
    Ticket,
    User,
)
from servicedesk.runtime import Runtime

logger = logging.getLogger(__name__)

CHANNELS = ("email", "sms", "preferred")
BATCH_SIZE = 100
PENDING, QUEUED, SKIPPED, CANCELLED = "pending", "queued", "skipped", "cancelled"


@dataclass(frozen=True, slots=True)
class Target:
    """Who gets the announcement: the contacts of active tickets in these
    queues or regions, and the active staff users of these organisations;
    on ``channel`` email, sms, or "preferred" (how each contact is answered)."""

    queues: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    organizations: tuple[str, ...] = ()
    channel: str = "email"


@dataclass(frozen=True, slots=True)
class Recipient:
    channel: str
    address: str | None
    language: str
    contact_id: int | None = None
    user_id: int | None = None
    skip_reason: str | None = None


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    total: int
    # channel → status → count; statuses: waiting (not yet in the outbox),
    # skipped, and the outbox's pending, sending, sent, failed, cancelled.
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    skipped: list[tuple[str, str, str]] = field(default_factory=list)  # channel, who, why
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # channel, address, error


def _contact_recipients(session: Session, target: Target) -> list[Recipient]:
    if not target.queues and not target.regions:
        return []
    where = []
    if target.queues:
        where.append(Ticket.queue_id.in_(target.queues))
    if target.regions:
        where.append(Ticket.region_code.in_(target.regions))
    latest = (
        select(Ticket.contact_id, func.max(Ticket.id).label("ticket_id"))
        .where(
            Ticket.status.in_([s.value for s in ACTIVE]),
            Ticket.contact_id.is_not(None),
            Ticket.merged_into_id.is_(None),
            where[0] if len(where) == 1 else (where[0] | where[1]),
        )
        .group_by(Ticket.contact_id)
        .subquery()
    )
    rows = session.execute(
        select(Contact, Ticket)
        .join(latest, latest.c.contact_id == Contact.id)
        .join(Ticket, Ticket.id == latest.c.ticket_id)
        .order_by(Contact.id)
    ).all()
    ids: dict[int, list[ContactIdentity]] = {}
    for identity in session.execute(
        select(ContactIdentity).where(ContactIdentity.contact_id.in_([c.id for c, _ in rows]))
    ).scalars():
        ids.setdefault(identity.contact_id, []).append(identity)
    return [
        _for_contact(contact, ticket, ids.get(contact.id, []), target.channel)
        for contact, ticket in rows
    ]


def _for_contact(
    contact: Contact, ticket: Ticket, ids: list[ContactIdentity], wanted: str
) -> Recipient:
    language = contact.language or ticket.language
    email = next((i for i in ids if i.kind == "email"), None)
    phone = next((i for i in ids if i.kind == "phone"), None)
    if wanted == "preferred":
        by_phone = ticket.channel in {"sms", "phone"}
        usable_phone = phone is not None and not phone.is_opted_out
        use_sms = (by_phone and usable_phone) or (email is None and phone is not None)
        wanted = "sms" if use_sms else "email"
    if wanted == "email":
        if email is None:
            return Recipient("email", None, language, contact.id, skip_reason="no email address")
        return Recipient("email", email.value, language, contact.id)
    if phone is None:
        return Recipient("sms", None, language, contact.id, skip_reason="no phone number")
    if phone.is_opted_out:
        return Recipient("sms", phone.value, language, contact.id, skip_reason="opted out of SMS")
    return Recipient("sms", phone.value, language, contact.id)


def _staff_recipients(session: Session, target: Target) -> list[Recipient]:
    if not target.organizations:
        return []
    users = session.execute(
        select(User)
        .where(User.organization_id.in_(target.organizations), User.is_active)
        .order_by(User.id)
    ).scalars()
    result = []
    for user in users:
        language = user.ui_language if user.ui_language in LANGUAGES else "fi"
        if target.channel == "sms" or (target.channel == "preferred" and not user.email):
            reason = None
            if not user.phone:
                reason = "no phone number"
            elif sms_consent.is_opted_out(session, user.phone):
                reason = "opted out of SMS"
            result.append(
                Recipient("sms", user.phone or None, language, user_id=user.id, skip_reason=reason)
            )
        else:
            result.append(Recipient("email", user.email, language, user_id=user.id))
    return result


def recipients(session: Session, target: Target) -> list[Recipient]:
    """Who a target group is, one row per person and channel (duplicates
    dropped), with the reason for everyone who cannot be sent to."""
    if target.channel not in CHANNELS:
        raise ValidationError(f"the channel must be one of {', '.join(CHANNELS)}", field="channel")
    seen: set[tuple[str, str]] = set()
    unique = []
    for recipient in _contact_recipients(session, target) + _staff_recipients(session, target):
        if recipient.address is not None:
            key = (recipient.channel, recipient.address)
            if key in seen:
                continue
            seen.add(key)
        unique.append(recipient)
    return unique


def send_to(
    session: Session, announcement: Announcement, target: Target, user: User | None, now: datetime
) -> DeliveryReport:
    """Add the target group's deliveries (sent later by ``run_batch``);
    people who already have one for this announcement are left alone."""
    if announcement.withdrawn_at is not None:
        raise ConflictError("the announcement was withdrawn", field="announcement")
    existing = session.execute(
        select(
            AnnouncementDelivery.channel,
            AnnouncementDelivery.address,
            AnnouncementDelivery.contact_id,
            AnnouncementDelivery.user_id,
        ).where(AnnouncementDelivery.announcement_id == announcement.id)
    ).all()
    done = {(c, a) for c, a, _, _ in existing if a is not None}
    done_people = {(c, k, u) for c, a, k, u in existing if a is None}
    added = 0
    for r in recipients(session, target):
        if (r.channel, r.address) in done or (r.channel, r.contact_id, r.user_id) in done_people:
            continue
        session.add(
            AnnouncementDelivery(
                announcement_id=announcement.id,
                channel=r.channel,
                address=r.address,
                language=r.language,
                contact_id=r.contact_id,
                user_id=r.user_id,
                status=SKIPPED if r.skip_reason else PENDING,
                reason=r.skip_reason,
                created_at=now,
            )
        )
        added += 1
    audit.record(
        session,
        None,
        audit.Actor.of(user) if user else audit.SYSTEM,
        "announcement_targeted",
        "",
        {
            "announcement_id": announcement.id,
            "added": added,
            "queues": list(target.queues),
            "regions": list(target.regions),
            "organizations": list(target.organizations),
            "channel": target.channel,
        },
        at=now,
    )
    session.flush()
    return delivery_report(session, announcement.id)


def _outbox_item(
    session: Session, runtime: Runtime, delivery: AnnouncementDelivery, announcement: Announcement
) -> OutboxItem:
    _code, text = announcement_text(announcement, delivery.language)
    settings = runtime.settings
    staff = delivery.user_id is not None
    payload: dict[str, Any]
    if delivery.channel == "sms":
        payload = {
            "from_address": (settings.staff_sms_number if staff else None)
            or settings.sms_number
            or "",
            "text": sms_text(text),
            "language": delivery.language,
            "status_callback": settings.base_url + "/webhooks/twilio/sms/status",
        }
    else:
        payload = {
            "to_name": "",
            "from_address": settings.staff_mail_address if staff else settings.mail_from,
            "from_name": "",
            "subject": text["title"],
            "text": text["body"] + "\n",
            "message_id": make_message_id(settings.mail_domain),
            "language": delivery.language,
        }
    return outbox.add(
        session,
        kind="announcement",
        channel=delivery.channel,
        to_address=delivery.address or "",
        payload=payload,
        is_automatic=True,
        now=runtime.now(),
    )


def send_batch(session: Session, runtime: Runtime, limit: int = BATCH_SIZE) -> list[int]:
    """Move up to ``limit`` pending deliveries into the outbox; the outbox
    ids to dispatch after commit."""
    now = runtime.now()
    rows = session.execute(
        select(AnnouncementDelivery, Announcement)
        .join(Announcement, Announcement.id == AnnouncementDelivery.announcement_id)
        .where(AnnouncementDelivery.status == PENDING)
        .order_by(AnnouncementDelivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=AnnouncementDelivery)
    ).all()
    queued = []
    for delivery, announcement in rows:
        if announcement.withdrawn_at is not None:
            delivery.status, delivery.reason = CANCELLED, "the announcement was withdrawn"
            continue
        if delivery.channel == "sms" and sms_consent.is_opted_out(session, delivery.address or ""):
            delivery.status, delivery.reason = SKIPPED, "opted out of SMS"
            continue
        item = _outbox_item(session, runtime, delivery, announcement)
        session.flush()
        delivery.status, delivery.outbox_id, delivery.queued_at = QUEUED, item.id, now
        queued.append(item.id)
    return queued


def run_batch(runtime: Runtime, limit: int = BATCH_SIZE) -> int:
    """The periodic job: one batch, committed, then dispatched."""
    with runtime.db.session() as session:
        queued = send_batch(session, runtime, limit)
        session.commit()
    outbox.dispatch(runtime, queued)
    if queued:
        logger.info("queued %d announcement messages", len(queued))
    return len(queued)


def delivery_report(session: Session, announcement_id: int) -> DeliveryReport:
    """Counts per channel and status, who was skipped and why, and what failed."""
    rows = session.execute(
        select(
            AnnouncementDelivery.channel,
            AnnouncementDelivery.status,
            OutboxItem.status,
            func.count(),
        )
        .outerjoin(OutboxItem, OutboxItem.id == AnnouncementDelivery.outbox_id)
        .where(AnnouncementDelivery.announcement_id == announcement_id)
        .group_by(AnnouncementDelivery.channel, AnnouncementDelivery.status, OutboxItem.status)
    ).all()
    counts: dict[str, dict[str, int]] = {}
    total = 0
    for channel, status, outbox_status, count in rows:
        label = outbox_status if status == QUEUED else ("waiting" if status == PENDING else status)
        per_channel = counts.setdefault(channel, {})
        per_channel[label] = per_channel.get(label, 0) + count
        total += count
    skipped = [
        (d.channel, d.address or _who(d), d.reason or "")
        for d in session.execute(
            select(AnnouncementDelivery)
            .where(
                AnnouncementDelivery.announcement_id == announcement_id,
                AnnouncementDelivery.status.in_([SKIPPED, CANCELLED]),
            )
            .order_by(AnnouncementDelivery.id)
        ).scalars()
    ]
    failed = [
        (channel, address or "", error or "")
        for channel, address, error in session.execute(
            select(
                AnnouncementDelivery.channel, AnnouncementDelivery.address, OutboxItem.last_error
            )
            .join(OutboxItem, OutboxItem.id == AnnouncementDelivery.outbox_id)
            .where(
                AnnouncementDelivery.announcement_id == announcement_id,
                OutboxItem.status == OutboxStatus.FAILED,
            )
            .order_by(AnnouncementDelivery.id)
        )
    ]
    return DeliveryReport(total, counts, skipped, failed)


def _who(delivery: AnnouncementDelivery) -> str:
    if delivery.contact_id is not None:
        return f"contact {delivery.contact_id}"
    return f"user {delivery.user_id}"
