"""The desks' ticket lists: which queues a user sees, open counts, and the
filtered list query with keyset pagination.

Pages are cut with ``WHERE (key, id) < (last key, last id)`` on the sort
key, never with OFFSET, so the thousandth page costs what the first does,
and every list order has an index that returns the rows in that order
(models/tickets.py: the desk, the queue and the organisation, each by
creation time and by deadline).  Sorted by deadline, the tickets without one
come last, in id order: a second query over ``due_at IS NULL`` (an
expression such as ``coalesce`` in ORDER BY would defeat the indexes).
The visibility rule is ``access.visible`` alone, the same rule the ticket
page uses, so a list shows every ticket the user may open, also one in a
deactivated queue or in none; the queue menu is ``visible_queues``
(``access.can_see`` on a ticket that would sit in the queue).
No Flask here: the views parse the request into ``View`` and ``Filters``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, literal, or_, select
from sqlalchemy.orm import Session, defer, joinedload

from servicedesk import access
from servicedesk.lifecycle import ACTIVE
from servicedesk.models import ContactIdentity, Organization, Queue, Region, Ticket, User
from servicedesk.models.base import UTCDateTime
from servicedesk.whole_numbers import row_id

PAGE_SIZE = 50
ACTIVE_STATUSES = sorted(s.value for s in ACTIVE)
VIEWS = ("all", "mine", "unassigned", "overdue", "queue")
SORTS = ("newest", "oldest", "due")
# The cursor's key once the deadline sort has passed the last deadline
# (only in the cursor: the database keeps NULL).
NO_DEADLINE = datetime(9999, 12, 31, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class View:
    """One list on a desk: ``audience`` is the desk, ``kind`` the view."""

    audience: str
    kind: str = "all"
    queue_id: str | None = None


@dataclass(frozen=True, slots=True)
class Filters:
    status: str = "active"  # "active", "all" or one status
    channel: str | None = None
    region: str | None = None
    topic: str | None = None
    language: str | None = None
    assignee: int | str | None = None  # a user id, or "none"
    created_from: datetime | None = None  # UTC bounds, [from, to)
    created_to: datetime | None = None
    sort: str = "newest"


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where the previous page ended: its last row's sort key and id."""

    key: datetime
    id: int

    def encode(self) -> str:
        micros = int(self.key.timestamp()) * 1_000_000 + self.key.microsecond
        return f"{micros}.{self.id}"

    @classmethod
    def decode(cls, raw: str | None) -> Cursor | None:
        micros, _, raw_ident = (raw or "").partition(".")
        ident = row_id(raw_ident)
        digits = micros.removeprefix("-")
        if not (digits.isascii() and digits.isdigit()) or ident is None or len(raw or "") > 40:
            return None
        try:
            seconds, rest = divmod(int(micros), 1_000_000)
            key = datetime.fromtimestamp(seconds, UTC).replace(microsecond=rest)
        except (OverflowError, OSError, ValueError):
            return None
        return cls(key, ident)


@dataclass
class Page:
    tickets: list[Ticket]
    next_cursor: Cursor | None
    identities: dict[int, list[ContactIdentity]] = field(default_factory=dict)


#: The queues the console's menus offer: active, of an active organisation.
MENU_QUEUES = (Queue.active, Organization.active)


def visible_queues(session: Session, user: User, audience: str) -> list[Queue]:
    """The active queues of one desk whose tickets ``user`` may see."""
    queues = (
        session.execute(
            select(Queue)
            .join(Organization, Organization.id == Queue.organization_id)
            .where(*MENU_QUEUES, Queue.audience == audience)
            .options(
                # The menus show names; these are read on every console page.
                defer(Queue.topics),
                defer(Queue.languages),
                joinedload(Queue.organization).options(
                    defer(Organization.aliases),
                    defer(Organization.staff_email_domains),
                    defer(Organization.opening_hours),
                ),
            )
            .order_by(Organization.position, Organization.id, Queue.position, Queue.id)
        )
        .scalars()
        .all()
    )
    return [q for q in queues if access.may_see(user, q.audience, q.organization_id)]


def visible_desks(session: Session, user: User) -> set[str]:
    """The desks (audiences) where ``visible_queues`` would list a queue:
    the console's top navigation, on every page, without loading them."""
    rows = session.execute(
        select(Queue.audience, Queue.organization_id)
        .join(Organization, Organization.id == Queue.organization_id)
        .where(*MENU_QUEUES)
        .distinct()
    ).all()
    return {audience for audience, org in rows if access.may_see(user, audience, org)}


