"""The desk as real processes, for the reliability tests and the benchmarks.

A :class:`Stack` starts ``servicedesk serve`` (gunicorn), ``servicedesk
worker`` (rq) and ``servicedesk email poll --idle`` as subprocesses of
their own session, so :meth:`ManagedProcess.kill` can SIGKILL a process
with everything it forked (gunicorn's master and workers together), exactly
as the kernel's OOM killer or a pulled plug would.  Each process appends
its output to a log file of its own, kept for the failure message.

:func:`prepare_database` migrates and loads the shipped directory with the
application's own code; :func:`postgres_schema` gives a test a PostgreSQL
schema of its own (dropped afterwards), so real processes can commit.

Nothing here patches the code under test: the processes read their
configuration from the environment, as in production.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY = "reliability-secret-key-long-enough"
API_TOKEN_NAME = "reliability"


def sqlalchemy_url(url: str) -> str:
    """``postgresql://`` as psycopg 3 wants it in SQLAlchemy."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


@contextlib.contextmanager
def postgres_schema(base_url: str, prefix: str = "reliab") -> Iterator[str]:
    """A schema of its own in the database of ``base_url``; yields a URL
    whose connections use it (``search_path``), drops it afterwards."""
    from servicedesk.db import make_engine

    base = sqlalchemy_url(base_url)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {name}"))
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options=-csearch_path%3D{name}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {name} CASCADE"))
        admin.dispose()


def prepare_database(url: str, *, agents: int = 0, password: str = "") -> str:
    """Migrate, load the shipped directory, add ``agents`` console agents
    (``agent<N>@bench.test``) and return a new API token."""
    from servicedesk import directory_store, schema, tokens
    from servicedesk.db import Database
    from servicedesk.models import utcnow
    from servicedesk.users import add_user, find_by_email

    database = Database.connect(url)
    try:
        schema.upgrade(database.engine)
        with database.transaction() as session:
            directory_store.load(session, ROOT / "config" / "directory")
        with database.transaction() as session:
            for number in range(agents):
                email = f"agent{number}@bench.test"
                if find_by_email(session, email) is None:
                    add_user(
                        session,
                        email,
                        name=f"Agent {number}",
                        role="agent",
                        organization_id="national-desk",
                        password=password,
                        languages=["fi", "sv", "en"],
                    )
            _row, token = tokens.create(session, API_TOKEN_NAME, utcnow())
        return token
    finally:
        database.dispose()


