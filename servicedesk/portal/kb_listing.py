"""What the public knowledge-base pages list: search results, the topics
that have answers, the answers of one topic, and each answer's address.

Only public, published articles are ever listed (``knowledge.search`` and
``knowledge.browse`` with the public audience).  A page lists the answers
written in its own language first; an answer written only in other
languages is listed separately, marked with its language, so a Swedish
reader still finds the Finnish-only answer to their question (the article
page then says it is shown in another language).

An article's address is ``/kb/<id>-<slug>``: the id finds it, the slug is
its title in plain ASCII, for people reading the address and for search
engines.  A stale or missing slug redirects to the right one (``kb``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from servicedesk import knowledge
from servicedesk.kb_markdown import MediaPolicy, media_policy
from servicedesk.models import Article, ArticleAudience, ArticleStatus, ArticleTopic
from servicedesk.portal.labels import TOPIC_LABELS
from servicedesk.portal.pages import LANGUAGES, page_language
from servicedesk.web import runtime

MAX_SLUG = 60
SEARCH_LIMIT = 20
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True, slots=True)
class Listed:
    """One answer in a list: its title and address, the language it is
    written in, and a plain-text snippet where the list shows one."""

    article_id: int
    title: str
    language: str
    url: str
    snippet: str = ""


@dataclass(frozen=True, slots=True)
class Topic:
    id: str
    label: str
    url: str


def slugify(title: str) -> str:
    """``"Yhteishaun aikataulu – syksy"`` → ``"yhteishaun-aikataulu-syksy"``."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    slug = _NOT_SLUG.sub("-", ascii_text.lower()).strip("-")
    return slug[:MAX_SLUG].rstrip("-") or "answer"


def article_url(article_id: int, title: str, *, anchor: str = "") -> str:
    """The article's page in the page's language (the page falls back to
    another language by itself when the article is not written in it)."""
    url = url_for(
        "portal.kb_article", article_id=article_id, slug=slugify(title), lang=page_language()
    )
    return url + (f"#{anchor}" if anchor else "")


def article_policy() -> MediaPolicy:
    """Where article images and videos may come from (the settings)."""
    return media_policy(runtime().settings.extra)


def _listed(article_id: int, title: str, language: str, snippet: str = "") -> Listed:
    return Listed(article_id, title, language, article_url(article_id, title), snippet)


def _others(language: str) -> list[str]:
    return [code for code in LANGUAGES if code != language]


def search_answers(
    session: Session, query: str, language: str
) -> tuple[list[Listed], list[Listed]]:
    """Answers in ``language`` with every word of ``query``; when there are
    none, the answers in the other languages that have them."""
    own = [
        _listed(hit.article_id, hit.title, hit.language, hit.snippet)
        for hit in knowledge.search(session, query, language=language, limit=SEARCH_LIMIT)
    ]
    if own:
        return own, []
    elsewhere: dict[int, Listed] = {}
    for code in _others(language):
        for hit in knowledge.search(session, query, language=code, limit=SEARCH_LIMIT):
            elsewhere.setdefault(
                hit.article_id, _listed(hit.article_id, hit.title, hit.language, hit.snippet)
            )
    return [], list(elsewhere.values())


def topic_answers(session: Session, topic: str, language: str) -> tuple[list[Listed], list[Listed]]:
    """The answers of ``topic`` in ``language`` by title, and those written
    only in other languages."""
    own = [
        _listed(article_id, title, language)
        for article_id, title in knowledge.browse(session, language=language, topic=topic)
    ]
    seen = {item.article_id for item in own}
    elsewhere: list[Listed] = []
    for code in _others(language):
        for article_id, title in knowledge.browse(session, language=code, topic=topic):
            if article_id not in seen:
                seen.add(article_id)
                elsewhere.append(_listed(article_id, title, code))
    return own, elsewhere


def topics_with_answers(session: Session) -> list[Topic]:
    """The topics that have at least one public answer, in the order of
    the contact form's topic list."""
    used = set(
        session.execute(
            select(ArticleTopic.topic)
            .join(Article, Article.id == ArticleTopic.article_id)
            .where(
                Article.status == ArticleStatus.PUBLISHED,
                Article.audience == ArticleAudience.PUBLIC,
            )
            .distinct()
        ).scalars()
    )
    return [
        Topic(topic, str(label), url_for("portal.kb_topic", topic=topic, lang=page_language()))
        for topic, label in TOPIC_LABELS.items()
        if topic in used
    ]
