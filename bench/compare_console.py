"""The console benchmark for two versions of the code, run by turns.

On a shared virtual machine the speed can swing by half within minutes
(the fourteenth round in PERFORMANCE.md), more than most changes move a
page; a run of one version minutes after a run of the other compares
the machine, not the code.  This runs ``console.py`` from a temporary
work tree of REF and from this tree by turns, ROUNDS times each, against
the same database, and prints the medians side by side with how many of
the pairs each version won.

    python bench/compare_console.py --ref f3f0b5c --rounds 4

Writes ``bench/results/console_compare.json``.  REF must have a
``bench/console.py`` that takes ``--label`` (any commit since 29
November).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from common import DEFAULT_POSTGRES, DEFAULT_REDIS, machine
from common import write_result as write

ROOT = Path(__file__).resolve().parents[1]
LABEL = "console_compare_run"


def git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def one_run(tree: Path, args: argparse.Namespace) -> dict[str, Any]:
    """``console.py`` of ``tree`` once; its figures."""
    command = [
        sys.executable,
        "bench/console.py",
        "--database",
        args.database,
        "--postgres",
        args.postgres,
        "--redis",
        args.redis,
        "--repeats",
        str(args.repeats),
        "--pages",
        str(args.pages),
        "--label",
        LABEL,
    ]
    subprocess.run(command, cwd=tree, check=True, stdout=subprocess.DEVNULL)
    written = tree / "bench" / "results" / f"{LABEL}.json"
    figures: dict[str, Any] = json.loads(written.read_text(encoding="utf-8"))
    written.unlink()
    return figures


def pages_of(runs: list[dict[str, Any]]) -> list[str]:
    return [key for key, value in runs[0].items() if isinstance(value, dict) and "p95_ms" in value]


def compare(ref_runs: list[dict[str, Any]], here_runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per page: the medians of p50 and p95 of each side, and the pairs
    in which this tree's p50 was the lower."""
    table: dict[str, Any] = {}
    for page in pages_of(here_runs):
        if not all(page in run for run in ref_runs):
            continue
        sides = {}
        for side, runs in (("ref", ref_runs), ("here", here_runs)):
            sides[side] = {
                f"{q}_ms": round(statistics.median(run[page][f"{q}_ms"] for run in runs), 2)
                for q in ("p50", "p95")
            }
        won = sum(
            here[page]["p50_ms"] < ref[page]["p50_ms"]
            for ref, here in zip(ref_runs, here_runs, strict=True)
        )
        table[page] = {**sides, "here_quicker_in": f"{won} of {len(here_runs)}"}
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ref", required=True, help="the commit to compare with (a git ref)")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--database", default="sd_bench_scale")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--redis", default=DEFAULT_REDIS)
    parser.add_argument("--repeats", type=int, default=100)
    parser.add_argument("--pages", type=int, default=1000)
    args = parser.parse_args()
    try:
        ref = git("rev-parse", "--verify", f"{args.ref}^{{commit}}")
    except subprocess.CalledProcessError:
        raise SystemExit(f"not a commit here: {args.ref}") from None
    here = git("rev-parse", "HEAD")
    if git("status", "--porcelain", "--untracked-files=no"):
        here += " with uncommitted changes"

    ref_runs: list[dict[str, Any]] = []
    here_runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-compare-") as tmp:
        tree = Path(tmp) / "ref"
        git("worktree", "add", "--detach", str(tree), ref)
        try:
            for n in range(1, args.rounds + 1):
                # The reference first in odd rounds, this tree first in even
                # ones, so neither always meets the machine warmer.
                order = [("ref", tree), ("here", ROOT)]
                for side, path in order if n % 2 else reversed(order):
                    (ref_runs if side == "ref" else here_runs).append(one_run(path, args))
                    print(f"round {n}: {side} done", flush=True)
        finally:
            git("worktree", "remove", "--force", str(tree))

    table = compare(ref_runs, here_runs)
    result = {
        "ref": ref,
        "here": here,
        "rounds": args.rounds,
        "repeats": args.repeats,
        "pages": args.pages,
        "medians": table,
        "runs": {"ref": ref_runs, "here": here_runs},
        "machine": machine(),
    }
    path = write("console_compare", result)
    print(f"{'page':28} {'p50 ref → here':>20} {'p95 ref → here':>20}  here quicker")
    for page, row in table.items():
        p50 = f"{row['ref']['p50_ms']} → {row['here']['p50_ms']}"
        p95 = f"{row['ref']['p95_ms']} → {row['here']['p95_ms']}"
        print(f"{page:28} {p50:>20} {p95:>20}  {row['here_quicker_in']}")
    print(f"written to {path}")


if __name__ == "__main__":
    main()