def _scope(user: User, view: View, now: datetime) -> list[ColumnElement[bool]]:
    """The WHERE clauses of a view, visibility included."""
    clauses: list[ColumnElement[bool]] = [Ticket.audience == view.audience, access.visible(user)]
    if view.kind == "queue":
        clauses.append(Ticket.queue_id == view.queue_id)
    elif view.kind == "mine":
        clauses.append(Ticket.assignee_id == user.id)
    elif view.kind == "unassigned":
        clauses.append(Ticket.assignee_id.is_(None))
    elif view.kind == "overdue":
        clauses += [Ticket.due_at < now, Ticket.status.in_(ACTIVE_STATUSES)]
    return clauses


def _filter_clauses(filters: Filters) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if filters.status == "active":
        clauses.append(Ticket.status.in_(ACTIVE_STATUSES))
    elif filters.status != "all":
        clauses.append(Ticket.status == filters.status)
    for value, column in (
        (filters.channel, Ticket.channel),
        (filters.region, Ticket.region_code),
        (filters.topic, Ticket.topic),
        (filters.language, Ticket.language),
    ):
        if value:
            clauses.append(column == value)
    if filters.assignee == "none":
        clauses.append(Ticket.assignee_id.is_(None))
    elif isinstance(filters.assignee, int):
        clauses.append(Ticket.assignee_id == filters.assignee)
    if filters.created_from is not None:
        clauses.append(Ticket.created_at >= filters.created_from)
    if filters.created_to is not None:
        clauses.append(Ticket.created_at < filters.created_to)
    return clauses


def sort_key(sort: str) -> ColumnElement[Any]:
    return Ticket.due_at if sort == "due" else Ticket.created_at  # type: ignore[return-value]


def _key_of(ticket: Ticket, sort: str) -> datetime:
    if sort == "due":
        return ticket.due_at or NO_DEADLINE
    return ticket.created_at


def _after(sort: str, cursor: Cursor) -> ColumnElement[bool]:
    """Rows after the cursor.  Written as ``key <= k AND (key < k OR id < i)``
    rather than a row comparison, so a plain index on the key serves it."""
    key = sort_key(sort)
    bound = literal(cursor.key, UTCDateTime())
    if sort == "newest":
        return and_(key <= bound, or_(key < bound, Ticket.id < cursor.id))
    return and_(key >= bound, or_(key > bound, Ticket.id > cursor.id))


def list_query(
    user: User,
    view: View,
    filters: Filters,
    now: datetime,
    after: Cursor | None = None,
    size: int = PAGE_SIZE,
    *,
    no_deadline: bool = False,
) -> Select[Any]:
    """One page of a list, or with the deadline sort, of one part of it:
    the tickets with a deadline, or (``no_deadline``, or once the cursor is
    past the last deadline) those without."""
    query = select(Ticket).where(*_scope(user, view, now), *_filter_clauses(filters))
    if filters.sort == "due":
        no_deadline = no_deadline or (after is not None and after.key >= NO_DEADLINE)
        if no_deadline:
            # due_at is NULL throughout: ordering by it too lets PostgreSQL
            # read the (…, due_at, id) index in order instead of sorting.
            query = query.where(Ticket.due_at.is_(None)).order_by(Ticket.due_at, Ticket.id)
            if after is not None and after.key >= NO_DEADLINE:
                query = query.where(Ticket.id > after.id)
            return query.limit(size + 1)
        query = query.where(Ticket.due_at.is_not(None))
    key = sort_key(filters.sort)
    order = (key.desc(), Ticket.id.desc()) if filters.sort == "newest" else (key, Ticket.id)
    query = query.order_by(*order).limit(size + 1)
    if after is not None:
        query = query.where(_after(filters.sort, after))
    return query


