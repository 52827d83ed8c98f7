"""``servicedesk demo``: a database a new user can look around in — the
schema, the shipped demo directory, one user per role, sample tickets
through the real pipeline — and the logins to try it with."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import func, select

from servicedesk import directory_store, schema
from servicedesk.intake import pipeline
from servicedesk.models import Ticket
from servicedesk.resources import config_dir
from servicedesk.runtime import Runtime
from servicedesk.sample_data import enquiries
from servicedesk.users import add_user, find_by_email, hash_password

DEMO_PASSWORD = "demo-password"  # noqa: S105 - printed for the demo on purpose
DEMO_USERS = (
    (
        "admin@demo.example.fi",
        "Ada Admin",
        "admin",
        None,
        "everything, including the directory and users",
    ),
    ("agent@demo.example.fi", "Aki Agent", "agent", "national-desk", "both desks, every queue"),
    ("expert@demo.example.fi", "Eeva Expert", "expert", "osao", "tickets routed to OSAO"),
    (
        "superuser@demo.example.fi",
        "Sami Superuser",
        "superuser",
        "osao",
        "OSAO staff tickets (tier 1)",
    ),
    (
        "helpdesk@demo.example.fi",
        "Heli Helpdesk",
        "helpdesk",
        "staff-helpdesk",
        "all staff tickets (tier 2)",
    ),
)


def prepare(runtime: Runtime, *, directory: Path | None = None, tickets: int = 40) -> Iterator[str]:
    schema.upgrade(runtime.db.engine)
    yield f"database ready ({runtime.settings.database_url.split('://')[0]})"
    with runtime.db.transaction() as session:
        summary = directory_store.load(session, directory or config_dir() / "directory")
    yield summary.describe()
    with runtime.db.transaction() as session:
        for email, name, role, organization, _sees in DEMO_USERS:
            user = find_by_email(session, email)
            if user is None:
                add_user(
                    session,
                    email,
                    name=name,
                    role=role,
                    organization_id=organization,
                    password=DEMO_PASSWORD,
                    languages=["fi", "sv", "en"],
                )
            elif not user.password_hash:
                user.password_hash = hash_password(DEMO_PASSWORD)
        existing = session.execute(select(func.count(Ticket.id))).scalar_one()
    if existing == 0 and tickets:
        created = 0
        for sample in enquiries(tickets, seed=2026):
            record_id, is_new = pipeline.receive(
                runtime,
                channel=sample.message.channel.value,
                raw=pipeline.encode_inbound(sample.message),
                external_id=sample.message.external_id,
                source="demo",
            )
            if is_new and pipeline.process_record(runtime, record_id) is not None:
                created += 1
        yield f"{created} sample tickets created"
    yield ""
    base = runtime.settings.base_url
    yield f"Open {base}/console/ and sign in (password for all: {DEMO_PASSWORD}):"
    for email, _name, role, _organization, sees in DEMO_USERS:
        yield f"  {email:<28} {role:<10} sees {sees}"
    yield f"Public pages: {runtime.settings.base_url}/contact  {runtime.settings.base_url}/kb"
