"""``email poll --idle`` against a real Dovecot: mail appended while the
poller idles is taken in at once, IDLE is renewed within its bound, and a
connection the server cuts is re-opened with backoff without missing mail."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Generator
from pathlib import Path
from typing import ClassVar

import pytest

from channels.email.imap import ImapMailbox
from servicedesk.db import Database
from servicedesk.mail_sync import IDLE_SECONDS, SyncReport, backoff_seconds, watch
from servicedesk.runtime import Runtime
from tests.conftest import REPO
from tests.dovecot import DovecotServer
from tests.integration.mail.conftest import (
    Imap,
    count_tickets,
    make_mail,
    outcome,
    process_env,
    standalone_settings,
)
from tests.ports import free_port

pytestmark = pytest.mark.imap


def next_lines(stream: Generator[SyncReport, None, None], within: float) -> list[str]:
    """The first sync that took something in, within ``within`` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        lines = next(stream).lines
        if lines:
            return lines
    raise AssertionError(f"nothing taken in within {within} s")


def test_mail_appended_while_idling_is_taken_in_at_once(rt: Runtime, imap: Imap) -> None:
    (mailbox,) = rt.settings.mailboxes()
    stream = watch(rt, mailbox, idle_seconds=60)
    try:
        assert next(stream).lines == [], "connected; nothing there yet"
        delivery = threading.Timer(0.3, imap.append, args=(make_mail(subject="Idlessä"),))
        delivery.start()
        started = time.monotonic()
        (line,) = next(stream).lines
        assert time.monotonic() - started < 10, "IDLE announced it, no waiting for a timeout"
        assert outcome(line) == "new ticket" and "(Idlessä)" in line
        delivery.join()
    finally:
        stream.close()


def test_idle_is_renewed_within_its_bound(rt: Runtime, imap: Imap) -> None:
    # RFC 2177: servers may end an IDLE after 29 minutes, NATs forget sooner.
    assert IDLE_SECONDS <= 10 * 60
    (mailbox,) = rt.settings.mailboxes()
    stream = watch(rt, mailbox, idle_seconds=0.3)
    try:
        next(stream)
        started = time.monotonic()
        assert [next(stream).lines for _round in range(3)] == [[], [], []]
        assert 0.85 <= time.monotonic() - started < 6
        imap.append(make_mail(subject="Uusi kierros"))
        assert "(Uusi kierros)" in next_lines(stream, within=10)[0]
    finally:
        stream.close()


def test_a_cut_connection_is_reopened_with_backoff_and_no_mail_is_missed(
    rt: Runtime, imap: Imap
) -> None:
    (mailbox,) = rt.settings.mailboxes()
    attempts: list[int] = []

    def backoff(attempt: int) -> float:
        attempts.append(attempt)
        return 0.2

    def cut_and_deliver() -> None:
        imap.kick()
        imap.append(make_mail(subject="Katkon aikana"))

    stream = watch(rt, mailbox, idle_seconds=5, backoff=backoff)
    try:
        assert next(stream).lines == []
        cut = threading.Timer(0.3, cut_and_deliver)
        cut.start()
        (line,) = next_lines(stream, within=20)
        cut.join()
        assert attempts == [1], "one reconnection, after the backoff"
        assert outcome(line) == "new ticket" and "(Katkon aikana)" in line
        imap.append(make_mail(subject="Katkon jälkeen"))
        assert "(Katkon jälkeen)" in next_lines(stream, within=10)[0]
        assert attempts == [1], "a working connection resets the backoff"
    finally:
        stream.close()


class FlakyMailbox(ImapMailbox):
    """A real connection whose first sync meets a failure nobody foresaw."""

    failures: ClassVar[list[str]] = ["boom"]

    def select(self) -> tuple[int, int]:
        if self.failures:
            raise RuntimeError(self.failures.pop())
        return super().select()


def test_an_unexpected_failure_is_logged_and_the_mailbox_is_watched_again(
    rt: Runtime, imap: Imap, caplog: pytest.LogCaptureFixture
) -> None:
    (mailbox,) = rt.settings.mailboxes()
    attempts: list[int] = []

    def backoff(attempt: int) -> float:
        attempts.append(attempt)
        return 0.05

    FlakyMailbox.failures = ["boom"]
    imap.append(make_mail(subject="Virheen jälkeen"))
    stream = watch(rt, mailbox, idle_seconds=5, backoff=backoff, connect=FlakyMailbox)
    try:
        with caplog.at_level(logging.ERROR, logger="servicedesk.mail_sync"):
            (line,) = next_lines(stream, within=20)
        assert outcome(line) == "new ticket" and "(Virheen jälkeen)" in line
        assert attempts == [1], "backed off once, then reconnected"
        (logged,) = [r for r in caplog.records if r.levelno == logging.ERROR]
        assert "unexpected failure" in logged.getMessage()
        assert logged.exc_info is not None and "boom" in str(logged.exc_info[1])
    finally:
        stream.close()


def test_an_unreachable_server_is_retried_with_growing_backoff(rt: Runtime) -> None:
    rt.settings = rt.settings.with_changes(imap_port=free_port())  # nothing listens
    (mailbox,) = rt.settings.mailboxes()
    stop = threading.Event()
    attempts: list[int] = []

    def backoff(attempt: int) -> float:
        attempts.append(attempt)
        if attempt == 3:
            stop.set()
        return 0.01

    assert list(watch(rt, mailbox, backoff=backoff, stop=stop)) == []
    assert attempts == [1, 2, 3]
    assert [backoff_seconds(n) for n in (1, 2, 3, 20)] == [2.0, 4.0, 8.0, 300.0]


def test_the_idle_command_runs_until_interrupted(
    sqlite_file_url: str, tmp_path: Path, dovecot: DovecotServer, imap: Imap
) -> None:
    env = process_env(standalone_settings(sqlite_file_url, tmp_path, dovecot))
    db = Database.connect(sqlite_file_url)
    process = subprocess.Popen(
        [sys.executable, "-m", "servicedesk", "email", "poll", "--idle"],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        imap.append(make_mail(subject="Komentoriviltä"))
        deadline = time.monotonic() + 30
        while count_tickets(db) == 0:
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        try:
            _out, errors = process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            _out, errors = process.communicate()
            pytest.fail(f"still running 15 s after SIGINT; its log:\n{errors.decode()[-3000:]}")
        assert process.returncode == 130, errors
        assert b"Traceback" not in errors
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
        db.dispose()
