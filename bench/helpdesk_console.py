"""django-helpdesk's ticket list at growing sizes, for the console
comparison: the largest size it handles within a time budget.

For each size (smallest first) a fresh baseline database is filled with
that many tickets (``helpdesk_baseline/scale.py``: 2 % open, 3.4
follow-ups each), django-helpdesk is served by gunicorn as in the ingestion
comparison, and its staff ticket list is timed (the page and the rows it
fetches: first page and page 1,000).  Climbing stops when the budget is
spent, when a size fails, or when the list's rows take (or, growing in
proportion to the size, would take at the next size) longer than
``--slow-seconds`` at p95: a list nobody can work with.

    python bench/helpdesk_console.py --sizes 10000,100000,1000000 --budget 1800
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from common import DEFAULT_POSTGRES, machine, write_result
from helpdesk_baseline import baseline, scale

from tests.ports import free_port
from tests.smtp_server import running_smtp

DATABASE = "sd_bench_helpdesk_scale"


def measure_size(
    env: dict[str, str],
    postgres: str,
    size: int,
    *,
    repeats: int,
    web_workers: int,
    threads: int,
    logs: Path,
) -> dict[str, Any]:
    queue_id = baseline.prepare(env, postgres, DATABASE)
    load_seconds = scale.load(postgres, DATABASE, size, queue_id)
    port = free_port()
    process = baseline.server(env, port, web_workers, threads, logs)
    process.start()
    try:
        base = f"http://127.0.0.1:{port}"
        baseline.wait_until_up(base, process)
        figures = scale.measure(base, repeats)
    except BaseException:
        print(process.tail())
        raise
    finally:
        process.stop()
    return {"tickets": size, "load_seconds": round(load_seconds, 1), **figures}


def run(
    sizes: list[int],
    *,
    repeats: int,
    budget: float,
    slow_seconds: float,
    postgres: str = DEFAULT_POSTGRES,
    web_workers: int = 2,
    threads: int = 8,
) -> dict[str, Any]:
    version = baseline.ensure_venv()
    started = time.perf_counter()
    measured: list[dict[str, Any]] = []
    stopped = "every size measured"
    with running_smtp() as smtp, tempfile.TemporaryDirectory(prefix="bench-hd-scale-") as tmp:
        env = baseline.environment(postgres, DATABASE, smtp.port, Path(tmp) / "media")
        for size in sorted(sizes):
            if time.perf_counter() - started > budget:
                stopped = f"time budget of {budget:.0f} s spent before {size} tickets"
                break
            try:
                result = measure_size(
                    env,
                    postgres,
                    size,
                    repeats=repeats,
                    web_workers=web_workers,
                    threads=threads,
                    logs=Path(tmp) / "logs" / str(size),
                )
            except Exception as exc:
                stopped = f"{size} tickets failed: {type(exc).__name__}: {str(exc)[:300]}"
                break
            measured.append(result)
            print(
                f"{size} tickets: rows first page p95 {result['list_rows_first']['p95_ms']} ms, "
                f"page 1,000 p95 {result['list_rows_page_1000']['p95_ms']} ms",
                flush=True,
            )
            p95_seconds = result["list_rows_first"]["p95_ms"] / 1000
            if p95_seconds > slow_seconds:
                stopped = f"list rows slower than {slow_seconds} s at {size} tickets"
                break
            # Its list reads every ticket (a count and a sort): the time grows
            # with the size, so a size whose rows would take longer than
            # ``slow_seconds`` is not worth loading and timing for half an hour.
            bigger = [n for n in sizes if n > size]
            if bigger and p95_seconds * min(bigger) / size > slow_seconds:
                stopped = (
                    f"{min(bigger)} tickets not tried: at {size} the rows took "
                    f"{p95_seconds:.1f} s (p95), so about "
                    f"{p95_seconds * min(bigger) / size:.0f} s expected, over {slow_seconds} s"
                )
                break
    return {
        "version": version,
        "sizes": measured,
        "largest": measured[-1] if measured else None,
        "stopped": stopped,
        "budget_seconds": budget,
        "seconds": round(time.perf_counter() - started, 1),
        "web_workers": web_workers,
        "threads": threads,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--budget", type=float, default=1800.0, help="seconds")
    parser.add_argument("--slow-seconds", type=float, default=10.0)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    args = parser.parse_args()
    result = run(
        [int(s) for s in args.sizes.split(",") if s.strip()],
        repeats=args.repeats,
        budget=args.budget,
        slow_seconds=args.slow_seconds,
        postgres=args.postgres,
    )
    result["machine"] = machine()
    path = write_result("console_helpdesk", result)
    print(f"stopped: {result['stopped']}")
    print(f"written to {path}")


if __name__ == "__main__":
    main()
