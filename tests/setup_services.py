"""Install what the tests need from outside PyPI when it is missing:
Debian's dovecot-imapd and chromium, and axe-core from npm.  Run by
`make test` (and so by .ci/run) before pytest; safe to run again."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEBIAN = {"/usr/sbin/dovecot": "dovecot-imapd", "/usr/bin/chromium": "chromium"}
AXE = HERE / "browser" / "node_modules" / "axe-core" / "axe.min.js"


def run(command: list[str]) -> None:
    print("+", " ".join(command), flush=True)
    subprocess.run(command, check=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


def main() -> int:
    missing = sorted({pkg for path, pkg in DEBIAN.items() if not Path(path).exists()})
    if missing:
        if os.geteuid() != 0 or not shutil.which("apt-get"):
            print(
                f"setup: missing Debian packages {missing} and cannot install them", file=sys.stderr
            )
        else:
            run(["apt-get", "update", "-qq"])
            run(["apt-get", "install", "-y", "-qq", *missing])
    if not AXE.exists():
        if shutil.which("npm"):
            AXE.parent.parent.parent.mkdir(parents=True, exist_ok=True)
            run(
                [
                    "npm",
                    "install",
                    "--silent",
                    "--no-audit",
                    "--no-fund",
                    "--prefix",
                    str(HERE / "browser"),
                    "axe-core@4",
                ]
            )
        else:
            print("setup: npm is missing; axe-core cannot be installed", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
