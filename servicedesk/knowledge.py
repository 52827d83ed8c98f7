"""The knowledge base: shared answers in Finnish, Swedish and English.

An article has a text per language (title and Markdown body), an audience
(``public``: on ``/kb`` and suggested on the contact form; ``internal``:
the console only), the routing topics it answers, an optional region, an
owner and a review-by date.  Every save is a new version row with its
author; publishing and archiving change only the status.  Agents' uses of
an article in replies are counted, and readers vote "did this help?" with
three smileys, per article and language.

Finding articles lives in ``kb_search`` and Markdown in ``kb_markdown``;
their public functions are re-exported here (``search``,
``suggest_for_text``, ``suggest_for_ticket``, ``render_markdown``).  Core
only: the console and ``/kb`` pages call these functions and commit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from routing import TOPICS
from servicedesk.errors import NotFoundError, ValidationError
from servicedesk.kb_markdown import DEFAULT_POLICY, MediaPolicy, check_markdown, plain_text
from servicedesk.kb_markdown import render_markdown as render_markdown
from servicedesk.kb_search import ArticleHit as ArticleHit
from servicedesk.kb_search import normalise
from servicedesk.kb_search import search as search
from servicedesk.kb_search import suggest_for_text as suggest_for_text
from servicedesk.kb_search import suggest_for_ticket as suggest_for_ticket
from servicedesk.message_templates import LANGUAGES
from servicedesk.models import (
    Article,
    ArticleAudience,
    ArticleFeedback,
    ArticleStatus,
    ArticleText,
    ArticleTopic,
    ArticleUse,
    ArticleVersion,
    Region,
    Ticket,
    User,
)

MAX_TITLE = 200
MAX_BODY = 50_000
SCORES = (1, 2, 3)  # not helpful, partly, helpful


@dataclass(frozen=True, slots=True)
class Draft:
    """One language's text of an article as an editor wrote it."""

    title: str
    body: str


@dataclass(frozen=True, slots=True)
class ReviewItem:
    article_id: int
    title: str
    owner_name: str | None
    owner_email: str | None
    review_by: date
    days_overdue: int


@dataclass(frozen=True, slots=True)
class ArticlePage:
    """An article in one language, ready for a page."""

    article_id: int
    language: str
    title: str
    html: str
    topics: list[str]
    updated_at: datetime
    languages: list[str]  # every language it is written in


def _check(
    session: Session,
    texts: Mapping[str, Draft],
    audience: str,
    topics: Sequence[str],
    region_code: str | None,
    policy: MediaPolicy,
) -> None:
    problems: list[str] = []
    if not texts:
        problems.append("write the article in at least one language")
    for language, draft in texts.items():
        if language not in LANGUAGES:
            problems.append(f"unknown language {language!r}")
            continue
        title, body = draft.title.strip(), draft.body.strip()
        if not title or len(title) > MAX_TITLE:
            problems.append(f"{language}: the title must be 1 to {MAX_TITLE} characters")
        if not body or len(body) > MAX_BODY:
            problems.append(f"{language}: the text must be 1 to {MAX_BODY} characters")
        problems.extend(f"{language}: {p}" for p in check_markdown(body, policy))
    if audience not in {a.value for a in ArticleAudience}:
        problems.append("the audience must be public or internal")
    unknown = sorted(set(topics) - set(TOPICS))
    if unknown:
        problems.append(f"unknown topics: {', '.join(unknown)}")
    if region_code is not None and session.get(Region, region_code) is None:
        problems.append(f"unknown region {region_code!r}")
    if problems:
        raise ValidationError("; ".join(problems), field="article")


def _snapshot(article: Article) -> dict[str, object]:
    return {
        "status": article.status,
        "audience": article.audience,
        "topics": article.topics,
        "region_code": article.region_code,
        "owner_id": article.owner_id,
        "review_by": article.review_by.isoformat() if article.review_by else None,
    }