def desk_environment(
    *,
    database_url: str,
    instance: Path,
    port: int,
    redis_url: str | None = None,
    smtp: tuple[str, int] | None = None,
    imap: tuple[str, int, str, str] | None = None,
    twilio: tuple[str, str, str] | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment of every desk process: ``smtp`` is (host, port),
    ``imap`` (host, port, user, password), ``twilio`` (account sid, auth
    token, REST base URL of a local stand-in)."""
    env = {key: value for key, value in os.environ.items() if key in {"PATH", "HOME", "LANG"}}
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
            "SERVICEDESK_DATABASE_URL": database_url,
            "SERVICEDESK_INSTANCE_PATH": str(instance),
            "SERVICEDESK_STORAGE_DIR": str(instance / "files"),
            "SERVICEDESK_SECRET_KEY": SECRET_KEY,
            "SERVICEDESK_BASE_URL": f"http://127.0.0.1:{port}",
            "SERVICEDESK_MAIL_FROM": "neuvonta@desk.test",
            "SERVICEDESK_STAFF_MAIL_ADDRESS": "tuki@desk.test",
            "SERVICEDESK_SMS_NUMBER": "+358401110000",
            "SERVICEDESK_STAFF_SMS_NUMBER": "+358401110001",
            "SERVICEDESK_LOG_LEVEL": "WARNING",
        }
    )
    if redis_url:
        env["SERVICEDESK_REDIS_URL"] = redis_url
    if smtp:
        env |= {
            "SERVICEDESK_SMTP_HOST": smtp[0],
            "SERVICEDESK_SMTP_PORT": str(smtp[1]),
            "SERVICEDESK_SMTP_STARTTLS": "0",
        }
    if imap:
        env |= {
            "SERVICEDESK_IMAP_HOST": imap[0],
            "SERVICEDESK_IMAP_PORT": str(imap[1]),
            "SERVICEDESK_IMAP_USER": imap[2],
            "SERVICEDESK_IMAP_PASSWORD": imap[3],
            "SERVICEDESK_IMAP_SSL": "0",
        }
    if twilio:
        env |= {
            "TWILIO_ACCOUNT_SID": twilio[0],
            "TWILIO_AUTH_TOKEN": twilio[1],
            "SERVICEDESK_TWILIO_API_BASE": twilio[2],
        }
    env.update(extra or {})
    return env


def group_pids(pgid: int) -> list[int]:
    """Every live process of a process group (gunicorn's master and workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command may hold spaces and parentheses: split after the last ")".
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 2 and int(fields[2]) == pgid and fields[0] != "Z":
            found.append(int(entry.name))
    return sorted(found)


def status_kib(pid: int, key: str) -> int:
    """A ``/proc/<pid>/status`` figure in KiB (``VmHWM``: peak RSS, ``VmRSS``)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclass
class ManagedProcess:
    """One desk process (and whatever it forks) in a session of its own."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    popen: subprocess.Popen[bytes] | None = None
    starts: int = 0
    kills: int = 0

    def start(self) -> ManagedProcess:
        with self.log.open("ab") as out:
            out.write(f"--- start {self.starts + 1}: {' '.join(self.argv)}\n".encode())
            out.flush()
            self.popen = subprocess.Popen(
                self.argv,
                env=self.env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.starts += 1
        return self

    @property
    def is_running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def pids(self) -> list[int]:
        return group_pids(self.popen.pid) if self.popen is not None else []

    def _signal_group(self, sig: signal.Signals) -> None:
        if self.popen is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)

    def kill(self) -> None:
        """SIGKILL to the whole group: nothing gets to clean up."""
        if self.popen is None:
            return
        self._signal_group(signal.SIGKILL)
        self.popen.wait(timeout=30)
        # Orphans (gunicorn workers) may outlive their master for a moment.
        deadline = time.monotonic() + 10
        while group_pids(self.popen.pid) and time.monotonic() < deadline:
            self._signal_group(signal.SIGKILL)
            time.sleep(0.05)
        self.kills += 1

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM, then SIGKILL if it does not end in ``timeout`` seconds."""
        if self.popen is None:
            return
        if self.popen.poll() is None:
            self._signal_group(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=timeout)
        self._signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=10)

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass
class Stack:
    """The web server, rq workers and the IMAP poller of one desk."""

    env: dict[str, str]
    port: int
    logs: Path
    web_workers: int = 2
    web_argv: list[str] | None = None
    processes: dict[str, ManagedProcess] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _process(self, name: str, argv: list[str]) -> ManagedProcess:
        if name not in self.processes:
            self.logs.mkdir(parents=True, exist_ok=True)
            self.processes[name] = ManagedProcess(name, argv, self.env, self.logs / f"{name}.log")
        return self.processes[name]

    def web(self) -> ManagedProcess:
        argv = self.web_argv or [
            sys.executable,
            "-m",
            "servicedesk",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.web_workers),
        ]
        return self._process("web", argv)

    def worker(self, number: int = 0) -> ManagedProcess:
        return self._process(f"worker{number}", [sys.executable, "-m", "servicedesk", "worker"])

    def poller(self) -> ManagedProcess:
        return self._process(
            "poller", [sys.executable, "-m", "servicedesk", "email", "poll", "--idle"]
        )

    def start_web(self, timeout: float = 60.0) -> None:
        self.web().start()
        self.wait_healthy(timeout)

    def wait_healthy(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        web = self.web()
        while time.monotonic() < deadline:
            if not web.is_running:
                raise RuntimeError(f"the web server exited:\n{web.tail()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except http.client.HTTPException as exc:
                # Something that is not an HTTP server holds the port.
                raise RuntimeError(
                    f"port {self.port} answers, but not as the desk ({exc!r}): "
                    f"another server holds it\n{web.tail()}"
                ) from exc
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the web server did not answer in {timeout} s:\n{web.tail()}")

    def stop(self) -> None:
        for process in self.processes.values():
            process.stop()

    def tails(self) -> str:
        return "\n".join(
            f"==> {p.name} ({p.starts} starts, {p.kills} kills)\n{p.tail()}"
            for p in self.processes.values()
        )
