"""What the public pages share: the page language and links that keep it,
the language switcher, headers for pages that carry a status token, the
rate limits on posts, the announcements a page shows, and the error pages
in the page's language.

Rate limits (Flask-Limiter, per IP address, counters in Redis when
configured): every post to a public form counts towards ``POST_LIMITS``
(``PORTAL_POST_LIMITS`` in the app config); a post that was accepted (or
caught by the honeypot) also counts towards the stricter
``SUBMIT_LIMITS`` (``PORTAL_SUBMIT_LIMITS``), so a person correcting a form
a few times is not locked out while a flood of new tickets is.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Response, current_app, g, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from flask_babel import get_locale
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge
from wtforms import Field

from servicedesk import announcements
from servicedesk.extensions import limiter
from servicedesk.portal import portal
from servicedesk.portal.attachments import MAX_REQUEST_BYTES
from servicedesk.portal.labels import ANNOUNCEMENT_KINDS
from servicedesk.web import db, runtime

logger = logging.getLogger(__name__)

LANGUAGES = ("fi", "sv", "en")
# Each language's name in that language: the switcher's link texts.
LANGUAGE_NAMES = {"fi": "Suomi", "sv": "Svenska", "en": "English"}
SUBMIT_LIMITS = "5/minute;50/day"
POST_LIMITS = "30/minute;300/day"
# Endpoints whose posts may carry files (up to 20 MB together).
UPLOAD_ENDPOINTS = {"portal.contact", "portal.staff_contact", "portal.status_message"}
# Pages whose address or content holds a status token.
PRIVATE_ENDPOINTS = {
    "portal.status_view",
    "portal.status_message",
    "portal.status_answered",
}

F = TypeVar("F", bound=Callable[..., Any])


def page_language() -> str:
    locale = get_locale()
    code = locale.language if locale is not None else "fi"
    return code if code in LANGUAGES else "fi"


def lang_url(endpoint: str, **values: Any) -> str:
    """A link to one of our pages that keeps the page's language."""
    return url_for(endpoint, lang=page_language(), **values)


def switch_url(code: str) -> str:
    """This page in another language (a form post becomes its empty form)."""
    args = {k: v for k, v in request.args.items() if k != "lang"}
    view_args = request.view_args or {}
    rule = request.url_rule
    if request.endpoint and rule is not None and "GET" in (rule.methods or ()):
        values: dict[str, Any] = {**view_args, **args, "lang": code}
        return url_for(request.endpoint, **values)
    if request.endpoint in {"portal.status_message", "portal.status_answered"}:
        return url_for("portal.status_view", token=view_args.get("token"), lang=code)
    return url_for("portal.contact", lang=code) if request.endpoint else f"?lang={code}"


def notices(place: str) -> list[announcements.Notice]:
    """The announcements published for ``place`` (``"contact_form"`` or
    ``"status_pages"``) that are on now, in the page's language where they
    are written in it."""
    return announcements.current(db(), place, runtime().now(), page_language())


def control_attrs(field: Field, *, hint: bool = False, **extra: Any) -> dict[str, Any]:
    """Attributes for a form control: its hint and error are announced with
    it (``aria-describedby``) and a field in error says so (``aria-invalid``)."""
    described = []
    if hint:
        described.append(f"{field.id}-hint")
    if field.errors:
        described.append(f"{field.id}-error")
    attrs: dict[str, Any] = {k: v for k, v in extra.items() if v is not None}
    if described:
        attrs["aria_describedby"] = " ".join(described)
    if field.errors:
        attrs["aria_invalid"] = "true"
    return attrs


def make_private(response: Response) -> Response:
    """The status token is in the address or on the page: never cached,
    never sent on as a referrer, never indexed."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def mark_private() -> None:
    g.portal_private = True


def count_submission() -> None:
    """This post stored something (or was a bot): it counts towards the
    stricter limit."""
    g.portal_counted = True


def _is_counted(_response: Response) -> bool:
    return bool(g.get("portal_counted"))


def _submit_limits() -> str:
    return str(current_app.config.get("PORTAL_SUBMIT_LIMITS", SUBMIT_LIMITS))


def _post_limits() -> str:
    return str(current_app.config.get("PORTAL_POST_LIMITS", POST_LIMITS))


def rate_limited(view: F) -> F:
    """The two limits on a public form's posts (GETs are not limited)."""
    submit = limiter.shared_limit(
        _submit_limits, scope="portal-submit", methods=["POST"], deduct_when=_is_counted
    )
    every_post = limiter.shared_limit(_post_limits, scope="portal-post", methods=["POST"])
    return cast(F, every_post(submit(view)))


def _allow_uploads() -> None:
    if request.endpoint in UPLOAD_ENDPOINTS:
        configured = current_app.config.get("MAX_CONTENT_LENGTH")
        request.max_content_length = max(configured or 0, MAX_REQUEST_BYTES)


@portal.record_once
def _install(state: BlueprintSetupState) -> None:
    # The CSRF check and the NUL check read the form in application-wide
    # hooks, which run before any blueprint hook: the larger body limit of
    # the forms that take files must be set by the very first hook.
    state.app.before_request_funcs.setdefault(None, []).insert(0, _allow_uploads)
    # Globals rather than a context processor: imported macros see them too.
    state.app.jinja_env.globals.update(
        current_lang=page_language,
        lang_url=lang_url,
        switch_url=switch_url,
        language_names=LANGUAGE_NAMES,
        control_attrs=control_attrs,
        announcement_kinds=ANNOUNCEMENT_KINDS,
    )


@portal.after_request
def _private_headers(response: Response) -> Response:
    if request.endpoint in PRIVATE_ENDPOINTS or g.get("portal_private"):
        make_private(response)
    return response


def error_page(status: int, *, reason: str = "", message: str = "") -> tuple[str, int]:
    return render_template("error.html", status=status, reason=reason, message=message), status


def refuse_bot() -> tuple[str, int]:
    """The honeypot was filled in: say so plainly, store nothing."""
    count_submission()
    logger.info("a post to %s filled the honeypot; nothing stored", request.path)
    return render_template("portal/refused.html", desk_address=runtime().settings.mail_from), 400


@portal.errorhandler(CSRFError)
def _expired_form(_exc: CSRFError) -> tuple[str, int]:
    return error_page(400, reason="expired")


@portal.errorhandler(BadRequest)
def _bad_request(_exc: BadRequest) -> tuple[str, int]:
    # werkzeug's description is English and technical: the page says it
    # in the page's language instead.
    return error_page(400)


@portal.errorhandler(RequestEntityTooLarge)
def _too_large(_exc: RequestEntityTooLarge) -> tuple[str, int]:
    return error_page(413)
