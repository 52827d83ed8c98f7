"""Ingestion through HTTP: the web form and ``POST /api/v1/enquiries`` under
concurrent load, against the production shape of the desk — gunicorn
(``servicedesk serve``), PostgreSQL, Redis and rq workers sending the
acknowledgements to a real SMTP server (aiosmtpd).

An enquiry counts when the server answered it as stored: with its ticket
(201 from the API; the form's "sent" page showing the ticket number), the
whole intake run in the request; or, when the web process was already
taking two contacts through the intake (a busy moment), with "stored, the
number follows" (202; the "sent" page without a number), the rq workers
making the ticket.  The clock of a run goes on until the last of its
enquiries is a ticket, so tickets per second are tickets made.  The
acknowledgements are sent by the workers meanwhile; the time until the
outbox is empty is reported too.

Run alone: ``python bench/ingest.py --enquiries 500``.
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from common import (
    DEFAULT_POSTGRES,
    DEFAULT_REDIS,
    count_tickets,
    flush_redis,
    machine,
    recreate_database,
    wait_for_intake,
    wait_for_outbox,
    write_result,
)
from load import LoadResult, Task, run_load, timed
from memory import RssMonitor

from channels.message import Channel, InboundMessage
from servicedesk.sample_data import enquiries
from tests.ports import free_port
from tests.reliability.http_client import HttpClient, hidden_fields, source_address
from tests.reliability.stack import Stack, desk_environment, prepare_database
from tests.smtp_server import running_smtp

DATABASE = "sd_bench_ingest"
MUNICIPALITY_OF = {"fi": "Oulu", "sv": "Vasa", "en": "Espoo"}


def api_payload(message: InboundMessage) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "name": message.sender_name,
        "email": message.sender_address,
        "subject": message.subject,
        "body": message.text,
    }
    if message.hints.language:
        payload["language"] = message.hints.language
    if message.hints.municipality:
        payload["municipality"] = message.hints.municipality
    return payload


def form_fields(message: InboundMessage) -> dict[str, str]:
    fields = {
        "name": message.sender_name,
        "email": message.sender_address,
        "phone": message.sender_phone,
        "municipality": message.hints.municipality or "",
        "institution": "",
        "topic": "",
        "message": message.text,
        "website": "",
    }
    return fields


def samples(count: int, channel: Channel, seed: int) -> list[InboundMessage]:
    return [s.message for s in enquiries(count, seed=seed, channels=[channel])]


_local = threading.local()


def api_tasks(base_url: str, token: str, messages: Sequence[InboundMessage]) -> list[Task]:
    """An integration posting enquiries: one keep-alive connection per thread."""

    def task(message: InboundMessage) -> Task:
        def run(result: LoadResult) -> None:
            client = getattr(_local, "api", None)
            if client is None:
                client = _local.api = HttpClient(base_url)
            headers = {"Authorization": f"Bearer {token}"}
            answer = timed(
                result, lambda: client.post_json("/api/v1/enquiries", api_payload(message), headers)
            )
            if answer.status == 202:
                result.note_queued()
            elif answer.status != 201:
                result.fail(f"api-{answer.status}")

        return run

    return [task(m) for m in messages]


def form_tasks(base_url: str, messages: Sequence[InboundMessage], first: int = 0) -> list[Task]:
    """Browsers posting the contact form: each its own address, page load and post."""
    numbers = itertools.count(first)

    def task(message: InboundMessage, number: int) -> Task:
        def run(result: LoadResult) -> None:
            client = HttpClient(base_url, source=source_address(number))
            try:
                page = client.get("/contact?lang=fi")
                fields = {**hidden_fields(page.text), **form_fields(message)}
                answer = timed(result, lambda: client.post_form("/contact?lang=fi", fields))
                if answer.status == 200 and "ticket-pending" in answer.text:
                    result.note_queued()
                elif answer.status != 200 or "ticket-number" not in answer.text:
                    result.fail(f"form-{answer.status}")
            finally:
                client.close()

        return run

    return [task(m, next(numbers)) for m in messages]


def until_made(url: str, load: LoadResult) -> LoadResult:
    """``load`` with its clock run on until its last enquiry is a ticket."""
    made = wait_for_intake(url, timeout=300)
    if made is None:
        load.fail("not-made-in-300-s")
    load.seconds += made or 300.0
    return load


def run(
    *,
    count: int,
    concurrency: int,
    web_workers: int,
    rq_workers: int,
    postgres: str = DEFAULT_POSTGRES,
    redis: str = DEFAULT_REDIS,
    seed: int = 11,
) -> dict[str, Any]:
    url = recreate_database(postgres, DATABASE)
    token = prepare_database(url)
    flush_redis(redis)
    results: dict[str, Any] = {"enquiries_per_channel": count, "concurrency": concurrency}
    with running_smtp() as smtp, tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        port = free_port()  # after the SMTP server has taken its own
        env = desk_environment(
            database_url=url,
            instance=Path(tmp),
            port=port,
            redis_url=redis,
            smtp=(smtp.host, smtp.port),
        )
        stack = Stack(env, port, Path(tmp) / "logs", web_workers=web_workers)
        monitor = RssMonitor()
        try:
            stack.start_web()
            for number in range(rq_workers):
                monitor.watch(f"rq{number}", stack.worker(number).start())
            monitor.watch("web", stack.web())
            monitor.start()
            # Warm up every gunicorn worker (imports, the directory cache,
            # the form's templates), as django-helpdesk's are below; the
            # form's browsers from addresses the measured ones do not use.
            warm = samples(10 * web_workers, Channel.API, seed + 1)
            run_load("warm-up", api_tasks(stack.url, token, warm), concurrency)
            warm = samples(5 * web_workers, Channel.WEB, seed + 1)
            run_load("warm-up", form_tasks(stack.url, warm, 50_000), concurrency)
            wait_for_outbox(url, timeout=120)
            monitor.mark()
            api = until_made(
                url,
                run_load(
                    "api",
                    api_tasks(stack.url, token, samples(count, Channel.API, seed)),
                    concurrency,
                ),
            )
            wait_for_outbox(url, timeout=300)
            results["api_cpu_seconds"] = monitor.cpu()
            monitor.mark()
            form = until_made(
                url,
                run_load(
                    "form",
                    form_tasks(stack.url, samples(count, Channel.WEB, seed + 2)),
                    concurrency,
                ),
            )
            drained = wait_for_outbox(url, timeout=300)
            results["form_cpu_seconds"] = monitor.cpu()
            results["api"] = api.summary()
            results["form"] = form.summary()
            results["outbox_drain_seconds_after_load"] = (
                round(drained, 2) if drained is not None else None
            )
            results["tickets_in_database"] = count_tickets(url)
            results["acknowledgements_at_smtp"] = len(smtp.handler.received)
            results["rss"] = monitor.stop()
        except BaseException:
            print(stack.tails())
            raise
        finally:
            monitor.stop()
            stack.stop()
    results["web_workers"] = web_workers
    results["rq_workers"] = rq_workers
    return results


def run_helpdesk(
    *,
    count: int,
    concurrency: int,
    web_workers: int,
    threads: int = 8,
    postgres: str = DEFAULT_POSTGRES,
    seed: int = 11,
) -> dict[str, Any]:
    """The same browsers posting django-helpdesk's public form."""
    from helpdesk_baseline import baseline

    version = baseline.ensure_venv()
    with running_smtp() as smtp, tempfile.TemporaryDirectory(prefix="bench-helpdesk-") as tmp:
        port = free_port()  # after the SMTP server has taken its own
        env = baseline.environment(postgres, baseline.DATABASE, smtp.port, Path(tmp) / "media")
        queue_id = baseline.prepare(env, postgres)
        process = baseline.server(env, port, web_workers, threads, Path(tmp) / "logs")
        monitor = RssMonitor()
        process.start()
        try:
            base = f"http://127.0.0.1:{port}"
            baseline.wait_until_up(base, process)
            monitor.watch("web", process)
            monitor.start()
            warm = samples(5 * web_workers, Channel.WEB, seed + 1)
            run_load("warm-up", baseline.form_tasks(base, warm, queue_id, 50_000), concurrency)
            monitor.mark()
            form = run_load(
                "helpdesk-form",
                baseline.form_tasks(base, samples(count, Channel.WEB, seed + 2), queue_id),
                concurrency,
            )
            return {
                "version": version,
                "form": form.summary(),
                "tickets_in_database": baseline.count_tickets(postgres),
                "mails_at_smtp": len(smtp.handler.received),
                "form_cpu_seconds": monitor.cpu(),
                "rss": monitor.stop(),
                "web_workers": web_workers,
                "threads": threads,
            }
        except BaseException:
            print(process.tail())
            raise
        finally:
            monitor.stop()
            process.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--enquiries", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--web-workers", type=int, default=3)
    parser.add_argument("--rq-workers", type=int, default=2)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--redis", default=DEFAULT_REDIS)
    parser.add_argument("--helpdesk", action="store_true", help="also measure django-helpdesk")
    parser.add_argument("--only-helpdesk", action="store_true")
    args = parser.parse_args()
    if args.helpdesk or args.only_helpdesk:
        helpdesk = run_helpdesk(
            count=args.enquiries,
            concurrency=args.concurrency,
            web_workers=args.web_workers,
            postgres=args.postgres,
        )
        helpdesk["machine"] = machine()
        write_result("ingest_helpdesk", helpdesk)
        r = helpdesk["form"]
        print(
            f"django-helpdesk form: {r['succeeded']}/{r['requests']} in {r['seconds']} s = "
            f"{r['per_second']}/s, p50 {r['p50_ms']} ms p95 {r['p95_ms']} ms, errors {r['errors']}"
        )
        total = sum(helpdesk["form_cpu_seconds"].values())
        print(f"django-helpdesk cpu: {total / args.enquiries * 1000:.1f} ms per enquiry")
        if args.only_helpdesk:
            return
    result = run(
        count=args.enquiries,
        concurrency=args.concurrency,
        web_workers=args.web_workers,
        rq_workers=args.rq_workers,
        postgres=args.postgres,
        redis=args.redis,
    )
    result["machine"] = machine()
    path = write_result("ingest_desk", result)
    for key in ("api", "form"):
        r = result[key]
        print(
            f"{key}: {r['succeeded']}/{r['requests']} in {r['seconds']} s = {r['per_second']}/s, "
            f"p50 {r['p50_ms']} ms p95 {r['p95_ms']} ms p99 {r['p99_ms']} ms, errors {r['errors']}"
        )
    print(
        f"outbox drained {result['outbox_drain_seconds_after_load']} s after; rss {result['rss']}"
    )
    print(f"written to {path}")


if __name__ == "__main__":
    main()
