"""The people a new ticket may be assigned to, read from the database: each
active member of the queue with every queue they work and how many active
tickets they hold now (closed ones and other people's do not count)."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from routing import Candidate
from servicedesk.intake.lookups import SqlLookups
from servicedesk.models import Queue, QueueMember, Ticket, User, utcnow
from servicedesk.runtime import Runtime
from tests.integration.console_kit import make_user


def tickets(session: Session, assignee: User, status: str, count: int) -> None:
    now = utcnow()
    for _ in range(count):
        session.add(
            Ticket(
                number=f"2098-{secrets.token_hex(4)}",
                audience="applicant",
                channel="api",
                status=status,
                assignee_id=assignee.id,
                status_token=secrets.token_urlsafe(24),
                created_at=now,
                updated_at=now,
            )
        )


def test_candidates_are_the_active_members_with_their_queues_and_open_tickets(
    rt: Runtime, session: Session
) -> None:
    first, second = session.execute(select(Queue.id).order_by(Queue.id).limit(2)).scalars()
    busy = make_user(session, "agent", topics=["results"])
    busy.languages = ["fi", "sv"]
    free = make_user(session, "agent", is_available=False)
    gone = make_user(session, "agent", is_active=False)
    outsider = make_user(session, "agent")
    session.add_all(
        [
            QueueMember(queue_id=first, user_id=busy.id),
            QueueMember(queue_id=second, user_id=busy.id),
            QueueMember(queue_id=first, user_id=free.id),
            QueueMember(queue_id=first, user_id=gone.id),
            QueueMember(queue_id=second, user_id=outsider.id),
        ]
    )
    tickets(session, busy, "open", 3)
    tickets(session, busy, "pending", 1)
    tickets(session, busy, "closed", 5)
    tickets(session, free, "resolved", 2)
    tickets(session, outsider, "new", 4)
    session.flush()

    found = {c.user_id: c for c in SqlLookups(session, rt.settings).assignment_candidates(first)}

    assert found == {
        str(busy.id): Candidate(
            user_id=str(busy.id),
            queue_ids=tuple(sorted([first, second])),
            topics=("results",),
            languages=("fi", "sv"),
            open_tickets=4,
            available=True,
        ),
        str(free.id): Candidate(
            user_id=str(free.id),
            queue_ids=(first,),
            topics=(),
            languages=("fi", "en"),
            open_tickets=0,
            available=False,
        ),
    }


def test_a_queue_nobody_works_has_no_candidates(rt: Runtime, session: Session) -> None:
    queue = session.execute(select(Queue.id).order_by(Queue.id.desc()).limit(1)).scalar_one()
    session.execute(QueueMember.__table__.delete().where(QueueMember.queue_id == queue))
    assert SqlLookups(session, rt.settings).assignment_candidates(queue) == []
