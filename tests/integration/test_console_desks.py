"""The two desks and their lists: who sees which desk and queue, open
counts, the views, every filter, sorting, and keyset pages that hold
together even when many tickets share a creation time."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import postgresql

from servicedesk.console import listing
from servicedesk.models import Queue, Ticket
from tests.integration import console_kit
from tests.integration.console_kit import (
    fast_sign_in,
    make_contact,
    make_ticket,
    make_user,
)

app = console_kit.app  # the fixture, with compiled templates shared between tests

NUMBER = re.compile(r'href="/console/tickets/([0-9-]+)"')


def numbers(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.status_code
    return NUMBER.findall(response.get_data(as_text=True))


@pytest.fixture
def desks(rt, session):  # type: ignore[no-untyped-def]
    now = rt.now()
    c1 = make_contact(session, name="Aino", email="aino@example.org")
    c2 = make_contact(session, name="Bertil", phone="+358401234567")
    made = {
        "osao_new": make_ticket(
            session,
            now,
            queue="osao-applicants",
            organization="osao",
            contact=c1,
            region_code="17",
            topic="content",
            language="fi",
            channel="email",
            created_at=now - timedelta(days=2),
            due_in=timedelta(days=5),
        ),
        "osao_sms_sv": make_ticket(
            session,
            now,
            queue="osao-applicants",
            organization="osao",
            contact=c2,
            region_code="17",
            topic="funding",
            language="sv",
            channel="sms",
            created_at=now - timedelta(days=1),
            due_in=timedelta(days=5),
            status="open",
        ),
        "triage_overdue": make_ticket(
            session,
            now,
            queue="national-triage",
            organization="national-desk",
            contact=c1,
            created_at=now - timedelta(days=3),
            due_in=timedelta(hours=1),
            status="open",
        ),
        "triage_closed": make_ticket(
            session,
            now,
            queue="national-triage",
            organization="national-desk",
            created_at=now - timedelta(days=4),
            status="closed",
        ),
        "osao_staff": make_ticket(
            session,
            now,
            queue="osao-staff",
            organization="osao",
            audience="staff",
            created_at=now - timedelta(hours=5),
        ),
        "helpdesk": make_ticket(
            session,
            now,
            queue="helpdesk-technical",
            organization="staff-helpdesk",
            audience="staff",
            created_at=now - timedelta(hours=6),
            topic="technical",
        ),
    }
    session.commit()
    return made


def _sign_in(client, session, role: str):  # type: ignore[no-untyped-def]
    user = make_user(session, role)
    session.commit()
    fast_sign_in(client, user)
    return user


@pytest.mark.parametrize(
    ("role", "applicant_desk", "staff_desk"),
    [
        ("admin", True, True),
        ("agent", True, True),
        ("helpdesk", False, True),
        ("superuser", False, True),
        ("expert", True, True),
    ],
)
def test_each_role_sees_its_desks(client, session, desks, role, applicant_desk, staff_desk) -> None:
    _sign_in(client, session, role)
    home = client.get("/console/").get_data(as_text=True)
    assert ('id="desk-applicants"' in home) == applicant_desk
    assert ('id="desk-staff"' in home) == staff_desk
    # The main navigation on every page links the same desks.
    search = client.get("/console/search?q=x").get_data(as_text=True)
    for page in (home, search):
        assert ('class="desk-link desk-applicant"' in page) == applicant_desk
        assert ('class="desk-link desk-staff"' in page) == staff_desk
    assert (client.get("/console/desks/applicants/").status_code == 200) == applicant_desk
    assert (client.get("/console/desks/staff/").status_code == 200) == staff_desk
    assert ('href="/console/admin/"' in home) == (role == "admin")
    assert 'action="/console/search"' in home


def test_organisation_roles_see_only_their_queues(client, session, desks) -> None:
    _sign_in(client, session, "superuser")
    home = client.get("/console/").get_data(as_text=True)
    assert "/console/desks/staff/queues/osao-staff" in home
    assert "/console/desks/staff/queues/helpdesk-technical" not in home
    assert client.get("/console/desks/staff/queues/helpdesk-technical").status_code == 404
    assert client.get("/console/desks/staff/queues/no-such-queue").status_code == 404
    assert numbers(client.get("/console/desks/staff/")) == [desks["osao_staff"].number]


def test_expert_sees_its_organisation_on_both_desks(client, session, desks) -> None:
    _sign_in(client, session, "expert")
    assert numbers(client.get("/console/desks/applicants/")) == [
        desks["osao_sms_sv"].number,
        desks["osao_new"].number,
    ]
    assert client.get("/console/desks/applicants/queues/national-triage").status_code == 404
    assert numbers(client.get("/console/desks/staff/")) == [desks["osao_staff"].number]


def test_lists_show_every_ticket_the_user_may_open(client, rt, session, desks) -> None:
    """The lists follow access.visible alone: an organisation's ticket in a
    queue that was deactivated, or in no queue, is listed where it can be
    opened, not only reachable by its URL or the search."""
    user = _sign_in(client, session, "expert")
    session.add(Queue(id="osao-old", organization_id="osao", audience="applicant", active=False))
    session.flush()
    in_old_queue = make_ticket(session, rt.now(), queue="osao-old", organization="osao")
    in_no_queue = make_ticket(session, rt.now(), queue=None, organization="osao")  # type: ignore[arg-type]
    in_no_queue.assignee_id = user.id
    session.commit()
    listed = numbers(client.get("/console/desks/applicants/"))
    mine = numbers(client.get("/console/desks/applicants/mine"))
    for ticket in (in_old_queue, in_no_queue):
        assert client.get(f"/console/tickets/{ticket.number}").status_code == 200
        assert ticket.number in listed
    assert mine == [in_no_queue.number]
    counts = listing.counting_views(user, "applicant", rt.now())(session)
    assert (counts["all"], counts["mine"]) == (len(listed), len(mine))


def test_view_counts_match_their_lists(client, rt, session, desks) -> None:
    user = _sign_in(client, session, "agent")
    counts = listing.counting_views(user, "applicant", rt.now())(session)
    for kind, path in (("all", ""), ("mine", "mine"), ("unassigned", "unassigned"),
                       ("overdue", "overdue")):  # fmt: skip
        listed = numbers(client.get(f"/console/desks/applicants/{path}"))
        assert counts[kind] == len(listed), kind
    assert counts["all"] > 0 and counts["overdue"] > 0


def test_queue_counts_show_active_tickets(client, session, desks) -> None:
    _sign_in(client, session, "agent")
    home = client.get("/console/").get_data(as_text=True)
    row = re.search(r'queues/national-triage">[^<]*</a></td>\s*<td class="num">(\d+)<', home)
    assert row and row.group(1) == "1"  # the closed one is not counted
    row = re.search(r'queues/osao-applicants">[^<]*</a></td>\s*<td class="num">(\d+)<', home)
    assert row and row.group(1) == "2"


def test_views_mine_unassigned_overdue(client, session, rt, desks) -> None:
    user = _sign_in(client, session, "agent")
    desks["osao_new"].assignee_id = user.id
    session.commit()
    assert numbers(client.get("/console/desks/applicants/mine")) == [desks["osao_new"].number]
    unassigned = numbers(client.get("/console/desks/applicants/unassigned"))
    assert desks["osao_new"].number not in unassigned
    assert desks["osao_sms_sv"].number in unassigned
    assert numbers(client.get("/console/desks/applicants/overdue")) == [
        desks["triage_overdue"].number
    ]
    page = client.get("/console/desks/applicants/overdue").get_data(as_text=True)
    assert 'class="overdue"' in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "all"}, ["osao_sms_sv", "osao_new", "triage_overdue", "triage_closed"]),
        ({"status": "closed"}, ["triage_closed"]),
        ({"status": "open"}, ["osao_sms_sv", "triage_overdue"]),
        ({"channel": "sms"}, ["osao_sms_sv"]),
        ({"region": "17"}, ["osao_sms_sv", "osao_new"]),
        ({"topic": "content"}, ["osao_new"]),
        ({"language": "sv"}, ["osao_sms_sv"]),
        ({"assignee": "none", "channel": "email"}, ["osao_new", "triage_overdue"]),
        ({"sort": "oldest"}, ["triage_overdue", "osao_new", "osao_sms_sv"]),
        ({"sort": "due"}, ["triage_overdue", "osao_new", "osao_sms_sv"]),
    ],
)
def test_filters_and_sorting(client, session, desks, query, expected) -> None:
    _sign_in(client, session, "agent")
    found = numbers(client.get("/console/desks/applicants/", query_string=query))
    assert found == [desks[name].number for name in expected]


def test_date_filter_uses_finnish_calendar_days(client, session, rt, desks) -> None:
    _sign_in(client, session, "agent")
    # 22:30 UTC on 1 March is already 2 March in Helsinki (UTC+2).
    late = datetime(2026, 3, 1, 22, 30, tzinfo=UTC)
    ticket = make_ticket(
        session, rt.now(), queue="national-triage", organization="national-desk", created_at=late
    )
    session.commit()
    on_second = numbers(
        client.get(
            "/console/desks/applicants/",
            query_string={"created_from": "2026-03-02", "created_to": "2026-03-02"},
        )
    )
    assert on_second == [ticket.number]
    on_first = numbers(
        client.get(
            "/console/desks/applicants/",
            query_string={"created_from": "2026-03-01", "created_to": "2026-03-01"},
        )
    )
    assert on_first == []


def test_unknown_filter_values_are_ignored_and_reported(client, session, desks) -> None:
    _sign_in(client, session, "agent")
    response = client.get(
        "/console/desks/applicants/", query_string={"status": "bogus", "created_from": "x"}
    )
    assert response.status_code == 200
    assert "not one of the choices" in response.get_data(as_text=True)
    assert len(numbers(response)) == 3


def test_list_shows_every_column(client, session, desks) -> None:
    _sign_in(client, session, "agent")
    page = client.get("/console/desks/applicants/queues/osao-applicants").get_data(as_text=True)
    for expected in (
        "Aino",
        "Email",
        "SMS",
        "Pohjois-Pohjanmaa",
        "Oulu Vocational College",
        "New",
        "Open",
        "2 days",
    ):
        assert expected in page, expected


def test_keyset_pages_hold_together_with_equal_times(client, rt, session) -> None:
    user = make_user(session, "agent")
    same = rt.now() - timedelta(hours=1)
    made = [
        make_ticket(
            session, rt.now(), queue="omnia-applicants", organization="omnia", created_at=same
        )
        for _ in range(7)
    ]
    session.commit()
    view = listing.View("applicant", "queue", "omnia-applicants")
    filters = listing.Filters()
    seen: list[int] = []
    cursor = None
    while True:
        page = listing.ticket_page(session, user, view, filters, rt.now(), cursor, size=3)
        seen += [t.id for t in page.tickets]
        cursor = page.next_cursor
        if cursor is None:
            break
        cursor = listing.Cursor.decode(cursor.encode())  # through the URL and back
    assert seen == sorted((t.id for t in made), reverse=True)


@pytest.mark.parametrize("size", [1, 2, 3, 4, 10])
def test_deadline_pages_end_with_the_tickets_without_one(rt, session, size: int) -> None:
    user = make_user(session, "agent")
    due = [timedelta(hours=3), None, timedelta(hours=1), None, timedelta(hours=3), None]
    made = [
        make_ticket(session, rt.now(), queue="omnia-applicants", organization="omnia", due_in=d)
        for d in due
    ]
    session.commit()
    expected = [t.id for t in sorted(made, key=lambda t: (t.due_at is None, t.due_at, t.id))]
    assert made[1].id in expected[-3:]
    view = listing.View("applicant", "queue", "omnia-applicants")
    seen: list[int] = []
    cursor = None
    for _ in range(len(made) + 1):
        page = listing.ticket_page(
            session, user, view, listing.Filters(sort="due"), rt.now(), cursor, size=size
        )
        assert len(page.tickets) == min(size, len(made) - len(seen))
        seen += [t.id for t in page.tickets]
        cursor = page.next_cursor
        if cursor is None:
            break
        cursor = listing.Cursor.decode(cursor.encode())
    assert seen == expected


def test_pager_links_walk_the_list(client, rt, session) -> None:
    user = make_user(session, "agent")
    for i in range(55):
        make_ticket(
            session,
            rt.now(),
            queue="omnia-applicants",
            organization="omnia",
            created_at=rt.now() - timedelta(minutes=i),
        )
    session.commit()
    fast_sign_in(client, user)
    first = client.get("/console/desks/applicants/queues/omnia-applicants")
    assert len(numbers(first)) == 50
    link = re.search(r'href="([^"]+)" rel="next"', first.get_data(as_text=True))
    assert link is not None
    second = client.get(link.group(1).replace("&amp;", "&"))
    assert len(numbers(second)) == 5
    assert not set(numbers(first)) & set(numbers(second))
    assert "First page" in second.get_data(as_text=True)


# (role, desk, view kind, queue, sorts): every kind of list a user can open.
# The overdue view is a range of deadlines: newest or oldest first, the
# database reads that range (the few overdue tickets) and sorts it, which
# beats walking the whole desk in creation order.
LISTS = [
    ("agent", "applicant", "all", None, listing.SORTS),
    ("agent", "applicant", "queue", "osao-applicants", listing.SORTS),
    ("agent", "applicant", "mine", None, listing.SORTS),
    ("agent", "applicant", "unassigned", None, listing.SORTS),
    ("agent", "applicant", "overdue", None, ("due",)),
    ("helpdesk", "staff", "all", None, listing.SORTS),
    ("superuser", "staff", "all", None, listing.SORTS),
    ("expert", "applicant", "all", None, listing.SORTS),
    ("expert", "applicant", "queue", "osao-applicants", listing.SORTS),
]


def query_plan(session, query) -> str:  # type: ignore[no-untyped-def]
    """The database's plan of ``query``, as one string."""
    bind = session.get_bind()
    sql = str(query.compile(bind, compile_kwargs={"literal_binds": True}))
    if bind.dialect.name == "sqlite":
        rows = session.execute(text("EXPLAIN QUERY PLAN " + sql))
        return " | ".join(str(row[-1]) for row in rows)
    # The test tables are tiny: without this PostgreSQL would rightly read
    # them whole and sort, whatever the indexes (a one-row estimate makes
    # sorting free, so any index would do).  With sorting off, a Sort node
    # is left only where no index gives the order.
    session.execute(text("SET LOCAL enable_seqscan = off"))
    session.execute(text("SET LOCAL enable_bitmapscan = off"))
    session.execute(text("SET LOCAL enable_sort = off"))
    return "\n".join(str(row[0]) for row in session.execute(text("EXPLAIN " + sql)))


