"""The desk's "Call backs" list: callers who reached nobody or left a
voicemail and still wait for a call (``servicedesk.callbacks``), in the
queue of their call, oldest first; and the ticket action "Called back".

A call back is listed under the queue the call was routed to even when the
call joined the caller's open ticket in another queue; the list shows only
tickets the user may see (``access.visible``), like every other list."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template, request
from flask_babel import gettext as _

from servicedesk import access, callbacks
from servicedesk.console import console
from servicedesk.console.actions import perform
from servicedesk.console.desk import DESK_SLUGS, counts_beside
from servicedesk.console.identity import me, my_queues
from servicedesk.errors import ValidationError
from servicedesk.models import Ticket, User
from servicedesk.web import db, runtime


def owed(audience: str) -> list[callbacks.PendingCallback]:
    """The call backs of a desk's queues the signed-in user sees."""
    ids = [q.id for q in my_queues(audience)]
    return callbacks.pending(db(), audience, ids, access.visible(me()))


@console.app_template_global()
def callback_count(audience: str) -> int:
    """For the desk's navigation."""
    return len(owed(audience))


@console.get("/console/desks/<slug>/callbacks")
def desk_callbacks(slug: str) -> Any:
    audience = DESK_SLUGS.get(slug)
    if audience is None:
        abort(404)
    user, now = me(), runtime().now()
    queues = my_queues(audience)
    if not queues:
        abort(404)
    counted = counts_beside(user, audience, [q.id for q in queues], now)
    chosen = request.args.get("queue") or None
    queue = next((q for q in queues if q.id == chosen), None)
    entries = owed(audience)
    shown = [e for e in entries if e.queue_id == queue.id] if queue else entries
    return render_template(
        "console/callbacks.html",
        audience=audience,
        slug=slug,
        kind="callbacks",
        queue=queue,
        queues=queues,
        **counted(),
        entries=shown,
        per_queue={q.id: sum(1 for e in entries if e.queue_id == q.id) for q in queues},
        total=len(entries),
        now=now,
    )


@console.post("/console/tickets/<number>/called-back")
def called_back(number: str) -> Any:
    def act(session: Any, ticket: Ticket, user: User) -> str:
        if not callbacks.pending_on(session, ticket):
            raise ValidationError(_("No call back is waiting on this ticket."))
        callbacks.mark_called_back(session, ticket, user, runtime().now())
        return _("The call back was marked as done.")

    return perform(number, "callback", act, "#callback-section")


@console.app_template_global()
def ticket_callbacks(ticket: Ticket) -> list[callbacks.PendingCallback]:
    """The call backs owed on the ticket page's ticket."""
    return callbacks.pending_on(db(), ticket)
