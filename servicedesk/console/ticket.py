"""The ticket page and the files reached from it: a mail's HTML body (in a
sandboxed frame with its own strict policy), attachments and call
recordings.  Every route finds the ticket through ``access``: a ticket,
message, attachment or recording the user may not see is 404."""

from __future__ import annotations

import io
import re
from typing import Any

from flask import abort, render_template, send_file
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy.orm import Session, joinedload

from channels.message import Channel
from servicedesk import access, feedback, notify
from servicedesk import tickets as ticket_ops
from servicedesk.console import (
    console,
    forms,
    inline_images,
    labels,
    listing,
    snippets,
    thread,
)
from servicedesk.console.identity import me
from servicedesk.errors import DeliveryRefusedError
from servicedesk.lifecycle import TRANSITIONS, TicketStatus
from servicedesk.models import Attachment, CallRecord, Message, Queue, Ticket, User
from servicedesk.web import db, runtime

SAFE_CONTENT_TYPE = re.compile(r"^[A-Za-z0-9.+-]+/[A-Za-z0-9.+-]+$")
FRAME_POLICY = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox"
)
DOWNLOAD_POLICY = "default-src 'none'; sandbox"
# Types a browser would run or render as a page: always sent as bytes.
ACTIVE_TYPES = {
    "text/html",
    "application/xhtml+xml",
    "image/svg+xml",
    "text/xml",
    "application/xml",
    "text/javascript",
    "application/javascript",
}
FORM_NAMES = ("reply", "note", "assign", "forward", "status", "fields", "merge", "link", "call")


def _visible_ticket(session: Session, ticket_id: int | None) -> Ticket:
    ticket = session.get(Ticket, ticket_id) if ticket_id is not None else None
    if ticket is None or not access.can_see(me(), ticket):
        abort(404)
    return ticket


def build_forms(
    session: Session, page: thread.TicketPage, user: User, submitted: str | None
) -> dict[str, Any]:
    """Every action form of the page with its choices; the form that was
    just submitted keeps what the user typed."""
    ticket = page.ticket

    def make(name: str, cls: type[forms.ConsoleForm]) -> Any:
        if name == submitted:
            return cls(prefix=name)
        return cls(prefix=name, formdata=None)

    made: dict[str, Any] = {
        "reply": make("reply", forms.ReplyForm),
        "note": make("note", forms.NoteForm),
        "assign": make("assign", forms.AssignForm),
        "forward": make("forward", forms.ForwardForm),
        "status": make("status", forms.StatusForm),
        "fields": make("fields", forms.FieldsForm),
        "merge": make("merge", forms.MergeForm),
        "link": make("link", forms.LinkForm),
        "call": make("call", forms.CallForm),
    }
    reply = made["reply"]
    reply.channel.choices = forms.choices(reply_channels(page))
    if reply.channel.data not in forms.values_of(reply.channel):
        reply.channel.data = default_channel(page)
    reply.snippet.choices = forms.choices(
        [("", _("Choose a template"))]
        + [(s.name, s.title) for s in snippets.available(ticket.language)]
    )
    assign = made["assign"]
    assign.assignee.choices = forms.choices(
        [("", _("Nobody"))]
        + [(str(u.id), u.name) for u in listing.assignable_users(session, ticket)]
    )
    if submitted != "assign":
        assign.assignee.data = str(ticket.assignee_id or "")
    language = labels_language()
    made["forward"].queue.choices = forms.choices([("", _("Choose a queue"))]) + [
        forms.SelectChoice(
            q.id,
            q.name.get(language) or q.name.get("en") or q.organization.name(language),
            optgroup=q.organization.name(language),
        )
        for q in ticket_ops.forward_targets(session, user, ticket)
    ]
    made["status"].status.choices = forms.choices(
        (s.value, labels.label(labels.STATUSES, s.value))
        for s in TicketStatus
        if s in TRANSITIONS[TicketStatus(ticket.status)]
    )
    fields = made["fields"]
    fields.priority.choices = forms.choices(labels.PRIORITIES.items())
    fields.topic.choices = forms.choices(labels.TOPICS.items())
    if submitted != "fields":
        fields.priority.data, fields.topic.data = ticket.priority, ticket.topic
    call = made["call"]
    if submitted != "call":
        phone = next((i.value for i in page.identities if i.kind == "phone"), "")
        call.number.data = phone
    return made


def labels_language() -> str:
    return str(get_locale() or "fi")[:2]


def reply_channels(page: thread.TicketPage) -> list[tuple[str, str]]:
    """Email and/or SMS, whichever the contact can be reached on."""
    choices = []
    if page.has_identity("email"):
        choices.append((Channel.EMAIL.value, _("Email")))
    if page.has_identity("phone"):
        choices.append((Channel.SMS.value, _("SMS")))
    return choices


