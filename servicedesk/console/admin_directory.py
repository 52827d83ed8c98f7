"""Organisations and queues as the directory has them: every organisation
with its queues, who works each queue, opening hours and response times,
and the routing rules; and "Reload directory", which runs
``directory_store.load`` on the configured YAML (``SERVICEDESK_DIRECTORY_PATH``,
default the shipped ``config/directory``).  A directory with problems
loads nothing: the page lists every problem with its file, line, entry
and field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import render_template
from flask_babel import gettext as tr
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from servicedesk import directory_store
from servicedesk.console import console
from servicedesk.console.admin_home import record
from servicedesk.directory_source import DirectoryError, Problem
from servicedesk.models import (
    DirectoryVersion,
    Organization,
    QueueMember,
    Region,
    RoutingRule,
    User,
)
from servicedesk.resources import config_dir
from servicedesk.web import db, runtime

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def directory_path() -> Path:
    return runtime().settings.directory_path or config_dir() / "directory"


def _page(
    status: int = 200,
    summary: directory_store.LoadSummary | None = None,
    problems: list[Problem] | None = None,
) -> Any:
    session = db()
    organizations = (
        session.execute(
            select(Organization)
            .options(selectinload(Organization.queues))
            .order_by(Organization.active.desc(), Organization.position, Organization.id)
        )
        .scalars()
        .all()
    )
    members: dict[str, list[User]] = {}
    for queue_id, user in session.execute(
        select(QueueMember.queue_id, User)
        .join(User, User.id == QueueMember.user_id)
        .order_by(User.name, User.id)
    ).all():
        members.setdefault(queue_id, []).append(user)
    rules = session.execute(select(RoutingRule).order_by(RoutingRule.position)).scalars().all()
    regions = {r.code: r.name_fi for r in session.execute(select(Region)).scalars()}
    return (
        render_template(
            "console_admin/directory.html",
            organizations=organizations,
            members=members,
            rules=rules,
            regions=regions,
            weekdays=WEEKDAYS,
            version=session.get(DirectoryVersion, 1),
            path=directory_path(),
            summary=summary,
            problems=problems,
            describe=describe_counts,
        ),
        status,
    )


@console.get("/console/admin/directory")
def admin_directory() -> Any:
    return _page()


@console.post("/console/admin/directory/reload")
def admin_directory_reload() -> Any:
    session, path = db(), directory_path()
    try:
        summary = directory_store.load(session, path)
    except DirectoryError as exc:
        session.rollback()
        directory_store.invalidate()
        record("directory_load_failed", {"path": str(path), "problems": len(exc.problems)})
        session.commit()
        return _page(422, problems=exc.problems)
    record(
        "directory_loaded",
        {
            "path": str(path),
            "created": summary.created,
            "updated": summary.updated,
            "deactivated": summary.deactivated,
        },
    )
    session.commit()
    return _page(summary=summary)


def describe_counts(counts: dict[str, int]) -> str:
    """``{"queues": 2, "rules": 1}`` in words, for the summary table."""
    names = {
        "regions": tr("regions"),
        "municipalities": tr("municipalities"),
        "organizations": tr("organisations"),
        "queues": tr("queues"),
        "experts": tr("experts"),
        "memberships": tr("queue memberships"),
        "rules": tr("routing rules"),
    }
    return ", ".join(f"{n} {names.get(k, k)}" for k, n in sorted(counts.items())) or "–"
