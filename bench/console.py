"""The console at scale: the desk's pages over a large database (see
generate.py), through the real application served by gunicorn, signed in
as an agent (who sees both desks and every queue: the largest lists).

Measured, each over repeated requests (p50/p95/max):

- the applicant desk's list, first page (active tickets, newest first);
- the largest queue, every status, first page and page 1,000 (keyset:
  the ``next`` links are followed from the first page to the thousandth
  once, each hop timed, then page 1,000's own URL is requested again);
- the ticket page of random tickets;
- full-text search (``/console/search?q=``) with a few typical queries;
- the reports dashboard (``/console/reports``, its default year);
- the console's home page (both desks with their counts).

    python bench/console.py --database sd_bench_scale
"""

from __future__ import annotations

import argparse
import random
import re
import tempfile
import time
from collections.abc import Callable
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import psycopg
from common import DEFAULT_POSTGRES, DEFAULT_REDIS, database_url, flush_redis, machine
from common import write_result as write
from load import percentiles_ms
from memory import RssMonitor

from tests.ports import free_port
from tests.reliability.http_client import HttpClient, hidden_fields
from tests.reliability.stack import Stack, desk_environment

AGENT = "agent0@bench.test"
AGENT_PASSWORD = "bench-agent-password"
NEXT_LINK = re.compile(r'<a href="([^"]*)" rel="next">')
SEARCHES = ("oppisopimus", "hakemus liite", "ansökan", "deadline", "aikuiskoulutustuki Oulu")
#: Words an agent may well search for that no generated message contains
#: (PostgreSQL once walked every message for such a word: 2 s).
RARE_SEARCHES = ("todistus", "stipendi", "valintakoe")


def sign_in(client: HttpClient) -> None:
    page = client.get("/login")
    fields = {**hidden_fields(page.text), "email": AGENT, "password": AGENT_PASSWORD, "next": ""}
    answer = client.post_form("/login", fields)
    if answer.status != 302:
        raise SystemExit(f"sign-in failed: {answer.status} {answer.text[:300]}")


def next_url(page: str) -> str | None:
    match = NEXT_LINK.search(page)
    if match is None:
        return None
    return unescape(match.group(1))


def timed_get(client: HttpClient, path: str) -> tuple[float, str]:
    started = time.perf_counter()
    answer = client.get(path)
    seconds = time.perf_counter() - started
    if answer.status not in (200, 302):
        raise SystemExit(f"GET {path}: {answer.status} {answer.text[:300]}")
    return seconds, answer.text


def repeat(client: HttpClient, paths: Callable[[int], str], times: int) -> dict[str, Any]:
    timings = [timed_get(client, paths(i))[0] for i in range(times)]
    return {"requests": times, **{f"{k}_ms": v for k, v in percentiles_ms(timings).items()}}


