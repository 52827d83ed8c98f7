"""What every HTTP edge shares: the request's database session, the
runtime, and turning our errors into 4xx answers (JSON for the API and
webhooks, a page elsewhere)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from flask import Flask, Response, current_app, g, jsonify, render_template, request
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from servicedesk.db import DATABASE_UNAVAILABLE
from servicedesk.errors import (
    ConflictError,
    DeliveryRefusedError,
    KeyReusedError,
    NotFoundError,
    PermissionDeniedError,
    ServiceDeskError,
    ValidationError,
    first_line,
)
from servicedesk.runtime import Runtime

STATUS_FOR: dict[type[ServiceDeskError], int] = {
    ValidationError: 400,
    PermissionDeniedError: 403,
    NotFoundError: 404,
    ConflictError: 409,
    DeliveryRefusedError: 409,
    KeyReusedError: 422,
}


def runtime() -> Runtime:
    rt: Runtime = current_app.extensions["servicedesk"]
    return rt


def db() -> Session:
    """The request's session, opened on first use and closed at teardown."""
    if "db_session" not in g:
        g.db_session = runtime().db.sessions()
    session: Session = g.db_session
    return session


def close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def database_unavailable(exc: Exception) -> None:
    """Note that the request's database work failed (see
    ``DATABASE_UNAVAILABLE``) before its error page is drawn; once, however
    often the request meets the failure on its way.  Nothing of the
    request was stored, and the same request will work in a moment:
    its page is a 503 with Retry-After (``retry_later``), which tells
    Twilio and integrations to retry and a person to try again."""
    if database_failed():
        return
    current_app.logger.warning(
        "database unavailable on %s %s: %s",
        request.method,
        request.path,
        first_line(str(exc), 200),
    )
    # The request's transaction is aborted (or its connection gone):
    # nothing more is read through it, and the page does not read the
    # database at all (see ``database_failed``).
    close_session(None)
    g.database_failed = True


def retry_later(response: Response) -> Response:
    response.status_code = 503
    response.headers["Retry-After"] = "30"
    return response


def database_failed() -> bool:
    """Whether this request's database work failed: the error page it gets
    is drawn without reading the database again."""
    return bool(g.get("database_failed"))


def wants_json() -> bool:
    return request.path.startswith(("/api/", "/webhooks/"))


def error_response(status: int, code: str, message: str, field: str | None = None) -> Any:
    if wants_json():
        body: dict[str, Any] = {"code": code, "message": message}
        if field:
            body["field"] = field
        return jsonify(error=body), status
    return render_template("error.html", status=status, message=message), status


#: What no text we keep can hold: NUL (PostgreSQL refuses it) and a lone
#: UTF-16 surrogate, which JSON can spell ("\ud800") but UTF-8 cannot.
_NOT_TEXT = re.compile("[\x00\ud800-\udfff]")


def _not_text(value: Any) -> str | None:
    """The first character in a decoded JSON document that is not text."""
    if isinstance(value, str):
        found = _NOT_TEXT.search(value)
        return found.group() if found else None
    if isinstance(value, dict):
        items: Iterable[Any] = (x for pair in value.items() for x in pair)
    elif isinstance(value, list):
        items = value
    else:
        return None
    return next((c for c in map(_not_text, items) if c is not None), None)


def refuse_nul_characters() -> Any:
    """A NUL character has no business in any text we keep, and PostgreSQL
    refuses it; nor has a lone surrogate in JSON, which cannot be stored
    as UTF-8: answer 400 before either gets anywhere near the database.
    (A form or an address cannot carry a surrogate: werkzeug decodes
    them with replacement characters.)"""
    if "\x00" in request.path or any(
        "\x00" in k or "\x00" in v for k, v in request.args.items(multi=True)
    ):
        return error_response(400, "invalid", "the address contains a NUL character")
    if request.form and any("\x00" in k or "\x00" in v for k, v in request.form.items(multi=True)):
        return error_response(400, "invalid", "the form contains a NUL character")
    if request.is_json:
        try:
            found = _not_text(request.get_json(silent=True))
        except RecursionError:  # "[[[[…" a hundred thousand deep
            return error_response(400, "invalid", "the JSON is nested too deeply")
        if found == "\x00":
            return error_response(400, "invalid", "the JSON contains a NUL character")
        if found is not None:
            return error_response(
                400,
                "invalid",
                f"the JSON contains a lone surrogate (\\u{ord(found):04x}), which is not text",
            )
    return None


def install_error_handlers(app: Flask) -> None:
    @app.errorhandler(ServiceDeskError)
    def _ours(exc: ServiceDeskError) -> Any:
        status = next((s for cls, s in STATUS_FOR.items() if isinstance(exc, cls)), 400)
        return error_response(status, exc.code, exc.message, exc.field)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Any:
        code = (exc.name or "error").lower().replace(" ", "_")
        return error_response(exc.code or 500, code, exc.description or exc.name)

    def _database_unavailable(exc: Exception) -> Any:
        database_unavailable(exc)
        if wants_json():
            response, _status = error_response(
                503, "unavailable", "The service is unavailable for a moment; please retry."
            )
        else:
            response = current_app.make_response(render_template("error.html", status=500))
        return retry_later(response)

    for kind in DATABASE_UNAVAILABLE:
        app.register_error_handler(kind, _database_unavailable)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Any:
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(
            500, "internal_error", "Something went wrong on our side. Please try again."
        )
