"""Fixtures of the email channel tests: a real Dovecot, a real aiosmtpd, the corpora."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
if str(REPO) not in sys.path:  # pragma: no cover - depends on how pytest was started
    # tests/dovecot.py is shared by several test packages; without a pytest
    # ``pythonpath`` setting the repository root is not importable by itself.
    sys.path.insert(0, str(REPO))

from tests.dovecot import DovecotServer, running_dovecot  # noqa: E402
from tests.smtp_server import RecordingHandler, SmtpServer, running_smtp  # noqa: E402,F401

MAIL_CORPUS = REPO / "tests" / "data" / "mail"
ZAMMAD_CORPUS = REPO / ".." / "shared" / "corpus" / "zammad-mail"


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    with running_dovecot() as server:
        yield server


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpServer]:
    with running_smtp() as server:
        yield server


@pytest.fixture
def smtp(smtp_server: SmtpServer) -> SmtpServer:
    smtp_server.handler.clear()
    return smtp_server
