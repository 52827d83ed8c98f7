"""The console's forms.  CSRF is checked for every POST by the app-wide
CSRFProtect (templates render ``csrf_token()``), so the forms themselves
only validate their fields.  Forms on the ticket page carry a prefix, so
ten of them on one page never share a field name or an element id.
Choices that depend on the ticket or the user are filled in by the views."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    Form,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectChoice,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms import SelectField as PlainSelectField
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import Select

MAX_BODY = 100_000


class QuickSelect(Select):
    """wtforms' ``<select>``, each plain option written by one f-string of
    escaped parts instead of wtforms' general attribute builder: the same
    HTML, in a fifth of the time (4 µs an option against 20).  A desk page
    has some 150 options (assignees, regions, topics), and building them
    was a fifth of its rendering."""

    @classmethod
    def render_option(cls, choice: SelectChoice, **kwargs: Any) -> Markup:
        if kwargs or choice.render_kw:
            general: Markup = super().render_option(choice, **kwargs)
            return general
        value = escape(str(choice.value) if isinstance(choice.value, bool) else choice.value)
        label = escape(choice.label or choice.value)
        selected = " selected" if choice.selected else ""
        return Markup(f'<option{selected} value="{value}">{label}</option>')  # noqa: S704 - escaped


class SelectField(PlainSelectField):
    widget = QuickSelect()


def choices(pairs: Iterable[tuple[str, Any]], optgroup: str | None = None) -> list[SelectChoice]:
    """(value, label) pairs as the options of a select or radio field."""
    return [SelectChoice(value, str(label), optgroup=optgroup) for value, label in pairs]


def values_of(field: Any) -> set[str]:
    return {c.value for c in field.choices or []}


class ConsoleForm(FlaskForm):
    class Meta:
        csrf = False  # CSRFProtect checks every POST before the view runs


class LoginForm(ConsoleForm):
    email = EmailField(
        _l("Email address"),
        validators=[InputRequired(_l("Enter your email address.")), Length(max=254)],
    )
    password = PasswordField(
        _l("Password"), validators=[InputRequired(_l("Enter your password.")), Length(max=1024)]
    )
    next = HiddenField()


class PasswordForm(ConsoleForm):
    current = PasswordField(
        _l("Current password"),
        validators=[InputRequired(_l("Enter your current password.")), Length(max=1024)],
    )
    new = PasswordField(
        _l("New password"),
        validators=[InputRequired(_l("Enter a new password.")), Length(max=1024)],
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[InputRequired(_l("Enter the new password again.")), Length(max=1024)],
    )


class LanguageForm(ConsoleForm):
    language = SelectField(
        _l("Console language"),
        choices=lambda: choices([("fi", "suomi"), ("sv", "svenska"), ("en", "English")]),
    )


class ReplyForm(ConsoleForm):
    body = TextAreaField(_l("Answer"), validators=[Length(max=MAX_BODY)])
    channel = RadioField(_l("Send as"), validate_choice=False)
    snippet = SelectField(_l("Template"), validate_choice=False)
    confirm_long = BooleanField(_l("Send anyway, even though the SMS is long"))
    send = SubmitField(_l("Send answer"))
    insert = SubmitField(_l("Insert template"))


class NoteForm(ConsoleForm):
    body = TextAreaField(_l("Internal note"), validators=[Length(max=MAX_BODY)])


class AssignForm(ConsoleForm):
    assignee = SelectField(_l("Assignee"), validate_choice=False)


class ForwardForm(ConsoleForm):
    queue = SelectField(
        _l("Forward to queue"),
        validate_choice=False,
        validators=[InputRequired(_l("Choose the queue to forward to."))],
    )
    note = TextAreaField(_l("Note for the receiver"), validators=[Length(max=MAX_BODY)])


class StatusForm(ConsoleForm):
    status = SelectField(_l("New status"), validate_choice=False)


class FieldsForm(ConsoleForm):
    priority = SelectField(_l("Priority"), validate_choice=False)
    topic = SelectField(_l("Topic"), validate_choice=False)


class MergeForm(ConsoleForm):
    number = StringField(
        _l("Number of the duplicate ticket"),
        validators=[InputRequired(_l("Enter a ticket number.")), Length(max=32)],
    )


class LinkForm(ConsoleForm):
    number = StringField(
        _l("Number of the related ticket"),
        validators=[InputRequired(_l("Enter a ticket number.")), Length(max=32)],
    )


class CallForm(ConsoleForm):
    direction = RadioField(
        _l("Call"),
        choices=lambda: choices(
            [("inbound", _l("The contact called")), ("outbound", _l("I called the contact"))]
        ),
        default="inbound",
    )
    number = StringField(_l("Phone number"), validators=[Length(max=32)])
    summary = TextAreaField(_l("What was said"), validators=[Length(max=MAX_BODY)])
    minutes = IntegerField(
        _l("Duration in minutes"),
        validators=[
            Optional(),
            NumberRange(0, 600, _l("Give the duration as minutes from 0 to 600.")),
        ],
    )


class DeskFilterForm(Form):
    """The list filters, read from the query string (GET, no CSRF)."""

    status = SelectField(_l("Status"), default="active", validate_choice=False)
    channel = SelectField(_l("Channel"), default="", validate_choice=False)
    region = SelectField(_l("Region"), default="", validate_choice=False)
    topic = SelectField(_l("Topic"), default="", validate_choice=False)
    language = SelectField(_l("Language"), default="", validate_choice=False)
    assignee = SelectField(_l("Assignee"), default="", validate_choice=False)
    created_from = DateField(_l("Created from"), validators=[Optional()])
    created_to = DateField(_l("Created until"), validators=[Optional()])
    sort = SelectField(_l("Sort"), default="newest", validate_choice=False)
