"""Every role × every JSON API action, through bearer tokens acting as a
user: the same tickets as in the console are reachable (the tables of
test_console_permissions), anything else is the same 404 as a number that
does not exist, and a refused action changes nothing.  A token with no
user is an integration's and sees every ticket."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from servicedesk import tokens
from servicedesk.models import Message
from tests.integration import console_kit
from tests.integration import test_console_permissions as console_matrix
from tests.integration.test_console_permissions import TICKETS, VISIBLE, World

app = console_kit.app  # the fixture, with compiled templates shared between tests
world = console_matrix.world  # the fixture: one ticket per desk and organisation kind

ROLES = [*VISIBLE, "integration"]
SEES = {**VISIBLE, "integration": set(TICKETS)}
NO_SUCH_TICKET = "2099-999999"

Call = Callable[[Any, dict[str, str], str], Any]


def show(client, headers: dict[str, str], number: str):  # type: ignore[no-untyped-def]
    return client.get(f"/api/v1/tickets/{number}", headers=headers)


def reply(client, headers: dict[str, str], number: str):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/v1/tickets/{number}/replies", json={"body": "Vastaus rajapinnasta"}, headers=headers
    )


def log_call(client, headers: dict[str, str], number: str):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/v1/tickets/{number}/calls",
        json={"direction": "inbound", "number": "+358401234567", "summary": "Soitti"},
        headers=headers,
    )


# action → (request, status when allowed, whether it adds a message)
ACTIONS: dict[str, tuple[Call, int, bool]] = {
    "show": (show, 200, False),
    "reply": (reply, 201, True),
    "log_call": (log_call, 201, True),
}


def bearer(rt, session, w: World, holder: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    user_id = None if holder == "integration" else w.user.id
    _row, secret = tokens.create(session, f"{holder} token", rt.now(), user_id=user_id)
    session.commit()
    return {"Authorization": f"Bearer {secret}"}


def messages_of(session, w: World, name: str) -> int:  # type: ignore[no-untyped-def]
    query = select(func.count(Message.id)).where(Message.ticket_id == w.tickets[name].id)
    return int(session.execute(query).scalar_one())


# (the role of the world's user, whose token it is): an integration's
# token has no user.
HOLDERS = pytest.mark.parametrize(
    ("world", "holder"),
    [(role, role) for role in VISIBLE] + [("admin", "integration")],
    indirect=["world"],
    ids=ROLES,
)


@HOLDERS
@pytest.mark.parametrize("action", ["list"])
def test_list_shows_exactly_the_visible_tickets(
    client, rt, session, world: World, holder: str, action: str
) -> None:
    headers = bearer(rt, session, world, holder)
    names = {t.number: name for name, t in world.tickets.items()}
    answer = client.get("/api/v1/tickets", headers=headers)
    assert answer.status_code == 200
    listed = {names[t["number"]] for t in answer.get_json()["tickets"] if t["number"] in names}
    assert listed == SEES[holder], holder
    for audience in ("applicant", "staff"):
        answer = client.get(f"/api/v1/tickets?audience={audience}", headers=headers)
        listed = {names[t["number"]] for t in answer.get_json()["tickets"]}
        expected = {n for n in SEES[holder] if TICKETS[n][0] == audience}
        assert listed == expected, (holder, audience)


@HOLDERS
@pytest.mark.parametrize("action", list(ACTIONS))
def test_role_may_act_only_on_what_it_sees(
    client, rt, session, world: World, holder: str, action: str
) -> None:
    headers = bearer(rt, session, world, holder)
    call, allowed, adds_message = ACTIONS[action]
    missing = call(client, headers, NO_SUCH_TICKET)
    assert missing.status_code == 404
    for name, ticket in world.tickets.items():
        before = messages_of(session, world, name)
        answer = call(client, headers, ticket.number)
        session.expire_all()
        if name in SEES[holder]:
            assert answer.status_code == allowed, (holder, action, name, answer.get_json())
            assert messages_of(session, world, name) == before + adds_message
        else:
            assert answer.status_code == 404, (holder, action, name)
            hidden = answer.get_data(as_text=True).replace(ticket.number, NO_SUCH_TICKET)
            assert hidden == missing.get_data(as_text=True), "a hidden ticket looks missing"
            assert messages_of(session, world, name) == before, (holder, action, name)
