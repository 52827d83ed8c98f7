"""Raw mail into the intake pipeline, one message at a time.

:func:`ingest` is what every mail goes through, whether it came from a file
(``servicedesk email ingest``) or from an IMAP mailbox (``mail_sync``): the
raw bytes are stored first, under their SHA-256, in their own transaction,
and then taken through the pipeline.  The very same bytes fetched twice
(two pollers, a poller killed before it could mark the message seen, a
UIDVALIDITY resync, a file ingested again) find the stored record and make
nothing new; a mail that cannot be parsed is kept as failed intake with its
error (``servicedesk intake list``, ``intake replay``).  A crash while
processing leaves the record ``received`` for the next attempt and is
reported, never raised, so one bad message cannot stop a batch.

A poller with rq workers (Redis configured) only stores the mails and
hands them to the workers' inbound queue (:func:`take_in` with
``hand_off``; ``pipeline.queue_for_workers``): parsing, routing and the tickets then run on as many
workers, and hosts, as there are, instead of one mail after the other in
the poller.  The stored record is what makes a mail safe to mark as seen;
a job lost after that is queued again by the sweeper.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from servicedesk.errors import first_line
from servicedesk.intake import pipeline
from servicedesk.intake.apply import Applied
from servicedesk.models import IntakeRecord, IntakeStatus, Ticket
from servicedesk.runtime import Runtime

logger = logging.getLogger(__name__)

STAFF_SOURCE = "staff"  # pipeline.decode gives mail from this source the staff audience
FILE_SOURCE = "file"


class Outcome(StrEnum):
    """What became of one mail."""

    CREATED = "created"  # a new ticket
    ADDED = "added"  # a new message on an existing ticket
    ALREADY = "already"  # these very bytes were taken in before
    DUPLICATE = "duplicate"  # another copy of a message taken in before
    IGNORED = "ignored"  # dropped on purpose (a mail loop, a stray delivery report)
    FAILED = "failed"  # could not be parsed: kept as failed intake, replayable
    PENDING = "pending"  # stored, but processing failed this time; retried later
    QUEUED = "queued"  # stored and handed to the rq workers, which make its ticket


# Outcomes after which the mail is settled: a poller may mark it seen and move on.
SETTLED = frozenset(
    {
        Outcome.CREATED,
        Outcome.ADDED,
        Outcome.ALREADY,
        Outcome.DUPLICATE,
        Outcome.IGNORED,
        Outcome.FAILED,
        Outcome.QUEUED,
    }
)


@dataclass(frozen=True, slots=True)
class IngestResult:
    name: str
    record_id: int
    outcome: Outcome
    ticket_number: str | None = None
    subject: str = ""
    detail: str = ""

    @property
    def is_settled(self) -> bool:
        return self.outcome in SETTLED

    @property
    def is_failure(self) -> bool:
        """Whether an operator has to look at it (the command exits non-zero)."""
        return self.outcome in {Outcome.FAILED, Outcome.PENDING}

    def summary(self) -> str:
        """One line for the log: ids only."""
        ticket = f" ticket {self.ticket_number}" if self.ticket_number else ""
        return f"{self.name}: {self.outcome.value} (intake record {self.record_id}){ticket}"

    def describe(self) -> str:
        """One line for the command's output: ids and subjects, never bodies."""
        where = f"{self.name}: "
        if self.outcome is Outcome.CREATED:
            return f"{where}new ticket {self.ticket_number} ({self.subject})"
        if self.outcome is Outcome.ADDED:
            return f"{where}added to ticket {self.ticket_number} ({self.detail})"
        if self.outcome is Outcome.ALREADY:
            ticket = f" (ticket {self.ticket_number})" if self.ticket_number else ""
            return f"{where}already taken in as intake record {self.record_id}{ticket}"
        if self.outcome is Outcome.QUEUED:
            return f"{where}stored as intake record {self.record_id}; the workers make its ticket"
        return f"{where}{self.outcome.value} (intake record {self.record_id}): {self.detail}"


def raw_id(raw: bytes) -> str:
    """The intake id of a raw mail: its SHA-256, so the very same bytes
    fetched twice (two pollers, a crash, a UIDVALIDITY resync) are kept once."""
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def store(runtime: Runtime, raw: bytes, *, source: str = FILE_SOURCE) -> tuple[int, bool]:
    """Keep one raw mail, in its own transaction: (intake record id, whether
    it is new).  Raises only when the database cannot store it: then
    nothing was taken in and the caller must not mark the mail as done."""
    return pipeline.receive(
        runtime,
        channel="email",
        raw=raw,
        external_id=raw_id(raw),
        source=source,
        format=pipeline.RFC822,
    )


def ingest(runtime: Runtime, raw: bytes, *, name: str, source: str = FILE_SOURCE) -> IngestResult:
    """Store one raw mail and take it through the pipeline.  Raises only when
    the raw bytes cannot even be stored (the database is down): then nothing
    was taken in and the caller must not mark the mail as done."""
    record_id, is_new = store(runtime, raw, source=source)
    return take_through(runtime, record_id, name=name, is_new=is_new)


