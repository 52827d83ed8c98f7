"""Replaying stored intake records (``servicedesk intake replay``, and the
admin page's button): a failed record goes through the pipeline again,
with whatever parser and directory we have now."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select

from servicedesk.intake import pipeline
from servicedesk.models import IntakeRecord, IntakeStatus
from servicedesk.runtime import Runtime


@dataclass
class ReplayOutcome:
    lines: list[str] = field(default_factory=list)
    failed: int = 0


def replay(runtime: Runtime, ids: Sequence[int], *, all_failed: bool = False) -> ReplayOutcome:
    outcome = ReplayOutcome()
    with runtime.db.transaction() as session:
        query = select(IntakeRecord)
        if all_failed:
            query = query.where(IntakeRecord.status == IntakeStatus.FAILED)
        else:
            query = query.where(IntakeRecord.id.in_(list(ids)))
        records = session.execute(query.order_by(IntakeRecord.id)).scalars().all()
        found = {r.id for r in records}
        for missing in sorted(set(ids) - found):
            outcome.lines.append(f"record {missing}: no such record")
            outcome.failed += 1
        targets = []
        for record in records:
            if record.status == IntakeStatus.PROCESSED:
                outcome.lines.append(
                    f"record {record.id}: already processed (ticket id {record.ticket_id})"
                )
                continue
            record.status = IntakeStatus.RECEIVED
            record.attempts = 0
            targets.append(record.id)
    for record_id in targets:
        try:
            applied = pipeline.process_record(runtime, record_id)
        except Exception as exc:  # reported per record; the rest still run
            outcome.lines.append(f"record {record_id}: failed again: {type(exc).__name__}: {exc}")
            outcome.failed += 1
            continue
        with runtime.db.session() as session:
            stored = session.get(IntakeRecord, record_id)
            assert stored is not None
            if applied is not None and applied.ticket is not None:
                verb = "new ticket" if applied.created else "added to ticket"
                outcome.lines.append(f"record {record_id}: {verb} {applied.ticket.number}")
            elif stored.status == IntakeStatus.FAILED:
                outcome.lines.append(f"record {record_id}: failed again: {stored.error}")
                outcome.failed += 1
            else:
                outcome.lines.append(f"record {record_id}: {stored.status} ({stored.error or ''})")
    return outcome
