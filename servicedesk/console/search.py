"""The header's search box (GET /console/search?q=).  For now it jumps to
a ticket by its number; full-text search over subjects, messages and
contact identities replaces this view (same endpoint, same parameter)."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for
from sqlalchemy import select

from servicedesk import access
from servicedesk.console import console
from servicedesk.console.identity import me
from servicedesk.models import Ticket
from servicedesk.web import db


@console.get("/console/search")
def search() -> Any:
    query = (request.args.get("q") or "").strip()[:200]
    number = query.lstrip("#")
    if number:
        found = (
            db()
            .execute(select(Ticket.number).where(Ticket.number == number, access.visible(me())))
            .scalar_one_or_none()
        )
        if found is not None:
            return redirect(url_for("console.ticket_page", number=found))
    return render_template("console/search.html", query=query)
