"""Fixtures of the email channel's application tests: a real Dovecot and a
real aiosmtpd on 127.0.0.1, settings pointing at them, builders of raw
mail, and databases of their own (a migrated SQLite file, a PostgreSQL
schema) for the tests that run several pollers or a real process."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path

import pytest
from imapclient import IMAPClient
from sqlalchemy import func, select, text

from servicedesk import runtime as runtime_module
from servicedesk.db import Database, make_engine
from servicedesk.mail_sync import PollReport, poll_once
from servicedesk.models import Ticket
from servicedesk.queueing import InlineJobQueue
from servicedesk.runtime import Runtime
from servicedesk.settings import Settings
from servicedesk.storage import LocalStorage
from tests.conftest import REPO, postgres_url, prepare_database, require
from tests.dovecot import DovecotServer, running_dovecot
from tests.fakes import RecordingMailSender
from tests.smtp_server import SmtpServer, running_smtp

APPLICANTS = "applicants@desk.test"
STAFF = "staff@desk.test"
DESK = "neuvonta@desk.test"  # SERVICEDESK_MAIL_FROM of the test settings
STAFF_DESK = "tuki@desk.test"  # SERVICEDESK_STAFF_MAIL_ADDRESS
ZAMMAD_CORPUS = REPO / ".." / "shared" / "corpus" / "zammad-mail"


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    with running_dovecot(with_ssl=False) as server:
        yield server


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpServer]:
    with running_smtp() as server:
        yield server


@pytest.fixture
def smtp(smtp_server: SmtpServer) -> SmtpServer:
    smtp_server.handler.clear()
    return smtp_server


def imap_settings(settings: Settings, server: DovecotServer, **changes: object) -> Settings:
    return settings.with_changes(
        imap_host=server.host,
        imap_port=server.port,
        imap_user=APPLICANTS,
        imap_password=server.password(APPLICANTS),
        imap_ssl=False,
        imap_starttls=False,
        **changes,
    )


@pytest.fixture
def settings(settings: Settings, dovecot: DovecotServer) -> Settings:
    """The suite's settings with the applicant desk's mailbox on the test Dovecot."""
    return imap_settings(settings, dovecot)


class Imap:
    """What a mail server's other clients do: deliver (APPEND), look, tidy up."""

    def __init__(self, server: DovecotServer) -> None:
        self.server = server

    def client(self, user: str = APPLICANTS) -> IMAPClient:
        client = IMAPClient(self.server.host, port=self.server.port, ssl=False, timeout=10)
        client.login(user, self.server.password(user))
        return client

    def append(self, *raws: bytes, user: str = APPLICANTS, folder: str = "INBOX") -> None:
        client = self.client(user)
        try:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            for raw in raws:
                client.append(folder, raw)
        finally:
            client.logout()

    def flags(self, user: str = APPLICANTS, folder: str = "INBOX") -> dict[bytes, set[bytes]]:
        """Message-ID header → flags of every message in the folder."""
        client = self.client(user)
        try:
            if not client.folder_exists(folder):
                return {}
            client.select_folder(folder, readonly=True)
            found = client.fetch(
                client.search("ALL"), ["FLAGS", "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"]
            )
            return {
                data[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"].split(b":", 1)[-1].strip(): set(
                    data[b"FLAGS"]
                )
                for data in found.values()
            }
        finally:
            client.logout()

    def kick(self, user: str = APPLICANTS) -> None:
        """The server drops the user's connections (``doveadm kick``)."""
        subprocess.run(
            ["doveadm", "-c", str(self.server.directory / "dovecot.conf"), "kick", user],
            check=True,
            capture_output=True,
        )

    def reset(self, user: str) -> None:
        """An empty INBOX and no other folder."""
        client = self.client(user)
        try:
            for _flags, _delimiter, name in client.list_folders():
                if name.upper() != "INBOX":
                    client.delete_folder(name)
            client.select_folder("INBOX")
            uids = client.search("ALL")
            if uids:
                client.delete_messages(uids)
                client.expunge()
        finally:
            client.logout()


@pytest.fixture
def imap(dovecot: DovecotServer) -> Imap:
    helper = Imap(dovecot)
    for user in (APPLICANTS, STAFF):
        helper.reset(user)
    return helper


def make_mail(
    *,
    sender: str = "aino.korhonen@example.org",
    name: str = "Aino Korhonen",
    to: str = DESK,
    subject: str = "Oppisopimus",
    body: str = "Hei! Asun Oulussa ja haluaisin opiskella lähihoitajaksi oppisopimuksella.",
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    headers: Sequence[tuple[str, str]] = (),
    attachments: Sequence[tuple[str, str, bytes]] = (),
) -> bytes:
    """A raw mail as a mail program writes it."""
    mail = EmailMessage(policy=policy.SMTP)
    local, _at, domain = sender.partition("@")
    mail["From"] = Address(name, local, domain) if name else sender
    mail["To"] = to
    mail["Subject"] = subject
    mail["Date"] = "Tue, 01 Sep 2026 10:00:00 +0300"
    mail["Message-ID"] = f"<{message_id or uuid.uuid4().hex + '@example.org'}>"
    if in_reply_to:
        mail["In-Reply-To"] = f"<{in_reply_to}>"
    if references or in_reply_to:
        mail["References"] = " ".join(f"<{r}>" for r in [*references, in_reply_to] if r)
    for field, value in headers:
        mail[field] = value
    mail.set_content(body)
    for filename, content_type, data in attachments:
        maintype, _slash, subtype = content_type.partition("/")
        mail.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return mail.as_bytes()


