"""The ``servicedesk`` command.  It reads the environment once, builds the
runtime, and turns every error into one line and a non-zero exit."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence

import click
from sqlalchemy.exc import DBAPIError

from servicedesk.cli_context import Context, fail
from servicedesk.errors import ConfigError, ServiceDeskError, first_line

logger = logging.getLogger("servicedesk.cli")


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
    from servicedesk import commands

    for command in commands.COMMANDS:
        if command.name not in cli.commands:
            cli.add_command(command)


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
    except DBAPIError as exc:
        # SQLAlchemy's text carries the statement and its parameters (a new
        # token's hash, say): only the driver's first line is shown.
        logger.debug("database error", exc_info=True)
        fail(database_message(exc))
    except UnicodeEncodeError as exc:
        logger.debug("not UTF-8", exc_info=True)
        fail(not_utf8_message(exc))
    except Exception as exc:  # last line of defence: one line, never a traceback
        logger.debug("unhandled", exc_info=True)
        fail(f"{type(exc).__name__}: {first_line(str(exc))}")


def not_utf8_message(exc: UnicodeEncodeError) -> str:
    """An argument typed in a terminal that is not UTF-8 (a Latin-1 "ä" is
    the byte 0xe4) reaches Python as a stand-in character that no stored
    text can hold: name the byte and the cure."""
    char = exc.object[exc.start : exc.start + 1]
    if "\udc80" <= char <= "\udcff":
        return (
            f"an argument or input is not UTF-8 text (the byte 0x{ord(char) - 0xDC00:02x}); "
            "use a UTF-8 terminal or locale"
        )
    return f"{type(exc).__name__}: {first_line(str(exc))}"


def database_message(exc: DBAPIError) -> str:
    reason = first_line(str(exc.orig)) if exc.orig is not None else first_line(str(exc))
    if "no such table" in reason or ("relation" in reason and "does not exist" in reason):
        return f"database: {reason} (run `servicedesk db upgrade` first)"
    return f"database: {reason}"
