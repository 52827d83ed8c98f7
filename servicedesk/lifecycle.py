"""The ticket lifecycle: its states and the one table of allowed moves.

A closed ticket is final: a new contact about it makes a new ticket linked
to the old one (intake does that), so ``closed`` has no way out.
"""

from __future__ import annotations

from enum import StrEnum

from servicedesk.errors import TransitionError


class TicketStatus(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"  # waiting for the contact
    RESOLVED = "resolved"
    CLOSED = "closed"


S = TicketStatus

TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    S.NEW: frozenset({S.OPEN, S.PENDING, S.RESOLVED, S.CLOSED}),
    S.OPEN: frozenset({S.PENDING, S.RESOLVED, S.CLOSED}),
    S.PENDING: frozenset({S.OPEN, S.RESOLVED, S.CLOSED}),
    S.RESOLVED: frozenset({S.OPEN, S.CLOSED}),
    S.CLOSED: frozenset(),
}

ACTIVE = frozenset({S.NEW, S.OPEN, S.PENDING})


def can_move(current: str, target: str) -> bool:
    return TicketStatus(target) in TRANSITIONS[TicketStatus(current)]


def check_move(current: str, target: str) -> TicketStatus:
    """The target status, or TransitionError saying why the move is refused."""
    try:
        source, goal = TicketStatus(current), TicketStatus(target)
    except ValueError as exc:
        raise TransitionError(f"unknown status: {exc}", field="status") from exc
    if goal not in TRANSITIONS[source]:
        if source is S.CLOSED:
            raise TransitionError("a closed ticket cannot be reopened", field="status")
        raise TransitionError(f"a ticket cannot move from {source} to {goal}", field="status")
    return goal


def status_after_contact_reply(current: str) -> TicketStatus | None:
    """Where a new message from the contact takes a ticket (None: stays)."""
    status = TicketStatus(current)
    if status in {S.PENDING, S.RESOLVED}:
        return S.OPEN
    return None


def status_after_agent_reply(current: str) -> TicketStatus | None:
    """An answer to the contact waits for them, unless the ticket is done."""
    status = TicketStatus(current)
    if status in {S.NEW, S.OPEN}:
        return S.PENDING
    return None
