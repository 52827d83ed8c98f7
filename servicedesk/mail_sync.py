"""IMAP mailboxes into the intake pipeline: UID sync, ``email poll --once``
and ``email poll --idle``.

The sync keeps UIDVALIDITY and the last UID taken in per mailbox
(``mailbox_states``).  Each message is fetched with ``BODY.PEEK[]``, stored
and taken through the pipeline (:func:`servicedesk.mail_intake.ingest`)
before it is marked ``\\Seen``, moved to the processed folder and counted in
the last UID (a batch of up to ``FETCH_BATCH`` at a time), so a poller killed
at any point fetches it again and finds the stored record: every message
becomes a ticket exactly once.  With rq workers (Redis configured) the
poller stores each mail and hands it to them, and the workers take the
mails through side by side; a mail fetched again while its record still
waits is handed over again (a second job finds the record locked or
processed and does nothing).  Two pollers on one mailbox meet at the same
stored record (its raw bytes' SHA-256 is unique) and the row lock of
``process_record``.  A changed UIDVALIDITY starts over from UID 0; what was
taken in before is recognised by its bytes or its Message-ID.  A mail that
cannot be parsed is kept as failed intake and the sync moves past it; a
mail whose processing crashed stops the sync of that mailbox until the next
round (its record counts the attempts and is failed for good after
``pipeline.MAX_ATTEMPTS``, so it never blocks for long); handed to the
workers, such a mail is retried by the intake sweeper instead.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from itertools import islice

from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from channels.email.imap import (
    IDLE_RENEW_SECONDS,
    ImapConnectionError,
    ImapError,
    ImapMailbox,
    ImapSettings,
)
from servicedesk.errors import first_line
from servicedesk.intake import pipeline
from servicedesk.mail_intake import STAFF_SOURCE, IngestResult, take_in
from servicedesk.models import MailboxState
from servicedesk.runtime import Runtime
from servicedesk.settings import MailboxSettings

logger = logging.getLogger(__name__)

# One IDLE round lasts at most this long; then the mailbox is synced again,
# which also proves the connection is alive.  RFC 2177 lets servers end an
# IDLE after 29 minutes and NAT gateways forget quiet connections sooner.
IDLE_SECONDS = min(9 * 60.0, IDLE_RENEW_SECONDS)
MAX_BACKOFF_SECONDS = 300.0
FETCH_BATCH = 20  # raw mails held in memory at once (each may be tens of MB)

Connect = Callable[[ImapSettings], ImapMailbox]


def backoff_seconds(attempt: int) -> float:
    """2, 4, 8 … seconds between reconnection attempts, at most five minutes."""
    return min(MAX_BACKOFF_SECONDS, 2.0 ** min(max(attempt, 1), 9))


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


def source_of(mailbox: MailboxSettings) -> str:
    """The intake source: the staff desk's own mailbox makes staff tickets;
    elsewhere the address a mail was sent to decides."""
    return STAFF_SOURCE if mailbox.audience == "staff" else mailbox.name


def load_state(runtime: Runtime, name: str) -> tuple[int | None, int]:
    """``(UIDVALIDITY, last UID)`` of a mailbox; ``(None, 0)`` before its first sync."""
    with runtime.db.session() as session:
        state = session.get(MailboxState, name)
        return (state.uidvalidity, state.last_uid) if state else (None, 0)


def save_state(runtime: Runtime, name: str, uidvalidity: int, last_uid: int) -> None:
    """Record progress.  Within one UIDVALIDITY the last UID never moves
    back, so a slower second poller cannot undo the first one's progress."""
    try:
        _write_state(runtime, name, uidvalidity, last_uid)
    except IntegrityError:
        # Two pollers made the mailbox's first row at once: update theirs.
        _write_state(runtime, name, uidvalidity, last_uid)


def _write_state(runtime: Runtime, name: str, uidvalidity: int, last_uid: int) -> None:
    with runtime.db.transaction() as session:
        state = session.get(MailboxState, name, with_for_update=True)
        if state is None:
            session.add(
                MailboxState(
                    name=name, uidvalidity=uidvalidity, last_uid=last_uid, updated_at=runtime.now()
                )
            )
            return
        if state.uidvalidity == uidvalidity:
            state.last_uid = max(state.last_uid, last_uid)
        else:
            state.uidvalidity, state.last_uid = uidvalidity, last_uid
        state.updated_at = runtime.now()


def _finish(
    runtime: Runtime, box: ImapMailbox, mailbox: MailboxSettings, uidvalidity: int, uids: list[int]
) -> None:
    """Seen, moved and counted: only ever after the mails are settled in
    the database, and a batch at a time (one STORE, one MOVE, one write of
    the last UID, instead of each of them for every mail)."""
    if not uids:
        return
    try:
        box.mark_seen(*uids)
        if mailbox.processed_folder:
            box.move_processed(*uids)
    except ImapConnectionError:
        raise
    except ImapError as exc:
        # Typically another poller moved them first; the database has them.
        logger.warning("mailbox %s: UIDs %s not marked or moved: %s", mailbox.name, uids, exc)
    save_state(runtime, mailbox.name, uidvalidity, uids[-1])


@dataclass
class SyncReport:
    """One sync of one mailbox: what became of each message taken in, and
    whether it stopped at one it could not settle."""

    results: list[IngestResult] = field(default_factory=list)
    stopped: bool = False

    @property
    def settled(self) -> int:
        return sum(1 for result in self.results if result.is_settled)

    @property
    def lines(self) -> list[str]:
        return [result.describe() for result in self.results]


