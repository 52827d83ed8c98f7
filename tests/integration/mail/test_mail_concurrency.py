"""No mail lost, none taken in twice: two pollers on one mailbox at once,
and a poller process killed (SIGKILL) in the middle of a batch and started
again.  These run on databases shared for real (a SQLite file, a schema of
PostgreSQL), not inside the suite's per-test transaction."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from imapclient import SEEN
from sqlalchemy import func, select

from servicedesk.db import Database
from servicedesk.mail_sync import PollReport
from servicedesk.models import MailboxState, Message
from servicedesk.queueing import InlineJobQueue
from servicedesk.runtime import Runtime
from servicedesk.storage import LocalStorage
from tests.conftest import REPO
from tests.dovecot import DovecotServer
from tests.fakes import RecordingMailSender
from tests.integration.mail.conftest import (
    Imap,
    OwnRuntimes,
    count_tickets,
    make_mail,
    poll_as,
    process_env,
    servicedesk,
    standalone_settings,
)

pytestmark = pytest.mark.imap


def message_id_counts(db: Database) -> dict[str, int]:
    """Inbound Message-ID → how many messages carry it."""
    with db.session() as session:
        rows = session.execute(
            select(Message.email_message_id, func.count(Message.id))
            .where(Message.direction == "inbound")
            .group_by(Message.email_message_id)
        ).all()
    return {str(mid): int(n) for mid, n in rows}


def test_two_pollers_at_once_make_no_duplicates(own_runtimes: OwnRuntimes, imap: Imap) -> None:
    ids = [f"together-{n}@example.org" for n in range(16)]
    imap.append(*(make_mail(subject=f"Rinnakkain {n}", message_id=m) for n, m in enumerate(ids)))
    pollers = [own_runtimes.make(), own_runtimes.make()]
    start = threading.Barrier(len(pollers))
    reports: list[PollReport] = []

    def poll(index: int) -> None:
        start.wait()
        reports.append(poll_as(pollers[index]))

    threads = [threading.Thread(target=poll, args=(i,)) for i in range(len(pollers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(reports) == 2 and not any(r.errors for r in reports)
    # A poller that met a mail the other one was holding stopped there and
    # left it unseen; the next round takes in whatever is left.
    poll_as(pollers[0])
    assert message_id_counts(pollers[0].db) == {m: 1 for m in ids}
    assert count_tickets(pollers[0].db) == len(ids)
    assert all(SEEN in flags for flags in imap.flags().values())
    assert poll_as(pollers[1]).lines == []


def sqlite_count(path: Path, query: str) -> int:
    # A plain reader: SQLAlchemy's engine here would take the write lock.
    with sqlite3.connect(path, timeout=30) as connection:
        return int(connection.execute(query).fetchone()[0])


@pytest.fixture
def db(sqlite_file_url: str) -> Iterator[Database]:
    database = Database.connect(sqlite_file_url)
    yield database
    database.dispose()


def test_a_poller_killed_mid_batch_loses_nothing_and_repeats_nothing(
    sqlite_file_url: str, db: Database, tmp_path: Path, dovecot: DovecotServer, imap: Imap
) -> None:
    total = 30
    ids = [f"crash-{n}@example.org" for n in range(total)]
    imap.append(*(make_mail(subject=f"Kaatuminen {n}", message_id=m) for n, m in enumerate(ids)))
    settings = standalone_settings(sqlite_file_url, tmp_path, dovecot)
    env = process_env(settings)
    path = Path(sqlite_file_url.removeprefix("sqlite:///"))
    tickets_query = "SELECT count(*) FROM tickets"

    for kill_at in (3, 10):  # twice, so the kills land at different points
        process = subprocess.Popen(
            [sys.executable, "-m", "servicedesk", "email", "poll", "--once"],
            env=env,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while sqlite_count(path, tickets_query) < kill_at and process.poll() is None:
            assert time.monotonic() < deadline, "the poller made no progress"
            time.sleep(0.005)
        process.send_signal(signal.SIGKILL)
        _out, errors = process.communicate(timeout=10)
        assert b"Traceback" not in errors
        assert process.returncode == -signal.SIGKILL, "killed in the middle of the batch"
        assert sqlite_count(path, tickets_query) < total
        # Whatever the server shows as seen is in the database already.
        seen = {mid for mid, flags in imap.flags().items() if SEEN in flags}
        committed = {f"<{mid}>".encode() for mid in message_id_counts(db)}
        assert seen <= committed

    finished = servicedesk(["email", "poll", "--once"], env)
    assert finished.returncode == 0, finished.stderr
    assert message_id_counts(db) == {m: 1 for m in ids}
    assert count_tickets(db) == total
    assert all(SEEN in flags for flags in imap.flags().values())
    with db.session() as session:
        row = session.get(MailboxState, "desk")
        assert row is not None and row.last_uid == max(imap_uids(imap))
    again = Runtime(
        settings=settings,
        db=db,
        jobs=InlineJobQueue(),
        storage=LocalStorage(settings.storage_dir),
        mail=RecordingMailSender(),
    )
    assert poll_as(again).lines == [], "nothing is fetched twice"


def imap_uids(imap: Imap) -> list[int]:
    client = imap.client()
    try:
        client.select_folder("INBOX", readonly=True)
        return [int(uid) for uid in client.search("ALL")]
    finally:
        client.logout()
