"""A thin, typed adapter over imapclient for reading one mailbox folder by UID.

It connects (SSL, STARTTLS or plain), selects the folder and reports its
UIDVALIDITY and highest UID, lists the UIDs after a given one, fetches raw
messages with ``BODY.PEEK[]`` (so fetching never marks anything seen), marks
a message ``\\Seen``, moves it to the processed folder (``MOVE`` where the
server has it, else ``COPY`` + ``\\Deleted`` + ``UID EXPUNGE``; without
UIDPLUS the original is left flagged ``\\Deleted``, since a plain
``EXPUNGE`` would take other clients' deleted messages too) and waits
with IDLE.  It keeps no sync state: the application stores UIDVALIDITY and
the last UID and decides what to fetch.

Errors::

    ChannelError
    └── ImapError                   any failure of the IMAP conversation
        ├── ImapConnectionError     socket errors, timeouts, a dropped session:
        │                           reconnect (with backoff) and carry on
        └── ImapAuthenticationError the server refused the credentials
"""

from __future__ import annotations

import contextlib
import logging
import ssl
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Final, Self

from imapclient import DELETED, SEEN, IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from channels.errors import ChannelError

logger = logging.getLogger(__name__)

# RFC 2177 lets servers drop an IDLE after 30 minutes and NATs forget idle
# connections sooner; the poller syncs at least this often, mail or not.
IDLE_RENEW_SECONDS: Final = 540.0
# A server announces during an IDLE what changes after the IDLE began;
# Dovecot reports a mail that arrived between the last command and the
# IDLE only at the next command (or its own check, 30 s later by
# default).  One IDLE command lasts at most this long, so such a mail
# waits seconds, not the whole wait.
IDLE_CHECK_SECONDS: Final = 10.0
# Without IDLE the mailbox is polled with NOOP at this interval.
NOOP_POLL_SECONDS: Final = 30.0


class ImapError(ChannelError):
    pass


class ImapConnectionError(ImapError):
    pass


class ImapAuthenticationError(ImapError):
    pass


@dataclass(frozen=True, slots=True)
class ImapSettings:
    host: str
    port: int
    user: str
    password: str = field(repr=False)
    ssl: bool = True
    starttls: bool = False
    folder: str = "INBOX"
    processed_folder: str | None = None
    timeout: float = 60.0


@contextlib.contextmanager
def _mapped_errors(action: str) -> Iterator[None]:
    try:
        yield
    except LoginError as exc:
        raise ImapAuthenticationError(f"IMAP login refused: {exc}") from exc
    except IMAPClient.AbortError as exc:
        raise ImapConnectionError(f"IMAP connection lost during {action}: {exc}") from exc
    except OSError as exc:  # includes ssl.SSLError and socket timeouts
        raise ImapConnectionError(f"IMAP {action} failed: {exc!r}") from exc
    except IMAPClientError as exc:
        raise ImapError(f"IMAP {action} failed: {exc}") from exc


