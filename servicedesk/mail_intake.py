"""Mail into the pipeline: files (``email ingest``) and IMAP mailboxes
(``email poll``).

IMAP sync keeps UIDVALIDITY and the last UID per mailbox.  Each message is
stored raw and taken through the pipeline before it is marked ``\\Seen``
(and moved, when configured) and before the last UID moves on, so a poller
killed at any point refetches and finds the stored record: every message
becomes a ticket exactly once.  A message that cannot be parsed is kept as
failed intake and the mailbox moves on past it.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from channels.email.imap import ImapError, ImapMailbox, ImapSettings
from channels.message import Channel
from servicedesk.intake import pipeline
from servicedesk.models import IntakeRecord, MailboxState
from servicedesk.runtime import Runtime
from servicedesk.settings import MailboxSettings

logger = logging.getLogger(__name__)

IDLE_SECONDS = 9 * 60  # re-issue IDLE well inside the 29 minutes RFC 2177 allows


@dataclass(frozen=True, slots=True)
class IngestResult:
    name: str
    record_id: int
    status: str
    ticket_number: str | None
    created: bool
    detail: str

    @property
    def failed(self) -> int:
        return 1 if self.status == "failed" else 0

    def describe(self) -> str:
        if self.ticket_number:
            verb = "new ticket" if self.created else "added to ticket"
            return f"{self.name}: {verb} {self.ticket_number} ({self.detail})"
        return f"{self.name}: {self.status} (intake record {self.record_id}): {self.detail}"


def raw_id(raw: bytes) -> str:
    """The intake id of a raw mail: its SHA-256, so the very same bytes
    fetched twice (two pollers, a crash, a UIDVALIDITY resync) are kept once."""
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def ingest(runtime: Runtime, raw: bytes, *, name: str, source: str) -> IngestResult:
    record_id, _is_new = pipeline.receive(
        runtime,
        channel=Channel.EMAIL,
        raw=raw,
        external_id=raw_id(raw),
        source=source,
        format=pipeline.RFC822,
    )
    applied = pipeline.process_record(runtime, record_id)
    with runtime.db.session() as session:
        record = session.get(IntakeRecord, record_id)
        assert record is not None
        number = None
        subject = ""
        if record.ticket_id is not None:
            from servicedesk.models import Ticket

            ticket = session.get(Ticket, record.ticket_id)
            number = ticket.number if ticket else None
            subject = ticket.subject if ticket else ""
        return IngestResult(
            name=name,
            record_id=record_id,
            status=record.status,
            ticket_number=number,
            created=bool(applied and applied.created),
            detail=subject if number else (record.error or ""),
        )


def ingest_files(
    runtime: Runtime, paths: Sequence[Path], *, source: str = "file"
) -> list[IngestResult]:
    results = []
    for path in paths:
        files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
        for file in files:
            results.append(ingest(runtime, file.read_bytes(), name=str(file), source=source))
    return results


def imap_settings(mailbox: MailboxSettings) -> ImapSettings:
    return ImapSettings(
        host=mailbox.host,
        port=mailbox.port,
        user=mailbox.user,
        password=mailbox.password,
        ssl=mailbox.ssl,
        starttls=mailbox.starttls,
        folder=mailbox.folder,
        processed_folder=mailbox.processed_folder,
    )


def _state(runtime: Runtime, name: str) -> tuple[int | None, int]:
    with runtime.db.transaction() as session:
        state = session.get(MailboxState, name)
        if state is None:
            state = MailboxState(name=name, uidvalidity=None, last_uid=0, updated_at=runtime.now())
            session.add(state)
        return state.uidvalidity, state.last_uid


def _save_state(runtime: Runtime, name: str, uidvalidity: int, last_uid: int) -> None:
    with runtime.db.transaction() as session:
        state = session.get(MailboxState, name)
        assert state is not None
        state.uidvalidity = uidvalidity
        state.last_uid = last_uid
        state.updated_at = runtime.now()


def sync(runtime: Runtime, mailbox: MailboxSettings, box: ImapMailbox) -> list[str]:
    """Bring one selected mailbox up to date; returns a line per message."""
    uidvalidity, _highest = box.select()
    known_validity, last_uid = _state(runtime, mailbox.name)
    if known_validity is not None and known_validity != uidvalidity:
        logger.warning(
            "mailbox %s: UIDVALIDITY changed (%s → %s), resyncing",
            mailbox.name,
            known_validity,
            uidvalidity,
        )
        last_uid = 0
    lines: list[str] = []
    source = "staff" if mailbox.audience == "staff" else mailbox.name
    for uid, raw in box.fetch(box.uids_after(last_uid)):
        result = ingest(runtime, raw, name=f"{mailbox.name}#{uid}", source=source)
        if result.status == "received":
            # Stored but not processed (the database hiccuped): stop here and
            # come back; the record is kept, nothing is lost or skipped.
            lines.append(result.describe())
            break
        box.mark_seen(uid)
        if mailbox.processed_folder:
            box.move_processed(uid)
        _save_state(runtime, mailbox.name, uidvalidity, uid)
        last_uid = uid
        lines.append(result.describe())
    if known_validity != uidvalidity:
        _save_state(runtime, mailbox.name, uidvalidity, last_uid)
    return lines


def poll_once(runtime: Runtime) -> list[str]:
    lines = []
    for mailbox in runtime.settings.mailboxes():
        with ImapMailbox(imap_settings(mailbox)) as box:
            lines.extend(sync(runtime, mailbox, box))
    return lines


def _backoff(attempt: int) -> float:
    return min(300.0, 2.0 ** min(attempt, 8))


def watch(runtime: Runtime, mailbox: MailboxSettings) -> Iterator[list[str]]:
    """Stay connected with IDLE; reconnect with backoff when the connection
    dies.  Yields after every sync (tests and the CLI loop use it)."""
    attempt = 0
    while True:
        try:
            with ImapMailbox(imap_settings(mailbox)) as box:
                attempt = 0
                while True:
                    yield sync(runtime, mailbox, box)
                    box.idle_wait(IDLE_SECONDS)
        except (ImapError, OSError) as exc:
            attempt += 1
            delay = _backoff(attempt)
            logger.warning(
                "mailbox %s: connection lost (%s); reconnecting in %.0f s", mailbox.name, exc, delay
            )
            time.sleep(delay)


def poll_forever(runtime: Runtime) -> None:
    import threading

    def run(mailbox: MailboxSettings) -> None:
        for lines in watch(runtime, mailbox):
            for line in lines:
                logger.info("%s", line)

    threads = [
        threading.Thread(target=run, args=(m,), name=f"imap-{m.name}", daemon=True)
        for m in runtime.settings.mailboxes()
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
