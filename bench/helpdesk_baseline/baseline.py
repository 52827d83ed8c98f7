"""django-helpdesk, the comparison: installed from PyPI into a virtual
environment of its own under ``bench/.work/helpdesk-venv`` (never a
dependency of the desk), a plain Django project (``hdproject``) on
PostgreSQL, served by gunicorn with the same number of worker processes
and threads as the desk, sending its mail by SMTP to the same kind of
local aiosmtpd.

Runs in the desk's Python; everything of django-helpdesk runs in
subprocesses with its own interpreter.  ``HELPDESK_VERSION`` pins what is
measured.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
BENCH = HERE.parent
ROOT = BENCH.parent
sys.path[:0] = [str(BENCH), str(ROOT)]

from common import WORK, database_url, recreate_database  # noqa: E402
from load import LoadResult, Task, timed  # noqa: E402

from channels.message import InboundMessage  # noqa: E402
from tests.reliability.http_client import HttpClient, hidden_fields, source_address  # noqa: E402
from tests.reliability.stack import ManagedProcess  # noqa: E402

HELPDESK_VERSION = "2.6.1"
VENV = WORK / "helpdesk-venv"
PYTHON = VENV / "bin" / "python"
DATABASE = "sd_bench_helpdesk"
PACKAGES = [f"django-helpdesk=={HELPDESK_VERSION}", "gunicorn==27.0.1", "psycopg[binary]>=3.1"]


def ensure_venv() -> str:
    """Create the venv and install django-helpdesk when missing; its version."""
    if not PYTHON.exists():
        WORK.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run(
            [str(PYTHON), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True
        )
    probe = subprocess.run(
        [str(PYTHON), "-c", "import importlib.metadata as m; print(m.version('django-helpdesk'))"],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0 or probe.stdout.strip() != HELPDESK_VERSION:
        subprocess.run(
            [str(PYTHON), "-m", "pip", "install", "--quiet", *PACKAGES],
            check=True,
        )
    return HELPDESK_VERSION


def environment(postgres: str, database: str, smtp_port: int, media: Path) -> dict[str, str]:
    import os

    return {
        **{k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG"}},
        "DJANGO_SETTINGS_MODULE": "hdproject.settings",
        "PYTHONPATH": str(HERE),
        "HD_DATABASE_URL": database_url(postgres, database, driver="postgresql"),
        "HD_SMTP_PORT": str(smtp_port),
        "HD_MEDIA_ROOT": str(media),
    }


def manage(env: dict[str, str], *args: str, timeout: float = 3600) -> str:
    done = subprocess.run(
        [str(PYTHON), str(HERE / "manage.py"), *args],
        env=env,
        cwd=HERE,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def prepare(
    env: dict[str, str],
    postgres: str,
    database: str = DATABASE,
    imap: tuple[str, int, str, str] | None = None,
) -> int:
    """A fresh database, migrated, with the public queue; the queue's id."""
    recreate_database(postgres, database)
    manage(env, "migrate", "--noinput")
    args = [str(x) for x in imap] if imap else []
    done = subprocess.run(
        [str(PYTHON), str(HERE / "hd_setup.py"), *args],
        env=env,
        cwd=HERE,
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout.strip().splitlines()[-1])


def server(
    env: dict[str, str], port: int, workers: int, threads: int, logs: Path
) -> ManagedProcess:
    """gunicorn serving django-helpdesk the way the desk is served."""
    logs.mkdir(parents=True, exist_ok=True)
    process = ManagedProcess(
        "helpdesk",
        [
            str(VENV / "bin" / "gunicorn"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "gthread",
            "--threads",
            str(threads),
            "--chdir",
            str(HERE),
            "hdproject.wsgi",
        ],
        env,
        logs / "helpdesk.log",
    )
    return process


def wait_until_up(base_url: str, process: ManagedProcess, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process.is_running:
            raise RuntimeError(f"django-helpdesk exited:\n{process.tail()}")
        try:
            client = HttpClient(base_url, timeout=5)
            if client.get("/tickets/submit/").status == 200:
                client.close()
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"django-helpdesk did not answer in {timeout} s:\n{process.tail()}")


def form_tasks(
    base_url: str, messages: Sequence[InboundMessage], queue_id: int, first: int = 0
) -> list[Task]:
    """Browsers posting django-helpdesk's public "submit a ticket" form, as
    for the desk: a page load (CSRF cookie and token), then the post.  A
    success is its redirect to the new ticket."""

    def task(message: InboundMessage, number: int) -> Task:
        def run(result: LoadResult) -> None:
            client = HttpClient(base_url, source=source_address(number))
            try:
                page = client.get("/tickets/submit/")
                fields = {
                    **hidden_fields(page.text),
                    "queue": str(queue_id),
                    "title": message.subject or message.text[:60],
                    "body": message.text,
                    "priority": "3",
                    "submitter_email": message.sender_address,
                }
                answer = timed(result, lambda: client.post_form("/tickets/submit/", fields))
                if answer.status != 302:
                    result.fail(f"helpdesk-form-{answer.status}")
            finally:
                client.close()

        return run

    return [task(m, first + i) for i, m in enumerate(messages)]


def count_tickets(postgres: str, database: str = DATABASE) -> int:
    import psycopg

    with psycopg.connect(database_url(postgres, database, driver="postgresql")) as connection:
        row = connection.execute("SELECT count(*) FROM helpdesk_ticket").fetchone()
    return int(row[0]) if row else 0


@dataclass
class EmailRun:
    tickets: int
    seconds: float
    runs: int


def get_email(
    env: dict[str, str], postgres: str, database: str, expected: int, max_runs: int = 20
) -> EmailRun:
    """``manage.py get_email`` until it has made ``expected`` tickets (or
    stops making more): the clock covers every run, start-up included, as
    the desk's ``email poll --once`` runs are timed."""
    started = time.perf_counter()
    runs = 0
    before = -1
    tickets = 0
    while runs < max_runs:
        runs += 1
        manage(env, "get_email")
        tickets = count_tickets(postgres, database)
        if tickets >= expected or tickets == before:
            break
        before = tickets
    return EmailRun(tickets, time.perf_counter() - started, runs)


def summary_json(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2)
