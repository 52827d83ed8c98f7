"""``make bench``: every benchmark in turn, one table at the end.

Steps, in order (``--only``/``--skip`` take their names; ``--only`` runs
them in the order given):

- ``routing``: decisions per second and the directory's load time;
- ``generate``: the database of a million tickets, only when it does not
  exist yet (or with ``--regenerate``);
- ``console``: the console's pages over that database;
- ``helpdesk_console``: django-helpdesk's ticket list at the largest size
  it handles in ``--helpdesk-budget`` seconds;
- ``ingest``: the web form and ``POST /api/v1/enquiries`` under concurrent
  load (gunicorn, PostgreSQL, rq workers), and django-helpdesk's public
  form under the same load (its own venv under ``bench/.work``);
- ``email``: mails in a real Dovecot mailbox → tickets, the desk beside
  django-helpdesk's ``get_email`` on the same mails;
- ``burst``: 10,000 enquiries offered in 60 s while 50 agents work;
- ``memory``: the peak RSS of a web worker and an rq worker over the runs;
- ``fuzz``: atheris on the MIME parser for ``--fuzz-seconds`` (0: skip).

Each step runs as a process of its own, its output in
``bench/.work/logs/<step>.log``; a step that fails is reported in the
table with its error and the others still run.  The table goes to stdout
and, with the sizes, the machine and every step's status, to
``bench/results/summary.json`` (a run of some steps keeps the others'
rows from their results already written, marked "earlier run"); a line
per run is appended to
``bench/results/history.jsonl`` (the before/after of every fix).

``--quick`` is a smoke run of a few minutes with small sizes; its results
go to ``bench/.work/results-quick`` so they never replace the real ones.

    python bench/run.py              # the issue's sizes (about an hour on 2 cores)
    python bench/run.py --quick
    python bench/run.py --only console,helpdesk_console
    python bench/run.py --report     # the table of the results already written
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PYTHON = sys.executable
TOOLS_VENV_NAME = "tools-venv"
FUZZ_DONE = re.compile(r"Done (\d+) runs in (\d+) second")


@dataclass(frozen=True)
class Sizes:
    routing_seconds: float = 2.0
    routing_rounds: int = 5
    enquiries: int = 1000
    concurrency: int = 16
    web_workers: int = 3
    rq_workers: int = 2
    mails: int = 1000
    burst_enquiries: int = 10_000
    burst_seconds: float = 60.0
    burst_agents: int = 50
    burst_cut_off: float = 180.0
    tickets: int = 1_000_000
    database: str = "sd_bench_scale"
    console_repeats: int = 100
    console_pages: int = 1000
    helpdesk_sizes: str = "10000,100000,1000000"
    helpdesk_repeats: int = 20
    helpdesk_budget: float = 900.0
    fuzz_seconds: int = 120


QUICK = Sizes(
    routing_seconds=0.5,
    routing_rounds=2,
    enquiries=40,
    concurrency=8,
    web_workers=2,
    rq_workers=1,
    mails=20,
    burst_enquiries=200,
    burst_seconds=10.0,
    burst_agents=5,
    burst_cut_off=30.0,
    tickets=3000,
    database="sd_bench_scale_quick",
    console_repeats=10,
    console_pages=20,
    helpdesk_sizes="3000",
    helpdesk_repeats=5,
    helpdesk_budget=300.0,
    fuzz_seconds=10,
)


class StepError(Exception):
    """A step ended without its results; the message says why."""


@dataclass
class Context:
    sizes: Sizes
    regenerate: bool
    work: Path
    env: dict[str, str]

    def script(self, step: str, args: list[str], timeout: float, cwd: Path = ROOT) -> str:
        """Run a bench script (or any command when ``args[0]`` is absolute);
        its output, raising :class:`StepError` with its tail on failure."""
        logs = self.work / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        log = logs / f"{step}.log"
        command = args if Path(args[0]).is_absolute() else [PYTHON, str(BENCH / args[0]), *args[1:]]
        with log.open("w", encoding="utf-8") as out:
            out.write("$ " + " ".join(command) + "\n")
            out.flush()
            try:
                done = subprocess.run(
                    command,
                    cwd=cwd,
                    env=self.env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    timeout=timeout,
                    check=False,
                )
            except subprocess.TimeoutExpired as exc:
                raise StepError(f"timed out after {timeout:.0f} s (log: {log})") from exc
        text = log.read_text(encoding="utf-8", errors="replace")
        if done.returncode != 0:
            tail = [line for line in text.strip().splitlines() if line.strip()][-3:]
            raise StepError(f"exit {done.returncode}: {' | '.join(tail)[-400:]} (log: {log})")
        return text


def step_routing(ctx: Context) -> None:
    s = ctx.sizes
    ctx.script(
        "routing",
        [
            "routing_bench.py",
            "--seconds",
            str(s.routing_seconds),
            "--rounds",
            str(s.routing_rounds),
        ],
        timeout=600,
    )


def step_ingest(ctx: Context) -> None:
    s = ctx.sizes
    args = ["--enquiries", str(s.enquiries), "--concurrency", str(s.concurrency)]
    args += ["--web-workers", str(s.web_workers), "--rq-workers", str(s.rq_workers)]
    ctx.script("ingest", ["ingest.py", *args, "--helpdesk"], timeout=3 * 3600)


def step_email(ctx: Context) -> None:
    ctx.script("email", ["email_compare.py", "--mails", str(ctx.sizes.mails)], timeout=3 * 3600)


def step_burst(ctx: Context) -> None:
    s = ctx.sizes
    args = ["--enquiries", str(s.burst_enquiries), "--seconds", str(s.burst_seconds)]
    args += ["--agents", str(s.burst_agents), "--cut-off", str(s.burst_cut_off)]
    ctx.script("burst", ["burst.py", *args], timeout=3600)


def scale_database_ready(server: str, name: str, tickets: int) -> bool:
    """Whether ``name`` holds a finished generation of ``tickets`` tickets
    (the ticket counters are the generator's last write)."""
    import psycopg
    from common import database_exists, database_url

    if not database_exists(server, name):
        return False
    try:
        with psycopg.connect(database_url(server, name, driver="postgresql")) as c:
            count = c.execute("SELECT count(*) FROM tickets").fetchone()
            counters = c.execute("SELECT count(*) FROM ticket_counters").fetchone()
    except psycopg.Error:
        return False
    return bool(count and counters and count[0] == tickets and counters[0] > 0)


def step_generate(ctx: Context) -> None:
    from common import DEFAULT_POSTGRES

    s = ctx.sizes
    if not ctx.regenerate and scale_database_ready(DEFAULT_POSTGRES, s.database, s.tickets):
        print(f"  reusing database {s.database} ({s.tickets:,} tickets)", flush=True)
        # The code may have moved on since: its migrations (which fill new
        # columns of the rows already there) run on the reused database.
        ctx.script("migrate", ["generate.py", "--migrate-only", "--database", s.database], 3600)
        return
    ctx.script(
        "generate",
        ["generate.py", "--tickets", str(s.tickets), "--database", s.database],
        timeout=6 * 3600,
    )


def step_console(ctx: Context) -> None:
    s = ctx.sizes
    args = ["--database", s.database, "--repeats", str(s.console_repeats)]
    ctx.script("console", ["console.py", *args, "--pages", str(s.console_pages)], timeout=3 * 3600)


def step_helpdesk_console(ctx: Context) -> None:
    s = ctx.sizes
    args = ["--sizes", s.helpdesk_sizes, "--repeats", str(s.helpdesk_repeats)]
    args += ["--budget", str(s.helpdesk_budget)]
    ctx.script("helpdesk_console", ["helpdesk_console.py", *args], timeout=s.helpdesk_budget + 3600)


def step_memory(ctx: Context) -> None:
    from common import write_result
    from summary import load_results, memory_figures

    figures = memory_figures(load_results(["ingest_desk", "burst", "console"]))
    if not figures["web_worker_peak_mib"] and not figures["rq_worker_peak_mib"]:
        raise StepError("no run watched a worker (ingest, burst and console all missing)")
    from common import machine

    write_result("memory", {**figures, "machine": machine()})


def tools_python(ctx: Context) -> Path:
    """Python of a venv with atheris (a benchmark tool, never a dependency)."""
    venv = ROOT / "bench" / ".work" / TOOLS_VENV_NAME
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([PYTHON, "-m", "venv", str(venv)], check=True)
    probe = subprocess.run([str(python), "-c", "import atheris"], capture_output=True, check=False)
    if probe.returncode != 0:
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "atheris"],
            check=True,
            capture_output=True,
        )
    return python


