"""The ``servicedesk`` command.  It reads the environment once, builds the
runtime, and turns every error into one line and a non-zero exit."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import click

from servicedesk import runtime as runtime_module
from servicedesk.errors import ConfigError, ServiceDeskError
from servicedesk.runtime import Runtime
from servicedesk.settings import Settings

logger = logging.getLogger("servicedesk.cli")


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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--log-level",
    default=lambda: os.environ.get("SERVICEDESK_LOG_LEVEL", "INFO"),
    show_default="INFO",
    help="Logging level.",
)
@click.pass_context
def cli(ctx: click.Context, log_level: str) -> None:
    """servicedesk: one contact point for education applicants and staff."""
    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    ctx.ensure_object(Context)


def register_commands() -> None:
    from servicedesk import commands  # noqa: F401  (defines the subcommands on ``cli``)


def main(argv: Sequence[str] | None = None) -> None:
    register_commands()
    try:
        cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="servicedesk",
            standalone_mode=False,
        )
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        fail(exc.format_message().replace("\n", " "), exc.exit_code)
    except click.exceptions.Abort:
        fail("aborted", 130)
    except ConfigError as exc:
        fail("configuration: " + "; ".join(exc.problems), 2)
    except ServiceDeskError as exc:
        fail(exc.message + (f" (field: {exc.field})" if exc.field else ""))
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # last line of defence: one line, never a traceback
        logger.debug("unhandled", exc_info=True)
        fail(f"{type(exc).__name__}: {exc}")


def echo_table(rows: Sequence[Sequence[Any]]) -> None:
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))] if rows else []
    for row in rows:
        click.echo("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def path_argument(path: str) -> Path:
    p = Path(path)
    if not p.exists():
        fail(f"{path}: no such file or directory", 2)
    return p
