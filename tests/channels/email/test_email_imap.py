"""ImapMailbox against a real Dovecot on 127.0.0.1 (tests/dovecot.py)."""

from __future__ import annotations

import logging
import ssl
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from imapclient import IMAPClient

from channels.email import (
    IDLE_CHECK_SECONDS,
    IDLE_RENEW_SECONDS,
    ImapAuthenticationError,
    ImapConnectionError,
    ImapError,
    ImapMailbox,
    ImapSettings,
    parse,
)
from tests.dovecot import DovecotServer
from tests.ports import free_port

pytestmark = pytest.mark.imap


def raw_mail(number: int) -> bytes:
    return (
        f"From: hakija{number}@example.fi\r\nTo: applicants@desk.test\r\n"
        f"Subject: Kysymys {number}\r\nMessage-ID: <imap-{number}@example.fi>\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\nViesti numero {number}.\r\n"
    ).encode()


def admin(server: DovecotServer, user: str) -> IMAPClient:
    client = IMAPClient(server.host, port=server.port, ssl=False, timeout=10)
    client.login(user, server.password(user))
    return client


def settings(server: DovecotServer, user: str, **overrides: object) -> ImapSettings:
    values: dict[str, object] = {
        "host": server.host,
        "port": server.port,
        "user": user,
        "password": server.password(user),
        "ssl": False,
        "starttls": False,
        "folder": "INBOX",
    }
    values.update(overrides)
    return ImapSettings(**values)  # type: ignore[arg-type]


@pytest.fixture
def mailbox_user(dovecot: DovecotServer) -> Iterator[str]:
    """A user whose INBOX and processed folder are emptied before each test."""
    user = "applicants@desk.test"
    client = admin(dovecot, user)
    try:
        for folder in ("INBOX", "Processed"):
            if client.folder_exists(folder):
                client.select_folder(folder)
                uids = client.search("ALL")
                if uids:
                    client.delete_messages(uids)
                    client.expunge()
        yield user
    finally:
        client.logout()


def append(server: DovecotServer, user: str, *numbers: int) -> None:
    client = admin(server, user)
    try:
        for number in numbers:
            client.append("INBOX", raw_mail(number))
    finally:
        client.logout()


def test_select_uids_after_and_fetch(dovecot: DovecotServer, mailbox_user: str) -> None:
    append(dovecot, mailbox_user, 1, 2, 3)
    with ImapMailbox(settings(dovecot, mailbox_user)) as mailbox:
        uidvalidity, highest = mailbox.select()
        assert uidvalidity > 0
        uids = mailbox.uids_after(0)
        assert len(uids) == 3 and uids[-1] == highest
        assert mailbox.uids_after(highest) == []
        assert mailbox.uids_after(uids[0]) == uids[1:]
        fetched = list(mailbox.fetch(uids, batch=2))
    assert [uid for uid, _raw in fetched] == uids
    assert [parse(raw).subject for _uid, raw in fetched] == ["Kysymys 1", "Kysymys 2", "Kysymys 3"]


def test_fetch_peeks_and_mark_seen_sets_the_flag(dovecot: DovecotServer, mailbox_user: str) -> None:
    append(dovecot, mailbox_user, 4)
    with ImapMailbox(settings(dovecot, mailbox_user)) as mailbox:
        mailbox.select()
        (uid,) = mailbox.uids_after(0)
        list(mailbox.fetch([uid]))
        assert b"\\Seen" not in mailbox.client.get_flags([uid])[uid]
        mailbox.mark_seen(uid)
        assert b"\\Seen" in mailbox.client.get_flags([uid])[uid]


def test_empty_folder_selects_with_highest_uid_zero(
    dovecot: DovecotServer, mailbox_user: str
) -> None:
    with ImapMailbox(settings(dovecot, mailbox_user)) as mailbox:
        _uidvalidity, highest = mailbox.select()
        assert highest == 0
        assert mailbox.uids_after(0) == []
        assert list(mailbox.fetch([])) == []


