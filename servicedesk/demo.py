"""``servicedesk demo``: a database a new user can look around in — the
schema, the shipped demo directory, one user per role, sample tickets
through the real pipeline, knowledge-base articles and a current
announcement (``config/demo/content.yaml``) — and the logins to try it
with.  Running it again adds nothing that is already there."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from servicedesk import announcements, directory_store, knowledge, schema
from servicedesk.intake import pipeline
from servicedesk.models import Announcement, Article, ArticleText, Ticket
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
    yield load_content(runtime)
    yield ""
    base = runtime.settings.base_url
    yield f"Open {base}/console/ and sign in (password for all: {DEMO_PASSWORD}):"
    for email, _name, role, _organization, sees in DEMO_USERS:
        yield f"  {email:<28} {role:<10} sees {sees}"
    yield f"Public pages: {runtime.settings.base_url}/contact  {runtime.settings.base_url}/kb"


def _content(path: Path | None) -> dict[str, Any]:
    with (path or config_dir() / "demo" / "content.yaml").open(encoding="utf-8") as handle:
        loaded = yaml.safe_load(handle)
    return loaded if isinstance(loaded, dict) else {}


def load_articles(session: Session, articles: list[dict[str, Any]], now: datetime) -> int:
    """Create and publish the demo articles not yet there (known by their
    Finnish title); how many were created."""
    existing = set(
        session.execute(select(ArticleText.title).where(ArticleText.language == "fi")).scalars()
    )
    author = find_by_email(session, DEMO_USERS[0][0])
    owner = find_by_email(session, DEMO_USERS[1][0])
    created = 0
    for item in articles:
        texts = {
            language: knowledge.Draft(text["title"].strip(), text["body"].strip())
            for language, text in item["texts"].items()
        }
        if texts["fi"].title in existing:
            continue
        article = knowledge.create(
            session,
            texts=texts,
            audience=item.get("audience", "public"),
            topics=item.get("topics", []),
            owner_id=owner.id if owner else None,
            review_by=(now + timedelta(days=int(item.get("review_in_days", 180)))).date(),
            author=author,
            now=now,
        )
        knowledge.publish(session, article, author, now)
        created += 1
    return created


def load_announcement(session: Session, spec: dict[str, Any], now: datetime) -> bool:
    """Publish the demo announcement unless one with its Finnish title is
    still showing or yet to come."""
    title = spec["texts"]["fi"]["title"]
    for row in session.execute(select(Announcement)).scalars():
        showing = row.withdrawn_at is None and (row.ends_at is None or row.ends_at > now)
        if showing and (row.texts.get("fi") or {}).get("title") == title:
            return False
    announcements.publish(
        session,
        kind=spec["kind"],
        texts=spec["texts"],
        places=spec["places"],
        starts_at=now,
        ends_at=now + timedelta(days=int(spec.get("days", 21))),
        user=find_by_email(session, DEMO_USERS[0][0]),
        now=now,
    )
    return True


def load_content(runtime: Runtime, path: Path | None = None) -> str:
    """The demo's knowledge base and announcement, once."""
    content = _content(path)
    now = runtime.now()
    with runtime.db.transaction() as session:
        articles = load_articles(session, content.get("articles") or [], now)
        announced = bool(content.get("announcement")) and load_announcement(
            session, content["announcement"], now
        )
        total = session.execute(select(func.count(Article.id))).scalar_one()
    return f"{articles} knowledge-base articles added ({total} in all)" + (
        ", 1 announcement published" if announced else ""
    )
