"""The knowledge-base editor's form, and who may edit which article.

Who may do what (the rule the pages and their tests follow):

- every console user reads every article, all audiences and statuses:
  the knowledge base is the desks' shared memory;
- admins and desk agents create and edit every article;
- everyone else (institution experts and super-users, the national staff
  helpdesk) creates articles and edits, publishes and archives the ones
  they own or that belong to their organisation's region.  An edit that
  would take the article out of their hands (another owner and another
  region) is refused, so nobody locks themselves out by accident.

An article a user may not edit answers 404 on the editing routes, like a
ticket they may not see.

The texts of these pages are in their own catalog
(``templates/console_kb/translations``) and are marked ``tr`` / ``tr_lazy``
rather than ``_``: the console's catalog test collects every ``_()`` under
``servicedesk/console`` for the console's own catalog.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as tr
from flask_babel import lazy_gettext as tr_lazy
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import (
    DateField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from servicedesk.console import labels
from servicedesk.console.forms import ConsoleForm, SelectField, choices
from servicedesk.kb_markdown import MediaPolicy, check_markdown
from servicedesk.knowledge import MAX_BODY, MAX_TITLE, Draft
from servicedesk.message_templates import LANGUAGES
from servicedesk.models import Article, ArticleAudience, Organization, Region, Role, User
from servicedesk.whole_numbers import row_id

EDIT_ALL = frozenset({Role.ADMIN, Role.AGENT})


@dataclass(frozen=True, slots=True)
class Editor:
    """A console user as the knowledge base sees them."""

    user: User
    region: str | None  # their organisation's region, if it has one

    @property
    def edits_everything(self) -> bool:
        return self.user.is_active and Role(self.user.role) in EDIT_ALL

    def may_edit(self, article: Article) -> bool:
        return self.may_hold(article.owner_id, article.region_code)

    def may_hold(self, owner_id: int | None, region_code: str | None) -> bool:
        """Would an article with this owner and region be theirs to edit?"""
        if self.edits_everything:
            return True
        if not self.user.is_active:
            return False
        return owner_id == self.user.id or (self.region is not None and region_code == self.region)


def editor(session: Session, user: User) -> Editor:
    region = None
    if user.organization_id:
        organization = session.get(Organization, user.organization_id)
        region = organization.region_code if organization else None
    return Editor(user, region)


class MultiCheckboxField(SelectMultipleField):
    """Several choices as checkboxes (a fieldset on the page)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ArticleForm(ConsoleForm):
    title_fi = StringField(tr_lazy("Title"), validators=[Length(max=MAX_TITLE)])
    body_fi = TextAreaField(tr_lazy("Text (Markdown)"), validators=[Length(max=MAX_BODY)])
    title_sv = StringField(tr_lazy("Title"), validators=[Length(max=MAX_TITLE)])
    body_sv = TextAreaField(tr_lazy("Text (Markdown)"), validators=[Length(max=MAX_BODY)])
    title_en = StringField(tr_lazy("Title"), validators=[Length(max=MAX_TITLE)])
    body_en = TextAreaField(tr_lazy("Text (Markdown)"), validators=[Length(max=MAX_BODY)])
    audience = RadioField(
        tr_lazy("Who may read it"),
        choices=lambda: choices(
            [
                (ArticleAudience.PUBLIC.value, tr_lazy("Everyone (public /kb pages)")),
                (ArticleAudience.INTERNAL.value, tr_lazy("Console users only (internal)")),
            ]
        ),
        default=ArticleAudience.PUBLIC.value,
    )
    topics = MultiCheckboxField(tr_lazy("Topics it answers"), validate_choice=False)
    region = SelectField(tr_lazy("Region"), validate_choice=False)
    owner = SelectField(tr_lazy("Owner"), validate_choice=False)
    review_by = DateField(
        tr_lazy("Review by"),
        validators=[Optional()],
    )
    note = StringField(tr_lazy("What changed (for the version history)"), [Length(max=500)])

    def fill_choices(self, session: Session, language: str) -> None:
        """The topic, region and owner options."""
        self.topics.choices = choices((k, labels.label(labels.TOPICS, k)) for k in labels.TOPICS)
        regions = session.execute(select(Region).order_by(Region.code)).scalars()
        self.region.choices = choices(
            [("", tr("National (every region)"))]
            + [
                (r.code, f"{r.code} {r.name_sv if language == 'sv' else r.name_fi}")
                for r in regions
            ]
        )
        users = session.execute(
            select(User).where(User.is_active).order_by(User.name, User.id)
        ).scalars()
        self.owner.choices = choices(
            [("", tr("Nobody"))] + [(str(u.id), f"{u.name} ({u.email})") for u in users]
        )

    def load(self, article: Article) -> None:
        """Fill an empty form from the article as it is."""
        for language in LANGUAGES:
            text = article.text(language)
            getattr(self, f"title_{language}").data = text.title if text else ""
            getattr(self, f"body_{language}").data = text.body if text else ""
        self.audience.data = article.audience
        self.topics.data = article.topics
        self.region.data = article.region_code or ""
        self.owner.data = str(article.owner_id or "")
        self.review_by.data = article.review_by

    def drafts(self) -> dict[str, Draft]:
        """The languages the editor wrote something in."""
        found = {}
        for language in LANGUAGES:
            title = (getattr(self, f"title_{language}").data or "").strip()
            body = (getattr(self, f"body_{language}").data or "").strip()
            if title or body:
                found[language] = Draft(title, body)
        return found

    def owner_id(self) -> int | None:
        return row_id(self.owner.data)

    def region_code(self) -> str | None:
        return self.region.data or None

    def review_date(self) -> date | None:
        return self.review_by.data if "review_by" not in self.errors else None

    def check(self, policy: MediaPolicy, editor: Editor) -> bool:
        """Validate, with every reason placed at its field; True when the
        article may be saved."""
        ok = self.validate()
        drafts = self.drafts()
        if not drafts:
            self.title_fi.errors = [tr("Write the article in at least one language.")]
            ok = False
        for language, draft in drafts.items():
            title, body = getattr(self, f"title_{language}"), getattr(self, f"body_{language}")
            if not draft.title:
                title.errors = [*title.errors, tr("Give the title too.")]
                ok = False
            if not draft.body:
                body.errors = [*body.errors, tr("Write the text too.")]
                ok = False
            problems = check_markdown(draft.body, policy)
            if problems:
                body.errors = [*body.errors, *(media_problem(p) for p in problems)]
                ok = False
        if self.audience.data not in {a.value for a in ArticleAudience}:
            self.audience.errors = [tr("Choose who may read it.")]
            ok = False
        known = {c.value for c in self.topics.choices or []}
        if set(self.topics.data or []) - known:
            self.topics.errors = [tr("Choose topics from the list.")]
            ok = False
        for name in ("region", "owner"):
            field = getattr(self, name)
            if (field.data or "") not in {c.value for c in field.choices or []}:
                field.errors = [tr("Choose from the list.")]
                ok = False
        if ok and not editor.may_hold(self.owner_id(), self.region_code()):
            self.owner.errors = [
                tr(
                    "You could no longer edit the article: keep yourself as its owner "
                    "or keep it in your organisation's region."
                )
            ]
            ok = False
        return ok


def media_problem(problem: str) -> str:
    """A Markdown media problem (``check_markdown``) in the user's language
    where the case is known; otherwise the domain's own words."""
    if problem.startswith("images and videos may come only"):
        host = problem.rsplit(" not from ", 1)[-1]
        return tr(
            "Images and videos may come only from this site or the allowed hosts, "
            "not from %(host)s.",
            host=host,
        )
    if "has no text alternative" in problem:
        return tr(
            "An image or video has no text alternative: describe it between the "
            "brackets, ![like this](address)."
        )
    return problem
