"""The console benchmark for two versions of the code, run by turns
(``turns.py`` says why): ``console.py`` from a temporary work tree of REF
and from this tree, ROUNDS times each, against the same database; the
medians side by side with how many of the pairs each version won.

    python bench/compare_console.py --ref f3f0b5c --rounds 4

Writes ``bench/results/console_compare.json``.  REF must have a
``bench/console.py`` that takes ``--label`` (any commit since 29
November).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from common import DEFAULT_POSTGRES, DEFAULT_REDIS
from common import write_result as write
from turns import Turns, by_turns

LABEL = "console_compare_run"


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


def compare(turns: Turns) -> dict[str, Any]:
    """Per page: the medians of p50 and p95 of each side, and the pairs
    in which this tree's p50 was the lower."""
    table: dict[str, Any] = {}
    for page in pages_of(turns.here_runs):
        if not all(page in run for run in turns.ref_runs):
            continue
        p50 = turns.medians(lambda run, page=page: run[page]["p50_ms"])
        p95 = turns.medians(lambda run, page=page: run[page]["p95_ms"])
        table[page] = {
            "ref": {"p50_ms": p50[0], "p95_ms": p95[0]},
            "here": {"p50_ms": p50[1], "p95_ms": p95[1]},
            "here_quicker_in": turns.here_lower_in(lambda run, page=page: run[page]["p50_ms"]),
        }
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
    turns = by_turns(args.ref, args.rounds, lambda tree: one_run(tree, args))
    table = compare(turns)
    result = turns.result(table, rounds=args.rounds, repeats=args.repeats, pages=args.pages)
    path = write("console_compare", result)
    print(f"{'page':28} {'p50 ref → here':>20} {'p95 ref → here':>20}  here quicker")
    for page, row in table.items():
        p50 = f"{row['ref']['p50_ms']} → {row['here']['p50_ms']}"
        p95 = f"{row['ref']['p95_ms']} → {row['here']['p95_ms']}"
        print(f"{page:28} {p50:>20} {p95:>20}  {row['here_quicker_in']}")
    print(f"written to {path}")


if __name__ == "__main__":
    main()
