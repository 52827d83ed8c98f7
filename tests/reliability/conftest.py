"""Fixtures of the reliability lane: the desk as real processes (see
stack.py) on PostgreSQL and Redis, a real Dovecot, a real aiosmtpd and the
local stand-in of Twilio's REST API, each test with a database schema of
its own.  These tests need PostgreSQL and Redis (``TEST_DATABASE_URL``,
``TEST_REDIS_URL``): SQLite and inline jobs are not what runs in
production, and a crash test of them would prove little.

Sizes are bounded for CI: each test well under a minute on two cores,
but for the crash test's 1,000 enquiries (a few minutes;
``RELIABILITY_ENQUIRIES`` lowers the count for a quick local run).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from imapclient import IMAPClient

from tests.conftest import postgres_url, require
from tests.dovecot import DovecotServer, running_dovecot
from tests.ports import free_port
from tests.reliability.stack import (
    Stack,
    desk_environment,
    postgres_schema,
    prepare_database,
)
from tests.smtp_server import SmtpServer, running_smtp
from tests.twilio_server import FakeTwilioServer

MAILBOX_USER = "desk@desk.test"
MAILBOX_PASSWORD = "desk-mailbox-secret"
AGENT_PASSWORD = "reliability-agent-password"


@pytest.fixture(scope="session")
def base_database_url() -> str:
    return require("TEST_DATABASE_URL", postgres_url())


@pytest.fixture(scope="session")
def mailbox() -> Iterator[DovecotServer]:
    with running_dovecot({MAILBOX_USER: MAILBOX_PASSWORD}, with_ssl=False) as server:
        yield server


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with running_smtp() as server:
        yield server


@pytest.fixture
def twilio() -> Iterator[FakeTwilioServer]:
    with FakeTwilioServer() as server:
        yield server


@pytest.fixture
def database_url(base_database_url: str) -> Iterator[str]:
    with postgres_schema(base_database_url) as url:
        yield url


@dataclass
class Desk:
    """A desk ready to start: its processes (not yet running), its database
    and the outside world it talks to."""

    stack: Stack
    database_url: str
    api_token: str
    twilio_token: str
    smtp: SmtpServer
    twilio: FakeTwilioServer
    mailbox: DovecotServer

    @property
    def imap(self) -> tuple[str, int, str, str]:
        return (self.mailbox.host, self.mailbox.port, MAILBOX_USER, MAILBOX_PASSWORD)


def empty_mailbox(server: DovecotServer) -> None:
    client = IMAPClient(server.host, port=server.port, ssl=False, timeout=30)
    try:
        client.login(MAILBOX_USER, MAILBOX_PASSWORD)
        client.select_folder("INBOX")
        uids = client.search("ALL")
        if uids:
            client.delete_messages(uids)
            client.expunge()
    finally:
        client.logout()


def make_desk(
    tmp_path: Path,
    database_url: str,
    redis_url: str,
    smtp: SmtpServer,
    twilio: FakeTwilioServer,
    mailbox: DovecotServer,
    *,
    web_workers: int = 2,
    agents: int = 0,
) -> Desk:
    empty_mailbox(mailbox)
    token = prepare_database(database_url, agents=agents, password=AGENT_PASSWORD)
    port = free_port()
    env = desk_environment(
        database_url=database_url,
        instance=tmp_path / "instance",
        port=port,
        redis_url=redis_url,
        smtp=(smtp.host, smtp.port),
        imap=(mailbox.host, mailbox.port, MAILBOX_USER, MAILBOX_PASSWORD),
        twilio=(twilio.account_sid, twilio.auth_token, twilio.base_url),
    )
    stack = Stack(env, port, tmp_path / "logs", web_workers=web_workers)
    return Desk(stack, database_url, token, twilio.auth_token, smtp, twilio, mailbox)


@pytest.fixture
def desk(
    tmp_path: Path,
    database_url: str,
    redis_url: str,
    smtp: SmtpServer,
    twilio: FakeTwilioServer,
    mailbox: DovecotServer,
) -> Iterator[Desk]:
    made = make_desk(tmp_path, database_url, redis_url, smtp, twilio, mailbox)
    try:
        yield made
    finally:
        made.stack.stop()