def largest_queue(url: str) -> tuple[str, int]:
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as connection:
        row = connection.execute(
            "SELECT queue_id, count(*) FROM tickets WHERE audience = 'applicant' "
            "GROUP BY queue_id ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()
    assert row is not None
    return str(row[0]), int(row[1])


def sample_numbers(url: str, count: int, seed: int) -> list[str]:
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as connection:
        highest = connection.execute("SELECT max(id) FROM tickets").fetchone()
        assert highest is not None
        rng = random.Random(seed)
        ids = [rng.randrange(1, int(highest[0]) + 1) for _ in range(count)]
        rows = connection.execute(
            "SELECT number FROM tickets WHERE id = ANY(%s)", (ids,)
        ).fetchall()
    return [r[0] for r in rows]


def measure(base_url: str, url: str, *, repeats: int, pages: int) -> dict[str, Any]:
    client = HttpClient(base_url)
    sign_in(client)
    queue, queue_size = largest_queue(url)
    results: dict[str, Any] = {"largest_queue": queue, "largest_queue_tickets": queue_size}
    # Warm the worker (imports, the directory, the statement caches).
    for path in (
        "/console/",
        "/console/desks/applicants/",
        f"/console/tickets/{sample_numbers(url, 1, 1)[0]}",
    ):
        timed_get(client, path)
    results["home"] = repeat(client, lambda _i: "/console/", repeats)
    results["desk_first_page"] = repeat(client, lambda _i: "/console/desks/applicants/", repeats)
    queue_all = f"/console/desks/applicants/queues/{queue}?status=all"
    results["queue_first_page"] = repeat(client, lambda _i: queue_all, repeats)
    hops: list[float] = []
    path: str | None = queue_all
    page = 1
    while path is not None and page < pages:
        seconds, text = timed_get(client, path)
        hops.append(seconds)
        path = next_url(text)
        page += 1
    results["queue_next_links_followed"] = {
        "pages": page,
        "total_seconds": round(sum(hops), 2),
        **{f"{k}_ms": v for k, v in percentiles_ms(hops).items()},
    }
    if path is not None:
        deep = path
        results[f"queue_page_{pages}"] = repeat(client, lambda _i: deep, repeats)
    numbers = sample_numbers(url, repeats, 7)
    results["ticket_view"] = repeat(
        client, lambda i: f"/console/tickets/{numbers[i % len(numbers)]}", repeats
    )
    searches = [f"/console/search?q={quote_plus(q)}" for q in SEARCHES]
    results["search"] = repeat(client, lambda i: searches[i % len(searches)], repeats)
    rare = [f"/console/search?q={quote_plus(q)}" for q in RARE_SEARCHES]
    results["search_rare_word"] = repeat(client, lambda i: rare[i % len(rare)], min(repeats, 30))
    results["search_by_number"] = repeat(
        client, lambda i: f"/console/search?q=%23{numbers[i % len(numbers)]}", min(repeats, 20)
    )
    results["dashboard"] = repeat(client, lambda _i: "/console/reports", max(5, repeats // 5))
    client.close()
    return results


def table_sizes(url: str) -> dict[str, int]:
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as connection:
        return {
            table: int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # type: ignore[index]
            for table in ("tickets", "messages", "contacts", "audit_events")
        }


def run(
    *,
    database: str,
    postgres: str = DEFAULT_POSTGRES,
    redis: str = DEFAULT_REDIS,
    repeats: int = 100,
    pages: int = 1000,
    web_workers: int = 2,
) -> dict[str, Any]:
    url = database_url(postgres, database)
    flush_redis(redis)
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bench-console-") as tmp:
        env = desk_environment(database_url=url, instance=Path(tmp), port=port, redis_url=redis)
        stack = Stack(env, port, Path(tmp) / "logs", web_workers=web_workers)
        monitor = RssMonitor()
        try:
            stack.start_web()
            monitor.watch("web", stack.web())
            monitor.start()
            results = measure(stack.url, url, repeats=repeats, pages=pages)
            results["rss"] = monitor.stop()
        except BaseException:
            print(stack.tails())
            raise
        finally:
            monitor.stop()
            stack.stop()
    results["sizes"] = table_sizes(url)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="sd_bench_scale")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--redis", default=DEFAULT_REDIS)
    parser.add_argument("--repeats", type=int, default=100)
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--label", default="console")
    args = parser.parse_args()
    result = run(
        database=args.database,
        postgres=args.postgres,
        redis=args.redis,
        repeats=args.repeats,
        pages=args.pages,
    )
    result["machine"] = machine()
    path = write(args.label, result)
    for key, value in result.items():
        if isinstance(value, dict) and "p95_ms" in value:
            print(
                f"{key:28} p50 {value['p50_ms']:>8} ms  p95 {value['p95_ms']:>8} ms"
                f"  max {value['max_ms']:>8} ms"
            )
    print(f"sizes {result['sizes']}; rss {result['rss']}")
    print(f"written to {path}")


if __name__ == "__main__":
    main()
