"""Letting a desk come to rest after a storm, and counting what it did.

After the last enquiry is accepted the desk is left to finish its work;
then time is moved on the way the sweepers see it: intake records still
waiting are dated back past the sweeper's two minutes, and outbox rows
still "sending" (their worker was killed mid-send) get their lease
expired, exactly the state the real sweepers find a few minutes later.
The sweep jobs are enqueued on Redis, as the periodic runner does, and
the real rq worker runs them.  Nothing is processed by the test itself.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import re
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import psycopg
from imapclient import IMAPClient

from servicedesk.queueing import MAINTENANCE, RqJobQueue
from tests.reliability.stack import Stack
from tests.smtp_server import SmtpServer
from tests.twilio_server import FakeTwilioServer

REFERENCE = re.compile(r"REF-\d{6}")


def connect(url: str) -> psycopg.Connection[Any]:
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    return psycopg.connect(plain, autocommit=True)


def backlog(url: str) -> tuple[int, int, int]:
    """(intake records waiting, outbox rows pending, outbox rows sending)."""
    with connect(url) as connection:
        row = connection.execute(
            """
            SELECT (SELECT count(*) FROM intake_records WHERE status = 'received'),
                   (SELECT count(*) FROM outbox WHERE status = 'pending'),
                   (SELECT count(*) FROM outbox WHERE status = 'sending')
            """
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])


def unseen_mail(imap: tuple[str, int, str, str]) -> int:
    """Mails in the desk's inbox that no poller has taken in yet (it marks
    a mail seen only after its ticket is committed)."""
    host, port, user, password = imap
    client = IMAPClient(host, port=port, ssl=False, timeout=30)
    try:
        client.login(user, password)
        client.select_folder("INBOX", readonly=True)
        return len(client.search(["UNSEEN"]))
    finally:
        with contextlib.suppress(Exception):
            client.logout()


def wait_quiet(
    url: str,
    *,
    timeout: float,
    still: float = 3.0,
    imap: tuple[str, int, str, str] | None = None,
) -> tuple[int, int, int]:
    """Wait until the backlog is empty, or has not changed for ``still``
    seconds; with ``imap``, mail still unread in the inbox is backlog too."""

    def current() -> tuple[int, int, int, int]:
        return (*backlog(url), unseen_mail(imap) if imap else 0)

    deadline = time.monotonic() + timeout
    last = current()
    since = time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = current()
        if now == (0, 0, 0, 0):
            return now[:3]
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= still:
            return now[:3]
    return last[:3]


def move_time_on(url: str) -> None:
    """What the sweepers would see a few minutes later."""
    with connect(url) as connection:
        connection.execute(
            "UPDATE intake_records SET received_at = received_at - interval '10 minutes' "
            "WHERE status = 'received'"
        )
        connection.execute(
            "UPDATE outbox SET lease_until = now() - interval '1 minute' WHERE status = 'sending'"
        )
        connection.execute(
            "UPDATE outbox SET next_attempt_at = now() - interval '10 minutes' "
            "WHERE status = 'pending'"
        )


def settle(
    url: str,
    redis_url: str,
    stack: Stack,
    *,
    timeout: float = 90.0,
    imap: tuple[str, int, str, str] | None = None,
) -> None:
    """Bring every process back, let the desk finish (with ``imap``, until
    the poller has taken in every mail), then sweep as later."""
    for process in stack.processes.values():
        if not process.is_running:
            process.start()
    stack.wait_healthy()
    wait_quiet(url, timeout=timeout / 2, imap=imap)
    # A worker ends its current job on SIGTERM; what is "sending" after
    # that belongs to a worker that was killed.
    for name, process in stack.processes.items():
        if name.startswith("worker"):
            process.stop()
            process.start()
    move_time_on(url)
    jobs = RqJobQueue(redis_url)
    jobs.enqueue(MAINTENANCE, "servicedesk.jobs.sweep_intake")
    jobs.enqueue(MAINTENANCE, "servicedesk.jobs.sweep_outbox")
    wait_quiet(url, timeout=timeout / 2, imap=imap)
    # Intake processed by the sweep queued outbox rows of its own.
    jobs.enqueue(MAINTENANCE, "servicedesk.jobs.sweep_outbox")
    wait_quiet(url, timeout=timeout / 2, imap=imap)


@dataclass
class Tally:
    """What the desk holds and what reached the outside world."""

    tickets: int
    references: Counter[str]  # reference -> inbound first messages holding it
    intake: Counter[str]  # status -> records
    outbox: Counter[str]  # status -> rows
    mail_rows: dict[str, int]  # Message-ID of each email row -> times received at SMTP
    sms_rows: dict[str, int]  # text of each SMS row -> times received at Twilio
    failures: list[str]
    counted: int  # tickets in the reports' hourly counts

    @property
    def mail_duplicates(self) -> int:
        return sum(n - 1 for n in self.mail_rows.values() if n > 1)

    @property
    def sms_duplicates(self) -> int:
        return sum(n - 1 for n in self.sms_rows.values() if n > 1)

    @property
    def never_delivered(self) -> int:
        return sum(1 for n in self.mail_rows.values() if n == 0) + sum(
            1 for n in self.sms_rows.values() if n == 0
        )


def _bare_id(message_id: str) -> str:
    return message_id.strip().strip("<>")


def tally(url: str, smtp: SmtpServer, twilio: FakeTwilioServer) -> Tally:
    with connect(url) as connection:
        tickets = int(connection.execute("SELECT count(*) FROM tickets").fetchone()[0])  # type: ignore[index]
        counted = int(
            connection.execute("SELECT coalesce(sum(tickets), 0) FROM ticket_counts").fetchone()[0]  # type: ignore[index]
        )
        references: Counter[str] = Counter()
        for (text,) in connection.execute(
            "SELECT m.body_text FROM messages m WHERE m.direction = 'inbound' "
            "AND m.id = (SELECT min(id) FROM messages f WHERE f.ticket_id = m.ticket_id)"
        ):
            for ref in set(REFERENCE.findall(text or "")):
                references[ref] += 1
        intake = Counter(
            {s: int(n) for s, n in connection.execute(
                "SELECT status, count(*) FROM intake_records GROUP BY status"
            )}
        )  # fmt: skip
        outbox_rows = connection.execute(
            "SELECT status, channel, payload->>'message_id', payload->>'text', last_error "
            "FROM outbox"
        ).fetchall()
    received_ids: Counter[str] = Counter()
    for envelope in smtp.handler.received:
        raw = envelope.content if isinstance(envelope.content, bytes) else b""
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        received_ids[_bare_id(str(parsed.get("Message-ID", "")))] += 1
    texts: Counter[str] = Counter(m.field("Body") or "" for m in twilio.messages)
    outbox: Counter[str] = Counter()
    mail_rows: dict[str, int] = {}
    sms_rows: dict[str, int] = {}
    failures = []
    for status, channel, message_id, text, error in outbox_rows:
        outbox[status] += 1
        if status == "failed":
            failures.append(f"{channel}: {error}")
        if channel == "email":
            mail_rows[message_id] = received_ids.get(_bare_id(message_id or ""), 0)
        elif channel == "sms":
            sms_rows[text] = texts.get(text, 0)
    return Tally(tickets, references, intake, outbox, mail_rows, sms_rows, failures, counted)


def trace(url: str, references: set[str]) -> list[tuple[str, str, str, str, str | None, Any]]:
    """Where the enquiries holding ``references`` went: each stored record
    that carries one, with its status, error and ticket (for a failure
    message that says what was lost, not only how many)."""
    found = []
    with connect(url) as connection:
        for ref in sorted(references):
            rows = connection.execute(
                "SELECT channel, status, coalesce(external_id, ''), error, ticket_id "
                "FROM intake_records WHERE position(convert_to(%s, 'UTF8') in raw) > 0",
                (ref,),
            ).fetchall()
            if not rows:
                found.append((ref, "-", "no stored record", "", None, None))
            found.extend((ref, *row) for row in rows)
    return found