@pytest.mark.parametrize(("role", "desk", "kind", "queue", "sorts"), LISTS)
def test_every_list_order_is_read_from_an_index(
    rt, session, role, desk, kind, queue, sorts
) -> None:  # type: ignore[no-untyped-def]
    user = make_user(session, role)
    view = listing.View(desk, kind, queue)
    for sort in sorts:
        first = listing.list_query(user, view, listing.Filters(sort=sort), rt.now())
        cursor = listing.Cursor(rt.now(), 10**6)
        queries = [
            first,
            listing.list_query(user, view, listing.Filters(sort=sort), rt.now(), cursor),
        ]
        if sort == "due" and kind != "overdue":  # the tickets without a deadline
            past = listing.Cursor(listing.NO_DEADLINE, 10**6)
            queries.append(
                listing.list_query(user, view, listing.Filters(sort=sort), rt.now(), past)
            )
        for query in queries:
            assert query._offset_clause is None  # pages are cut by the cursor alone
            assert "OFFSET" not in str(query.compile(dialect=postgresql.dialect())).upper()
            plan = query_plan(session, query)
            assert "TEMP B-TREE" not in plan and "Sort" not in plan, (sort, plan)
            assert "INDEX" in plan.upper(), (sort, plan)


def test_cursor_rejects_garbage() -> None:
    for raw in ("", "x", "1.", ".1", "1.2.3", "9" * 60 + ".1", "-1.-1"):
        assert listing.Cursor.decode(raw) is None
    cursor = listing.Cursor(datetime(2026, 1, 2, 3, 4, 5, 6789, tzinfo=UTC), 42)
    assert listing.Cursor.decode(cursor.encode()) == cursor


def test_ticket_rows_exist(session, desks) -> None:
    assert session.get(Ticket, desks["osao_new"].id) is not None