def step_fuzz(ctx: Context) -> None:
    from common import machine, write_result

    seconds = ctx.sizes.fuzz_seconds
    python = tools_python(ctx)
    work = ROOT / "bench" / ".work"
    corpus, crashes = work / "fuzz-corpus", work / "fuzz-crashes"
    corpus.mkdir(parents=True, exist_ok=True)
    crashes.mkdir(parents=True, exist_ok=True)
    before = set(crashes.iterdir())
    site = next((ROOT / ".venv" / "lib").glob("python3*/site-packages"))
    env = {**ctx.env, "PYTHONPATH": f"{ROOT}{os.pathsep}{site}"}
    args = [str(python), str(BENCH / "fuzz_mime.py"), f"-max_total_time={seconds}"]
    args += [f"-artifact_prefix={crashes}/", str(corpus), str(ROOT / "tests" / "data" / "mail")]
    started = time.perf_counter()
    found_crash: StepError | None = None
    try:
        text = replace(ctx, env=env).script("fuzz", args, timeout=seconds + 600, cwd=work)
    except StepError as exc:  # libFuzzer exits non-zero on a crash: still a result
        text = (work / "logs" / "fuzz.log").read_text(encoding="utf-8", errors="replace")
        found_crash = exc
    new = sorted(str(p.relative_to(ROOT)) for p in set(crashes.iterdir()) - before)
    done = FUZZ_DONE.findall(text)
    if not done and not new:
        raise found_crash or StepError("atheris ran but reported no run count")
    runs = int(done[-1][0]) if done else 0
    write_result(
        "fuzz",
        {
            "runs": runs,
            "seconds": round(time.perf_counter() - started, 1),
            "max_total_time": seconds,
            "crashes": len(new),
            "crash_files": new,
            "corpus_files": sum(1 for _ in corpus.iterdir()),
            "machine": machine(),
        },
    )


