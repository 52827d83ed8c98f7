"""What the benchmark scripts share: paths, the PostgreSQL server and Redis
they may use, fresh databases, and writing results.

The benchmarks use their own databases on the PostgreSQL server of
``--postgres`` (default ``postgresql://postgres@127.0.0.1:5432``), named
``sd_bench_*``, and Redis database 8 of ``--redis`` (default
``redis://127.0.0.1:6379``): nothing another process or a test uses.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

WORK = ROOT / "bench" / ".work"
# ``bench/run.py --quick`` points this elsewhere, so a smoke run never
# overwrites the figures the README quotes.
RESULTS = Path(os.environ.get("BENCH_RESULTS", ROOT / "bench" / "results"))
DEFAULT_POSTGRES = os.environ.get("BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
DEFAULT_REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/8")


def database_url(server: str, name: str, *, driver: str = "postgresql+psycopg") -> str:
    base = server.rstrip("/").split("://", 1)[1]
    return f"{driver}://{base}/{name}"


def recreate_database(server: str, name: str) -> str:
    """Drop and create database ``name``; its SQLAlchemy URL."""
    import psycopg

    with psycopg.connect(
        database_url(server, "postgres", driver="postgresql"), autocommit=True
    ) as c:
        c.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            (name,),
        )
        c.execute(f'DROP DATABASE IF EXISTS "{name}"')
        c.execute(f'CREATE DATABASE "{name}"')
    return database_url(server, name)


def database_exists(server: str, name: str) -> bool:
    import psycopg

    with psycopg.connect(
        database_url(server, "postgres", driver="postgresql"), autocommit=True
    ) as c:
        row = c.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    return row is not None


def flush_redis(url: str) -> None:
    from redis import Redis

    Redis.from_url(url).flushdb()


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def write_result(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def read_result(name: str) -> dict[str, Any] | None:
    path = RESULTS / f"{name}.json"
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def count_tickets(url: str) -> int:
    """Tickets in the desk's database at ``url``."""
    from sqlalchemy import func, select

    from servicedesk.db import Database
    from servicedesk.models import Ticket

    database = Database.connect(url)
    try:
        with database.session() as session:
            return int(session.execute(select(func.count(Ticket.id))).scalar_one())
    finally:
        database.dispose()


def wait_for_outbox(url: str, timeout: float) -> float | None:
    """Seconds until no outbox row of the desk at ``url`` is pending or
    being sent (None: timed out)."""
    from servicedesk.models import OutboxItem, OutboxStatus

    busy = OutboxItem.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING])
    return _wait_for_none(url, timeout, OutboxItem, busy)


def wait_for_intake(url: str, timeout: float) -> float | None:
    """Seconds until no contact stored by the desk at ``url`` waits to
    become a ticket (at a busy moment the web answers first and the rq
    workers make the ticket; None: timed out)."""
    from servicedesk.models import IntakeRecord, IntakeStatus

    return _wait_for_none(url, timeout, IntakeRecord, IntakeRecord.status == IntakeStatus.RECEIVED)


def _wait_for_none(url: str, timeout: float, model: Any, condition: Any) -> float | None:
    from sqlalchemy import func, select

    from servicedesk.db import Database

    database = Database.connect(url)
    started = time.perf_counter()
    try:
        while time.perf_counter() - started < timeout:
            with database.session() as session:
                left = session.execute(select(func.count(model.id)).where(condition)).scalar_one()
            if left == 0:
                return time.perf_counter() - started
            time.sleep(0.1)
        return None
    finally:
        database.dispose()
