"""The subcommands of ``servicedesk`` (see cli.py for the group and the
error handling)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from servicedesk.cli_context import Context, echo_table, fail, pass_context, path_argument
from servicedesk.whole_numbers import MAX_ROW_ID


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
    """Run raw RFC 5322 files (or the files in folders) through the intake
    pipeline.  A line per mail and a summary; exits 1 when a mail failed."""
    from collections import Counter

    from servicedesk.mail_intake import FILE_SOURCE, STAFF_SOURCE, ingest, mail_files

    paths = [path_argument(f) for f in files]
    counts: Counter[str] = Counter()
    failures = 0
    for path in mail_files(paths):
        result = ingest(
            ctx.runtime,
            path.read_bytes(),
            name=str(path),
            source=STAFF_SOURCE if staff else FILE_SOURCE,
        )
        counts[result.outcome.value] += 1
        failures += result.is_failure
        click.echo(result.describe())
    summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
    click.echo(f"{counts.total()} mail(s): {summary or 'none'}")
    if failures:
        sys.exit(1)


@email.command("poll")
@click.option("--once", "mode", flag_value="once", default=True, help="Poll every mailbox once.")
@click.option("--idle", "mode", flag_value="idle", help="Stay connected with IMAP IDLE.")
@pass_context
def email_poll(ctx: Context, mode: str) -> None:
    """Fetch new mail from the configured IMAP mailboxes (the applicant
    desk's and, when it has its own, the staff desk's).  ``--once`` exits 1
    when a mailbox could not be polled; ``--idle`` runs until interrupted."""
    from servicedesk.mail_sync import poll_forever, poll_once

    if not ctx.settings.mailboxes():
        fail("no mailbox configured: set SERVICEDESK_IMAP_HOST, _USER and _PASSWORD", 2)
    if mode == "idle":
        poll_forever(ctx.runtime)
        return
    report = poll_once(ctx.runtime)
    for line in report.lines:
        click.echo(line)
    if report.errors:
        sys.exit(1)


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
@click.argument("ids", nargs=-1, type=click.IntRange(1, MAX_ROW_ID))
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


# Issue 7: a contact's data (export, erasure) and the retention policy.


@click.group()
def contact() -> None:
    """A contact's personal data: export and erasure (GDPR)."""


@contact.command("export")
@click.argument("identifier", metavar="EMAIL_OR_PHONE")
@click.option(
    "--format", "fmt", type=click.Choice(["json", "html"]), default="json", show_default=True
)
@click.option("--output", type=click.Path(dir_okay=False, writable=True), help="Write to a file.")
@click.option("--by", default=None, help="The console user who asked (for the audit trail).")
@pass_context
def contact_export(
    ctx: Context, identifier: str, fmt: str, output: str | None, by: str | None
) -> None:
    """Everything held about one contact, as JSON or a readable HTML page."""
    import json

    from servicedesk.contact_export import export_contact, export_html
    from servicedesk.retention import requested_by

    with ctx.runtime.db.transaction() as session:
        actor = requested_by(session, by)
        data = export_contact(session, identifier, actor=actor, now=ctx.runtime.now())
    text = export_html(data) if fmt == "html" else json.dumps(data, ensure_ascii=False, indent=2)
    if output:
        Path(output).write_text(text + "\n", encoding="utf-8")
        click.echo(f"wrote {output}")
    else:
        click.echo(text)


@contact.command("erase")
@click.argument("identifier", metavar="EMAIL_OR_PHONE")
@click.option("--yes", is_flag=True, help="Really erase: this cannot be undone.")
@click.option("--by", default=None, help="The console user who asked (for the audit trail).")
@pass_context
def contact_erase(ctx: Context, identifier: str, yes: bool, by: str | None) -> None:
    """Erase a contact's personal data from every ticket, now."""
    from servicedesk.retention import delete_files, erase_contact, requested_by

    if not yes:
        fail("erasure cannot be undone: add --yes to erase", 2)
    with ctx.runtime.db.transaction() as session:
        actor = requested_by(session, by)
        report = erase_contact(session, identifier, actor=actor, now=ctx.runtime.now())
    with ctx.runtime.db.session() as session:
        report.counts["files_deleted"] = delete_files(
            session, ctx.runtime.storage, report.storage_keys
        )
    click.echo(f"erased the contact and {len(report.tickets)} ticket(s)")
    for name, count in sorted(report.counts.items()):
        if count:
            click.echo(f"  {name}: {count}")


@click.group()
def retention() -> None:
    """The retention policy: anonymise old tickets."""


@retention.command("run")
@click.option("--dry-run", is_flag=True, help="Only say what would be anonymised.")
@pass_context
def retention_run(ctx: Context, dry_run: bool) -> None:
    """Anonymise the closed tickets whose retention period has ended."""
    from servicedesk.audit import Actor
    from servicedesk.retention import run_job

    report = run_job(ctx.runtime, dry_run=dry_run, actor=Actor("command line"))
    for line in report.lines():
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
    contact,
    retention,
)