# The figures at scale first: they are the slowest to set up and the ones
# most worth having when a later step fails or the run is cut short.
STEPS: dict[str, Callable[[Context], None]] = {
    "routing": step_routing,
    "generate": step_generate,
    "console": step_console,
    "helpdesk_console": step_helpdesk_console,
    "ingest": step_ingest,
    "email": step_email,
    "burst": step_burst,
    "memory": step_memory,
    "fuzz": step_fuzz,
}


def names(value: str) -> list[str]:
    picked = [n.strip() for n in value.split(",") if n.strip()]
    unknown = [n for n in picked if n not in STEPS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown step(s) {unknown}; steps: {', '.join(STEPS)}")
    return picked


def when(result: dict[str, Any]) -> str | None:
    """When a result was measured (the scripts put it in one of two places)."""
    machine = result.get("machine")
    if isinstance(machine, dict) and machine.get("measured_at"):
        return str(machine["measured_at"])
    return str(result["measured_at"]) if result.get("measured_at") else None


def git_state() -> dict[str, Any]:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    return {
        "commit": git("rev-parse", "HEAD"),
        "dirty_files": len(git("status", "--short").splitlines()),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run with small sizes")
    parser.add_argument("--only", type=names, help="comma-separated steps to run")
    parser.add_argument("--skip", type=names, default=[], help="comma-separated steps to skip")
    parser.add_argument("--regenerate", action="store_true", help="generate the database anew")
    parser.add_argument(
        "--report",
        action="store_true",
        help="run nothing: the table of the results already in the results folder",
    )
    for field, default in asdict(Sizes()).items():
        parser.add_argument(
            "--" + field.replace("_", "-"),
            type=type(default),
            default=None,
            help=f"default {default} (quick: {getattr(QUICK, field)})",
        )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = QUICK if args.quick else Sizes()
    overrides = {f: getattr(args, f) for f in asdict(sizes) if getattr(args, f) is not None}
    sizes = replace(sizes, **overrides)
    work = BENCH / ".work"
    env = dict(os.environ)
    if args.quick:
        env["BENCH_RESULTS"] = str(work / "results-quick")
        os.environ["BENCH_RESULTS"] = env["BENCH_RESULTS"]
        work = work / "quick"
    sys.path.insert(0, str(BENCH))
    import common
    from summary import ROWS, Row, load_results, render

    selected = [n for n in (args.only or list(STEPS)) if n not in args.skip]
    if sizes.fuzz_seconds <= 0 and "fuzz" in selected:
        selected.remove("fuzz")
    ctx = Context(sizes, args.regenerate, work, env)
    status: dict[str, dict[str, Any]] = {}
    # --report: the table of the results already written, whenever measured.
    started_run = 0.0 if args.report else time.time()
    for name in [] if args.report else selected:
        print(f"== {name}", flush=True)
        started = time.time()
        try:
            STEPS[name](ctx)
        except Exception as exc:  # reported in the table; the next step runs
            error = str(exc) if isinstance(exc, StepError) else f"{type(exc).__name__}: {exc}"
            status[name] = {"status": "failed", "error": error}
            print(f"   failed: {error}", flush=True)
        else:
            status[name] = {"status": "ok"}
        status[name]["seconds"] = round(time.time() - started, 1)
        print(f"   {status[name]['status']} in {status[name]['seconds']} s", flush=True)

    rows: list[Row] = []
    for name in selected:
        files, build = ROWS[name]
        results = load_results(list(files))
        fresh = {
            f: data
            for f, data in results.items()
            if data is not None and (common.RESULTS / f"{f}.json").stat().st_mtime >= started_run
        }
        if status.get(name, {}).get("status") == "failed" and name != "generate":
            rows.append(Row(name, status[name]["error"][:300], "-", "failed"))
            continue
        if name == "generate" and not fresh:
            earlier = results["generate"]
            if earlier and earlier.get("database") == sizes.database:
                for row in build(results):
                    rows.append(replace(row, figure=row.figure + " (earlier run, reused)"))
            else:
                rows.append(Row("data generator", f"reused database {sizes.database}"))
            continue
        if not fresh:
            rows.append(Row(name, "no results written", "-", "not measured"))
            continue
        try:
            rows.extend(build({f: fresh.get(f) for f in files}))
        except Exception as exc:  # a half-written result must not hide the rest
            rows.append(
                Row(name, f"unreadable results: {type(exc).__name__}: {exc}", "-", "failed")
            )

    # A run of some steps keeps the others' rows from the results already
    # written, so summary.json stays the whole table (marked as earlier).
    kept = [] if args.report else [name for name in STEPS if name not in selected]
    for name in kept:
        files, build = ROWS[name]
        results = load_results(list(files))
        if all(data is None for data in results.values()):
            continue
        try:
            earlier = build(results)
        except Exception:  # an old result the table no longer reads: left out
            continue
        rows.extend(replace(row, figure=row.figure + " (earlier run)") for row in earlier)

    table = render(rows)
    print()
    print(table)
    measured_at = {
        f: when(data)
        for name in [*selected, *kept]
        for f, data in load_results(list(ROWS[name][0])).items()
        if data is not None
    }
    summary = {
        "results_measured_at": measured_at,
        "command": "python bench/run.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "sizes": asdict(sizes),
        "steps": status,
        "rows": [row.as_dict() for row in rows],
        "git": git_state(),
        "machine": common.machine(),
        "seconds": None if args.report else round(time.time() - started_run, 1),
    }
    path = common.write_result("summary", summary)
    if not args.report:
        with (common.RESULTS / "history.jsonl").open("a", encoding="utf-8") as history:
            history.write(json.dumps(summary, ensure_ascii=False) + "\n")
    print(f"\nwritten to {path} (logs in {work / 'logs'})")
    return 1 if any(s["status"] == "failed" for s in status.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