_OUTCOME = re.compile(
    r"^[^:]+: (new ticket|added to ticket|already|duplicate|ignored|failed|pending)"
)


def outcome(line: str) -> str:
    """The outcome a line of ``email ingest`` or ``email poll`` reports."""
    match = _OUTCOME.match(line)
    assert match, f"unexpected line: {line!r}"
    return match.group(1)


def count_tickets(db: Database) -> int:
    with db.session() as session:
        return int(session.execute(select(func.count(Ticket.id))).scalar_one())


# -- databases of their own ---------------------------------------------------


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file with the demo directory, copied by each test."""
    path = tmp_path_factory.mktemp("mail-template") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    prepare_database(engine)
    engine.dispose()
    return path


@pytest.fixture
def sqlite_file_url(migrated_sqlite: Path, tmp_path: Path) -> str:
    path = tmp_path / "desk.sqlite3"
    # SQLite's backup API copies a consistent database, write-ahead log included.
    with (
        closing(sqlite3.connect(migrated_sqlite)) as source,
        closing(sqlite3.connect(path)) as target,
    ):
        source.backup(target)
    return f"sqlite:///{path}"


def postgres_schema_url(base: str, schema: str) -> str:
    """The PostgreSQL URL with every connection's search_path in ``schema``."""
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_database_url(request: pytest.FixtureRequest, sqlite_file_url: str) -> Iterator[str]:
    """A database that several connections and processes share for real
    (no SAVEPOINT around the test): a SQLite file, or a schema of its own in
    the PostgreSQL test database, dropped afterwards."""
    if request.param == "sqlite":
        yield sqlite_file_url
        return
    base = require("TEST_DATABASE_URL", postgres_url())
    schema = f"mail_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    url = postgres_schema_url(base, schema)
    engine = make_engine(url)
    try:
        prepare_database(engine)
        engine.dispose()
        yield url
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@dataclass
class OwnRuntimes:
    """Runtimes on a shared database, each with its own engine (as separate
    processes would have); disposed at the end of the test."""

    settings: Settings
    made: list[Runtime]

    def make(self) -> Runtime:
        runtime = Runtime(
            settings=self.settings,
            db=Database.connect(self.settings.database_url),
            jobs=InlineJobQueue(),
            storage=LocalStorage(self.settings.storage_dir),
            mail=RecordingMailSender(),
        )
        self.made.append(runtime)
        return runtime


def poll_as(runtime: Runtime) -> PollReport:
    """``poll_once`` with ``runtime`` the one its inline jobs find (each
    thread starts without one)."""
    token = runtime_module.activate(runtime)
    try:
        return poll_once(runtime)
    finally:
        runtime_module.deactivate(token)


def standalone_settings(
    database_url: str, folder: Path, server: DovecotServer | None = None
) -> Settings:
    """Settings like the suite's, on a database of the test's own."""
    settings = Settings(
        database_url=database_url,
        secret_key="test-secret-key-that-is-long-enough",
        base_url="http://desk.test",
        instance_path=folder,
        storage_dir=folder / "files",
        mail_from=DESK,
        staff_mail_address=STAFF_DESK,
    )
    return imap_settings(settings, server) if server else settings


@pytest.fixture
def own_runtimes(
    shared_database_url: str, tmp_path: Path, dovecot: DovecotServer
) -> Iterator[OwnRuntimes]:
    runtimes = OwnRuntimes(standalone_settings(shared_database_url, tmp_path, dovecot), [])
    yield runtimes
    for runtime in runtimes.made:
        runtime.db.dispose()


def process_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of a ``servicedesk`` process with these settings."""
    keep = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "PYTHONPATH"}}
    env = {
        **keep,
        "SERVICEDESK_DATABASE_URL": settings.database_url,
        "SERVICEDESK_INSTANCE_PATH": str(settings.instance_path),
        "SERVICEDESK_SECRET_KEY": settings.secret_key,
        "SERVICEDESK_BASE_URL": settings.base_url,
        "SERVICEDESK_MAIL_FROM": settings.mail_from,
        "SERVICEDESK_STAFF_MAIL_ADDRESS": settings.staff_mail_address,
        "SERVICEDESK_LOG_LEVEL": "WARNING",
    }
    if settings.imap_host:
        env.update(
            SERVICEDESK_IMAP_HOST=settings.imap_host,
            SERVICEDESK_IMAP_PORT=str(settings.imap_port),
            SERVICEDESK_IMAP_USER=settings.imap_user or "",
            SERVICEDESK_IMAP_PASSWORD=settings.imap_password or "",
            SERVICEDESK_IMAP_SSL="1" if settings.imap_ssl else "0",
        )
    env.update(extra)
    return env


def servicedesk(
    args: Sequence[str], env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``servicedesk ARGS`` in a real process, as an operator runs it."""
    return subprocess.run(
        [sys.executable, "-m", "servicedesk", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=timeout,
        check=False,
    )