def _apply(
    session: Session,
    article: Article,
    texts: Mapping[str, Draft],
    audience: str,
    topics: Sequence[str],
    region_code: str | None,
    owner_id: int | None,
    review_by: date | None,
) -> None:
    article.audience = audience
    article.region_code = region_code
    article.owner_id = owner_id
    article.review_by = review_by
    article.topic_rows = [ArticleTopic(topic=t) for t in sorted(set(topics))]
    current = {t.language: t for t in article.texts}
    kept = []
    for language, draft in sorted(texts.items()):
        row = current.get(language) or ArticleText(language=language)
        row.title = draft.title.strip()
        row.body = draft.body.strip()
        row.search_text = normalise(f"{row.title}\n{plain_text(row.body)}")
        kept.append(row)
    article.texts = kept
    session.flush()


def _version(
    session: Session, article: Article, author: User | None, now: datetime, note: str
) -> ArticleVersion:
    version = ArticleVersion(
        article_id=article.id,
        version=article.version,
        texts={t.language: {"title": t.title, "body": t.body} for t in article.texts},
        meta=_snapshot(article),
        author_id=author.id if author else None,
        note=note.strip(),
        created_at=now,
    )
    session.add(version)
    session.flush()
    return version


def create(
    session: Session,
    *,
    texts: Mapping[str, Draft],
    audience: str = ArticleAudience.PUBLIC,
    topics: Sequence[str] = (),
    region_code: str | None = None,
    owner_id: int | None = None,
    review_by: date | None = None,
    author: User | None,
    now: datetime,
    policy: MediaPolicy = DEFAULT_POLICY,
) -> Article:
    """A new draft article, saved as version 1."""
    _check(session, texts, audience, topics, region_code, policy)
    article = Article(status=ArticleStatus.DRAFT, version=1, created_at=now, updated_at=now)
    session.add(article)
    session.flush()
    _apply(session, article, texts, audience, topics, region_code, owner_id, review_by)
    _version(session, article, author, now, "created")
    return article


def update(
    session: Session,
    article: Article,
    *,
    texts: Mapping[str, Draft],
    audience: str,
    topics: Sequence[str],
    region_code: str | None,
    owner_id: int | None,
    review_by: date | None,
    author: User | None,
    now: datetime,
    note: str = "",
    policy: MediaPolicy = DEFAULT_POLICY,
) -> Article:
    """Save an edit as the next version (languages left out are removed)."""
    _check(session, texts, audience, topics, region_code, policy)
    _apply(session, article, texts, audience, topics, region_code, owner_id, review_by)
    article.version += 1
    article.updated_at = now
    _version(session, article, author, now, note)
    return article


def publish(session: Session, article: Article, user: User | None, now: datetime) -> None:
    article.status = ArticleStatus.PUBLISHED
    article.published_at = now
    article.archived_at = None
    article.updated_at = now
    session.flush()


def archive(session: Session, article: Article, user: User | None, now: datetime) -> None:
    article.status = ArticleStatus.ARCHIVED
    article.archived_at = now
    article.updated_at = now
    session.flush()


def get(session: Session, article_id: int) -> Article:
    article = session.get(Article, article_id)
    if article is None:
        raise NotFoundError(f"no article {article_id}")
    return article


def versions(session: Session, article_id: int) -> list[ArticleVersion]:
    """Every saved version, newest first, with its author."""
    return list(
        session.execute(
            select(ArticleVersion)
            .where(ArticleVersion.article_id == article_id)
            .order_by(ArticleVersion.version.desc())
        ).scalars()
    )


def page(
    session: Session,
    article_id: int,
    language: str,
    *,
    audience: str = ArticleAudience.PUBLIC,
    policy: MediaPolicy = DEFAULT_POLICY,
) -> ArticlePage:
    """A published article for a page, in ``language`` or, when it is not
    written in that one, in the first of fi, sv, en it has."""
    article = session.get(Article, article_id)
    if (
        article is None
        or article.status != ArticleStatus.PUBLISHED
        or (audience == ArticleAudience.PUBLIC and article.audience != ArticleAudience.PUBLIC)
    ):
        raise NotFoundError(f"no article {article_id}")
    text = article.text(language) or next(
        t for code in LANGUAGES if (t := article.text(code)) is not None
    )
    return ArticlePage(
        article_id=article.id,
        language=text.language,
        title=text.title,
        html=render_markdown(text.body, policy),
        topics=article.topics,
        updated_at=article.updated_at,
        languages=[t.language for t in article.texts],
    )


