"""Finding knowledge-base articles: a search box, suggestions while an
applicant writes, and suggestions for the ticket an agent has open.

One function per question, each behind one query: on PostgreSQL full text
over ``kb_article_texts.search_text`` with the language's configuration
(``finnish``, ``swedish``, ``english``) or ``simple``, prefix terms, ranked
with ``ts_rank`` and served by the partial GIN indexes of migration 0002;
on SQLite (the embedded default, a few hundred articles) ``LIKE`` over the
same case-folded text, ranked in Python.  Suggestions add the routing
engine's topic classifier and word overlap, scored in Python over at most
``CANDIDATES`` rows.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, exists, func, literal_column, or_, select
from sqlalchemy.orm import Session

from routing import Audience
from routing.text import scrub, words
from routing.topic import score_topics
from servicedesk.kb_markdown import plain_text
from servicedesk.message_templates import LANGUAGES
from servicedesk.models import (
    Article,
    ArticleAudience,
    ArticleStatus,
    ArticleText,
    ArticleTopic,
    Message,
    Ticket,
)
from servicedesk.models.knowledge import SEARCH_CONFIGS

CANDIDATES = 50
MAX_TERMS = 8
STEM = 5  # letters compared when counting shared words ("hakemuksen" ~ "hakemus")
_PIECE = re.compile(r"[^\W_]+")
# Short function words of the three languages: never worth a suggestion.
_STOPWORD_TEXT = """
    että joka jos kun mutta tai sekä myös niin vain voin voiko miten mihin milloin
    onko olen olla minä minun sinä teidän hei kiitos
    och att det som för med inte den har jag kan hur när eller till
    the and that with this have from what when where which will would could your
    about there hello thanks please
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


@dataclass(frozen=True, slots=True)
class ArticleHit:
    article_id: int
    language: str
    title: str
    snippet: str
    audience: str
    score: float


def normalise(text: str) -> str:
    """Case-folded words only: the stored ``search_text`` and the terms
    looked for are both made with this."""
    return " ".join(words(scrub(text)[0].casefold()))


def terms(text: str, *, minimum: int = 2, limit: int = MAX_TERMS) -> list[str]:
    """Distinct search terms (letters and digits only, so they are safe in
    a tsquery and in LIKE), in the order written."""
    found: dict[str, None] = {}
    for piece in _PIECE.findall(normalise(text)):
        if len(piece) >= minimum and piece not in STOPWORDS:
            found.setdefault(piece, None)
    return list(found)[:limit]


def _visible(
    language: str, audience: str, topic: str | None, region: str | None
) -> Select[Article, ArticleText]:
    if language not in LANGUAGES:
        language = "fi"
    # A literal language, so PostgreSQL can use the language's partial index.
    query = (
        select(Article, ArticleText)
        .join(ArticleText, ArticleText.article_id == Article.id)
        .where(
            ArticleText.language == literal_column(f"'{language}'"),
            Article.status == ArticleStatus.PUBLISHED,
        )
    )
    if audience != ArticleAudience.INTERNAL:
        query = query.where(Article.audience == ArticleAudience.PUBLIC)
    if region is not None:
        query = query.where(or_(Article.region_code.is_(None), Article.region_code == region))
    if topic:
        query = query.where(_has_topics([topic]))
    return query


def _has_topics(topics: Collection[str]) -> ColumnElement[bool]:
    return exists().where(ArticleTopic.article_id == Article.id, ArticleTopic.topic.in_(topics))


def _full_text(
    language: str, found: list[str], joiner: str
) -> tuple[ColumnElement[bool], ColumnElement[float]]:
    config = SEARCH_CONFIGS.get(language, "simple")
    query_text = joiner.join(f"{t}:*" for t in found)
    matches = []
    ranks = []
    for name in (config, "simple"):
        vector = func.to_tsvector(literal_column(f"'{name}'::regconfig"), ArticleText.search_text)
        query = func.to_tsquery(literal_column(f"'{name}'::regconfig"), query_text)
        matches.append(vector.op("@@")(query))
        ranks.append(func.ts_rank(vector, query))
    return or_(*matches), ranks[0] + ranks[1]


def _hit(article: Article, text: ArticleText, score: float) -> ArticleHit:
    snippet = plain_text(text.body).replace("\n", " ")
    if len(snippet) > 200:
        snippet = snippet[:199].rsplit(" ", 1)[0] + "…"
    return ArticleHit(article.id, text.language, text.title, snippet, article.audience, score)


