"""The agent console: sign-in, the applicant and staff desks, tickets.

Routes live in one module per area (``auth``, ``desk``, ``ticket``,
``actions``, ``search``); importing this package registers them all on the
``console`` blueprint.  Every console page needs a signed-in user (see
``identity``); permissions come from ``servicedesk.access``.
"""

from __future__ import annotations

from flask import Blueprint

console = Blueprint("console", __name__)

from servicedesk.console import (  # noqa: E402,F401  (registers routes and hooks)
    actions,
    admin_directory,
    admin_home,
    admin_intake,
    admin_tokens,
    admin_users,
    announcements,
    auth,
    callbacks,
    desk,
    errors,
    identity,
    kb_replies,
    knowledge,
    labels,
    privacy,
    reports,
    search,
    templates_admin,
    ticket,
)
