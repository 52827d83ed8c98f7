"""``/status/<token>``: one ticket as its applicant sees it, a new message
to it, and "my question is answered".

A new message goes through the intake pipeline as a web contact with the
ticket's tag ``[#NUMBER]`` in its subject and the contact's own email and
phone as the sender, which is what ``find_thread`` needs to join it to
this ticket; on a closed ticket the pipeline makes a new ticket linked to
it, and the page says so before and after.  Every answer redirects (so a
reload does not post twice) and every page here is private (see
``pages.make_private``).  An unknown token is a plain 404.  The page shows
the announcements published for the status pages.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from channels.message import Hints
from servicedesk import directory_store
from servicedesk.models import Ticket
from servicedesk.portal import portal, status
from servicedesk.portal.attachments import ACCEPT, MAX_FILES
from servicedesk.portal.forms import AnsweredForm, StatusMessageForm
from servicedesk.portal.labels import CHANNEL_LABELS, STATUS_LABELS
from servicedesk.portal.pages import (
    count_submission,
    lang_url,
    notices,
    page_language,
    rate_limited,
    refuse_bot,
)
from servicedesk.portal.submission import Sender, build_message, submit
from servicedesk.web import db, runtime


def _ticket_or_404(token: str) -> Ticket:
    ticket = status.find_ticket(db(), token)
    if ticket is None:
        abort(404)
    return ticket


def _page(
    token: str,
    ticket: Ticket,
    form: StatusMessageForm | None = None,
    http_status: int = 200,
) -> ResponseReturnValue:
    session = db()
    form = form or StatusMessageForm(directory=directory_store.current(session))
    who = status.identity(session, ticket)
    return render_template(
        "portal/status.html",
        token=token,
        ticket=ticket,
        status_label=STATUS_LABELS.get(ticket.status, ticket.status),
        channel_labels=CHANNEL_LABELS,
        organization=status.organization_name(session, ticket, page_language()),
        thread=status.public_thread(session, ticket),
        merged_away=status.is_merged_away(ticket),
        closed=status.is_closed(ticket),
        can_write=who is not None and not status.is_merged_away(ticket),
        can_mark_answered=status.can_mark_answered(ticket),
        form=form,
        errors=form.error_list(),
        answered_form=AnsweredForm(),
        accept=ACCEPT,
        max_files=MAX_FILES,
        notices=notices("status_pages"),
    ), http_status


@portal.get("/status/<token>")
def status_view(token: str) -> ResponseReturnValue:
    return _page(token, _ticket_or_404(token))


@portal.post("/status/<token>/messages")
@rate_limited
def status_message(token: str) -> ResponseReturnValue:
    session = db()
    ticket = _ticket_or_404(token)
    who = status.identity(session, ticket)
    if who is None or status.is_merged_away(ticket):
        abort(404)
    form = StatusMessageForm(directory=directory_store.current(session))
    if form.is_bot:
        return refuse_bot()
    if not form.validate():
        return _page(token, ticket, form, 422)
    message = build_message(
        kind="status",
        submission=form.submission.data,
        sender=Sender(status.contact_name(session, ticket), who.email, who.phone),
        subject=status.thread_subject(ticket),
        text=form.message.data,
        hints=Hints(
            audience=ticket.audience,
            language=page_language(),
            municipality=ticket.municipality_code,
            region=ticket.region_code,
            topic=ticket.topic,
        ),
        attachments=form.files,
    )
    outcome = submit(runtime(), session, message, source="web")
    count_submission()
    joined = outcome.ticket
    if joined is not None and joined.id != ticket.id:
        flash(
            _(
                "Your earlier question was closed, so we opened a new question "
                "%(number)s. This is its page.",
                number=joined.number,
            ),
            "success",
        )
        return redirect(lang_url("portal.status_view", token=joined.status_token) + "#messages")
    if joined is None:
        flash(_("We have your message. It will appear here soon."), "success")
    else:
        flash(_("Your message was sent. It is shown below."), "success")
    return redirect(lang_url("portal.status_view", token=token) + "#messages")


@portal.post("/status/<token>/answered")
@rate_limited
def status_answered(token: str) -> ResponseReturnValue:
    session = db()
    ticket = _ticket_or_404(token)
    form = AnsweredForm()
    if form.validate() and status.can_mark_answered(ticket):
        status.mark_answered(
            session,
            ticket,
            status.identity(session, ticket),
            status.contact_name(session, ticket),
            runtime().now(),
        )
        session.commit()
        count_submission()
        flash(_("Thank you. We have marked your question as answered."), "success")
    return redirect(lang_url("portal.status_view", token=token))
