"""``/kb``: public answers to common questions, in Finnish, Swedish and
English like the rest of the portal.

- ``GET /kb``: the search box (a GET form, so a search is a link too),
  results with plain-text snippets, and the topics that have answers.
- ``GET /kb/topics/<topic>``: the answers of one topic.
- ``GET /kb/<id>-<slug>``: one answer, its Markdown rendered and sanitised
  by ``kb_markdown``; ``/kb/<id>`` and stale slugs redirect here.  Only
  public, published articles are shown (internal, draft and archived ones
  are a 404); an answer not written in the page's language is shown in
  another one with a note saying so.  Only these responses widen the CSP,
  and only for the media hosts of the policy (``content_policy``).
- ``POST /kb/<id>/feedback``: "did this help?", three buttons that each
  say in words what they mean (the smiley is decoration).  One click is
  one vote for the article in the language it was read in; the browser
  remembers it in the signed session cookie (the CSRF token lives there
  too), so a second click or a reload does not vote again, and the page
  thanks instead of asking.  Votes are rate limited per address
  (``PORTAL_KB_FEEDBACK_LIMITS``, default ``FEEDBACK_LIMITS``).
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, redirect, render_template, request, url_for
from flask import session as browser_session
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from servicedesk import knowledge
from servicedesk.errors import NotFoundError
from servicedesk.extensions import limiter
from servicedesk.kb_markdown import csp_sources
from servicedesk.knowledge import ArticlePage
from servicedesk.portal import kb_listing, portal
from servicedesk.portal.content_policy import allow_sources
from servicedesk.portal.labels import IN_LANGUAGE, TOPIC_LABELS
from servicedesk.portal.pages import LANGUAGE_NAMES, error_page, page_language
from servicedesk.web import db, runtime

MAX_QUERY = 200
FEEDBACK_LIMITS = "10/minute;100/day"
VOTES = "kb_votes"  # session key: ["<article id>:<language>:<score>", ...]
MAX_REMEMBERED = 40  # votes kept in the cookie, the latest ones


class FeedbackForm(FlaskForm):
    """ "Did this help?": the CSRF token; the pressed button is the score."""


def _feedback_limits() -> str:
    return str(current_app.config.get("PORTAL_KB_FEEDBACK_LIMITS", FEEDBACK_LIMITS))


def _choices() -> list[tuple[int, str, str]]:
    return [
        (3, "🙂", _("Yes, it helped")),
        (2, "😐", _("It helped partly")),
        (1, "🙁", _("No, it did not help")),
    ]


def _shown(article_id: int, language: str) -> ArticlePage:
    try:
        return knowledge.page(db(), article_id, language, policy=kb_listing.article_policy())
    except NotFoundError:
        abort(404)


def _vote_of(article_id: int, language: str) -> int | None:
    """The score this browser gave the article in ``language``, if any."""
    prefix = f"{article_id}:{language}:"
    for entry in browser_session.get(VOTES, []):
        if isinstance(entry, str) and entry.startswith(prefix):
            score = entry.removeprefix(prefix)
            return int(score) if score.isdigit() else None
    return None


def _remember_vote(article_id: int, language: str, score: int) -> None:
    entries = [e for e in browser_session.get(VOTES, []) if isinstance(e, str)]
    entries.append(f"{article_id}:{language}:{score}")
    browser_session[VOTES] = entries[-MAX_REMEMBERED:]


@portal.get("/kb")
def kb_index() -> ResponseReturnValue:
    session = db()
    query = request.args.get("q", "").strip()[:MAX_QUERY]
    found: list[kb_listing.Listed] = []
    elsewhere: list[kb_listing.Listed] = []
    if query:
        found, elsewhere = kb_listing.search_answers(session, query, page_language())
    return render_template(
        "portal/kb_index.html",
        searched="q" in request.args,
        query=query,
        found=found,
        elsewhere=elsewhere,
        in_language=IN_LANGUAGE,
        topics=kb_listing.topics_with_answers(session),
    )


@portal.get("/kb/topics/<topic>")
def kb_topic(topic: str) -> ResponseReturnValue:
    if topic not in TOPIC_LABELS:
        abort(404)
    own, elsewhere = kb_listing.topic_answers(db(), topic, page_language())
    return render_template(
        "portal/kb_topic.html",
        topic=topic,
        topic_label=TOPIC_LABELS[topic],
        found=own,
        elsewhere=elsewhere,
        in_language=IN_LANGUAGE,
    )


@portal.get("/kb/<int:article_id>")
@portal.get("/kb/<int:article_id>-<slug>")
def kb_article(article_id: int, slug: str = "") -> ResponseReturnValue:
    language = page_language()
    policy = kb_listing.article_policy()
    article = _shown(article_id, language)
    canonical = kb_listing.slugify(article.title)
    if slug != canonical:
        # A chosen language makes the address stable; one taken from the
        # browser's preferences is not, so that redirect is not cached.
        values: dict[str, Any] = {k: v for k, v in request.args.items() if k != "lang"}
        values.update(article_id=article_id, slug=canonical, lang=language)
        target = url_for("portal.kb_article", **values)
        return redirect(target, code=301 if "lang" in request.args else 302)
    allow_sources(csp_sources(policy))
    vote = _vote_of(article_id, article.language)
    return render_template(
        "portal/kb_article.html",
        article=article,
        requested_language=language,
        in_language=IN_LANGUAGE,
        topic_labels=TOPIC_LABELS,
        other_languages=[
            (code, LANGUAGE_NAMES[code])
            for code in article.languages
            if code != article.language and code in LANGUAGE_NAMES
        ],
        vote=vote,
        form=FeedbackForm(),
        choices=_choices(),
    )


@portal.post("/kb/<int:article_id>/feedback")
@limiter.shared_limit(_feedback_limits, scope="kb-feedback", methods=["POST"])
def kb_feedback(article_id: int) -> ResponseReturnValue:
    session = db()
    article = _shown(article_id, page_language())
    form = FeedbackForm()
    raw_score = request.form.get("score", "")
    if not form.validate() or raw_score not in {"1", "2", "3"}:
        return error_page(400)
    language = request.form.get("language", "")
    if language not in article.languages:
        language = article.language
    if _vote_of(article_id, language) is None:
        knowledge.record_feedback(session, article_id, language, int(raw_score), runtime().now())
        session.commit()
        _remember_vote(article_id, language, int(raw_score))
    target = url_for(
        "portal.kb_article",
        article_id=article_id,
        slug=kb_listing.slugify(article.title),
        lang=page_language(),
    )
    return redirect(target + "#kb-thanks", code=303)
