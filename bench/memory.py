"""Peak resident memory and CPU time of the desk's processes during a benchmark.

The kernel keeps each process's peak RSS (``VmHWM`` in ``/proc/<pid>/status``);
a process that ends takes its figure with it, so a thread also reads every
process of the watched groups twice a second and keeps the largest values
seen.  A gunicorn group holds the master (the group leader) and its workers;
"web worker" figures are the workers', the master's are reported apart.

CPU time (user + system, from ``/proc/<pid>/stat``) is summed per label
between :meth:`RssMonitor.mark` and the end: on a machine shared with
other work it says more about the cost of a request than the wall clock.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.reliability.stack import ManagedProcess, group_pids, status_kib

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (0 when gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


@dataclass
class RssMonitor:
    interval: float = 0.5
    peaks: dict[str, dict[int, int]] = field(default_factory=dict)
    watched: dict[str, ManagedProcess] = field(default_factory=dict)
    cpu_start: dict[int, float] = field(default_factory=dict)
    cpu_last: dict[str, dict[int, float]] = field(default_factory=dict)
    stopping: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def watch(self, label: str, process: ManagedProcess) -> None:
        self.watched[label] = process

    def sample(self) -> None:
        for label, process in list(self.watched.items()):
            if process.popen is None:
                continue
            leader = process.popen.pid
            for pid in group_pids(leader):
                peak = max(status_kib(pid, "VmHWM"), status_kib(pid, "VmRSS"))
                role = "master" if pid == leader and label == "web" else "process"
                key = f"{label}:{role}"
                found = self.peaks.setdefault(key, {})
                found[pid] = max(found.get(pid, 0), peak)
                self.cpu_last.setdefault(label, {})[pid] = cpu_seconds(pid)

    def mark(self) -> None:
        """Start counting CPU time here (what the processes used before is left out)."""
        self.sample()
        self.cpu_start = {
            pid: seconds for per_pid in self.cpu_last.values() for pid, seconds in per_pid.items()
        }

    def cpu(self) -> dict[str, float]:
        """CPU seconds per label since :meth:`mark`."""
        self.sample()
        return {
            label: round(sum(s - self.cpu_start.get(pid, 0.0) for pid, s in per_pid.items()), 2)
            for label, per_pid in sorted(self.cpu_last.items())
        }

    def start(self) -> RssMonitor:
        def loop() -> None:
            while not self.stopping.wait(self.interval):
                self.sample()

        self.thread = threading.Thread(target=loop, name="rss-monitor", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> dict[str, Any]:
        self.sample()
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout=5)
        return self.report()

    def report(self) -> dict[str, Any]:
        """Peak RSS in MiB per label: the largest single process and how many."""
        out: dict[str, Any] = {}
        for key, per_pid in sorted(self.peaks.items()):
            if per_pid:
                out[key] = {
                    "peak_mib": round(max(per_pid.values()) / 1024, 1),
                    "processes": len(per_pid),
                }
        return out