def ticket_page(
    session: Session,
    user: User,
    view: View,
    filters: Filters,
    now: datetime,
    after: Cursor | None = None,
    size: int = PAGE_SIZE,
) -> Page:
    loads = (
        defer(Ticket.routing),  # the routing explanation: the ticket page shows it, not the list
        joinedload(Ticket.contact),
        # What the rows show of them, not their JSON columns on every row.
        joinedload(Ticket.organization).load_only(
            Organization.name_fi, Organization.name_sv, Organization.name_en
        ),
        joinedload(Ticket.assignee).load_only(User.name),
    )
    query = list_query(user, view, filters, now, after, size).options(*loads)
    rows: list[Ticket] = list(session.execute(query).unique().scalars())
    past_deadlines = after is not None and after.key >= NO_DEADLINE
    # No ticket without a deadline is overdue.
    tail_wanted = filters.sort == "due" and view.kind != "overdue" and not past_deadlines
    if tail_wanted and len(rows) <= size:
        # The last deadline is on this page: the tickets without one follow.
        rest = size - len(rows)
        tail = list_query(user, view, filters, now, size=rest, no_deadline=True).options(*loads)
        rows += list(session.execute(tail).unique().scalars())
    more = len(rows) > size
    rows = rows[:size]
    cursor = Cursor(_key_of(rows[-1], filters.sort), rows[-1].id) if more and rows else None
    return Page(rows, cursor, contact_identities(session, [t.contact_id for t in rows]))


def contact_identities(
    session: Session, contact_ids: Sequence[int | None]
) -> dict[int, list[ContactIdentity]]:
    wanted = sorted({c for c in contact_ids if c is not None})
    found: dict[int, list[ContactIdentity]] = {}
    if wanted:
        for identity in session.execute(
            select(ContactIdentity)
            .where(ContactIdentity.contact_id.in_(wanted))
            .order_by(ContactIdentity.id)
        ).scalars():
            found.setdefault(identity.contact_id, []).append(identity)
    return found


def open_counts(session: Session, queue_ids: Sequence[str]) -> dict[str, int]:
    """Active tickets per queue (served by the (queue_id, status, id) index)."""
    if not queue_ids:
        return {}
    rows = session.execute(
        select(Ticket.queue_id, func.count(Ticket.id))
        .where(Ticket.queue_id.in_(list(queue_ids)), Ticket.status.in_(ACTIVE_STATUSES))
        .group_by(Ticket.queue_id)
    ).all()
    return {queue_id: count for queue_id, count in rows if queue_id is not None}


def counting_views(user: User, audience: str, now: datetime) -> Callable[[Session], dict[str, int]]:
    """Active tickets in the desk's own views (all, mine, unassigned,
    overdue): the query, built now from the user, to be run on any session
    later (one of its own, beside the request's)."""
    # One pass over the desk's active tickets, not one per view: each view
    # is the "all" scope narrowed by one more condition (``_scope``).
    every = func.count(Ticket.id)
    statement = select(
        every,
        every.filter(Ticket.assignee_id == user.id),
        every.filter(Ticket.assignee_id.is_(None)),
        every.filter(Ticket.due_at < now),
    ).where(*_scope(user, View(audience, "all"), now), Ticket.status.in_(ACTIVE_STATUSES))

    def count(session: Session) -> dict[str, int]:
        row = session.execute(statement).one()
        return dict(
            zip(("all", "mine", "unassigned", "overdue"), (int(n) for n in row), strict=True)
        )

    return count


def region_names(session: Session) -> dict[str, str]:
    return {code: name for code, name in session.execute(select(Region.code, Region.name_fi))}


@dataclass(frozen=True, slots=True)
class Person:
    """A console user as the assignee menus show them."""

    id: int
    name: str
    role: str
    organization_id: str | None


def _active_users(session: Session) -> list[Person]:
    """Active console users by name, as the assignee menus list them: four
    columns, not whole users (a desk page's menus list every user of the
    desk, and loading each as an ORM object was a tenth of the page)."""
    rows = session.execute(
        select(User.id, User.name, User.role, User.organization_id)
        .where(User.is_active)
        .order_by(User.name, User.id)
    )
    return [Person(*row) for row in rows]


def desk_users(session: Session, *audiences: str) -> list[Person]:
    """Active console users who could hold tickets of a desk (of any of
    ``audiences``), by name: for the assignee filter."""
    return [
        u
        for u in _active_users(session)
        if any(access.sees(u.role, u.organization_id, a, u.organization_id) for a in audiences)
    ]


def assignable_users(session: Session, ticket: Ticket) -> list[Person]:
    """Active users who may see ``ticket``, so it can be given to them."""
    return [
        u
        for u in _active_users(session)
        if access.sees(u.role, u.organization_id, ticket.audience, ticket.organization_id)
    ]