def _like_score(text: ArticleText, found: Iterable[str]) -> float:
    title = normalise(text.title)
    return float(sum(2 * title.count(t) + text.search_text.count(t) for t in found))


def search(
    session: Session,
    query: str,
    *,
    language: str,
    audience: str = ArticleAudience.PUBLIC,
    topic: str | None = None,
    region: str | None = None,
    limit: int = 10,
) -> list[ArticleHit]:
    """Published articles in ``language`` with every word of ``query``
    (as a word start), best first; ``audience`` "internal" also finds the
    internal articles (the console), "public" only public ones; with a
    ``region`` only national articles and that region's."""
    found = terms(query)
    if not found:
        return []
    base = _visible(language, audience, topic, region)
    if session.get_bind().dialect.name == "postgresql":
        match, rank = _full_text(language, found, " & ")
        ranked = rank.label("kb_rank")
        rows = session.execute(
            base.add_columns(ranked)
            .where(match)
            .order_by(ranked.desc(), Article.use_count.desc(), Article.id)
            .limit(limit)
        ).all()
        return [_hit(a, t, float(r)) for a, t, r in rows]
    like = and_(*[ArticleText.search_text.like(f"%{t}%") for t in found])
    candidates = session.execute(base.where(like).limit(limit * 5)).all()
    scored = [(a, t, _like_score(t, found)) for a, t in candidates]
    scored.sort(key=lambda row: (-row[2], -row[0].use_count, row[0].id))
    return [_hit(a, t, s) for a, t, s in scored[:limit]]


def _stems(text: str) -> set[str]:
    return {w[:STEM] for w in _PIECE.findall(text) if len(w) >= 4 and w not in STOPWORDS}


def _suggest(
    session: Session,
    text: str,
    language: str,
    audience: str,
    topics: set[str],
    region: str | None,
    limit: int,
) -> list[ArticleHit]:
    found = terms(text, minimum=4, limit=12)
    if not found and not topics:
        return []
    base = _visible(language, audience, None, region)
    conditions: list[ColumnElement[bool]] = []
    if topics:
        conditions.append(_has_topics(topics))
    if found:
        prefixes = [t[: STEM + 1] for t in found]
        if session.get_bind().dialect.name == "postgresql":
            conditions.append(_full_text(language, prefixes, " | ")[0])
        else:
            conditions.extend(ArticleText.search_text.like(f"%{p}%") for p in prefixes)
    rows = session.execute(base.where(or_(*conditions)).limit(CANDIDATES)).all()
    wanted = _stems(" ".join(found))
    scored = []
    for article, article_text in rows:
        overlap = len(wanted & _stems(article_text.search_text))
        score = overlap + (2.0 if topics & set(article.topics) else 0.0)
        if score > 0:
            scored.append((article, article_text, score))
    scored.sort(key=lambda row: (-row[2], -row[0].use_count, row[0].id))
    return [_hit(a, t, s) for a, t, s in scored[:limit]]


def classify(text: str, audience: str = "applicant") -> set[str]:
    """The topics the routing engine reads in ``text`` (the best one, and
    the second when it scores as well)."""
    evidence = score_topics(" " + normalise(text) + " ", Audience(audience))
    if not evidence.scores:
        return set()
    best = evidence.scores[0].score
    return {s.topic.value for s in evidence.scores if s.score >= best}


def suggest_for_text(
    session: Session,
    text: str,
    language: str,
    audience: str = ArticleAudience.PUBLIC,
    limit: int = 5,
    *,
    region: str | None = None,
) -> list[ArticleHit]:
    """Public articles that may answer what an applicant is writing."""
    return _suggest(session, text, language, audience, classify(text), region, limit)


def suggest_for_ticket(
    session: Session, ticket: Ticket, limit: int = 5, *, first_message: str | None = None
) -> list[ArticleHit]:
    """Articles (internal ones too) for the ticket an agent has open: its
    topic, and the words of its subject and first message (read here
    unless the caller, whose page shows the thread, gives its text)."""
    first = (
        first_message
        if first_message is not None
        else session.execute(
            select(Message.body_text)
            .where(Message.ticket_id == ticket.id, Message.direction == "inbound")
            .order_by(Message.id)
            .limit(1)
        ).scalar_one_or_none()
    )
    text = f"{ticket.subject}\n{(first or '')[:4000]}"
    topics = {ticket.topic} - {"other"} | classify(text, ticket.audience)
    return _suggest(
        session,
        text,
        ticket.language,
        ArticleAudience.INTERNAL,
        topics,
        ticket.region_code,
        limit,
    )