def take_through(runtime: Runtime, record_id: int, *, name: str, is_new: bool) -> IngestResult:
    """Take a stored mail through the pipeline here and now."""
    applied: Applied | None = None
    crash = ""
    try:
        applied = pipeline.process_record(runtime, record_id)
    except Exception as exc:  # kept on the record (attempts, error); the next poll retries
        crash = f"{type(exc).__name__}: {first_line(str(exc), 300)}"
        logger.warning("mail %s (intake record %s) not processed: %s", name, record_id, crash)
    return _result(runtime, record_id, name=name, applied=applied, is_new=is_new, crash=crash)


def take_in(
    runtime: Runtime,
    mails: Sequence[tuple[str, bytes]],
    *,
    source: str,
    hand_off: bool,
) -> list[IngestResult]:
    """Some mails (name, raw bytes) in their order, up to the first one not
    settled: its result is the last one returned, and the mails after it
    are left for the next round.  With ``hand_off`` every mail is stored
    first and those still waiting for their tickets go to the rq workers
    together (``pipeline.queue_for_workers``); the others, and all of them
    when the workers cannot be reached, are taken through here."""
    if not hand_off:
        results: list[IngestResult] = []
        for name, raw in mails:
            results.append(ingest(runtime, raw, name=name, source=source))
            if not results[-1].is_settled:
                break
        return results
    stored = [(name, *store(runtime, raw, source=source)) for name, raw in mails]
    waiting = [
        record_id
        for _name, record_id, is_new in stored
        if is_new or pipeline.is_waiting(runtime, record_id)
    ]
    handed = set(waiting) if waiting and pipeline.queue_for_workers(runtime, waiting) else set()
    results = []
    for name, record_id, is_new in stored:
        if record_id in handed:
            results.append(IngestResult(name, record_id, Outcome.QUEUED))
            continue
        results.append(take_through(runtime, record_id, name=name, is_new=is_new))
        if not results[-1].is_settled:
            break
    return results


def _result(
    runtime: Runtime,
    record_id: int,
    *,
    name: str,
    applied: Applied | None,
    is_new: bool,
    crash: str,
) -> IngestResult:
    if applied is not None and applied.ticket is not None:
        # Applied just now: the record is processed and points at this ticket.
        return _applied_result(name, record_id, applied, applied.ticket)
    with runtime.db.session() as session:
        record = session.get(IntakeRecord, record_id)
        if record is None:  # pragma: no cover - a record is never deleted
            return IngestResult(name, record_id, Outcome.PENDING, detail="record vanished")
        ticket = session.get(Ticket, record.ticket_id) if record.ticket_id else None
        number = ticket.number if ticket else None
        subject = ticket.subject if ticket else ""
        status = record.status
        error = ((record.error or "").splitlines() or [""])[0][:300]
    if status == IntakeStatus.FAILED:
        # Unparseable, or crashed too often (pipeline.MAX_ATTEMPTS): kept
        # for an operator, and no reason to hold up the mail after it.
        return IngestResult(name, record_id, Outcome.FAILED, None, "", error)
    if crash or status == IntakeStatus.RECEIVED:
        # Not through the pipeline yet: this attempt crashed, or another
        # process holds the record right now.
        detail = crash or "being processed by another process"
        return IngestResult(name, record_id, Outcome.PENDING, number, subject, detail)
    if applied is None and not is_new:
        return IngestResult(name, record_id, Outcome.ALREADY, number, subject)
    if status == IntakeStatus.DUPLICATE:
        return IngestResult(name, record_id, Outcome.DUPLICATE, number, subject, error)
    if status == IntakeStatus.IGNORED:
        return IngestResult(name, record_id, Outcome.IGNORED, None, "", error)
    return IngestResult(name, record_id, Outcome.ALREADY, number, subject)


def _applied_result(name: str, record_id: int, applied: Applied, ticket: Ticket) -> IngestResult:
    if applied.created:
        return IngestResult(name, record_id, Outcome.CREATED, ticket.number, ticket.subject)
    reason = "a message of the ticket"
    if applied.message is not None and applied.message.direction == "note":
        reason = "an internal note" + (" for review" if applied.message.needs_review else "")
    return IngestResult(name, record_id, Outcome.ADDED, ticket.number, ticket.subject, reason)


def mail_files(paths: Iterable[Path]) -> list[Path]:
    """The files named, with a folder standing for the files in it (sorted)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.is_file()))
        else:
            found.append(path)
    return found


def ingest_files(
    runtime: Runtime, paths: Sequence[Path], *, source: str = FILE_SOURCE
) -> list[IngestResult]:
    """``servicedesk email ingest``: every file through :func:`ingest`."""
    return [
        ingest(runtime, file.read_bytes(), name=str(file), source=source)
        for file in mail_files(paths)
    ]
