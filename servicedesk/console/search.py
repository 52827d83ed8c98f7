"""The search page (GET /console/search?q=, also the header's search box):
full text over subjects, messages and contact identities with the desk
lists' filters, through ``servicedesk.search``.  A query that is exactly
the number of a ticket the user may see opens that ticket.

The texts of this page are in the admin pages' catalog
(``templates/console_admin/translations``), marked ``tr`` / ``tr_lazy``:
the console's catalog test collects every ``_()`` under this folder.
"""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as tr
from flask_babel import lazy_gettext as tr_lazy
from sqlalchemy import ColumnElement, select
from wtforms import StringField

from servicedesk import access
from servicedesk import search as finder
from servicedesk.console import console, forms, labels, listing
from servicedesk.console.beside import beside
from servicedesk.console.desk import read_filters
from servicedesk.console.forms import DeskFilterForm, SelectField
from servicedesk.console.identity import me
from servicedesk.desk_policies import DESKS
from servicedesk.lifecycle import TicketStatus
from servicedesk.models import Ticket, User
from servicedesk.web import db
from servicedesk.whole_numbers import whole_number

MAX_PAGE = 999_999  # anything past is not a page we have


class SearchForm(DeskFilterForm):
    """The query and the desk lists' filters, from the query string."""

    q = StringField(tr_lazy("Search for"))
    desk = SelectField(tr_lazy("Desk"), default="", validate_choice=False)
    status = SelectField(tr_lazy("Status"), default="all", validate_choice=False)


def _choices(user: User, region_names: dict[str, str]) -> dict[str, list[tuple[str, str]]]:
    session = db()
    anything = ("", tr("Any"))
    people = [u for u in listing.desk_users(session, *DESKS) if u.id != user.id]
    regions = sorted(region_names.items())
    return {
        "desk": [anything] + [(k, str(v)) for k, v in labels.DESKS.items()],
        "status": [("all", tr("Any")), ("active", tr("Active (new, open, waiting)"))]
        + [(s.value, labels.label(labels.STATUSES, s.value)) for s in TicketStatus],
        "channel": [anything] + [(k, str(v)) for k, v in labels.CHANNELS.items()],
        "region": [anything] + [(code, f"{code} {name}") for code, name in regions],
        "topic": [anything] + [(k, str(v)) for k, v in labels.TOPICS.items()],
        "language": [anything] + [(k, str(v)) for k, v in labels.LANGUAGES.items()],
        "assignee": [anything, ("none", tr("Nobody")), (str(user.id), tr("Me"))]
        + [(str(u.id), u.name) for u in sorted(people, key=lambda u: (u.name, u.id))],
        "sort": [("newest", "")],  # search ranks by relevance; the field is not shown
    }


def _conditions(form: SearchForm) -> tuple[list[ColumnElement[bool]], list[str]]:
    filters, problems = read_filters(form)
    # The desk lists' own filter rule, so a search filters exactly like them.
    conditions = listing._filter_clauses(filters)
    if form.desk.data not in forms.values_of(form.desk):
        problems.append(tr("%(field)s: not one of the choices; ignored.", field=tr("Desk")))
        form.desk.data = ""
    if form.desk.data:
        conditions.append(Ticket.audience == form.desk.data)
    return conditions, problems


def _page_number(raw: str | None) -> int:
    return whole_number(raw, low=1, high=MAX_PAGE) or 1


@console.get("/console/search")
def search() -> Any:
    session, user = db(), me()
    query = finder.parse(request.args.get("q"))
    if query.number:  # the whole query is a ticket number
        number = session.execute(
            select(Ticket.number).where(Ticket.number == query.number, access.visible(user))
        ).scalar_one_or_none()
        if number is not None:
            return redirect(url_for("console.ticket_page", number=number))
    form = SearchForm(request.args)
    region_names = listing.region_names(session)
    for name, pairs in _choices(user, region_names).items():
        getattr(form, name).choices = forms.choices(pairs)
    form.q.data = query.text
    conditions, problems = _conditions(form)
    results = finder.search(
        session,
        user,
        query,
        where=conditions,
        page=_page_number(request.args.get("page")),
        start=lambda work: beside(work).result,
    )
    kept: dict[str, Any] = {k: v for k, v in request.args.items() if k != "page" and v}
    pages = {
        "previous": url_for("console.search", **kept, page=results.page - 1)
        if results.page > 1
        else None,
        "next": url_for("console.search", **kept, page=results.page + 1)
        if results.page < results.pages
        else None,
    }
    filtered = any(k not in {"q", "page"} for k in kept)
    return render_template(
        "console_admin/search.html",
        form=form,
        query=query,
        results=results,
        problems=problems,
        pages=pages,
        filtered=filtered,
        regions=region_names,
    )
