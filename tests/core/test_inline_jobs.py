"""The embedded default (``make run``) runs the periodic jobs inline.
While its database is unreachable they fail every half minute; the log
says so in one line each, and a job that fails for any other reason
still leaves its traceback."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from servicedesk import runtime as runtime_module
from servicedesk.queueing import PERIODIC, InlineJobQueue, PeriodicRunner
from servicedesk.runtime import Runtime
from servicedesk.settings import Settings

# Nothing listens on port 1: every connection is refused at once.
UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/servicedesk"


@pytest.fixture
def unreachable(tmp_path: Path) -> Iterator[Runtime]:
    settings = Settings(
        database_url=UNREACHABLE, instance_path=tmp_path, storage_dir=tmp_path / "files"
    )
    runtime = runtime_module.install(Runtime.from_settings(settings))
    yield runtime
    runtime_module._current = None
    runtime.db.engine.dispose()


def test_periodic_jobs_say_the_database_is_unavailable_in_one_line_each(
    unreachable: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    assert isinstance(unreachable.jobs, InlineJobQueue)
    with caplog.at_level(logging.INFO, logger="servicedesk"):
        started = PeriodicRunner(unreachable.jobs).tick(now=10_000_000.0)

    assert started == [job.name for job in PERIODIC]
    failures = [r for r in caplog.records if r.name == "servicedesk.queueing"]
    assert len(failures) == len(PERIODIC)
    for record in failures:
        assert record.levelno == logging.WARNING
        assert record.exc_info is None
        message = record.getMessage()
        assert "the database is unavailable" in message
        assert "\n" not in message
        assert "Connection refused" in message


def test_any_other_failure_keeps_its_traceback(caplog: pytest.LogCaptureFixture) -> None:
    def broken() -> None:
        raise ValueError("a mistake in the job")

    with caplog.at_level(logging.INFO, logger="servicedesk"):
        assert InlineJobQueue().enqueue("maintenance", broken) is False

    (record,) = [r for r in caplog.records if r.name == "servicedesk.queueing"]
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None and record.exc_info[0] is ValueError
