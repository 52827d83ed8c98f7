"""Who is signed in to the console.

flask-login keeps ``"<user id>:<session_version>"`` in the signed session
cookie; a session whose version no longer matches the user's (password
changed, "sign out everywhere") or whose user was deactivated loads as
nobody, so old sessions die at once.  Every console route except the
sign-in page needs a signed-in user; ``me()`` is that user.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

from flask import g, redirect, request, url_for
from flask_babel import get_locale
from flask_login import UserMixin, current_user
from sqlalchemy import select

from servicedesk import access
from servicedesk.console import console
from servicedesk.console.listing import visible_desks, visible_queues
from servicedesk.db import DATABASE_UNAVAILABLE
from servicedesk.desk_policies import DESKS
from servicedesk.extensions import login_manager
from servicedesk.models import Organization, Queue, User
from servicedesk.web import database_failed, database_unavailable, db
from servicedesk.whole_numbers import row_id, whole_number

HOME = "/console/"
PUBLIC_ENDPOINTS = {"console.login"}


class ConsoleUser(UserMixin):
    """The flask-login face of a ``User``; views use ``me()`` for the row."""

    def __init__(self, user: User) -> None:
        self.user = user

    def get_id(self) -> str:
        return f"{self.user.id}:{self.user.session_version}"

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return bool(self.user.is_active)


@login_manager.user_loader
def load_user(raw: str) -> ConsoleUser | None:
    if database_failed():
        # Reading the user is what failed (or the page failed before it):
        # the "try again" page is drawn for nobody in particular, and the
        # session stays signed in for when the database answers again.
        return None
    raw_id, _, raw_version = raw.partition(":")
    user_id, version = row_id(raw_id), whole_number(raw_version)
    if user_id is None or version is None:
        return None
    try:
        # With the user's organisation: every page's menu asks whether an
        # agent of a regional desk may edit its templates.
        found = (
            db()
            .execute(
                select(User, Organization)
                .outerjoin(Organization, Organization.id == User.organization_id)
                .where(User.id == user_id)
            )
            .first()
        )
        user = found[0] if found else None
    except DATABASE_UNAVAILABLE as exc:
        # Set aside for the sign-in guard, which raises it (the "try again"
        # page); an error page that loads the user first (an expired form)
        # is drawn for nobody in particular instead of failing in turn.
        database_unavailable(exc)
        g.database_error = exc
        return None
    if user is None or not user.is_active or user.session_version != version:
        return None
    g.ui_language = user.ui_language
    return ConsoleUser(user)


def me() -> User:
    """The signed-in user (the guard below guarantees there is one)."""
    user: User = current_user.user
    return user


def my_queues(audience: str) -> list[Queue]:
    """The active queues of a desk the signed-in user sees (once a request)."""
    cache: dict[str, list[Queue]] = g.setdefault("console_queues", {})
    if audience not in cache:
        cache[audience] = visible_queues(db(), me(), audience)
    return cache[audience]


def _nav_desks() -> list[str]:
    """The desks the signed-in user has a queue in (once a request; from
    the queue menus when the page has read both, as the home page has)."""
    if "console_desks" not in g:
        menus: dict[str, list[Queue]] = g.get("console_queues", {})
        desks = (
            {a for a in DESKS if menus[a]}
            if all(a in menus for a in DESKS)
            else visible_desks(db(), me())
        )
        g.console_desks = [a for a in DESKS if a in desks]
    nav: list[str] = g.console_desks
    return nav


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a relative path under /console only,
    so a crafted link cannot send the user to another site."""
    if not target or any(ch in target for ch in "\\\r\n\t") or target.startswith("//"):
        return HOME
    parts = urlsplit(target)
    path = unquote(parts.path)
    if parts.scheme or parts.netloc or not (path == "/console" or path.startswith("/console/")):
        return HOME
    if "/../" in path + "/" or "/./" in path + "/":
        return HOME
    return target


@console.before_request
def require_sign_in() -> Any:
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    signed_in = current_user.is_authenticated  # loads the user
    if database_failed():
        raise g.database_error  # nobody could be read: the "try again" page
    if not signed_in:
        target = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("console.login", next=target))
    return None


@console.after_request
def no_store(response: Any) -> Any:
    # Console pages carry personal data: never cache them anywhere.
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@console.context_processor
def console_context() -> dict[str, Any]:
    # A page saying "try again" after a database failure has no user's menus.
    signed_in = not database_failed() and current_user and current_user.is_authenticated
    user = current_user.user if signed_in else None
    return {
        "console_user": user,
        "is_admin": access.can_administer(user),
        "nav_desks": _nav_desks() if user else [],
        "ui_lang": str(get_locale() or "fi")[:2],
    }
