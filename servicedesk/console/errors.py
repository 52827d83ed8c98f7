"""Errors in the console: pages in the console's own layout (never a stack
trace), and the plain words for why an action was refused."""

from __future__ import annotations

from typing import Any

from flask import make_response, render_template
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from servicedesk.console import console
from servicedesk.db import DATABASE_UNAVAILABLE
from servicedesk.errors import (
    DeliveryRefusedError,
    NotFoundError,
    ServiceDeskError,
    TransitionError,
    ValidationError,
)
from servicedesk.web import STATUS_FOR, database_unavailable, retry_later


def status_of(exc: ServiceDeskError) -> int:
    return next((s for cls, s in STATUS_FOR.items() if isinstance(exc, cls)), 400)


def explain(exc: ServiceDeskError) -> str:
    """The reason for a refused action, in the user's language where we
    know the case; otherwise the domain's own words."""
    text = exc.message
    if isinstance(exc, TransitionError):
        if "closed" in text:
            return _("A closed ticket cannot be reopened.")
        return _("That status change is not allowed (%(detail)s).", detail=text)
    if isinstance(exc, DeliveryRefusedError):
        if "opted out" in text:
            return _(
                "This number has opted out of SMS (they sent STOP). "
                "Answer by email or phone instead."
            )
        if "no email address or phone number" in text:
            return _("The contact has no email address or phone number to answer to.")
        return _("The answer cannot be sent: %(detail)s", detail=text)
    if isinstance(exc, NotFoundError):
        return _("No ticket with that number was found.")
    if isinstance(exc, ValidationError) and exc.field == "body" and "empty" in text:
        return _("Write the message first.")
    if "ticket is closed" in text:
        return _("The ticket is closed. A new message from the contact opens a new ticket.")
    return text


def error_page(status: int, message: str) -> Any:
    return render_template("console/error.html", status=status, message=message), status


def _load_user_first() -> None:
    """An error can come before the sign-in guard (a CSRF refusal): load
    the user now, so the page speaks their language."""
    current_user._get_current_object()  # resolving the proxy loads the user


@console.errorhandler(ServiceDeskError)
def _ours(exc: ServiceDeskError) -> Any:
    _load_user_first()
    if isinstance(exc, NotFoundError):
        return error_page(404, _("Not found. It may not exist, or it is not visible to you."))
    return error_page(status_of(exc), explain(exc))


@console.errorhandler(HTTPException)
def _http(exc: HTTPException) -> Any:
    _load_user_first()
    status = exc.code or 500
    if status == 404:
        return error_page(404, _("Not found. It may not exist, or it is not visible to you."))
    if status == 400 and "CSRF" in (exc.description or ""):
        return error_page(400, _("The form had expired. Go back, reload the page and try again."))
    if status == 429:
        return error_page(429, _("Too many attempts. Wait a moment and try again."))
    if status == 405:
        return error_page(405, _("That address does not take this kind of request."))
    return error_page(status, exc.description or exc.name)


def _database_unavailable(exc: Exception) -> Any:
    """The console's page for a database that did not answer (down,
    restarting, or a transaction it ended): the console's layout, without
    the user's menus, since reading them would fail too."""
    database_unavailable(exc)
    page, _status = error_page(
        503, _("The service is unavailable for a moment. Try again in a moment.")
    )
    return retry_later(make_response(page))


for _kind in DATABASE_UNAVAILABLE:
    console.register_error_handler(_kind, _database_unavailable)