def browse(
    session: Session,
    *,
    language: str,
    audience: str = ArticleAudience.PUBLIC,
    topic: str | None = None,
) -> list[tuple[int, str]]:
    """(id, title) of the published articles in ``language``, by title."""
    query = (
        select(Article.id, ArticleText.title)
        .join(ArticleText, ArticleText.article_id == Article.id)
        .where(ArticleText.language == language, Article.status == ArticleStatus.PUBLISHED)
        .order_by(ArticleText.title)
    )
    if audience != ArticleAudience.INTERNAL:
        query = query.where(Article.audience == ArticleAudience.PUBLIC)
    if topic:
        query = query.join(ArticleTopic, ArticleTopic.article_id == Article.id).where(
            ArticleTopic.topic == topic
        )
    return [(row[0], row[1]) for row in session.execute(query)]


def needs_review(session: Session, today: date) -> list[ReviewItem]:
    """Articles in use (not archived) whose review-by date has come, with
    who owns them, the most overdue first."""
    rows = session.execute(
        select(Article)
        .where(Article.status != ArticleStatus.ARCHIVED, Article.review_by <= today)
        .order_by(Article.review_by, Article.id)
    ).scalars()
    items = []
    for article in rows:
        assert article.review_by is not None
        text = next((t for code in LANGUAGES if (t := article.text(code)) is not None), None)
        items.append(
            ReviewItem(
                article_id=article.id,
                title=text.title if text else "",
                owner_name=article.owner.name if article.owner else None,
                owner_email=article.owner.email if article.owner else None,
                review_by=article.review_by,
                days_overdue=(today - article.review_by).days,
            )
        )
    return items


def record_use(
    session: Session, article: Article, ticket: Ticket | None, user: User | None, now: datetime
) -> None:
    """An agent used the article in a reply (its text or its link)."""
    session.add(
        ArticleUse(
            article_id=article.id,
            ticket_id=ticket.id if ticket else None,
            user_id=user.id if user else None,
            created_at=now,
        )
    )
    article.use_count = Article.use_count + 1  # type: ignore[assignment]
    session.flush()
    session.refresh(article, ["use_count"])


def record_feedback(
    session: Session, article_id: int, language: str, score: int, now: datetime
) -> ArticleFeedback:
    """A "did this help?" vote on a published article."""
    article = session.get(Article, article_id)
    if article is None or article.status != ArticleStatus.PUBLISHED:
        raise NotFoundError(f"no article {article_id}")
    if score not in SCORES:
        raise ValidationError("choose one of the three answers", field="score")
    vote = ArticleFeedback(
        article_id=article_id,
        language=language if language in LANGUAGES else "fi",
        score=score,
        created_at=now,
    )
    session.add(vote)
    session.flush()
    return vote


def feedback_counts(session: Session, article_id: int) -> dict[str, dict[int, int]]:
    """Votes per language and score: ``{"fi": {1: 0, 2: 3, 3: 10}, ...}``."""
    counts: dict[str, dict[int, int]] = {}
    rows = session.execute(
        select(ArticleFeedback.language, ArticleFeedback.score, func.count())
        .where(ArticleFeedback.article_id == article_id)
        .group_by(ArticleFeedback.language, ArticleFeedback.score)
    )
    for language, score, count in rows:
        counts.setdefault(language, dict.fromkeys(SCORES, 0))[score] = count
    return counts


def reply_text(article: Article, language: str, base_url: str) -> str:
    """The article as plain text with its public link, for pasting into a
    reply (an internal article has no public link)."""
    text = article.text(language) or next(
        t for code in LANGUAGES if (t := article.text(code)) is not None
    )
    body = f"{text.title}\n\n{plain_text(text.body)}"
    if article.audience == ArticleAudience.PUBLIC:
        body += f"\n\n{public_url(base_url, article.id, text.language)}"
    return body


def public_url(base_url: str, article_id: int, language: str) -> str:
    return f"{base_url.rstrip('/')}/kb/{article_id}?lang={language}"
