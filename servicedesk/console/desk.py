"""The two desks, Applicants and Staff: the overview of both with their
queues and open counts, and each desk's lists — everything, mine,
unassigned, overdue, one queue — with filters, sorting and keyset paging.
A desk or queue the user may not see is 404, like a ticket."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from servicedesk.console import console, forms, labels, listing
from servicedesk.console.beside import beside, results
from servicedesk.console.forms import DeskFilterForm
from servicedesk.console.identity import me, my_queues
from servicedesk.desk_policies import DESKS
from servicedesk.lifecycle import TicketStatus
from servicedesk.models import User
from servicedesk.web import db, runtime

DESK_SLUGS = {"applicants": "applicant", "staff": "staff"}
SLUG_OF = {audience: slug for slug, audience in DESK_SLUGS.items()}


def local_day_start(day: date) -> datetime:
    """Midnight of a Finnish calendar day, in UTC."""
    zone = ZoneInfo(runtime().settings.timezone)
    return datetime.combine(day, time(0), zone).astimezone(UTC)


@console.get("/console/")
def home() -> Any:
    user, now = me(), runtime().now()
    shown = [(a, q) for a in DESKS if (q := my_queues(a))]
    counted = [counts_beside(user, a, [q.id for q in queues], now) for a, queues in shown]
    desks = [
        {"audience": a, "slug": SLUG_OF[a], "queues": queues, **counts()}
        for (a, queues), counts in zip(shown, counted, strict=True)
    ]
    return render_template("console/home.html", desks=desks)


def counts_beside(
    user: User, audience: str, queue_ids: list[str], now: datetime
) -> Callable[[], dict[str, dict[str, int]]]:
    """A desk's active tickets per queue and per view, counted beside the
    request (``beside``: each count reads some 10,000 index entries at a
    million tickets, 4-5 ms), while it reads its list.  Call the result for
    ``{"counts": ..., "views": ...}`` when drawing the page."""
    counts = beside(lambda session: listing.open_counts(session, queue_ids))
    views = beside(listing.counting_views(user, audience, now))
    return lambda: dict(zip(("counts", "views"), results([counts, views]), strict=True))


def _filter_choices(
    session: Session, audience: str, user: User, regions: dict[str, str]
) -> dict[str, list[tuple[str, str]]]:
    anything = ("", _("Any"))
    return {
        "status": [("active", _("Active (new, open, waiting)")), ("all", _("All"))]
        + [(s.value, labels.label(labels.STATUSES, s.value)) for s in TicketStatus],
        "channel": [anything] + [(k, str(v)) for k, v in labels.CHANNELS.items()],
        "region": [anything] + [(code, f"{code} {name}") for code, name in sorted(regions.items())],
        "topic": [anything] + [(k, str(v)) for k, v in labels.TOPICS.items()],
        "language": [anything] + [(k, str(v)) for k, v in labels.LANGUAGES.items()],
        "assignee": [anything, ("none", _("Nobody")), (str(user.id), _("Me"))]
        + [(str(u.id), u.name) for u in listing.desk_users(session, audience) if u.id != user.id],
        "sort": [
            ("newest", _("Newest first")),
            ("oldest", _("Oldest first")),
            ("due", _("Deadline soonest")),
        ],
    }


def read_filters(form: DeskFilterForm) -> tuple[listing.Filters, list[str]]:
    """The filters of the query string; a value not on offer is ignored
    and reported, never an error page."""
    problems: list[str] = []
    if not form.validate():
        problems += [str(e) for errors in form.errors.values() for e in errors]
    values: dict[str, Any] = {}
    for name in ("status", "channel", "region", "topic", "language", "assignee", "sort"):
        field = getattr(form, name)
        if field.data not in forms.values_of(field):
            problems.append(
                _("%(field)s: not one of the choices; ignored.", field=field.label.text)
            )
            field.data = field.default
        values[name] = field.data or None
    assignee = values["assignee"]
    created_from = form.created_from.data if "created_from" not in form.errors else None
    created_to = form.created_to.data if "created_to" not in form.errors else None
    filters = listing.Filters(
        status=values["status"] or "active",
        channel=values["channel"],
        region=values["region"],
        topic=values["topic"],
        language=values["language"],
        assignee=int(assignee) if assignee and assignee.isdigit() else assignee,
        created_from=local_day_start(created_from) if created_from else None,
        created_to=local_day_start(created_to + timedelta(days=1)) if created_to else None,
        sort=values["sort"] or "newest",
    )
    return filters, problems


def desk_list(slug: str, kind: str, queue_id: str | None = None) -> Any:
    audience = DESK_SLUGS.get(slug)
    if audience is None:
        abort(404)
    session, user, now = db(), me(), runtime().now()
    queues = my_queues(audience)
    if not queues:
        abort(404)
    ids = [q.id for q in queues]
    queue = next((q for q in queues if q.id == queue_id), None)
    if kind == "queue" and queue is None:
        abort(404)
    counted = counts_beside(user, audience, ids, now)
    regions = listing.region_names(session)
    form = DeskFilterForm(request.args)
    for name, pairs in _filter_choices(session, audience, user, regions).items():
        getattr(form, name).choices = forms.choices(pairs)
    filters, problems = read_filters(form)
    cursor = listing.Cursor.decode(request.args.get("after"))
    view = listing.View(audience, kind, queue_id)
    page = listing.ticket_page(session, user, view, filters, now, cursor)
    kept: dict[str, Any] = {k: v for k, v in request.args.items() if k != "after" and v}
    place: dict[str, Any] = {"slug": slug, **({"queue_id": queue_id} if queue_id else {})}
    endpoint = f"console.desk_{kind}"
    next_url = None
    if page.next_cursor is not None:
        next_url = url_for(endpoint, **place, **kept, after=page.next_cursor.encode())
    return render_template(
        "console/desk.html",
        audience=audience,
        slug=slug,
        kind=kind,
        queue=queue,
        queues=queues,
        **counted(),
        form=form,
        problems=problems,
        page=page,
        regions=regions,
        now=now,
        first_url=url_for(endpoint, **place, **kept) if cursor else None,
        next_url=next_url,
        clear_url=url_for(endpoint, **place),
    )


@console.get("/console/desks/<slug>/")
def desk_all(slug: str) -> Any:
    return desk_list(slug, "all")


@console.get("/console/desks/<slug>/mine")
def desk_mine(slug: str) -> Any:
    return desk_list(slug, "mine")


@console.get("/console/desks/<slug>/unassigned")
def desk_unassigned(slug: str) -> Any:
    return desk_list(slug, "unassigned")


@console.get("/console/desks/<slug>/overdue")
def desk_overdue(slug: str) -> Any:
    return desk_list(slug, "overdue")


@console.get("/console/desks/<slug>/queues/<queue_id>")
def desk_queue(slug: str, queue_id: str) -> Any:
    return desk_list(slug, "queue", queue_id)
