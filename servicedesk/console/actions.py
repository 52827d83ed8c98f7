"""What agents and experts do on the ticket page: each action is a POST
form (CSRF checked app-wide), done through ``servicedesk.tickets`` (which
writes the audit events), committed, and then its outbox rows dispatched.
A refused action shows the ticket page again with the reason beside the
form and a 4xx status; success redirects back (post/redirect/get)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from servicedesk import access, notify, outbox
from servicedesk import tickets as ticket_ops
from servicedesk.console import console, forms, kb_replies, sms_length, snippets
from servicedesk.console.errors import explain, status_of
from servicedesk.console.identity import me
from servicedesk.console.ticket import render_ticket
from servicedesk.errors import (
    ConflictError,
    DeliveryRefusedError,
    NotFoundError,
    ServiceDeskError,
    ValidationError,
)
from servicedesk.lifecycle import TicketStatus
from servicedesk.models import Message, Ticket, User
from servicedesk.web import db, runtime
from servicedesk.whole_numbers import row_id, whole_number

Action = Callable[[Session, Ticket, User], str]


def perform(number: str, name: str, action: Action, anchor: str = "", lock: bool = True) -> Any:
    """Run one action on a ticket the user may see, with everything that
    follows: commit, dispatch, flash, redirect — or the page with the error.

    The ticket is locked until the commit, as the intake locks the ticket a
    message joins: a message being taken in meanwhile is either on the
    ticket when the action reads it (see ``_check_nothing_unread``) or
    joins it afterwards, as it is then.  An action locking two tickets
    itself (a merge, in id order) passes ``lock=False``."""
    session, user = db(), me()
    ticket = ticket_ops.get_visible(session, number, user)
    if lock:
        session.refresh(ticket, with_for_update=True)
    try:
        done = action(session, ticket, user)
        queued = outbox.pending_for(session, [ticket.id])
        session.commit()
    except ServiceDeskError as exc:
        session.rollback()
        ticket = ticket_ops.get_visible(session, number, user)
        return render_ticket(ticket, submitted=name, error=explain(exc), status=status_of(exc))
    outbox.dispatch(runtime(), queued)
    flash(done, "success")
    if not access.can_see(user, ticket):
        # Forwarded out of the user's sight: back to the desks.
        return redirect(url_for("console.home"))
    return redirect(url_for("console.ticket_page", number=ticket.number) + anchor)


#: The statuses that take a ticket off the desk's worklist until the
#: contact writes: set on a page that did not show their newest message,
#: that message would wait unanswered.
LEAVES_THE_WORKLIST = {TicketStatus.PENDING, TicketStatus.RESOLVED, TicketStatus.CLOSED}


def _check_nothing_unread(session: Session, ticket: Ticket, refusal: str) -> None:
    """Refuse (409) when the contact wrote again after the page the user
    acted on was shown: the form carries the newest message from the
    contact the page showed (``seen``).  A post without it (a page of an
    older version) is not checked."""
    seen = whole_number(request.form.get("seen"))
    if seen is not None and ticket_ops.wrote_since(session, ticket, seen):
        raise ConflictError(refusal)


def _validated(form: Any) -> None:
    if not form.validate():
        first = next((e for errors in form.errors.values() for e in errors), _("Check the form."))
        raise ValidationError(str(first))


def _other(session: Session, number: str | None, user: User) -> Ticket:
    """The second ticket of a merge or link, under the same visibility rule."""
    try:
        return ticket_ops.get_visible(session, (number or "").strip().lstrip("#"), user)
    except NotFoundError:
        raise NotFoundError(f"no ticket {number}", field="number") from None


@console.post("/console/tickets/<number>/reply")
def reply(number: str) -> Any:
    form = forms.ReplyForm(prefix="reply")
    if form.insert.data:
        return _insert_snippet(number, form)
    if not form.confirm_long.data and form.validate():
        warning = _long_sms_warning(number, form)
        if warning:
            ticket = ticket_ops.get_visible(db(), number, me())
            return render_ticket(ticket, submitted="reply", sms_warning=warning)

    def act(session: Session, ticket: Ticket, user: User) -> str:
        _validated(form)
        _check_nothing_unread(
            session,
            ticket,
            _(
                "The contact wrote again while you were writing. Read their new message "
                "below; your answer is kept here, send it when it is ready."
            ),
        )
        channel = notify.reply_channel(
            ticket, notify.identities(session, ticket.contact_id), form.channel.data or None
        )
        sent = ticket_ops.reply(
            session, runtime(), ticket, form.body.data or "", user, channel=channel
        )
        kb_replies.record_uses(session, ticket, user, form.body.data or "")
        said = (
            _("The answer was sent by SMS.")
            if channel == "sms"
            else _("The answer was sent by email.")
        )
        if sent.masked_codes:
            said += " " + _("A personal identity code in it was replaced with a mask.")
        return said

    return perform(number, "reply", act, "#thread-end")


def _long_sms_warning(number: str, form: forms.ReplyForm) -> str | None:
    session = db()
    ticket = ticket_ops.get_visible(session, number, me())
    body = form.body.data or ""
    if not body.strip():
        return None
    try:
        channel = notify.reply_channel(
            ticket, notify.identities(session, ticket.contact_id), form.channel.data or None
        )
    except DeliveryRefusedError:
        return None  # the send itself says why
    return sms_length.warning(session, ticket, body) if channel == "sms" else None


def _insert_snippet(number: str, form: forms.ReplyForm) -> Any:
    session, user = db(), me()
    ticket = ticket_ops.get_visible(session, number, user)
    snippet = snippets.find(form.snippet.data or "", ticket.language)
    if snippet is None:
        return render_ticket(
            ticket, submitted="reply", error=_("Choose a template first."), status=400
        )
    text = snippets.fill(snippet, number=ticket.number, agent=user.name)
    draft = (form.body.data or "").rstrip()

    def prepare(made: dict[str, Any]) -> None:
        made["reply"].body.data = f"{draft}\n\n{text}" if draft else text
        made["reply"].snippet.data = ""

    return render_ticket(ticket, submitted="reply", prepare=prepare)


@console.post("/console/tickets/<number>/note")
def note(number: str) -> Any:
    form = forms.NoteForm(prefix="note")

    def act(session: Session, ticket: Ticket, user: User) -> str:
        _validated(form)
        ticket_ops.add_note(session, ticket, form.body.data or "", user, runtime().now())
        return _("The internal note was added.")

    return perform(number, "note", act, "#thread-end")


@console.post("/console/tickets/<number>/assign")
def assign(number: str) -> Any:
    form = forms.AssignForm(prefix="assign")

    def act(session: Session, ticket: Ticket, user: User) -> str:
        raw = form.assignee.data or ""
        wanted = row_id(raw)
        assignee = session.get(User, wanted) if wanted is not None else None
        if raw and (assignee is None or not assignee.is_active):
            raise ValidationError(_("Choose someone from the list."), field="assignee")
        ticket_ops.assign(session, ticket, assignee, user, runtime().now())
        if assignee is None:
            return _("The ticket is now unassigned.")
        return _("The ticket was assigned to %(name)s.", name=assignee.name)

    return perform(number, "assign", act)


@console.post("/console/tickets/<number>/take")
def take(number: str) -> Any:
    def act(session: Session, ticket: Ticket, user: User) -> str:
        ticket_ops.assign(session, ticket, user, user, runtime().now())
        return _("You took the ticket.")

    return perform(number, "assign", act)


@console.post("/console/tickets/<number>/forward")
def forward(number: str) -> Any:
    form = forms.ForwardForm(prefix="forward")

    def act(session: Session, ticket: Ticket, user: User) -> str:
        _validated(form)
        ticket_ops.forward(session, runtime(), ticket, form.queue.data, form.note.data or "", user)
        return _("The ticket was forwarded; the receivers were notified.")

    return perform(number, "forward", act)


@console.post("/console/tickets/<number>/status")
def status(number: str) -> Any:
    form = forms.StatusForm(prefix="status")

    def act(session: Session, ticket: Ticket, user: User) -> str:
        if form.status.data in LEAVES_THE_WORKLIST:
            _check_nothing_unread(
                session,
                ticket,
                _(
                    "The contact wrote again after this page was opened. Read their new "
                    "message below before changing the status."
                ),
            )
        ticket_ops.change_status(session, ticket, form.status.data or "", user, "", runtime().now())
        return _("The status was changed.")

    return perform(number, "status", act)


@console.post("/console/tickets/<number>/fields")
def fields(number: str) -> Any:
    form = forms.FieldsForm(prefix="fields")

    def act(session: Session, ticket: Ticket, user: User) -> str:
        ticket_ops.change_fields(
            session,
            ticket,
            user,
            runtime().now(),
            priority=form.priority.data or None,
            topic=form.topic.data or None,
        )
        return _("The priority and topic were saved.")

    return perform(number, "fields", act)


@console.post("/console/tickets/<number>/merge")
def merge(number: str) -> Any:
    form = forms.MergeForm(prefix="merge")

    def act(session: Session, ticket: Ticket, user: User) -> str:
        _validated(form)
        duplicate = _other(session, form.number.data, user)
        ticket_ops.merge(session, duplicate, ticket, user, runtime().now())
        return _("Ticket %(other)s was merged into this one and closed.", other=duplicate.number)

    # Not this ticket first: two agents merging two tickets into each other
    # would each hold one and wait for the other's.
    return perform(number, "merge", act, "#thread", lock=False)


@console.post("/console/tickets/<number>/link")
def link(number: str) -> Any:
    form = forms.LinkForm(prefix="link")

    def act(session: Session, ticket: Ticket, user: User) -> str:
        _validated(form)
        other = _other(session, form.number.data, user)
        ticket_ops.link(session, ticket, other, user, runtime().now())
        return _("The tickets were linked.")

    return perform(number, "link", act)


@console.post("/console/tickets/<number>/calls")
def log_call(number: str) -> Any:
    form = forms.CallForm(prefix="call")

    def act(session: Session, ticket: Ticket, user: User) -> str:
        _validated(form)
        ticket_ops.log_call(
            session,
            ticket,
            user,
            runtime().now(),
            direction=form.direction.data or "",
            number=(form.number.data or "").strip(),
            summary=form.summary.data or "",
            duration_minutes=form.minutes.data,
        )
        return _("The phone call was logged.")

    return perform(number, "call", act, "#thread-end")


@console.post("/console/tickets/<number>/messages/<int:message_id>/retry")
def retry(number: str, message_id: int) -> Any:
    def act(session: Session, ticket: Ticket, user: User) -> str:
        message = session.get(Message, message_id)
        if message is None or message.ticket_id != ticket.id:
            raise NotFoundError("no such message on this ticket")
        ticket_ops.retry_delivery(session, ticket, message, user, runtime().now())
        return _("The message will be sent again.")

    return perform(number, "retry", act, f"#message-{message_id}")
