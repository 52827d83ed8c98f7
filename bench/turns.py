"""Two versions of the code measured by turns, for the ``compare_*.py``
scripts.

On a shared virtual machine the speed can swing by half within minutes
(the fourteenth round in PERFORMANCE.md), more than most changes move a
figure; a run of one version minutes after a run of the other compares
the machine, not the code.  ``by_turns`` checks REF out in a temporary
work tree and runs a measurement there and in this tree in turn, ROUNDS
times each.
"""

from __future__ import annotations

import statistics
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import machine

ROOT = Path(__file__).resolve().parents[1]

Figures = dict[str, Any]


def git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True, text=True)
    return done.stdout.strip()


@dataclass
class Turns:
    ref: str  # the commit measured against
    here: str  # this tree's commit, and whether it has uncommitted changes
    ref_runs: list[Figures]
    here_runs: list[Figures]

    def result(self, medians: dict[str, Any], **settings: Any) -> Figures:
        """What a comparison writes: the commits, its settings, the
        medians, every run and the machine."""
        return {
            "ref": self.ref,
            "here": self.here,
            **settings,
            "medians": medians,
            "runs": {"ref": self.ref_runs, "here": self.here_runs},
            "machine": machine(),
        }

    def medians(self, key: Callable[[Figures], float]) -> tuple[float, float]:
        return (
            round(statistics.median(key(run) for run in self.ref_runs), 2),
            round(statistics.median(key(run) for run in self.here_runs), 2),
        )

    def here_lower_in(self, key: Callable[[Figures], float]) -> str:
        """In how many pairs this tree's figure was the lower."""
        won = sum(
            key(here) < key(ref) for ref, here in zip(self.ref_runs, self.here_runs, strict=True)
        )
        return f"{won} of {len(self.here_runs)}"


def by_turns(ref: str, rounds: int, measure: Callable[[Path], Figures]) -> Turns:
    """``measure(tree)`` for REF's tree and this one, by turns: the
    reference first in odd rounds and this tree first in even ones, so
    neither always meets the machine warmer."""
    try:
        ref = git("rev-parse", "--verify", f"{ref}^{{commit}}")
    except subprocess.CalledProcessError:
        raise SystemExit(f"not a commit here: {ref}") from None
    here = git("rev-parse", "HEAD")
    if git("status", "--porcelain", "--untracked-files=no"):
        here += " with uncommitted changes"
    turns = Turns(ref, here, [], [])
    with tempfile.TemporaryDirectory(prefix="bench-compare-") as tmp:
        tree = Path(tmp) / "ref"
        git("worktree", "add", "--detach", str(tree), ref)
        try:
            for n in range(1, rounds + 1):
                order = [("ref", tree), ("here", ROOT)]
                for side, path in order if n % 2 else reversed(order):
                    runs = turns.ref_runs if side == "ref" else turns.here_runs
                    runs.append(measure(path))
                    print(f"round {n}: {side} done", flush=True)
        finally:
            git("worktree", "remove", "--force", str(tree))
    return turns
