"""The admin pages' forms.  CSRF is checked app-wide (see ``forms``);
choices that come from the database are filled in by the views.

The texts are in the admin pages' catalog
(``templates/console_admin/translations``), marked ``tr_lazy``: the
console's catalog test collects every ``_()`` under this folder.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as tr_lazy
from wtforms import (
    EmailField,
    PasswordField,
    SelectMultipleField,
    StringField,
    ValidationError,
)
from wtforms.validators import InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from servicedesk.console.forms import ConsoleForm, SelectField

MAX_PASSWORD = 1024


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes (rendered by the admin macros)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ProfileForm(ConsoleForm):
    name = StringField(
        tr_lazy("Name"),
        validators=[InputRequired(tr_lazy("Enter the name.")), Length(max=200)],
    )
    role = SelectField(tr_lazy("Role"), validate_choice=False)
    organization = SelectField(tr_lazy("Organisation"), validate_choice=False)
    languages = CheckboxesField(tr_lazy("Languages"))
    topics = CheckboxesField(tr_lazy("Topics"))


def _same_as_new(form: Any, field: Any) -> None:
    if (form.password.data or "") != (field.data or ""):
        raise ValidationError(str(tr_lazy("The two passwords differ.")))


class PasswordFields(ConsoleForm):
    """A password typed twice, or both left empty for a generated one."""

    password = PasswordField(tr_lazy("New password"), validators=[Length(max=MAX_PASSWORD)])
    confirm = PasswordField(
        tr_lazy("New password again"),
        validators=[Length(max=MAX_PASSWORD), _same_as_new],
    )


class NewUserForm(ProfileForm, PasswordFields):
    email = EmailField(
        tr_lazy("Email address"),
        validators=[InputRequired(tr_lazy("Enter the email address.")), Length(max=254)],
    )


class TokenForm(ConsoleForm):
    name = StringField(
        tr_lazy("Name"),
        validators=[InputRequired(tr_lazy("Name the token.")), Length(max=100)],
    )
    user = SelectField(tr_lazy("Acts as"), validate_choice=False)