def default_channel(page: thread.TicketPage) -> str | None:
    """The ticket's own channel, unless that is SMS to a number that has
    opted out and there is an address to write to instead."""
    try:
        chosen = notify.reply_channel(page.ticket, page.identities, None)
    except DeliveryRefusedError:
        return None
    if chosen == Channel.SMS and page.sms_opted_out and page.has_identity("email"):
        return Channel.EMAIL.value
    return str(chosen)


def render_ticket(
    ticket: Ticket,
    *,
    submitted: str | None = None,
    error: str | None = None,
    status: int = 200,
    sms_warning: str | None = None,
    prepare: Any = None,
) -> Any:
    """The ticket page; after a refused action, with the reason beside the
    form that was sent (``submitted``) and what the user typed kept."""
    session, user, now = db(), me(), runtime().now()
    page = thread.build(session, ticket, user, now)
    made = build_forms(session, page, user, submitted)
    if prepare is not None:
        prepare(made)
    return (
        render_template(
            "console/ticket.html",
            page=page,
            ticket=ticket,
            forms=made,
            submitted=submitted,
            error=error,
            sms_warning=sms_warning,
            now=now,
            survey=feedback.result_for_ticket(session, ticket.id, now),
            reply_snippets=[
                snippets.Snippet(
                    s.name, s.title, snippets.fill(s, number=ticket.number, agent=user.name)
                )
                for s in snippets.available(ticket.language)
            ],
        ),
        status,
    )


@console.get("/console/tickets/<number>")
def ticket_page(number: str) -> Any:
    # The page shows the contact and names the queue (with its
    # organisation) and the assignee: one statement reads them all.
    ticket = ticket_ops.get_visible(
        db(),
        number,
        me(),
        joinedload(Ticket.contact),
        joinedload(Ticket.queue).joinedload(Queue.organization),
        joinedload(Ticket.assignee),
    )
    return render_ticket(ticket)


@console.get("/console/messages/<int:message_id>/html")
def message_html(message_id: int) -> Any:
    """A mail's HTML body for a sandboxed frame, its ``cid:`` images shown
    (``inline_images``).  ``body_html`` was cleaned with nh3 at intake; it
    is cleaned again here, so a row written by some other path can still
    never carry script into the console."""
    session = db()
    message = session.get(Message, message_id)
    if message is None or not message.body_html:
        abort(404)
    _visible_ticket(session, message.ticket_id)
    sources = inline_images.image_sources(session, runtime().storage, message)
    cleaned = inline_images.frame_html(message.body_html, sources)
    body = Markup(cleaned)  # noqa: S704 - cleaned by nh3 on the line above
    response = render_template("console/message_html.html", body=body, message=message)
    headers = {
        "Content-Security-Policy": FRAME_POLICY,
        "X-Frame-Options": "SAMEORIGIN",
        "X-Content-Type-Options": "nosniff",
    }
    return response, 200, headers


def _download(data: bytes, filename: str, content_type: str) -> Any:
    kind = (content_type or "").lower()
    mimetype = kind if SAFE_CONTENT_TYPE.match(kind) and kind not in ACTIVE_TYPES else ""
    response = send_file(
        io.BytesIO(data),
        mimetype=mimetype or "application/octet-stream",
        as_attachment=True,
        download_name=filename or "attachment",
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = DOWNLOAD_POLICY
    response.headers["Cache-Control"] = "private, no-store"
    return response


@console.get("/console/attachments/<int:attachment_id>")
def attachment(attachment_id: int) -> Any:
    session = db()
    row = session.get(Attachment, attachment_id)
    if row is None or row.deleted_at is not None:
        abort(404)
    message = session.get(Message, row.message_id)
    _visible_ticket(session, message.ticket_id if message else None)
    try:
        data = runtime().storage.read(row.storage_key)
    except (FileNotFoundError, ValueError):
        abort(404)
    return _download(data, row.filename, row.content_type)


def _audio_type(data: bytes) -> tuple[str, str]:
    if data[:4] == b"RIFF":
        return "audio/wav", "wav"
    if data[:3] == b"ID3" or data[:2] in {b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"}:
        return "audio/mpeg", "mp3"
    return "application/octet-stream", "bin"


@console.get("/console/calls/<int:call_id>/recording")
def recording(call_id: int) -> Any:
    session = db()
    call = session.get(CallRecord, call_id)
    if call is None:
        abort(404)
    _visible_ticket(session, call.ticket_id)
    data = call.recording_data
    if not data:
        abort(404)
    content_type, extension = _audio_type(data)
    return _download(data, f"call-{call.id}.{extension}", content_type)
