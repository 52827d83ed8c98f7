"""Email ingestion benchmark: tickets per second from a real IMAP mailbox.

Starts a throwaway Dovecot (``tests/dovecot.py``), APPENDs ``--mails``
generated mails (``servicedesk.sample_data.enquiries``: Finnish, Swedish and
English enquiries in their real proportions, applicants and staff) and runs
``servicedesk email poll --once`` in a real process until the mailbox is
drained, first against a fresh SQLite file and then, when
``--database-url`` or ``TEST_DATABASE_URL`` names one, against PostgreSQL
(in a schema of its own, dropped afterwards).  The clock runs from the
first poll's start to the last poll's end, so process start-up, the
directory load, parsing, routing, the database and the IMAP round trips
(fetch, ``\\Seen``, sync state) all count; outbound mail goes to the log,
as in the embedded default.

Run ``python bench/email_bench.py [--mails N]`` from anywhere.  Prints the
figures and writes ``bench/results/email.json``.  ``--write-mails DIR``
also keeps the generated mails as ``.eml`` files, so another system's mail
import can be timed on the very same mails.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import count_tickets, flush_redis, wait_for_intake, wait_for_outbox  # noqa: E402
from imapclient import IMAPClient  # noqa: E402
from memory import cpu_seconds  # noqa: E402
from sqlalchemy import text  # noqa: E402

from channels.message import Channel  # noqa: E402
from servicedesk import directory_store, schema  # noqa: E402
from servicedesk.db import Database, make_engine  # noqa: E402
from servicedesk.sample_data import enquiries  # noqa: E402
from tests.dovecot import DovecotServer, dovecot_version, running_dovecot  # noqa: E402
from tests.reliability.stack import ManagedProcess  # noqa: E402

USER = "bench@desk.test"
PASSWORD = "bench-secret"  # a throwaway test server's account
MAX_POLLS = 20


def generate_mails(count: int, seed: int) -> list[bytes]:
    """``count`` raw mails as mail programs write them, to the desk addresses
    the default settings use (neuvonta@example.fi, tuki@example.fi)."""
    mails = []
    for sample in enquiries(count, seed=seed, channels=[Channel.EMAIL]):
        message = sample.message
        mail = EmailMessage(policy=policy.SMTP)
        local, _at, domain = message.sender_address.partition("@")
        mail["From"] = Address(message.sender_name, local, domain)
        mail["To"] = message.recipient_address
        mail["Subject"] = message.subject
        mail["Date"] = format_datetime(sample.received_at)
        mail["Message-ID"] = f"<{message.external_id}>"
        mail.set_content(message.text)
        mails.append(mail.as_bytes())
    return mails


def imap_client(server: DovecotServer) -> IMAPClient:
    client = IMAPClient(server.host, port=server.port, ssl=False, timeout=30)
    client.login(USER, PASSWORD)
    return client


def refill(server: DovecotServer, mails: list[bytes]) -> float:
    """Empty the INBOX and APPEND the mails; seconds taken (not benchmarked)."""
    started = time.perf_counter()
    client = imap_client(server)
    try:
        client.select_folder("INBOX")
        uids = client.search("ALL")
        if uids:
            client.delete_messages(uids)
            client.expunge()
        for raw in mails:
            client.append("INBOX", raw)
    finally:
        client.logout()
    return time.perf_counter() - started


def unseen(server: DovecotServer) -> int:
    client = imap_client(server)
    try:
        client.select_folder("INBOX", readonly=True)
        return len(client.search("UNSEEN"))
    finally:
        client.logout()


@contextmanager
def postgres_database(base: str) -> Iterator[str]:
    """A schema of its own in the given database, dropped afterwards."""
    if base.startswith("postgresql://"):
        base = "postgresql+psycopg://" + base.removeprefix("postgresql://")
    name = f"email_bench_{uuid.uuid4().hex[:8]}"
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


def prepare(url: str) -> None:
    database = Database.connect(url)
    try:
        schema.upgrade(database.engine)
        with database.transaction() as session:
            directory_store.load(session, ROOT / "config" / "directory")
    finally:
        database.dispose()


def wait_for_workers(redis_url: str, workers: list[ManagedProcess], timeout: float = 60.0) -> None:
    """Until every rq worker has registered itself, so their start-up is not timed."""
    from redis import Redis
    from rq import Worker

    connection = Redis.from_url(redis_url)
    deadline = time.monotonic() + timeout
    while Worker.count(connection=connection) < len(workers):
        if not all(w.is_running for w in workers) or time.monotonic() > deadline:
            raise SystemExit(f"the rq workers did not start:\n{tails(workers)}")
        time.sleep(0.1)


def tails(workers: list[ManagedProcess]) -> str:
    return "\n".join(worker.tail() for worker in workers)


def run(
    label: str,
    url: str,
    server: DovecotServer,
    mails: list[bytes],
    folder: Path,
    extra_env: dict[str, str] | None = None,
    redis_url: str | None = None,
    rq_workers: int = 2,
) -> dict[str, Any]:
    """Poll until drained.  With ``redis_url`` the desk runs as in
    production: the poller stores each mail and hands it to ``rq_workers``
    rq workers (started before the clock), which make the tickets and send
    the mail they queue, and the clock runs on until every mail is a ticket
    and the outbox is empty, so every acknowledgement sent counts in the
    time."""
    prepare(url)
    append_seconds = refill(server, mails)
    env = {
        **{k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG"}},
        "PYTHONPATH": str(ROOT),
        "SERVICEDESK_DATABASE_URL": url,
        "SERVICEDESK_INSTANCE_PATH": str(folder),
        "SERVICEDESK_SECRET_KEY": "email-benchmark-secret-key",
        "SERVICEDESK_IMAP_HOST": server.host,
        "SERVICEDESK_IMAP_PORT": str(server.port),
        "SERVICEDESK_IMAP_USER": USER,
        "SERVICEDESK_IMAP_PASSWORD": PASSWORD,
        "SERVICEDESK_IMAP_SSL": "0",
        "SERVICEDESK_LOG_LEVEL": "ERROR",
        **(extra_env or {}),
    }
    workers: list[ManagedProcess] = []
    if redis_url:
        flush_redis(redis_url)
        env["SERVICEDESK_REDIS_URL"] = redis_url
        argv = [sys.executable, "-m", "servicedesk", "worker"]
        for number in range(rq_workers):
            log = folder / f"worker{number}.log"
            workers.append(ManagedProcess(f"worker{number}", argv, env, log).start())
        wait_for_workers(redis_url, workers)
    workers_cpu = [group_cpu_seconds(worker) for worker in workers]
    pollers_cpu = children_cpu_seconds()
    try:
        polls = 0
        started = time.perf_counter()
        while polls < MAX_POLLS:
            polls += 1
            done = subprocess.run(
                [sys.executable, "-m", "servicedesk", "email", "poll", "--once"],
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                raise SystemExit(f"email poll failed on {label}: {done.stderr.strip()[-2000:]}")
            if not done.stdout.strip():  # drained: the last poll found nothing
                break
        drained = time.perf_counter() - started
        if workers and wait_for_intake(url, timeout=600) is None:
            raise SystemExit(f"{label}: mails not made tickets in 10 minutes:\n{tails(workers)}")
        if workers and wait_for_outbox(url, timeout=600) is None:
            raise SystemExit(f"the outbox of {label} was not sent in 10 minutes:\n{tails(workers)}")
        seconds = time.perf_counter() - started
        workers_cpu = [group_cpu_seconds(w) - b for w, b in zip(workers, workers_cpu, strict=True)]
        pollers_cpu = children_cpu_seconds() - pollers_cpu
    finally:
        for worker in workers:
            worker.stop()
    tickets = count_tickets(url)
    left = unseen(server)
    return {
        "database": label,
        "mails": len(mails),
        "tickets": tickets,
        "unseen_after": left,
        "polls": polls,
        "seconds": round(seconds, 3),
        "seconds_until_drained": round(drained, 3),
        "tickets_per_second": round(tickets / seconds, 1) if seconds else None,
        "append_seconds": round(append_seconds, 3),
        "rq_workers": len(workers),
        # CPU per mail of the pollers and of the rq workers (the intake
        # handed to them, and the mail they sent).
        "poller_cpu_ms_per_mail": round(pollers_cpu / len(mails) * 1000, 2),
        "workers_cpu_ms_per_mail": round(sum(workers_cpu) / len(mails) * 1000, 2),
    }


def group_cpu_seconds(process: ManagedProcess) -> float:
    return sum(cpu_seconds(pid) for pid in process.pids())


def children_cpu_seconds() -> float:
    """User + system CPU of this process's children that have ended."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mails", type=int, default=200, help="mails to ingest (default 200)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("TEST_DATABASE_URL"),
        help="PostgreSQL to measure as well (default: TEST_DATABASE_URL)",
    )
    parser.add_argument("--write-mails", type=Path, help="also keep the mails as .eml files here")
    args = parser.parse_args()

    mails = generate_mails(args.mails, args.seed)
    if args.write_mails:
        args.write_mails.mkdir(parents=True, exist_ok=True)
        for number, raw in enumerate(mails, 1):
            (args.write_mails / f"{number:06d}.eml").write_bytes(raw)
    results = []
    with (
        running_dovecot({USER: PASSWORD}, with_ssl=False) as server,
        tempfile.TemporaryDirectory(prefix="email-bench-") as tmp,
    ):
        folder = Path(tmp)
        sqlite_url = f"sqlite:///{folder / 'bench.sqlite3'}"
        results.append(run("sqlite", sqlite_url, server, mails, folder))
        if args.database_url:
            with postgres_database(args.database_url) as url:
                results.append(run("postgresql", url, server, mails, folder))
    report = {
        "results": results,
        "seed": args.seed,
        "dovecot": ".".join(map(str, dovecot_version())),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    out = ROOT / "bench" / "results" / "email.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    for result in results:
        print(
            f"{result['database']}: {result['tickets']} tickets from {result['mails']} mails "
            f"in {result['seconds']} s ({result['polls']} poll(s)): "
            f"{result['tickets_per_second']} tickets per second"
        )
        if result["unseen_after"]:
            print(f"  warning: {result['unseen_after']} mail(s) still unseen in the mailbox")
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
