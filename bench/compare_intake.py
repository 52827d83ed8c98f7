"""The CPU of a web-form enquiry for two versions of the code, by turns
(``turns.py`` says why): ``intake_cpu.py`` of this tree importing the desk
from a temporary work tree of REF and from this tree, ROUNDS times each;
the medians of the CPU and statements per enquiry side by side, with how
many of the pairs each version won.

    python bench/compare_intake.py --ref 8f0b2e1 --rounds 4

Writes ``bench/results/intake_compare.json``.  REF: any commit since 30
November (the tests' helpers ``intake_cpu.py`` sets the desk up with).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from common import DEFAULT_POSTGRES, DEFAULT_REDIS, write_result
from turns import by_turns

BENCH = Path(__file__).resolve().parent
FIGURES = ("web_cpu_ms", "jobs_cpu_ms", "total_cpu_ms", "web_statements", "jobs_statements")


def one_run(tree: Path, args: argparse.Namespace) -> dict[str, Any]:
    """``intake_cpu.py`` once with the desk of ``tree``; its figures."""
    with tempfile.TemporaryDirectory(prefix="bench-intake-run-") as tmp:
        out = Path(tmp) / "figures.json"
        command = [sys.executable, str(BENCH / "intake_cpu.py"), "--tree", str(tree)]
        command += ["--enquiries", str(args.enquiries), "--out", str(out)]
        command += ["--postgres", args.postgres, "--redis", args.redis]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        figures: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ref", required=True, help="the commit to compare with (a git ref)")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--enquiries", type=int, default=300)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--redis", default=DEFAULT_REDIS)
    args = parser.parse_args()
    turns = by_turns(args.ref, args.rounds, lambda tree: one_run(tree, args))
    table = {}
    for figure in FIGURES:
        ref, here = turns.medians(lambda run, figure=figure: run[figure])
        lower = turns.here_lower_in(lambda run, figure=figure: run[figure])
        table[figure] = {"ref": ref, "here": here, "here_lower_in": lower}
    result = turns.result(table, rounds=args.rounds, enquiries=args.enquiries)
    path = write_result("intake_compare", result)
    print(f"{'per web-form enquiry':22} {'ref → here':>20}  here lower")
    for figure, row in table.items():
        print(f"{figure:22} {row['ref']:>9} → {row['here']:<9}  {row['here_lower_in']}")
    print(f"written to {path}")


if __name__ == "__main__":
    main()
