"""The record each retention run leaves: one ``retention_run`` audit event
(not tied to a ticket) saying who ran it (the scheduled job, the command
line or an administrator in the console), the cutoff of each desk, what
was removed, the ticket numbers (the first ``MAX_NUMBERS``) and how many
files were deleted; and the latest runs, read back for the privacy page.

``retention.run_recorded`` is the one place that writes it, whoever runs
the retention.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from servicedesk import audit
from servicedesk.models import AuditEvent

KIND = "retention_run"
MAX_NUMBERS = 50


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One retention run as the privacy page lists it."""

    at: datetime
    actor: str
    tickets: int
    numbers: list[str] = field(default_factory=list)  # the first MAX_NUMBERS
    cutoffs: dict[str, datetime] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    files_deleted: int | None = None  # None: not known (an older record)

    @property
    def more_tickets(self) -> int:
        """How many ticket numbers the record leaves out."""
        return max(0, self.tickets - len(self.numbers))


def record(
    session: Session,
    *,
    actor: audit.Actor,
    now: datetime,
    cutoffs: Mapping[str, datetime],
    numbers: Sequence[str],
    counts: Mapping[str, int],
) -> AuditEvent:
    """The run's event, written in the run's own transaction, so anonymised
    tickets are never without their record; the files are counted later
    (``note_files_deleted``)."""
    return audit.record(
        session,
        None,
        actor,
        KIND,
        "",
        {
            "tickets": len(numbers),
            "numbers": list(numbers[:MAX_NUMBERS]),
            "cutoffs": {desk: cutoff.isoformat() for desk, cutoff in sorted(cutoffs.items())},
            "counts": {k: int(v) for k, v in sorted(counts.items())},
            "files_deleted": 0,
        },
        at=now,
    )


def note_files_deleted(event: AuditEvent, count: int) -> None:
    # A new dict: the JSON column notices reassignment, not mutation.
    event.data = {**event.data, "files_deleted": count}


def _cutoffs(raw: Any) -> dict[str, datetime]:
    if not isinstance(raw, dict):
        return {}
    found = {}
    for desk, value in raw.items():
        try:
            found[str(desk)] = datetime.fromisoformat(str(value))
        except ValueError:
            continue
    return found


def _from_event(event: AuditEvent) -> RunRecord:
    data = event.data or {}
    counts = data.get("counts") if isinstance(data.get("counts"), dict) else {}
    files = data.get("files_deleted")
    return RunRecord(
        at=event.created_at,
        actor=event.actor,
        tickets=int(data.get("tickets") or 0),
        numbers=[str(n) for n in data.get("numbers") or []],
        cutoffs=_cutoffs(data.get("cutoffs")),
        counts={str(k): int(v) for k, v in (counts or {}).items()},
        files_deleted=int(files) if isinstance(files, int) else None,
    )


def latest(session: Session, limit: int = 10) -> list[RunRecord]:
    """The newest runs first.  Ticket-less events are few, and
    ``ix_audit_events_ticket_id_id`` serves ``ticket_id IS NULL ... ORDER
    BY id``: no index on the kind is needed."""
    events = session.execute(
        select(AuditEvent)
        .where(AuditEvent.ticket_id.is_(None), AuditEvent.kind == KIND)
        .order_by(AuditEvent.id.desc())
        .limit(limit)
    ).scalars()
    return [_from_event(e) for e in events]
