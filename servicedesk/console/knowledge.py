"""The knowledge base in the console: the list with search, an article with
its languages, usage and "did this help?" votes and version history, the
editor with a server-rendered preview, publishing and archiving, and the
"needs review" list.

Reading is open to every console user (all audiences and statuses);
editing follows ``knowledge_forms.Editor``.  Pages that show rendered
articles widen the Content-Security-Policy for the allowed image and video
hosts (``kb_markdown.csp_sources``), for those responses only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as tr  # this area's catalog: see knowledge_forms
from flask_babel import lazy_gettext as tr_lazy
from markupsafe import Markup
from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session, selectinload

from servicedesk import audit, knowledge
from servicedesk.console import console
from servicedesk.console.identity import me
from servicedesk.console.knowledge_forms import ArticleForm, Editor, editor
from servicedesk.errors import ServiceDeskError
from servicedesk.kb_markdown import MediaPolicy, csp_sources, media_policy, render_markdown
from servicedesk.kb_search import terms
from servicedesk.message_templates import LANGUAGES
from servicedesk.models import (
    Article,
    ArticleFeedback,
    ArticleStatus,
    ArticleText,
    ArticleTopic,
)
from servicedesk.web import db, runtime
from servicedesk.whole_numbers import page_number, row_id

PAGE_SIZE = 50
REVIEW_AFTER_DAYS = 365  # a new article's default review-by date
# The app's policy (servicedesk.app.security_headers); article pages widen
# img-src and add frame-src.  A test checks the two stay the same otherwise.
BASE_POLICY = (
    ("default-src", ("'self'",)),
    ("img-src", ("'self'", "data:")),
    ("style-src", ("'self'",)),
    ("script-src", ("'self'",)),
    ("object-src", ("'none'",)),
    ("base-uri", ("'self'",)),
    ("form-action", ("'self'",)),
    ("frame-ancestors", ("'none'",)),
)


@dataclass(frozen=True, slots=True)
class ArticleRow:
    """An article as the list shows it."""

    article: Article
    title: str
    languages: list[str]
    votes: dict[int, int]


def policy() -> MediaPolicy:
    return media_policy(runtime().settings.extra)


def article_csp(media: MediaPolicy) -> str:
    """The Content-Security-Policy of a page showing rendered articles."""
    sources = csp_sources(media)
    directives = {name: list(values) for name, values in BASE_POLICY}
    directives["img-src"] = list(dict.fromkeys(directives["img-src"] + sources["img-src"]))
    if sources["frame-src"]:
        directives["frame-src"] = sources["frame-src"]
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def with_article_csp(body: str, status: int = 200) -> Any:
    return body, status, {"Content-Security-Policy": article_csp(policy())}


def ui_language() -> str:
    return str(get_locale() or "fi")[:2]


def title_of(article: Article, language: str) -> str:
    text = article.text(language) or next(
        (t for code in LANGUAGES if (t := article.text(code)) is not None), None
    )
    return text.title if text else f"#{article.id}"


def votes_of(session: Session, ids: Sequence[int]) -> dict[int, dict[int, int]]:
    """ "Did this help?" votes per article and score, all languages."""
    found: dict[int, dict[int, int]] = {i: dict.fromkeys(knowledge.SCORES, 0) for i in ids}
    if ids:
        for article_id, score, count in session.execute(
            select(ArticleFeedback.article_id, ArticleFeedback.score, func.count())
            .where(ArticleFeedback.article_id.in_(ids))
            .group_by(ArticleFeedback.article_id, ArticleFeedback.score)
        ):
            found[article_id][score] = count
    return found


def find_articles(
    session: Session, *, query: str, status: str, audience: str, topic: str, page: int
) -> tuple[list[Article], bool]:
    """Articles of every status matching the words of ``query`` (in any
    language), newest edit first; and whether there is a next page.  A
    console list of a few hundred articles: LIKE and OFFSET are enough."""
    statement = select(Article).options(
        selectinload(Article.texts), selectinload(Article.topic_rows)
    )
    number = row_id(query)  # an article's number
    if number is not None:
        statement = statement.where(Article.id == number)
    for term in [] if number is not None else terms(query):
        statement = statement.where(
            exists().where(
                ArticleText.article_id == Article.id, ArticleText.search_text.like(f"%{term}%")
            )
        )
    if status in {s.value for s in ArticleStatus}:
        statement = statement.where(Article.status == status)
    if audience:
        statement = statement.where(Article.audience == audience)
    if topic:
        statement = statement.where(
            exists().where(and_(ArticleTopic.article_id == Article.id, ArticleTopic.topic == topic))
        )
    rows = list(
        session.execute(
            statement.order_by(Article.updated_at.desc(), Article.id.desc())
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE + 1)
        ).scalars()
    )
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def _page_number() -> int:
    return page_number(request.args.get("page"), last=10_000)


@console.get("/console/kb/")
def kb_list() -> Any:
    session, language = db(), ui_language()
    query = request.args.get("q", "")[:200]
    status = request.args.get("status", "")
    audience = request.args.get("audience", "")
    topic = request.args.get("topic", "")
    page = _page_number()
    articles, more = find_articles(
        session, query=query, status=status, audience=audience, topic=topic, page=page
    )
    votes = votes_of(session, [a.id for a in articles])
    rows = [
        ArticleRow(a, title_of(a, language), [t.language for t in a.texts], votes[a.id])
        for a in articles
    ]
    today = runtime().now().date()
    due = len(knowledge.needs_review(session, today))
    args: dict[str, Any] = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "console_kb/kb_list.html",
        rows=rows,
        query=query,
        status=status,
        audience=audience,
        topic=topic,
        page=page,
        next_url=url_for("console.kb_list", **args, page=page + 1) if more else None,
        previous_url=url_for("console.kb_list", **args, page=page - 1) if page > 1 else None,
        review_count=due,
        today=today,
    )


@console.get("/console/kb/review")
def kb_review() -> Any:
    items = knowledge.needs_review(db(), runtime().now().date())
    owners: dict[str, int] = {}
    for item in items:
        key = f"{item.owner_name} <{item.owner_email}>" if item.owner_email else ""
        owners[key] = owners.get(key, 0) + 1
    return render_template(
        "console_kb/kb_review.html",
        items=items,
        owners=sorted(owners.items(), key=lambda pair: (-pair[1], pair[0])),
    )


def _article(article_id: int) -> Article:
    article = db().get(Article, article_id)
    if article is None:
        abort(404)
    return article


def _editable(article_id: int) -> tuple[Article, Editor]:
    article = _article(article_id)
    who = editor(db(), me())
    if not who.may_edit(article):
        abort(404)
    return article, who


@console.get("/console/kb/<int:article_id>")
def kb_article(article_id: int) -> Any:
    session = db()
    article = _article(article_id)
    media = policy()
    texts = [
        (t.language, t.title, Markup(render_markdown(t.body, media)))  # noqa: S704 - nh3-cleaned
        for t in article.texts
    ]
    feedback = knowledge.feedback_counts(session, article.id)
    body = render_template(
        "console_kb/kb_article.html",
        article=article,
        title=title_of(article, ui_language()),
        texts=texts,
        feedback=feedback,
        totals=votes_of(session, [article.id])[article.id],
        versions=knowledge.versions(session, article.id),
        may_edit=editor(session, me()).may_edit(article),
        public_url=knowledge.public_url(runtime().settings.base_url, article.id, "fi"),
        scores=knowledge.SCORES,
    )
    return with_article_csp(body)


@console.get("/console/kb/<int:article_id>/versions/<int:version>")
def kb_version(article_id: int, version: int) -> Any:
    article = _article(article_id)
    found = next((v for v in knowledge.versions(db(), article.id) if v.version == version), None)
    if found is None:
        abort(404)
    return render_template(
        "console_kb/kb_version.html",
        article=article,
        version=found,
        title=title_of(article, ui_language()),
    )


def _previews(form: ArticleForm, media: MediaPolicy) -> dict[str, Markup]:
    return {
        language: Markup(render_markdown(draft.body, media))  # noqa: S704 - nh3-cleaned
        for language, draft in form.drafts().items()
        if draft.body
    }


def _editor_page(
    form: ArticleForm, article: Article | None, *, preview: bool, status: int = 200
) -> Any:
    media = policy()
    body = render_template(
        "console_kb/kb_edit.html",
        form=form,
        article=article,
        title=title_of(article, ui_language()) if article else tr("New article"),
        previews=_previews(form, media) if preview else {},
        has_errors=bool(form.errors),
    )
    return with_article_csp(body, status)


def _save(form: ArticleForm, article: Article | None, who: Editor) -> Any:
    """Preview, or save as a new version; refused fields are shown at once."""
    session = db()
    if request.form.get("action") == "preview":
        form.validate()
        return _editor_page(form, article, preview=True)
    if not form.check(policy(), who):
        return _editor_page(form, article, preview=True, status=400)
    values: dict[str, Any] = {
        "texts": form.drafts(),
        "audience": form.audience.data,
        "topics": form.topics.data or [],
        "region_code": form.region_code(),
        "owner_id": form.owner_id(),
        "review_by": form.review_date(),
        "author": me(),
        "now": runtime().now(),
        "policy": policy(),
    }
    try:
        if article is None:
            article = knowledge.create(session, **values)
            done = tr("The article was saved as a draft.")
        else:
            knowledge.update(session, article, note=form.note.data or "", **values)
            done = tr("The article was saved as version %(n)s.", n=article.version)
        session.commit()
    except ServiceDeskError as exc:
        session.rollback()
        form.title_fi.errors = [*form.title_fi.errors, exc.message]
        return _editor_page(form, article, preview=True, status=400)
    flash(done, "success")
    return redirect(url_for("console.kb_article", article_id=article.id))


@console.route("/console/kb/new", methods=["GET", "POST"])
def kb_new() -> Any:
    session, user = db(), me()
    who = editor(session, user)
    form = ArticleForm(formdata=request.form if request.method == "POST" else None)
    form.fill_choices(session, ui_language())
    if request.method == "GET":
        form.owner.data = str(user.id)
        form.region.data = "" if who.edits_everything else (who.region or "")
        form.review_by.data = runtime().now().date() + timedelta(days=REVIEW_AFTER_DAYS)
        return _editor_page(form, None, preview=False)
    return _save(form, None, who)


@console.route("/console/kb/<int:article_id>/edit", methods=["GET", "POST"])
def kb_edit(article_id: int) -> Any:
    article, who = _editable(article_id)
    form = ArticleForm(formdata=request.form if request.method == "POST" else None)
    form.fill_choices(db(), ui_language())
    if request.method == "GET":
        form.load(article)
        return _editor_page(form, article, preview=False)
    return _save(form, article, who)


@console.post("/console/kb/preview")
def kb_preview() -> Any:
    """The live preview of one language's text (the editor's script asks
    for it as the user types): nh3-cleaned HTML, a fragment."""
    body = request.form.get("body", "")[: knowledge.MAX_BODY]
    html = Markup(render_markdown(body, policy()))  # noqa: S704 - nh3-cleaned
    return with_article_csp(render_template("console_kb/_kb_preview.html", html=html))


def _change_status(article_id: int, publish: bool) -> Any:
    session = db()
    article, _who = _editable(article_id)
    user, now = me(), runtime().now()
    if publish:
        knowledge.publish(session, article, user, now)
        done = tr("The article was published.")
    else:
        knowledge.archive(session, article, user, now)
        done = tr("The article was archived.")
    audit.record(
        session,
        None,
        audit.Actor.of(user),
        "article_published" if publish else "article_archived",
        "",
        {"article_id": article.id, "version": article.version},
        at=now,
    )
    session.commit()
    flash(done, "success")
    return redirect(url_for("console.kb_article", article_id=article.id))


@console.post("/console/kb/<int:article_id>/publish")
def kb_publish(article_id: int) -> Any:
    return _change_status(article_id, publish=True)


@console.post("/console/kb/<int:article_id>/archive")
def kb_archive(article_id: int) -> Any:
    return _change_status(article_id, publish=False)


STATUS_WORDS = {
    ArticleStatus.DRAFT.value: tr_lazy("Draft"),
    ArticleStatus.PUBLISHED.value: tr_lazy("Published"),
    ArticleStatus.ARCHIVED.value: tr_lazy("Archived"),
}
AUDIENCE_WORDS = {"public": tr_lazy("Public"), "internal": tr_lazy("Internal")}


def format_day(day: date | None) -> str:
    """A date the Finnish way, day first (as the console writes times)."""
    return f"{day.day}.{day.month}.{day.year}" if day else "–"


@console.context_processor
def kb_context() -> dict[str, Any]:
    return {
        "article_status": lambda key: str(STATUS_WORDS.get(key, key)),
        "article_audience": lambda key: str(AUDIENCE_WORDS.get(key, key)),
        "format_day": format_day,
    }
