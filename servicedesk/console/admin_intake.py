"""Intake records: the raw contacts as they were received, listed by status
(failed first) with their errors; one record's raw text, shown safely;
and replaying one record or every failed one through the pipeline again
(``servicedesk.replay``, as ``servicedesk intake replay`` does), with the
outcome of each shown.

The raw text is shown as escaped text only, cut at ``RAW_LIMIT`` bytes
(read from the database no further than that), control characters as
visible symbols, and personal identity codes masked: an administrator
debugging a parse error needs the shape of the message, not the
applicant's identity code.
"""

from __future__ import annotations

import json
from typing import Any

from flask import abort, render_template, request
from sqlalchemy import func, select

from servicedesk import replay
from servicedesk.console import console
from servicedesk.console.admin_home import record
from servicedesk.masking import mask_identity_codes
from servicedesk.models import IntakeRecord, IntakeStatus
from servicedesk.web import db, runtime
from servicedesk.whole_numbers import row_id

RAW_LIMIT = 64 * 1024
# Control characters other than line breaks and tabs shown as their
# visible pictures (U+2400...), so a binary record stays readable text.
CONTROL_PICTURES = {c: 0x2400 + c for c in range(32) if chr(c) not in "\t\n\r"} | {0x7F: 0x2421}
PAGE_SIZE = 50
SHOWN = ("failed", "received", "ignored", "duplicate", "processed", "all")


def _status() -> str:
    wanted = request.args.get("status", IntakeStatus.FAILED.value)
    return wanted if wanted in SHOWN else IntakeStatus.FAILED.value


def _before() -> int | None:
    return row_id(request.args.get("before"))


def _list_page(status: str, outcome: replay.ReplayOutcome | None = None) -> Any:
    session = db()
    counts = dict(
        session.execute(
            select(IntakeRecord.status, func.count(IntakeRecord.id)).group_by(IntakeRecord.status)
        ).all()
    )
    query = select(IntakeRecord).order_by(IntakeRecord.id.desc()).limit(PAGE_SIZE + 1)
    if status != "all":
        query = query.where(IntakeRecord.status == status)
    before = _before()
    if before is not None:
        query = query.where(IntakeRecord.id < before)
    records = list(session.execute(query).scalars())
    more = len(records) > PAGE_SIZE
    records = records[:PAGE_SIZE]
    return render_template(
        "console_admin/intake.html",
        status=status,
        statuses=SHOWN,
        counts=counts,
        records=records,
        next_before=records[-1].id if more and records else None,
        paged=before is not None,
        outcome=outcome,
    )


@console.get("/console/admin/intake")
def admin_intake() -> Any:
    return _list_page(_status())


def raw_text(record_id: int) -> tuple[str, int]:
    """The start of a record's raw bytes as text, and its whole size."""
    head, size = (
        db()
        .execute(
            select(
                func.substr(IntakeRecord.raw, 1, RAW_LIMIT), func.length(IntakeRecord.raw)
            ).where(IntakeRecord.id == record_id)
        )
        .one()
    )
    text = bytes(head or b"").decode("utf-8", errors="replace")
    return text.translate(CONTROL_PICTURES), int(size or 0)


def _pretty(text: str, format: str, whole: bool) -> str:
    if format != "rfc822" and whole:
        try:
            return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
        except ValueError:
            pass
    return text


def _record_page(record_id: int, outcome: replay.ReplayOutcome | None = None) -> Any:
    found = db().get(IntakeRecord, record_id)
    if found is None:
        abort(404)
    text, size = raw_text(record_id)
    shown, masked = mask_identity_codes(_pretty(text, found.format, size <= RAW_LIMIT))
    return render_template(
        "console_admin/intake_record.html",
        record=found,
        raw=shown,
        size=size,
        cut=size > RAW_LIMIT,
        masked=masked,
        limit=RAW_LIMIT,
        outcome=outcome,
    )


@console.get("/console/admin/intake/<int:record_id>")
def admin_intake_record(record_id: int) -> Any:
    return _record_page(record_id)


def _replay(ids: list[int], all_failed: bool) -> replay.ReplayOutcome:
    session = db()
    # End the request's transaction first: the replay writes in its own
    # (and on SQLite a second writer would wait for this one).
    session.commit()
    outcome = replay.replay(runtime(), ids, all_failed=all_failed)
    record(
        "intake_replayed",
        {
            "records": ids if not all_failed else "all failed",
            "failed": outcome.failed,
            "lines": outcome.lines[:100],
        },
    )
    session.commit()
    return outcome


@console.post("/console/admin/intake/<int:record_id>/replay")
def admin_intake_replay(record_id: int) -> Any:
    if db().get(IntakeRecord, record_id) is None:
        abort(404)
    return _record_page(record_id, _replay([record_id], all_failed=False))


@console.post("/console/admin/intake/replay")
def admin_intake_replay_failed() -> Any:
    return _list_page(IntakeStatus.FAILED.value, _replay([], all_failed=True))
