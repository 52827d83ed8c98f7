"""Knowledge-base answers on the ticket page: suggestions for the open
ticket (``kb_search.suggest_for_ticket``), inserting an article's answer or
its public link into the reply, and counting the use when the reply goes.

Without JavaScript the "insert" buttons submit the reply form itself (the
``form``/``formaction`` attributes) to ``kb_insert``, which shows the page
again with the text added to what the agent had typed; with JavaScript
``console_kb.js`` inserts the same text at the cursor.  Either way the
article's id travels with the reply form (``reply-kb_article``), and when
the reply is sent ``record_uses`` counts each article whose title or link
is still in the text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import g, request
from flask_babel import gettext as tr  # this area's catalog: see knowledge_forms
from sqlalchemy.orm import Session

from servicedesk import access, knowledge
from servicedesk import tickets as ticket_ops
from servicedesk.console import console, forms
from servicedesk.console.identity import me
from servicedesk.console.ticket import render_ticket
from servicedesk.models import Article, ArticleAudience, ArticleStatus, Ticket, User
from servicedesk.web import db, runtime
from servicedesk.whole_numbers import row_id

FIELD = "reply-kb_article"  # the reply form's hidden list of article ids
MAX_ARTICLES = 10


@dataclass(frozen=True, slots=True)
class Suggestion:
    article_id: int
    title: str
    snippet: str
    is_public: bool
    answer: str  # the text "insert answer" adds
    link: str  # the public link "insert link" adds ("" for internal articles)


def suggestions(ticket: Ticket, first_message: str) -> list[Suggestion]:
    """Articles that may answer the ticket, best first (``first_message``:
    the contact's first message, which the ticket page has)."""
    session = db()
    if not access.can_see(me(), ticket):
        return []
    base_url = runtime().settings.base_url
    found = []
    for hit in knowledge.suggest_for_ticket(session, ticket, first_message=first_message):
        article = session.get(Article, hit.article_id)
        if article is None:
            continue
        public = article.audience == ArticleAudience.PUBLIC
        found.append(
            Suggestion(
                article_id=article.id,
                title=hit.title,
                snippet=hit.snippet,
                is_public=public,
                answer=knowledge.reply_text(article, ticket.language, base_url),
                link=knowledge.public_url(base_url, article.id, hit.language) if public else "",
            )
        )
    return found


def reply_articles() -> list[int]:
    """The articles used in the reply being written: those the form
    carried, and the one just inserted."""
    ids = [i for i in map(row_id, request.form.getlist(FIELD)) if i is not None]
    ids += g.get("kb_inserted", [])
    return list(dict.fromkeys(ids))[:MAX_ARTICLES]


@console.context_processor
def kb_reply_context() -> dict[str, Any]:
    return {"kb_suggestions_for": suggestions, "kb_reply_articles": reply_articles}


def _insertion(session: Session, ticket: Ticket, choice: str) -> tuple[Article, str] | None:
    """``answer:<id>`` or ``link:<id>`` → the article and the text to add."""
    mode, _, raw = choice.partition(":")
    wanted = row_id(raw)
    article = session.get(Article, wanted) if wanted is not None else None
    if article is None or article.status != ArticleStatus.PUBLISHED:
        return None
    if mode not in ("answer", "link"):
        return None
    base_url = runtime().settings.base_url
    if mode == "link":
        if article.audience != ArticleAudience.PUBLIC:
            return None
        language = ticket.language if article.text(ticket.language) else article.texts[0].language
        return article, knowledge.public_url(base_url, article.id, language)
    return article, knowledge.reply_text(article, ticket.language, base_url)


@console.post("/console/tickets/<number>/kb-insert")
def kb_insert(number: str) -> Any:
    """Add an article's answer or link to the reply draft and show the
    page again (the no-JavaScript path)."""
    session, user = db(), me()
    ticket = ticket_ops.get_visible(session, number, user)
    form = forms.ReplyForm(prefix="reply")
    found = _insertion(session, ticket, request.form.get("kb_insert", ""))
    if found is None:
        return render_ticket(
            ticket, submitted="reply", error=tr("That article cannot be inserted."), status=400
        )
    article, text = found
    g.kb_inserted = [article.id]
    draft = (form.body.data or "").rstrip()

    def prepare(made: dict[str, Any]) -> None:
        made["reply"].body.data = f"{draft}\n\n{text}" if draft else text

    return render_ticket(ticket, submitted="reply", prepare=prepare)


def _still_in(article: Article, body: str) -> bool:
    if f"/kb/{article.id}?" in body:
        return True
    return any(t.title and t.title in body for t in article.texts)


def record_uses(session: Session, ticket: Ticket, user: User, body: str) -> int:
    """Count a use of every article the sent reply carried (called by the
    reply action, in its transaction)."""
    used = 0
    for article_id in reply_articles():
        article = session.get(Article, article_id)
        if article is not None and _still_in(article, body):
            knowledge.record_use(session, article, ticket, user, runtime().now())
            used += 1
    return used
