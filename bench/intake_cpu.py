"""The CPU an enquiry costs the desk, measured in one process: the part of
the ingestion benchmark that code changes move, without the load
generator, gunicorn and the scheduler of a shared machine in the figure.

Each enquiry is a browser's visit to the contact form, as in
``ingest.py``: the page (GET), then the post, which takes the enquiry
through the intake in its request (the production path when the web
process is not already busy), all through Flask's test client on
PostgreSQL with Redis as the job queue.  Then the jobs the enquiries left
in Redis (the acknowledgements and the experts' notices, ten rows to a
job) run in this process, in an rq ``SimpleWorker``, sending to a local
SMTP server in a process of its own.  Reported: CPU time of this process
and SQL statements per enquiry, for the two parts.

``--tree`` imports the desk from another work tree (this script and the
database stay the same), which is how ``compare_intake.py`` measures two
versions by turns:

    python bench/intake_cpu.py --enquiries 300
    python bench/intake_cpu.py --tree /tmp/old-checkout --out /tmp/old.json
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import DEFAULT_POSTGRES, DEFAULT_REDIS, flush_redis, recreate_database

BENCH = Path(__file__).resolve().parent
DATABASE = "sd_bench_intake"
WARM_UP = 20
SINK = ("-c", "aiosmtpd.handlers.Sink")  # an SMTP server that takes every mail and keeps none


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--enquiries", type=int, default=300)
    parser.add_argument("--tree", type=Path, default=BENCH.parent, help="the desk's code")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--redis", default=DEFAULT_REDIS)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--out", type=Path, help="write the figures here as JSON")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    tree = args.tree.resolve()
    # The desk (and the tests' helpers it is set up with) from ``tree``,
    # ahead of this tree, which common put on the path; the shared bench
    # helpers from here.
    sys.path.insert(0, str(tree))
    from ingest import form_fields  # the fields ingest.py's browsers fill in

    from channels.message import Channel
    from servicedesk import runtime
    from servicedesk.app import create_app
    from servicedesk.queueing import QUEUE_NAMES
    from servicedesk.sample_data import enquiries
    from servicedesk.settings import Settings
    from tests.ports import free_port
    from tests.reliability.http_client import hidden_fields
    from tests.reliability.stack import desk_environment, prepare_database

    url = recreate_database(args.postgres, DATABASE)
    prepare_database(url)
    flush_redis(args.redis)
    smtp_port = free_port()
    sink = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{smtp_port}", *SINK],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with tempfile.TemporaryDirectory(prefix="bench-intake-") as tmp:
            os.environ.update(
                desk_environment(
                    database_url=url,
                    instance=Path(tmp),
                    port=5000,
                    redis_url=args.redis,
                    smtp=("127.0.0.1", smtp_port),
                )
            )
            logging.disable(logging.WARNING)
            app = create_app(Settings.from_env(os.environ))
            rt = app.extensions["servicedesk"]
            runtime.install(rt)
            statements = StatementCounter(rt.db.engine)
            messages = [
                s.message
                for s in enquiries(WARM_UP + args.enquiries, seed=args.seed, channels=[Channel.WEB])
            ]

            def visit(number: int, message: Any) -> None:
                client = app.test_client()
                where = {
                    "base_url": "http://127.0.0.1:5000",
                    "environ_base": {"REMOTE_ADDR": f"127.3.{number // 250}.{number % 250 + 1}"},
                }
                page = client.get("/contact?lang=fi", **where)
                fields = {**hidden_fields(page.get_data(as_text=True)), **form_fields(message)}
                answer = client.post("/contact?lang=fi", data=fields, **where)
                if answer.status_code != 200 or "ticket-number" not in answer.get_data(True):
                    raise SystemExit(f"enquiry {number} was not made a ticket: {answer.status}")

            def work() -> None:
                from rq import SimpleWorker

                queues = [rt.jobs.queue(name) for name in QUEUE_NAMES]
                SimpleWorker(queues, connection=rt.jobs.connection).work(
                    burst=True, logging_level="WARNING"
                )

            for number, message in enumerate(messages[:WARM_UP]):
                visit(number, message)
            work()
            web = measured(
                lambda: [visit(WARM_UP + n, m) for n, m in enumerate(messages[WARM_UP:])],
                statements,
            )
            jobs = measured(work, statements)
    finally:
        sink.terminate()
        sink.wait()
    count = args.enquiries
    figures = {
        "tree": str(tree),
        "enquiries": count,
        "web_cpu_ms": round(web["cpu"] / count * 1000, 2),
        "web_statements": round(web["statements"] / count, 2),
        "web_wall_ms": round(web["wall"] / count * 1000, 2),
        "jobs_cpu_ms": round(jobs["cpu"] / count * 1000, 2),
        "jobs_statements": round(jobs["statements"] / count, 2),
    }
    figures["total_cpu_ms"] = round(figures["web_cpu_ms"] + figures["jobs_cpu_ms"], 2)
    if args.out:
        args.out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(
        f"per enquiry: web {figures['web_cpu_ms']} ms CPU, {figures['web_statements']} statements; "
        f"jobs {figures['jobs_cpu_ms']} ms CPU, {figures['jobs_statements']} statements; "
        f"in all {figures['total_cpu_ms']} ms CPU"
    )


class StatementCounter:
    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.count = 0
        event.listen(engine, "before_cursor_execute", self.seen)

    def seen(self, *_args: Any) -> None:
        self.count += 1


def measured(run: Callable[[], object], statements: StatementCounter) -> dict[str, float]:
    """CPU seconds of this process (every thread), wall seconds and SQL
    statements that ``run()`` took."""
    before = statements.count
    cpu, wall = time.process_time(), time.perf_counter()
    run()
    return {
        "cpu": time.process_time() - cpu,
        "wall": time.perf_counter() - wall,
        "statements": statements.count - before,
    }


if __name__ == "__main__":
    main()
