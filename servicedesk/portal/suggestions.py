"""Public answers that may help an applicant while they write to us.

The contact form shows them under the message field, and never stands in
the way of sending:

- Without JavaScript, the form has a second button after "Send the
  question": "Look for ready answers first".  It posts the form to the
  same address; the page comes back with everything typed kept (chosen
  files must be chosen again, which the page says), the answers listed
  under the message field and nothing sent.  The page after a refused
  post lists the answers for the text too, and so does the page that
  gives the ticket number ("while you wait").
- With JavaScript (``portal.js``), the same list follows the message as it
  is typed: after a pause in typing the script asks ``GET /kb/suggest
  ?q=<text>&lang=<page language>`` and replaces the list, which sits in an
  ``aria-live="polite"`` region.  The answer is JSON, never cached:
  ``{"articles": [{"id", "title", "snippet", "language", "url"}]}``.
  Requests are rate limited per address (``PORTAL_KB_SUGGEST_LIMITS``,
  default ``SUGGEST_LIMITS``); a refused one is ``429`` with the API's error
  shape, and the script keeps what it showed.

The matching is ``knowledge.suggest_for_text``: public, published
articles in the page's language, by the topic the routing engine reads in
the text and the words the text shares with an article.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from flask import Response, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.exceptions import TooManyRequests

from servicedesk import knowledge
from servicedesk.extensions import limiter
from servicedesk.portal import kb_listing, portal
from servicedesk.portal.pages import error_page, page_language
from servicedesk.web import db

MIN_TEXT = 12  # characters: fewer say too little to suggest anything
MAX_TEXT = 2000  # characters read from the start of the message
LIMIT = 5
SUGGEST_LIMITS = "60/minute;1000/day"


@dataclass(frozen=True, slots=True)
class Suggestion:
    id: int
    title: str
    snippet: str
    language: str
    url: str


def suggest(text: str, language: str) -> list[Suggestion]:
    """At most ``LIMIT`` public answers for ``text`` in ``language``."""
    text = text.strip()[:MAX_TEXT]
    if len(text) < MIN_TEXT:
        return []
    hits = knowledge.suggest_for_text(db(), text, language, limit=LIMIT)
    return [
        Suggestion(
            id=hit.article_id,
            title=hit.title,
            snippet=hit.snippet,
            language=hit.language,
            url=kb_listing.article_url(hit.article_id, hit.title),
        )
        for hit in hits
    ]


def _suggest_limits() -> str:
    return str(current_app.config.get("PORTAL_KB_SUGGEST_LIMITS", SUGGEST_LIMITS))


def _private(response: Response) -> Response:
    # The query is what the applicant is writing: keep it out of caches.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@portal.get("/kb/suggest")
@limiter.shared_limit(_suggest_limits, scope="kb-suggest", methods=["GET"])
def kb_suggest() -> ResponseReturnValue:
    found = suggest(request.args.get("q", ""), page_language())
    return _private(jsonify(articles=[asdict(item) for item in found]))


@portal.errorhandler(TooManyRequests)
def _too_many(exc: TooManyRequests) -> ResponseReturnValue:
    if request.endpoint == "portal.kb_suggest":
        body = {"code": "rate_limited", "message": _("Too many requests. Wait a moment.")}
        response = _private(jsonify(error=body))
        response.status_code = 429
        return response
    return error_page(429)
