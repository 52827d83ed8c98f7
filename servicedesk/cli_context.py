"""What every ``servicedesk`` subcommand shares: the lazily built runtime
and the one-line error exit."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import click

from servicedesk import runtime as runtime_module
from servicedesk.runtime import Runtime
from servicedesk.settings import Settings


def fail(message: str, code: int = 1) -> NoReturn:
    click.echo(f"servicedesk: error: {message}", err=True)
    sys.exit(code)


class Context:
    """Settings and runtime, built on first use so ``--help`` needs neither."""

    def __init__(self) -> None:
        self._runtime: Runtime | None = None

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    @property
    def runtime(self) -> Runtime:
        if self._runtime is None:
            settings = Settings.from_env(os.environ)
            self._runtime = runtime_module.install(Runtime.from_settings(settings))
        return self._runtime


pass_context = click.make_pass_decorator(Context, ensure=True)


def echo_table(rows: Sequence[Sequence[Any]]) -> None:
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))] if rows else []
    for row in rows:
        click.echo("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def path_argument(path: str) -> Path:
    p = Path(path)
    if not p.exists():
        fail(f"{path}: no such file or directory", 2)
    return p
