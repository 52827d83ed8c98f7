"""The knowledge base: articles with Finnish, Swedish and English texts,
the topics they answer, every saved version with its author, the "did this
help?" votes and the uses of an article in agents' replies.

On PostgreSQL ``kb_article_texts.search_text`` has full-text indexes, one
per language's text search configuration plus ``simple``; SQLite has none
(knowledge.py searches it with LIKE)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import text as sql
from sqlalchemy.orm import Mapped, mapped_column, relationship

from servicedesk.models.base import Base, JSONType, utcnow
from servicedesk.models.people import User

#: Language → PostgreSQL text search configuration (``simple`` for all).
SEARCH_CONFIGS = {"fi": "finnish", "sv": "swedish", "en": "english"}


def _full_text_index(name: str, config: str, language: str | None) -> Index:
    vector = sql(f"to_tsvector('{config}'::regconfig, search_text)")
    if language is None:
        index = Index(name, vector, postgresql_using="gin")
    else:
        where = sql(f"language = '{language}'")
        index = Index(name, vector, postgresql_using="gin", postgresql_where=where)
    return index.ddl_if(dialect="postgresql")


class ArticleStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class ArticleAudience(StrEnum):
    PUBLIC = "public"  # on /kb, suggested on the contact form
    INTERNAL = "internal"  # in the console only


class Article(Base):
    __tablename__ = "kb_articles"
    __table_args__ = (
        Index("ix_kb_articles_status_audience", "status", "audience"),
        Index("ix_kb_articles_review_by", "review_by"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default=ArticleStatus.DRAFT)
    audience: Mapped[str] = mapped_column(String(16), default=ArticleAudience.PUBLIC)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    review_by: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)
    use_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]
    archived_at: Mapped[datetime | None]

    texts: Mapped[list[ArticleText]] = relationship(
        order_by="ArticleText.language", cascade="all, delete-orphan"
    )
    topic_rows: Mapped[list[ArticleTopic]] = relationship(
        order_by="ArticleTopic.topic", cascade="all, delete-orphan"
    )
    owner: Mapped[User | None] = relationship()

    @property
    def topics(self) -> list[str]:
        return [row.topic for row in self.topic_rows]

    def text(self, language: str) -> ArticleText | None:
        return next((t for t in self.texts if t.language == language), None)


class ArticleText(Base):
    """The current title and body (Markdown) of an article in one language;
    ``search_text`` is the same words case-folded, for searching."""

    __tablename__ = "kb_article_texts"
    __table_args__ = (
        *(
            _full_text_index(f"ix_kb_article_texts_fts_{language}", config, language)
            for language, config in SEARCH_CONFIGS.items()
        ),
        _full_text_index("ix_kb_article_texts_fts_simple", "simple", None),
    )

    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id"), primary_key=True)
    language: Mapped[str] = mapped_column(String(2), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    search_text: Mapped[str] = mapped_column(Text, default="")


class ArticleTopic(Base):
    """A routing topic an article answers (a table, not a JSON list, so
    "articles about funding" is an indexed lookup on both databases)."""

    __tablename__ = "kb_article_topics"

    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id"), primary_key=True)
    topic: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)


class ArticleVersion(Base):
    """One save of an article: every language's text and the settings as
    they were, and who saved it."""

    __tablename__ = "kb_article_versions"
    __table_args__ = (UniqueConstraint("article_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id"))
    version: Mapped[int] = mapped_column(Integer)
    texts: Mapped[dict[str, Any]] = mapped_column(JSONType)
    meta: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User | None] = relationship()


class ArticleFeedback(Base):
    """One "did this help?" vote: 1 (no), 2 (partly), 3 (yes)."""

    __tablename__ = "kb_feedback"
    __table_args__ = (Index("ix_kb_feedback_article_id_language", "article_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id"))
    language: Mapped[str] = mapped_column(String(2))
    score: Mapped[int] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ArticleUse(Base):
    """An agent used the article (its text or its link) in a reply."""

    __tablename__ = "kb_article_uses"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
