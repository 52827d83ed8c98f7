"""Fixtures of the email channel tests: a real Dovecot, a real aiosmtpd, the corpora."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

REPO = Path(__file__).resolve().parents[3]
if str(REPO) not in sys.path:  # pragma: no cover - depends on how pytest was started
    # tests/dovecot.py is shared by several test packages; without a pytest
    # ``pythonpath`` setting the repository root is not importable by itself.
    sys.path.insert(0, str(REPO))

from tests.dovecot import DovecotServer, free_port, running_dovecot  # noqa: E402

MAIL_CORPUS = REPO / "tests" / "data" / "mail"
ZAMMAD_CORPUS = REPO / ".." / "shared" / "corpus" / "zammad-mail"


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    with running_dovecot() as server:
        yield server


@dataclass
class RecordingHandler:
    """An aiosmtpd handler that keeps what it accepted and refuses on cue.

    Recipients whose local part is ``greylist`` get 450, ``nobody`` gets 550;
    a message whose body contains ``X-Test-Data-Reply: NNN`` gets that code at DATA.
    """

    received: list[Envelope] = field(default_factory=list)

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
        return "250 Message accepted"


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: RecordingHandler


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpServer]:
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer(host="127.0.0.1", port=port, handler=handler)
    finally:
        controller.stop()


@pytest.fixture
def smtp(smtp_server: SmtpServer) -> SmtpServer:
    smtp_server.handler.received.clear()
    return smtp_server
