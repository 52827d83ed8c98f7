"""A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it accepts,
shared by the email channel tests, the application's mail tests and the
browser tests."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.ports import free_port


@dataclass
class RecordingHandler:
    """An aiosmtpd handler that keeps what it accepted and refuses on cue.

    Recipients whose local part is ``greylist`` get 450, ``nobody`` gets 550;
    a message whose body contains ``X-Test-Data-Reply: NNN`` gets that code at DATA.
    """

    received: list[Envelope] = field(default_factory=list)
    #: The client's (address, port) of each accepted mail: one per SMTP session.
    peers: list[object] = field(default_factory=list)

    def clear(self) -> None:
        self.received.clear()
        self.peers.clear()

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        local = address.partition("@")[0].lower()
        if local == "greylist":
            return "450 4.2.0 Greylisted, try again later"
        if local == "nobody":
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content if isinstance(envelope.content, bytes) else b""
        for code in (b"451", b"554"):
            if b"X-Test-Data-Reply: " + code in content:
                return f"{code.decode()} refused by test server"
        self.received.append(envelope)
        self.peers.append(session.peer)
        return "250 Message accepted"


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: RecordingHandler

    def messages(self) -> list[EmailMessage]:
        """Every accepted mail, parsed."""
        parsed = []
        for envelope in self.handler.received:
            raw = envelope.content if isinstance(envelope.content, bytes) else b""
            message = email.message_from_bytes(raw, policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            parsed.append(message)
        return parsed

    def to(self, address: str) -> list[EmailMessage]:
        return [
            m
            for m, e in zip(self.messages(), self.handler.received, strict=True)
            if address.lower() in (r.lower() for r in e.rcpt_tos)
        ]


@contextmanager
def running_smtp() -> Iterator[SmtpServer]:
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer(host="127.0.0.1", port=port, handler=handler)
    finally:
        controller.stop()
