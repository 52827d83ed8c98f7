"""The admin pages' gate and front page.

Every view whose endpoint starts ``console.admin_`` is for administrators
only: anyone else signed in gets 404, like a ticket they may not see, so
the pages reveal nothing.  (Signed-out visitors are sent to sign in by
``identity``'s guard first.)  The front page shows where things stand and
the latest administrative changes from the audit trail.

The other admin modules: ``admin_users``, ``admin_directory``,
``admin_tokens``, ``admin_intake``; forms in ``admin_forms``.  Their texts
are in ``templates/console_admin/translations``.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, render_template, request
from flask_babel import gettext as tr
from flask_login import current_user
from sqlalchemy import func, select

from servicedesk import access, audit
from servicedesk.console import console
from servicedesk.console.identity import me
from servicedesk.models import (
    ApiToken,
    AuditEvent,
    DirectoryVersion,
    IntakeRecord,
    IntakeStatus,
    Organization,
    Queue,
    User,
)
from servicedesk.web import db, runtime

ADMIN_ENDPOINTS = "console.admin_"
# The audit kinds the admin pages write (ticket None).
ADMIN_EVENTS = (
    "user_created",
    "user_changed",
    "user_role_changed",
    "user_deactivated",
    "user_reactivated",
    "password_reset",
    "directory_loaded",
    "directory_load_failed",
    "api_token_created",
    "api_token_revoked",
    "intake_replayed",
)
RECENT_EVENTS = 20


@console.before_request
def admins_only() -> None:
    if not (request.endpoint or "").startswith(ADMIN_ENDPOINTS):
        return
    if current_user.is_authenticated and not access.can_administer(me()):
        abort(404)


def record(kind: str, data: dict[str, Any], reason: str = "") -> None:
    """An audit event of an administrative change (ticket None)."""
    audit.record(db(), None, audit.Actor.of(me()), kind, reason, data, at=runtime().now())


@console.get("/console/admin/")
def admin_home() -> Any:
    session = db()

    def count(*where: Any, of: Any) -> int:
        return int(session.execute(select(func.count()).select_from(of).where(*where)).scalar_one())

    version = session.get(DirectoryVersion, 1)
    facts = {
        "users": count(User.is_active, of=User),
        "inactive_users": count(~User.is_active, of=User),
        "organizations": count(Organization.active, of=Organization),
        "queues": count(Queue.active, of=Queue),
        "tokens": count(ApiToken.revoked_at.is_(None), of=ApiToken),
        "failed": count(IntakeRecord.status == IntakeStatus.FAILED.value, of=IntakeRecord),
    }
    events = (
        session.execute(
            select(AuditEvent)
            .where(AuditEvent.ticket_id.is_(None), AuditEvent.kind.in_(ADMIN_EVENTS))
            .order_by(AuditEvent.id.desc())
            .limit(RECENT_EVENTS)
        )
        .scalars()
        .all()
    )
    # The other areas' admin pages, where they are installed.
    more = [
        (endpoint, name)
        for endpoint, name in (
            ("console.templates_list", tr("Message templates")),
            ("console.announcements_list", tr("Announcements")),
            ("console.privacy_home", tr("Retention and privacy")),
            ("console.reports_home", tr("Reports")),
        )
        if endpoint in current_app.view_functions
    ]
    return render_template(
        "console_admin/home.html", facts=facts, version=version, events=events, more=more
    )