def sync(runtime: Runtime, mailbox: MailboxSettings, box: ImapMailbox) -> SyncReport:
    """Take in what arrived in one connected mailbox."""
    uidvalidity, _highest = box.select()
    known_validity, last_uid = load_state(runtime, mailbox.name)
    if known_validity != uidvalidity:
        if known_validity is not None:
            logger.warning(
                "mailbox %s: UIDVALIDITY changed from %s to %s; resyncing from the start",
                mailbox.name,
                known_validity,
                uidvalidity,
            )
        last_uid = 0
        save_state(runtime, mailbox.name, uidvalidity, 0)
    report = SyncReport()
    source = source_of(mailbox)
    hand_off = pipeline.has_workers(runtime)
    settled: list[int] = []
    fetched = box.fetch(box.uids_after(last_uid), batch=FETCH_BATCH)
    while not report.stopped and (group := list(islice(fetched, pipeline.RECORDS_PER_JOB))):
        mails = [(f"{mailbox.name}#{uid}", raw) for uid, raw in group]
        results = take_in(runtime, mails, source=source, hand_off=hand_off)
        for (uid, _raw), result in zip(group, results, strict=False):
            report.results.append(result)
            if not result.is_settled:
                # Stored but not processed (or another poller holds it):
                # leave it unseen and stop here, so nothing after it is
                # counted as done.
                report.stopped = True
                break
            settled.append(uid)
            if len(settled) == FETCH_BATCH:
                _finish(runtime, box, mailbox, uidvalidity, settled)
                settled = []
    _finish(runtime, box, mailbox, uidvalidity, settled)
    return report


@dataclass
class PollReport:
    lines: list[str] = field(default_factory=list)
    errors: int = 0


def poll_once(
    runtime: Runtime,
    mailboxes: Sequence[MailboxSettings] | None = None,
    *,
    connect: Connect = ImapMailbox,
) -> PollReport:
    """``email poll --once``: every configured mailbox, one after the other;
    one mailbox failing does not keep the others from being polled."""
    report = PollReport()
    for mailbox in runtime.settings.mailboxes() if mailboxes is None else mailboxes:
        try:
            with connect(imap_settings(mailbox)) as box:
                report.lines.extend(sync(runtime, mailbox, box).lines)
        except (ImapError, SQLAlchemyError) as exc:
            report.errors += 1
            report.lines.append(f"{mailbox.name}: not polled: {exc}")
            logger.warning("mailbox %s not polled: %s", mailbox.name, exc)
        except Exception as exc:  # one mailbox's surprise must not keep the others unpolled
            report.errors += 1
            reason = first_line(str(exc), 200)
            report.lines.append(f"{mailbox.name}: not polled: {type(exc).__name__}: {reason}")
            logger.exception("mailbox %s not polled", mailbox.name)
    return report


def watch(
    runtime: Runtime,
    mailbox: MailboxSettings,
    *,
    idle_seconds: float = IDLE_SECONDS,
    backoff: Callable[[int], float] = backoff_seconds,
    stop: threading.Event | None = None,
    connect: Connect = ImapMailbox,
) -> Generator[SyncReport, None, None]:
    """``email poll --idle`` for one mailbox: sync, then wait with IMAP IDLE
    for at most ``idle_seconds`` and sync again, forever.  A dead connection
    (or database) is retried with ``backoff(attempt)`` seconds between tries;
    what arrived meanwhile is taken in by the sync after reconnecting.  Any
    other failure is logged with its traceback and retried the same way, so
    the mailbox's thread never ends while the process runs on.
    Yields the report of every sync; closing the generator disconnects."""
    stop = stop or threading.Event()
    attempt = 0
    while not stop.is_set():
        try:
            with connect(imap_settings(mailbox)) as box:
                report = sync(runtime, mailbox, box)
                attempt = 0
                yield report
                while not stop.is_set():
                    # Mail that arrived while a sync was busy is not always
                    # announced by the IDLE that follows (Dovecot reports it
                    # only at the next command), so a sync that took mail in
                    # is followed by another one at once.
                    if not report.settled or report.stopped:
                        box.idle_wait(idle_seconds)
                    report = sync(runtime, mailbox, box)
                    yield report
        except (ImapError, OSError, SQLAlchemyError) as exc:
            attempt += 1
            delay = backoff(attempt)
            logger.warning(
                "mailbox %s: %s; reconnecting in %.1f s (attempt %d)",
                mailbox.name,
                exc,
                delay,
                attempt,
            )
            stop.wait(delay)
        except Exception:
            # A bug, or a library failing in a way nobody foresaw: this
            # mailbox's thread must not die of it, silently, while the
            # process looks alive.  Logged with its traceback, then the same
            # backoff as a dead connection.
            attempt += 1
            delay = backoff(attempt)
            logger.exception(
                "mailbox %s: unexpected failure; reconnecting in %.1f s (attempt %d)",
                mailbox.name,
                delay,
                attempt,
            )
            stop.wait(delay)


def poll_forever(runtime: Runtime, *, stop: threading.Event | None = None) -> None:
    """Watch every configured mailbox, each in its own thread, until ``stop``
    is set or the process is interrupted."""
    stop = stop or threading.Event()

    def run(mailbox: MailboxSettings) -> None:
        for report in watch(runtime, mailbox, stop=stop):
            for result in report.results:
                logger.info("%s", result.summary())

    threads = [
        threading.Thread(target=run, args=(mailbox,), name=f"imap-{mailbox.name}", daemon=True)
        for mailbox in runtime.settings.mailboxes()
    ]
    for thread in threads:
        thread.start()
    try:
        # Short waits keep the main thread responsive to Ctrl-C.
        while any(thread.is_alive() for thread in threads) and not stop.wait(1.0):
            pass
    finally:
        stop.set()
        # A watcher may sit in IDLE for minutes: give it a moment to log out,
        # no more (a mail it was taking in is safe either way).
        deadline = time.monotonic() + 2.0
        for thread in threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