@pytest.mark.parametrize("prefer_move", [True, False], ids=["move", "copy-expunge"])
def test_move_processed(dovecot: DovecotServer, mailbox_user: str, prefer_move: bool) -> None:
    append(dovecot, mailbox_user, 5, 6)
    config = settings(dovecot, mailbox_user, processed_folder="Processed")
    with ImapMailbox(config, prefer_move=prefer_move) as mailbox:
        mailbox.select()
        first, second = mailbox.uids_after(0)
        mailbox.mark_seen(first)
        mailbox.move_processed(first)
        assert mailbox.uids_after(0) == [second]
    client = admin(dovecot, mailbox_user)
    try:
        client.select_folder("Processed")
        moved = client.search("ALL")
        assert len(moved) == 1
        data = client.fetch(moved, ["BODY.PEEK[]", "FLAGS"])[moved[0]]
        assert parse(data[b"BODY[]"]).subject == "Kysymys 5"
        assert b"\\Seen" in data[b"FLAGS"]
    finally:
        client.logout()


@pytest.mark.parametrize("prefer_move", [True, False], ids=["move", "copy-expunge"])
def test_several_messages_are_marked_and_moved_at_once(
    dovecot: DovecotServer, mailbox_user: str, prefer_move: bool
) -> None:
    append(dovecot, mailbox_user, 7, 8, 9)
    config = settings(dovecot, mailbox_user, processed_folder="Processed")
    with ImapMailbox(config, prefer_move=prefer_move) as mailbox:
        mailbox.select()
        first, second, third = mailbox.uids_after(0)
        mailbox.mark_seen(first, third)
        flags = mailbox.client.get_flags([first, second, third])
        assert [b"\\Seen" in flags[uid] for uid in (first, second, third)] == [True, False, True]
        mailbox.move_processed(first, third)
        mailbox.move_processed()  # nothing to move: no command, no error
        assert mailbox.uids_after(0) == [second]
    client = admin(dovecot, mailbox_user)
    try:
        client.select_folder("Processed")
        moved = client.fetch(client.search("ALL"), ["BODY.PEEK[]"])
        subjects = sorted(parse(data[b"BODY[]"]).subject for data in moved.values())
        assert subjects == ["Kysymys 7", "Kysymys 9"]
    finally:
        client.logout()


class WithoutCapabilities:
    """The real client, but a server that does not announce ``hidden``."""

    def __init__(self, client: Any, *hidden: str) -> None:
        self._client = client
        self._hidden = {name.upper() for name in hidden}

    def has_capability(self, name: str) -> bool:
        return name.upper() not in self._hidden and bool(self._client.has_capability(name))

    def expunge(self, *args: object) -> object:
        raise AssertionError("a plain EXPUNGE removes other clients' deleted messages too")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def test_move_without_uidplus_leaves_the_original_flagged_and_expunges_nothing(
    dovecot: DovecotServer, mailbox_user: str, caplog: pytest.LogCaptureFixture
) -> None:
    append(dovecot, mailbox_user, 5, 6)
    other = admin(dovecot, mailbox_user)
    try:
        other.select_folder("INBOX")
        _ours, theirs = other.search("ALL")
        other.add_flags([theirs], [b"\\Deleted"])  # another client's, not expunged yet
    finally:
        other.logout()
    config = settings(dovecot, mailbox_user, processed_folder="Processed")
    with ImapMailbox(config) as mailbox:
        mailbox._client = WithoutCapabilities(mailbox._client, "MOVE", "UIDPLUS")
        mailbox.select()
        first, second = mailbox.uids_after(0)
        with caplog.at_level(logging.INFO, logger="channels.email.imap"):
            mailbox.move_processed(first)
        assert "not expunged" in caplog.text
    client = admin(dovecot, mailbox_user)
    try:
        client.select_folder("INBOX")
        flags = client.get_flags(client.search("ALL"))
        assert set(flags) == {first, second}, "nothing expunged"
        assert {b"\\Deleted", b"\\Seen"} <= set(flags[first])
        assert b"\\Deleted" in flags[second], "the other client's deletion is theirs to expunge"
        client.select_folder("Processed")
        (moved,) = client.search("ALL")
        data = client.fetch([moved], ["BODY.PEEK[]"])[moved]
        assert parse(data[b"BODY[]"]).subject == "Kysymys 5"
    finally:
        client.logout()


