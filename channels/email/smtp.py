"""Delivering outbound mail: over SMTP, or to the log for the embedded demo.

Every sender satisfies :class:`MailSender`: ``send(message) -> DeliveryReceipt``
with the Message-ID as ``provider_id``.

Errors of :class:`SmtpSender`::

    ChannelError
    └── DeliveryError
        ├── TemporaryDeliveryError   no connection, timeouts, dropped sessions,
        │                            4xx answers, greeting/HELO refusals and
        │                            authentication or TLS failures (our
        │                            side, not the message: retrying succeeds
        │                            once fixed)
        └── PermanentDeliveryError   5xx answers, refused recipients, a message
                                     that cannot be composed (bad address)

``code`` on the error holds the SMTP reply code when there was one.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
import ssl
import threading
from collections.abc import Iterator
from typing import Protocol

from channels.email.compose import ComposeError, compose, with_message_id
from channels.errors import PermanentDeliveryError, TemporaryDeliveryError
from channels.message import DeliveryReceipt, OutboundMessage

logger = logging.getLogger(__name__)


class MailSender(Protocol):
    def send(self, message: OutboundMessage) -> DeliveryReceipt: ...


class SmtpSender:
    """Sends each message in an SMTP session of its own, or, inside
    :meth:`several`, the messages of one thread in one session (opened at
    the first, reopened after a failure, closed at the end of the block)."""

    def __init__(
        self,
        host: str,
        port: int,
        user: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 30.0,
        local_hostname: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.starttls = starttls
        self.timeout = timeout
        self.local_hostname = local_hostname
        self.ssl_context = ssl_context
        self._local = threading.local()

    @contextlib.contextmanager
    def several(self) -> Iterator[None]:
        """Share one session between the sends of this thread inside the
        block: a job's few messages pay for one connection, greeting, TLS
        handshake and login instead of one each."""
        if getattr(self._local, "shared", False):
            yield  # already inside one
            return
        self._local.shared = True
        try:
            yield
        finally:
            self._local.shared = False
            self._drop_session()

    def send(self, message: OutboundMessage) -> DeliveryReceipt:
        message, data = _prepare(message)
        try:
            with self.several():  # alone: a session of its own, closed after
                self._send(message, data)
        except smtplib.SMTPRecipientsRefused as exc:
            refusals: list[tuple[int, bytes]] = list(exc.recipients.values())
            code, reply = refusals[0] if refusals else (550, b"recipient refused")
            raise _by_code(code, f"recipient refused: {_text(reply)}") from exc
        except (
            smtplib.SMTPAuthenticationError,
            smtplib.SMTPNotSupportedError,
            smtplib.SMTPConnectError,
            smtplib.SMTPHeloError,
        ) as exc:
            setup_code = getattr(exc, "smtp_code", None)
            raise TemporaryDeliveryError(
                f"SMTP session could not be set up: {exc}",
                code=str(setup_code) if setup_code else None,
            ) from exc
        except smtplib.SMTPResponseException as exc:
            raise _by_code(exc.smtp_code, _text(exc.smtp_error)) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise TemporaryDeliveryError(f"SMTP connection failed: {exc!r}") from exc
        logger.info("mail %s sent via %s:%s", message.message_id, self.host, self.port)
        return DeliveryReceipt(provider_id=message.message_id)

    def _send(self, message: OutboundMessage, data: bytes) -> None:
        """Over this thread's session: reused when it still answers, opened
        otherwise, dropped after a failure, whatever state that left it in."""
        session: smtplib.SMTP | None = getattr(self._local, "session", None)
        if session is not None and not _answers(session):
            self._drop_session()  # the server closed it (some allow one message a session)
            session = None
        if session is None:
            session = self._local.session = self._open()
        try:
            session.sendmail(message.from_address, [message.to_address], data)
        except BaseException:
            self._drop_session()
            raise

    def _open(self) -> smtplib.SMTP:
        session = smtplib.SMTP(
            self.host, self.port, local_hostname=self.local_hostname, timeout=self.timeout
        )
        try:
            session.ehlo()
            if self.starttls:
                session.starttls(context=self.ssl_context or ssl.create_default_context())
                session.ehlo()
            if self.user:
                session.login(self.user, self.password or "")
        except BaseException:
            _close(session)
            raise
        return session

    def _drop_session(self) -> None:
        session = getattr(self._local, "session", None)
        self._local.session = None
        if session is not None:
            _close(session)


def _answers(session: smtplib.SMTP) -> bool:
    try:
        return session.noop()[0] == 250
    except (smtplib.SMTPException, OSError):
        return False


def _close(session: smtplib.SMTP) -> None:
    """QUIT, or just close when the other end is gone."""
    try:
        session.quit()
    except (smtplib.SMTPException, OSError):
        session.close()


class LogMailSender:
    """Writes mail to a logger instead of sending it (the embedded demo's mail out)."""

    def __init__(self, target: logging.Logger | None = None) -> None:
        self.logger = target or logger

    def send(self, message: OutboundMessage) -> DeliveryReceipt:
        message, data = _prepare(message)
        self.logger.info("mail %s not sent (log sender), %d bytes", message.message_id, len(data))
        self.logger.debug("mail %s:\n%s", message.message_id, data.decode("ascii", "replace"))
        return DeliveryReceipt(provider_id=message.message_id, status="logged")


def _prepare(message: OutboundMessage) -> tuple[OutboundMessage, bytes]:
    try:
        message = with_message_id(message)
        return message, compose(message)
    except ComposeError as exc:
        raise PermanentDeliveryError(f"message cannot be sent: {exc}") from exc


def _by_code(code: int, text: str) -> TemporaryDeliveryError | PermanentDeliveryError:
    if 500 <= code < 600:
        return PermanentDeliveryError(f"SMTP {code}: {text}", code=str(code))
    return TemporaryDeliveryError(f"SMTP {code}: {text}", code=str(code))


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
