from __future__ import annotations

import pytest

from servicedesk.errors import TransitionError
from servicedesk.lifecycle import (
    TRANSITIONS,
    TicketStatus,
    can_move,
    check_move,
    status_after_agent_reply,
    status_after_contact_reply,
)

S = TicketStatus


@pytest.mark.parametrize(
    ("source", "target", "allowed"),
    [
        (S.NEW, S.OPEN, True),
        (S.NEW, S.RESOLVED, True),
        (S.OPEN, S.PENDING, True),
        (S.PENDING, S.OPEN, True),
        (S.RESOLVED, S.OPEN, True),
        (S.RESOLVED, S.CLOSED, True),
        (S.OPEN, S.NEW, False),
        (S.CLOSED, S.OPEN, False),
        (S.CLOSED, S.NEW, False),
        (S.RESOLVED, S.PENDING, False),
    ],
)
def test_transition_table(source: S, target: S, allowed: bool) -> None:
    assert can_move(source, target) is allowed


def test_every_state_has_a_row() -> None:
    assert set(TRANSITIONS) == set(TicketStatus)


def test_closed_is_final_with_a_reason() -> None:
    with pytest.raises(TransitionError, match="closed ticket cannot be reopened"):
        check_move("closed", "open")


def test_unknown_status_is_refused() -> None:
    with pytest.raises(TransitionError):
        check_move("open", "archived")


def test_contact_reply_reopens_resolved_and_pending_only() -> None:
    assert status_after_contact_reply("resolved") is S.OPEN
    assert status_after_contact_reply("pending") is S.OPEN
    assert status_after_contact_reply("open") is None
    assert status_after_contact_reply("closed") is None


def test_agent_reply_waits_for_the_contact() -> None:
    assert status_after_agent_reply("new") is S.PENDING
    assert status_after_agent_reply("open") is S.PENDING
    assert status_after_agent_reply("resolved") is None