def test_move_without_processed_folder_is_an_error(
    dovecot: DovecotServer, mailbox_user: str
) -> None:
    append(dovecot, mailbox_user, 7)
    with ImapMailbox(settings(dovecot, mailbox_user)) as mailbox:
        mailbox.select()
        with pytest.raises(ImapError):
            mailbox.move_processed(mailbox.uids_after(0)[0])


def test_idle_is_woken_by_an_append_from_another_connection(
    dovecot: DovecotServer, mailbox_user: str
) -> None:
    appended: list[float] = []

    def append_later() -> None:
        append(dovecot, mailbox_user, 8)
        appended.append(time.monotonic())

    with ImapMailbox(settings(dovecot, mailbox_user)) as mailbox:
        mailbox.select()
        timer = threading.Timer(0.5, append_later)
        timer.start()
        started = time.monotonic()
        try:
            assert mailbox.idle_wait(20) is True
        finally:
            timer.join()
        woken = time.monotonic() - started
        assert woken < 15, (
            f"woken after {woken:.1f} s, the append done after "
            f"{(appended or [started])[0] - started:.1f} s; Dovecot's log:\n{dovecot.log_tail()}"
        )
        assert len(mailbox.uids_after(0)) == 1
        mailbox.noop()


def test_mail_arriving_just_before_the_idle_is_noticed_soon(
    dovecot: DovecotServer, mailbox_user: str
) -> None:
    """Mail that arrives after the poller's last command and before its
    IDLE begins is not announced by Dovecot until the next command: the
    IDLE is ended and the mailbox checked often enough that such a mail
    waits seconds, not the whole IDLE."""
    with ImapMailbox(settings(dovecot, mailbox_user)) as mailbox:
        mailbox.select()
        append(dovecot, mailbox_user, 9)
        started = time.monotonic()
        assert mailbox.idle_wait(60) is True
        assert time.monotonic() - started < IDLE_CHECK_SECONDS + 5
        assert len(mailbox.uids_after(0)) == 1


def test_idle_times_out_without_mail(dovecot: DovecotServer, mailbox_user: str) -> None:
    with ImapMailbox(settings(dovecot, mailbox_user)) as mailbox:
        mailbox.select()
        assert mailbox.idle_wait(0.5) is False
    assert IDLE_RENEW_SECONDS <= 600


def test_wrong_password_is_an_authentication_error(dovecot: DovecotServer) -> None:
    config = settings(dovecot, "staff@desk.test", password="wrong")
    with pytest.raises(ImapAuthenticationError), ImapMailbox(config):
        pass


def test_closed_port_is_a_connection_error(dovecot: DovecotServer) -> None:
    config = settings(dovecot, "staff@desk.test", port=free_port(), timeout=2.0)
    with pytest.raises(ImapConnectionError), ImapMailbox(config):
        pass


def test_ssl_connection_with_self_signed_certificate(dovecot: DovecotServer) -> None:
    assert dovecot.ssl_port is not None and dovecot.ca_file is not None
    context = ssl.create_default_context(cafile=str(dovecot.ca_file))
    config = settings(dovecot, "staff@desk.test", port=dovecot.ssl_port, ssl=True)
    with ImapMailbox(config, ssl_context=context) as mailbox:
        uidvalidity, _highest = mailbox.select()
        assert uidvalidity > 0


def test_starttls_on_the_plain_port(dovecot: DovecotServer) -> None:
    assert dovecot.ca_file is not None
    context = ssl.create_default_context(cafile=str(dovecot.ca_file))
    config = settings(dovecot, "staff@desk.test", starttls=True)
    with ImapMailbox(config, ssl_context=context) as mailbox:
        mailbox.select()
        mailbox.noop()


def test_untrusted_certificate_is_a_connection_error(dovecot: DovecotServer) -> None:
    assert dovecot.ssl_port is not None
    config = settings(dovecot, "staff@desk.test", port=dovecot.ssl_port, ssl=True, timeout=5.0)
    with pytest.raises(ImapConnectionError), ImapMailbox(config):
        pass
