"""The intake filters, in order.  Each takes an envelope and the lookups and
returns a new envelope; none writes.  ``PIPELINE`` is the order, and the
order is the design: identity first (everything keys on it), loops before
anything that could answer, duplicates before threading, masking before
classification so an identity code is never a routing feature.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import phonenumbers

from channels.message import AutoKind, Channel, InboundMessage
from channels.sms import OptKeyword, opt_keyword
from routing import RoutingRequest, choose_assignee, decide
from servicedesk import access
from servicedesk.intake.envelope import Envelope, Lookups, TicketRef
from servicedesk.lifecycle import TicketStatus
from servicedesk.masking import mask_identity_codes

Filter = Callable[[Envelope, Lookups], Envelope]

TICKET_TAG = re.compile(r"\[#\s*(20\d\d-\d{6,})\s*\]")
PHONE_CHANNELS = {Channel.SMS, Channel.PHONE}


def normalise_phone(value: str) -> str | None:
    """E.164 for a Finnish or international number, None when it is not one."""
    try:
        number = phonenumbers.parse(value, "FI")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(value: str) -> str | None:
    value = value.strip().lower()
    if value.count("@") != 1 or value.startswith("@") or value.endswith("@"):
        return None
    return value


def identify_sender(env: Envelope, ctx: Lookups) -> Envelope:
    """Who wrote, on which desk: normalised identity, audience, known contact."""
    msg = env.message
    kind, value = None, None
    if msg.channel in PHONE_CHANNELS:
        kind, value = "phone", normalise_phone(msg.sender_address)
    elif msg.sender_address:
        kind, value = "email", normalise_email(msg.sender_address)
    if value is None and msg.sender_phone:
        kind, value = "phone", normalise_phone(msg.sender_phone)
    audience = msg.hints.audience or ctx.desk_audience(msg.channel, msg.recipient_address)
    contact = ctx.contact_by_identity(kind, value) if kind and value else None
    if contact is None and kind == "email" and msg.sender_phone:
        phone = normalise_phone(msg.sender_phone)
        contact = ctx.contact_by_identity("phone", phone) if phone else None
    return replace(
        env,
        sender_kind=kind if value else None,
        sender=value,
        audience=audience or "applicant",
        contact=contact,
    )


def screen_opt_keywords(env: Envelope, ctx: Lookups) -> Envelope:
    """An SMS that is only Twilio's STOP or START word changes whether the
    number gets SMS (``apply`` writes it) and makes no ticket.  Twilio
    itself confirms the keyword to the sender and blocks or unblocks the
    number, so nothing is answered here.  HELP, or a STOP inside a longer
    text, is a message for an agent."""
    msg = env.message
    if msg.channel != Channel.SMS or env.sender_kind != "phone" or not env.sender:
        return env
    keyword = opt_keyword(msg.text)
    if keyword is None or keyword is OptKeyword.HELP:
        return env
    direction = "out of" if keyword is OptKeyword.STOP else "back in to"
    return replace(
        env,
        sms_opt=keyword.value,
        stop_reason=f"SMS keyword {msg.text.strip()[:20]!r}: the number opts {direction} SMS",
    )


def screen_automatic(env: Envelope, ctx: Lookups) -> Envelope:
    """Loops, auto-replies and bounces: nothing automatic ever answers them.
    A delivery report joins the ticket of the message it reports on and
    makes no ticket of its own; our own mail coming back is dropped; mail
    from one of our desk addresses is taken in but never answered; an
    out-of-office or auto-reply joins its thread without reopening it."""
    msg = env.message
    if msg.auto_kind == AutoKind.BOUNCE:
        # Before the own-domain check: a report written by our own mail
        # server may well carry a Message-ID of our domain.
        bounced = ctx.ticket_by_email_message_id(msg.bounced_message_ids)
        if bounced is None:
            # Not about anything we sent (or about mail older than our
            # records): kept as a ticket of its own, never answered, so
            # nothing that reached the desk is lost.
            return replace(
                env,
                suppress_auto_replies=True,
                loop_reasons=("a delivery status report about a message we do not know",),
            )
        return replace(
            env,
            ticket=bounced,
            thread_reason="delivery report about our message",
            suppress_auto_replies=True,
            keeps_status=True,
            loop_reasons=("a delivery status report (bounce)",),
        )
    if msg.channel == Channel.EMAIL and msg.external_id.lower().endswith(
        "@" + ctx.own_message_domain().lower()
    ):
        return replace(env, stop_reason="our own message came back (mail loop)")
    reasons: list[str] = []
    if msg.auto_kind != AutoKind.NONE:
        reasons.append(f"marked by the sender's system as {msg.auto_kind.value.replace('_', ' ')}")
    if msg.channel == Channel.EMAIL and env.sender and ctx.desk_audience(msg.channel, env.sender):
        # An answer to our own address would come straight back in.
        reasons.append("sent from one of our own desk addresses")
    if not reasons:
        return env
    return replace(
        env,
        suppress_auto_replies=True,
        keeps_status=msg.auto_kind in {AutoKind.OUT_OF_OFFICE, AutoKind.AUTO_REPLY},
        loop_reasons=tuple(reasons),
    )


def fingerprint(msg: InboundMessage) -> str:
    """What makes two deliveries the same message: sender, subject, text
    and attachments."""
    files = sorted(hashlib.sha256(a.data).hexdigest() + a.filename for a in msg.attachments)
    parts = (msg.sender_address.strip().lower(), msg.subject.strip(), msg.text.strip(), *files)
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def drop_duplicates(env: Envelope, ctx: Lookups) -> Envelope:
    """A retry or a second poller: the channel's own id was seen already.

    Mail programs do reuse Message-IDs for different mails (templates,
    broken clients, forgeries): a second mail under a known Message-ID is a
    duplicate only when its content is the same; otherwise it is kept under
    the Message-ID plus its fingerprint, and threads like any other mail.
    """
    msg = env.message
    print_ = fingerprint(msg)
    if not msg.external_id or not ctx.has_message(msg.channel, msg.external_id):
        return replace(env, fingerprint=print_)
    stored = ctx.fingerprint_of(msg.channel, msg.external_id)
    duplicate = replace(env, stop_reason=f"duplicate of {msg.channel} message {msg.external_id}")
    if msg.channel != Channel.EMAIL or stored is None or stored == print_:
        return duplicate
    variant = f"{msg.external_id}#{print_[:16]}"
    if ctx.has_message(msg.channel, variant):
        return duplicate
    return replace(env, fingerprint=print_, message_key=variant)


def _may_join(env: Envelope, ticket_contact: int | None, ctx: Lookups) -> bool:
    if env.contact is not None and env.contact.id == ticket_contact:
        return True
    return env.sender_kind == "email" and ctx.user_by_email(env.sender or "") is not None


def find_thread(env: Envelope, ctx: Lookups) -> Envelope:
    """The ticket this contact continues: our tag in the subject, then the
    mail references, then (SMS, phone) the contact's latest open ticket.  A
    closed ticket is never reopened: a new ticket is linked to it."""
    if env.ticket is not None:
        return env
    msg = env.message
    joinable: list[tuple[TicketRef, str]] = []
    for number in TICKET_TAG.findall(msg.subject):
        ticket = ctx.ticket_by_number(number)
        if ticket is not None and _may_join(env, ticket.contact_id, ctx):
            merged = f", merged into {ticket.number}" if ticket.number != number else ""
            joinable.append((ticket, f"ticket number [#{number}] in the subject{merged}"))
    if msg.references:
        ticket = ctx.ticket_by_email_message_id(msg.references)
        if ticket is not None and _may_join(env, ticket.contact_id, ctx):
            joinable.append((ticket, "a reply to a message of the ticket"))
        elif ticket is not None and not joinable:
            # Our Message-IDs cannot be guessed: whoever quotes one holds a
            # mail of this thread (a notification forwarded, a reply-all).
            # Their mail is kept on the ticket for an agent, not answered,
            # and lets them see nothing.
            return _held_for_review(env, ticket, "a reply to a message of the ticket by a stranger")
    # An open ticket wins over a closed one (the sort keeps the order
    # otherwise): a follow-up's subject still carries the closed ticket's
    # tag beside its own.
    joinable.sort(key=lambda pair: pair[0].status == TicketStatus.CLOSED)
    found, reason = joinable[0] if joinable else (None, "")
    if found is None and msg.channel == Channel.PHONE and msg.call is not None:
        found = ctx.ticket_by_call_sid(msg.call.call_sid)
        reason = "the same call" if found else ""
    if found is None and msg.channel in PHONE_CHANNELS and env.contact is not None:
        # The number written to or called decides the desk: an SMS to the
        # staff number never joins the sender's applicant ticket, nor the
        # other way round.
        desk = msg.hints.audience or ctx.desk_audience(msg.channel, msg.recipient_address)
        latest = ctx.latest_ticket_of_contact(env.contact.id, audience=desk)
        window = timedelta(days=ctx.sms_thread_days())
        if (
            latest is not None
            and latest.status != TicketStatus.CLOSED
            and env.received_at - latest.updated_at <= window
        ):
            found, reason = latest, f"the sender's open ticket (updated within {window.days} days)"
    if found is None:
        return env
    if found.status == TicketStatus.CLOSED:
        if env.sender_kind == "email" and ctx.user_by_email(env.sender or ""):
            # Staff writing about a closed ticket is not a new enquiry.
            return _held_for_review(env, found, f"{reason}; staff wrote about a closed ticket")
        return replace(env, follow_up_of=found, thread_reason=f"{reason}; that ticket is closed")
    if found.audience != env.audience and env.message.hints.audience is None:
        return replace(env, ticket=found, audience=found.audience, thread_reason=reason)
    return replace(env, ticket=found, thread_reason=reason)


def _held_for_review(env: Envelope, ticket: TicketRef, reason: str) -> Envelope:
    return replace(
        env,
        ticket=ticket,
        thread_reason=reason + "; kept as an internal note for review",
        needs_review=True,
        keeps_status=True,
        suppress_auto_replies=True,
    )


def identify_author(env: Envelope, ctx: Lookups) -> Envelope:
    """A reply by email from a console user.  It is their answer, relayed
    to the contact, only when the user may answer on the ticket (an expert
    or agent of its organisation: ``access.may_answer_by_email``) and the
    mail replies to a message we sent to that same address on this ticket
    (its In-Reply-To or References hold that message's Message-ID).  A From
    header is forged at will and our ticket tags are sequential; a
    Message-ID we made up went to its recipient alone.  Anything else from
    a user, and their out-of-office or other automatic mail, is an internal
    note flagged for review.  The ticket's own contact stays its contact
    even when they are a console user too.  Only mail counts: a console
    user writing on a status page or a form is a contact there."""
    ticket = env.ticket
    if ticket is None or env.message.channel != Channel.EMAIL or not env.sender:
        return env
    if env.sender_kind != "email":
        return env
    if env.contact is not None and env.contact.id == ticket.contact_id:
        return env
    user = ctx.user_by_email(env.sender)
    if user is None:
        return env
    if env.message.auto_kind != AutoKind.NONE:
        return replace(env, author=user, needs_review=True)
    if not access.may_answer_by_email(
        user.role, user.organization_id, ticket.audience, ticket.organization_id
    ):
        why = "the sender may not answer on this ticket"
    elif not ctx.was_sent_to(ticket.id, env.sender, env.message.references):
        why = "not a reply to a mail we sent to the sender on this ticket"
    else:
        return replace(env, author=user)
    reason = "; ".join(r for r in (env.thread_reason, why) if r)
    if not reason.endswith("for review"):
        reason += "; kept as an internal note for review"
    return replace(env, author=user, needs_review=True, thread_reason=reason)


def mask_codes(env: Envelope, ctx: Lookups) -> Envelope:
    """Identity codes out of everything the sender wrote: the subject, the
    text (and its HTML), and the name they gave, which becomes the
    contact's name and greets them in every answer."""
    msg = env.message
    subject, in_subject = mask_identity_codes(msg.subject)
    text, in_text = mask_identity_codes(msg.text)
    html, in_html = mask_identity_codes(msg.html or "")
    name, in_name = mask_identity_codes(msg.sender_name)
    total = in_subject + in_text + max(0, in_html - in_text) + in_name
    if total == 0:
        return env
    masked = replace(
        msg, subject=subject, text=text, html=html if msg.html else None, sender_name=name
    )
    return replace(env, message=masked, masked_codes=total)


def route(env: Envelope, ctx: Lookups) -> Envelope:
    """Where a new ticket goes, with the reasons (routing.decide)."""
    if env.ticket is not None:
        return env
    msg = env.message
    contact = env.contact
    request = RoutingRequest(
        audience=env.audience,
        channel=msg.channel.value,
        subject=msg.subject,
        text=msg.text,
        language=msg.hints.language,
        municipality=msg.hints.municipality,
        institution=msg.hints.institution,
        region=msg.hints.region,
        topic=msg.hints.topic,
        sender_email=env.sender if env.sender_kind == "email" else None,
        staff_organization=contact.staff_organization_id if contact else None,
        contact_region=contact.region if contact else None,
        previous_region=ctx.previous_region(contact.id) if contact else None,
    )
    return replace(env, decision=decide(request, ctx.directory(), env.received_at))


def assign(env: Envelope, ctx: Lookups) -> Envelope:
    decision = env.decision
    if decision is None or decision.queue_id is None:
        return env
    choice = choose_assignee(
        decision.queue_id,
        decision.topic,
        decision.language,
        ctx.assignment_candidates(decision.queue_id),
    )
    assignee = int(choice.user_id) if choice.user_id is not None else None
    return replace(env, assignee_id=assignee, assignment_reason=choice.reason)


PIPELINE: tuple[Filter, ...] = (
    identify_sender,
    screen_opt_keywords,
    screen_automatic,
    drop_duplicates,
    find_thread,
    identify_author,
    mask_codes,
    route,
    assign,
)


def run(env: Envelope, ctx: Lookups, filters: tuple[Filter, ...] = PIPELINE) -> Envelope:
    for step in filters:
        env = step(env, ctx)
        if env.is_stopped:
            break
    return env
