"""The subcommands of ``servicedesk`` (see cli.py for the group and the
error handling)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from servicedesk.cli_context import Context, echo_table, fail, pass_context, path_argument


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers",
    default=None,
    type=click.IntRange(1, 64),
    help="gunicorn worker processes (default: 1 inline, 2×CPU+1 with Redis).",
)
@pass_context
def serve(ctx: Context, host: str, port: int, workers: int | None) -> None:
    """Serve the web console, public pages, webhooks and API with gunicorn."""
    from servicedesk.server import run_server

    ctx.settings.require_valid()
    run_server(ctx.runtime, host=host, port=port, workers=workers)


@click.command()
@click.option("--burst", is_flag=True, help="Work until the queues are empty, then exit.")
@click.option(
    "--queue",
    "queues",
    multiple=True,
    type=click.Choice(["inbound", "outbound", "maintenance"]),
    help="Queues to work (default: all three).",
)
@pass_context
def worker(ctx: Context, burst: bool, queues: tuple[str, ...]) -> None:
    """Run an rq worker (with the scheduler and the periodic jobs)."""
    from servicedesk.worker import run_worker

    ctx.settings.require_valid()
    if not ctx.settings.redis_url:
        fail("SERVICEDESK_REDIS_URL is not set: without Redis, jobs run inline in `serve`", 2)
    run_worker(ctx.runtime, queues=queues or None, burst=burst)


@click.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@pass_context
def db_upgrade(ctx: Context, revision: str) -> None:
    """Migrate the database to the newest schema."""
    from servicedesk import schema

    schema.upgrade(ctx.runtime.db.engine, revision)
    click.echo(f"database at revision {schema.current_revision(ctx.runtime.db.engine)}")


@click.group()
def directory() -> None:
    """Regions, organisations, queues, experts and routing rules."""


@directory.command("load")
@click.argument("path")
@pass_context
def directory_load(ctx: Context, path: str) -> None:
    """Validate and load a directory YAML file or folder (idempotent)."""
    from servicedesk import directory_store

    source = path_argument(path)
    with ctx.runtime.db.transaction() as session:
        summary = directory_store.load(session, source)
    click.echo(summary.describe())


@directory.command("check")
@click.argument("path")
@pass_context
def directory_check(ctx: Context, path: str) -> None:
    """Validate a directory without loading it."""
    from servicedesk import directory_store

    directory_store.read(path_argument(path))
    click.echo(f"{path}: valid")


@click.group()
def user() -> None:
    """Console users."""


@user.command("add")
@click.argument("email")
@click.option("--name", required=True)
@click.option(
    "--role",
    required=True,
    type=click.Choice(["admin", "agent", "expert", "superuser", "helpdesk"]),
)
@click.option("--organization", default=None, help="Organisation id (experts, super-users).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--language", "languages", multiple=True, type=click.Choice(["fi", "sv", "en"]))
@pass_context
def user_add(
    ctx: Context,
    email: str,
    name: str,
    role: str,
    organization: str | None,
    password_stdin: bool,
    languages: tuple[str, ...],
) -> None:
    """Create a console user."""
    from servicedesk.users import add_user

    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    with ctx.runtime.db.transaction() as session:
        created = add_user(
            session,
            email,
            name=name,
            role=role,
            organization_id=organization,
            password=password,
            languages=list(languages) or None,
        )
        click.echo(f"created {created.role} {created.email} (id {created.id})")


@click.group()
def token() -> None:
    """API tokens."""


@token.command("create")
@click.option("--name", required=True, help="What the token is for.")
@click.option(
    "--user",
    "user_email",
    default=None,
    help="Act as this console user (the token sees what they see).",
)
@pass_context
def token_create(ctx: Context, name: str, user_email: str | None) -> None:
    """Create an API token; it is printed once, alone on the last line."""
    from servicedesk import tokens
    from servicedesk.users import find_by_email

    with ctx.runtime.db.transaction() as session:
        user_id = None
        if user_email:
            owner = find_by_email(session, user_email)
            if owner is None:
                fail(f"no user {user_email}", 2)
            user_id = owner.id
        row, secret = tokens.create(session, name.strip() or "token", ctx.runtime.now(), user_id)
        click.echo(f"created API token {row.prefix}… ({row.name}); keep it safe, it is shown once:")
    click.echo(secret)


@click.group()
def email() -> None:
    """The email channel."""


@email.command("ingest")
@click.argument("files", nargs=-1, required=True)
@click.option("--staff", is_flag=True, help="The mails came to the staff desk's mailbox.")
@pass_context
def email_ingest(ctx: Context, files: tuple[str, ...], staff: bool) -> None:
    """Run raw RFC 5322 files through the intake pipeline."""
    from servicedesk.mail_intake import ingest_files

    results = ingest_files(
        ctx.runtime, [path_argument(f) for f in files], source="staff" if staff else "file"
    )
    failures = 0
    for result in results:
        click.echo(result.describe())
        failures += result.failed
    if failures:
        sys.exit(1)


@email.command("poll")
@click.option("--once", "mode", flag_value="once", default=True, help="Poll every mailbox once.")
@click.option("--idle", "mode", flag_value="idle", help="Stay connected with IMAP IDLE.")
@pass_context
def email_poll(ctx: Context, mode: str) -> None:
    """Fetch new mail from the configured IMAP mailboxes."""
    from servicedesk.mail_intake import poll_forever, poll_once

    if not ctx.settings.mailboxes():
        fail("no mailbox configured: set SERVICEDESK_IMAP_HOST, _USER and _PASSWORD", 2)
    if mode == "idle":
        poll_forever(ctx.runtime)
    else:
        for line in poll_once(ctx.runtime):
            click.echo(line)


@click.group()
def route() -> None:
    """Routing decisions."""


@route.command("explain")
@click.argument("number")
@pass_context
def route_explain(ctx: Context, number: str) -> None:
    """Why a ticket went where it went."""
    from servicedesk.explain import explain

    with ctx.runtime.db.session() as session:
        for line in explain(session, number):
            click.echo(line)


@click.group()
def intake() -> None:
    """Stored raw contacts (failed intake)."""


@intake.command("list")
@click.option(
    "--status",
    default="failed",
    show_default=True,
    type=click.Choice(["failed", "received", "ignored", "duplicate", "processed"]),
)
@pass_context
def intake_list(ctx: Context, status: str) -> None:
    """List intake records by status."""
    from sqlalchemy import select

    from servicedesk.models import IntakeRecord

    with ctx.runtime.db.session() as session:
        rows = (
            session.execute(
                select(IntakeRecord).where(IntakeRecord.status == status).order_by(IntakeRecord.id)
            )
            .scalars()
            .all()
        )
        table = [("id", "channel", "received", "error")] + [
            (r.id, r.channel, r.received_at.strftime("%Y-%m-%d %H:%M"), (r.error or "")[:80])
            for r in rows
        ]
    echo_table(table)


@intake.command("replay")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all-failed", is_flag=True, help="Replay every failed record.")
@pass_context
def intake_replay(ctx: Context, ids: tuple[int, ...], all_failed: bool) -> None:
    """Run stored records through the pipeline again."""
    from servicedesk.replay import replay

    if not ids and not all_failed:
        fail("name record ids or use --all-failed", 2)
    outcomes = replay(ctx.runtime, list(ids), all_failed=all_failed)
    for line in outcomes.lines:
        click.echo(line)
    if outcomes.failed:
        sys.exit(1)


@click.command()
@click.option(
    "--directory",
    "directory_path",
    default=None,
    help="Directory YAML to load (default: the shipped demo directory).",
)
@click.option(
    "--tickets",
    default=40,
    show_default=True,
    type=click.IntRange(0, 100000),
    help="Sample enquiries to create.",
)
@pass_context
def demo(ctx: Context, directory_path: str | None, tickets: int) -> None:
    """Migrate, load the demo directory, create demo users and sample
    tickets, and print the demo logins."""
    from servicedesk.demo import prepare

    path = Path(directory_path) if directory_path else None
    for line in prepare(ctx.runtime, directory=path, tickets=tickets):
        click.echo(line)


COMMANDS: tuple[click.Command, ...] = (
    serve,
    worker,
    db,
    directory,
    user,
    token,
    email,
    route,
    intake,
    demo,
)