class ImapMailbox:
    """One connection to one folder.  Use as a context manager.

    ``prefer_move=False`` makes :meth:`move_processed` use COPY + EXPUNGE even
    where the server announces MOVE (for servers whose MOVE misbehaves).
    """

    def __init__(
        self,
        settings: ImapSettings,
        *,
        ssl_context: ssl.SSLContext | None = None,
        prefer_move: bool = True,
    ) -> None:
        self.settings = settings
        self.ssl_context = ssl_context
        self.prefer_move = prefer_move
        self._client: Any = None
        self._folder_checked = False

    def __enter__(self) -> Self:
        self.connect()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def connect(self) -> None:
        settings = self.settings
        context = self.ssl_context or ssl.create_default_context()
        with _mapped_errors("connect"):
            client = IMAPClient(
                settings.host,
                port=settings.port,
                ssl=settings.ssl,
                ssl_context=context if settings.ssl else None,
                timeout=settings.timeout,
            )
            try:
                if settings.starttls and not settings.ssl:
                    client.starttls(context)
                client.login(settings.user, settings.password)
            except BaseException:
                with contextlib.suppress(Exception):
                    client.shutdown()
                raise
        self._client = client

    @property
    def client(self) -> Any:
        """The underlying IMAPClient, for what this adapter does not cover."""
        if self._client is None:
            raise ImapConnectionError("not connected")
        return self._client

    def close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.logout()
        except Exception:  # a dead connection cannot say goodbye
            with contextlib.suppress(Exception):
                client.shutdown()

    def has_capability(self, name: str) -> bool:
        with _mapped_errors("capability"):
            return bool(self.client.has_capability(name))

    def select(self) -> tuple[int, int]:
        """Select the folder: ``(UIDVALIDITY, highest UID)``, 0 for an empty folder."""
        with _mapped_errors("select"):
            info = self.client.select_folder(self.settings.folder)
            uidvalidity = int(info[b"UIDVALIDITY"])
            if int(info.get(b"EXISTS", 0)) == 0:
                return uidvalidity, 0
            last = self.client.search("UID *")
            return uidvalidity, max((int(uid) for uid in last), default=0)

    def uids_after(self, last_uid: int) -> list[int]:
        """UIDs greater than ``last_uid``, ascending."""
        with _mapped_errors("search"):
            found = self.client.search(f"UID {int(last_uid) + 1}:*")
        # "n:*" includes the highest UID even when it is below n (RFC 3501)
        return sorted(int(uid) for uid in found if int(uid) > last_uid)

    def fetch(self, uids: Iterable[int], batch: int = 50) -> Iterator[tuple[int, bytes]]:
        """``(uid, raw bytes)`` in UID order, without setting ``\\Seen``.

        UIDs that vanished meanwhile (expunged by someone else) are skipped.
        """
        wanted = sorted(set(uids))
        for start in range(0, len(wanted), max(1, batch)):
            chunk = wanted[start : start + max(1, batch)]
            with _mapped_errors("fetch"):
                response = self.client.fetch(chunk, ["BODY.PEEK[]"])
            for uid in chunk:
                data = response.get(uid, {}).get(b"BODY[]")
                if isinstance(data, bytes):
                    yield uid, data

    def mark_seen(self, *uids: int) -> None:
        """Flag the messages ``\\Seen``, in one command."""
        if not uids:
            return
        with _mapped_errors("store"):
            self.client.add_flags(list(uids), [SEEN], silent=True)

    def move_processed(self, *uids: int) -> None:
        """Move the messages to ``processed_folder`` (created when missing),
        in one command (or one of each kind).  UIDs someone else moved or
        expunged meanwhile are passed over, as IMAP does.

        Without MOVE or UIDPLUS it is copied and left flagged ``\\Seen``
        and ``\\Deleted`` where it was, never expunged (see the module)."""
        target = self.settings.processed_folder
        if not target:
            raise ImapError("no processed folder configured")
        wanted = list(uids)
        if not wanted:
            return
        with _mapped_errors("move"):
            if not self._folder_checked:
                if not self.client.folder_exists(target):
                    self.client.create_folder(target)
                self._folder_checked = True
            if self.prefer_move and self.client.has_capability("MOVE"):
                self.client.move(wanted, target)
                return
            self.client.copy(wanted, target)
            self.client.add_flags(wanted, [SEEN, DELETED], silent=True)
            if self.client.has_capability("UIDPLUS"):
                self.client.uid_expunge(wanted)
                return
        # A plain EXPUNGE would also remove whatever other clients flagged
        # \Deleted in this folder.  The copy is made; the original stays,
        # flagged, below the last UID we took in, until someone expunges.
        logger.info(
            "IMAP server without MOVE or UIDPLUS: UID(s) %s copied to %s and left flagged "
            "\\Deleted in %s, not expunged",
            ",".join(map(str, wanted)),
            target,
            self.settings.folder,
        )

    def noop(self) -> None:
        """A round trip that fails with :class:`ImapConnectionError` on a dead connection."""
        with _mapped_errors("noop"):
            self.client.noop()

    def idle_wait(self, timeout_seconds: float) -> bool:
        """Wait up to ``timeout_seconds`` for the server to announce new mail.

        One IDLE lasts at most :data:`IDLE_CHECK_SECONDS`; longer waits
        re-issue it, and the server reports at the end of each what it did
        not announce.  Returns True on EXISTS/RECENT, False when the time
        ran out.
        """
        deadline = time.monotonic() + max(0.0, timeout_seconds)
        if not self.has_capability("IDLE"):
            return self._poll_wait(deadline)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            with _mapped_errors("idle"):
                self.client.idle()
                try:
                    responses = self.client.idle_check(timeout=min(remaining, IDLE_CHECK_SECONDS))
                finally:
                    _text, late = self.client.idle_done()
            if _announces_mail([*responses, *late]):
                return True

    def _poll_wait(self, deadline: float) -> bool:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            time.sleep(min(remaining, NOOP_POLL_SECONDS))
            with _mapped_errors("noop"):
                _text, responses = self.client.noop()
            if _announces_mail(responses):
                return True


def _announces_mail(responses: Iterable[Any]) -> bool:
    for response in responses:
        if not (isinstance(response, tuple) and len(response) >= 2):
            continue
        count, kind = response[0], response[1]
        if kind == b"EXISTS" or (kind == b"RECENT" and isinstance(count, int) and count > 0):
            return True
    return False
