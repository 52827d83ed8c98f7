"""The public forms (Flask-WTF, so every post carries a CSRF token) and the
checks behind them: an email address or a phone number (at least one; the
phone in E.164), a municipality and an institution the directory knows,
a topic id, a message of sensible length and files we can take.

A form checks against the routing ``Directory`` given to it; after
``validate()`` the cleaned values are on the form (``email_address``,
``phone_e164``, ``municipality_code``, ``institution_id``,
``staff_organization``, ``files``).  Every message is a lazy gettext
string, so it is shown in the page's language.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

import phonenumbers
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import Field, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from channels.message import Attachment
from routing import Directory, Kind
from servicedesk.portal.attachments import AttachmentError, read_uploads
from servicedesk.portal.labels import ATTACHMENT_ERRORS, topic_choices

MAX_MESSAGE = 10_000
SUBMISSION = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_LOCAL_PART = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def clean_email(value: str) -> str | None:
    """A lower-cased address that looks deliverable, or None."""
    value = value.strip()
    if len(value) > 254 or value.count("@") != 1:
        return None
    local, domain = value.split("@")
    if not local or len(local) > 64 or not _LOCAL_PART.match(local):
        return None
    try:
        ascii_domain = domain.rstrip(".").encode("idna").decode("ascii")
    except UnicodeError:
        return None
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        return None
    if not labels[-1].isalpha() and not labels[-1].lower().startswith("xn--"):
        return None
    return f"{local}@{domain.rstrip('.')}".lower()


def clean_phone(value: str) -> str | None:
    """E.164 for a valid number ("040 123 4567" is Finnish), or None."""
    try:
        number = phonenumbers.parse(value.strip(), "FI")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def new_submission_id() -> str:
    """The id one rendering of a form posts with: a second post of the same
    page (a double click, a reload) is recognised and makes no second ticket."""
    return secrets.token_urlsafe(18)


class PortalForm(FlaskForm):
    """What every public form shares: the message, the files, the honeypot
    and the submission id."""

    message = TextAreaField(
        _l("Your message"),
        validators=[
            DataRequired(message=_l("Write your message.")),
            Length(
                max=MAX_MESSAGE,
                message=_l("Your message is too long. Write at most 10 000 characters."),
            ),
        ],
    )
    attachments = MultipleFileField(_l("Attachments"))
    # Hidden from people by the style sheet; a bot that fills in every
    # field fills this one too (see pages.refuse_bot).
    website = StringField(_l("Leave this field empty"))
    submission = HiddenField()

    def __init__(self, *args: Any, directory: Directory, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.directory = directory
        self.files: tuple[Attachment, ...] = ()
        if not SUBMISSION.match(self.submission.data or ""):
            self.submission.data = new_submission_id()

    @property
    def is_bot(self) -> bool:
        return bool((self.website.data or "").strip())

    def validate_attachments(self, field: Field) -> None:
        try:
            self.files = read_uploads(field.data or [])
        except AttachmentError as exc:
            raise ValidationError(
                str(ATTACHMENT_ERRORS[exc.code]) % {"name": exc.filename}
            ) from exc

    def error_list(self) -> list[tuple[str, str]]:
        """(field id, message) for the summary at the top, in page order."""
        found = []
        for field in self:
            for error in field.errors:
                found.append((field.id, str(error)))
        return found


def _optional_text(label: Any, maximum: int, too_long: Any) -> StringField:
    return StringField(label, validators=[Optional(), Length(max=maximum, message=too_long)])


class ContactForm(PortalForm):
    """/contact: an applicant's question."""

    name = _optional_text(_l("Your name"), 200, _l("Write a shorter name."))
    email = _optional_text(_l("Email address"), 254, _l("The email address is too long."))
    phone = _optional_text(_l("Mobile phone number"), 40, _l("The phone number is too long."))
    municipality = _optional_text(
        _l("Home municipality"), 100, _l("Write only the name of the municipality.")
    )
    institution = _optional_text(
        _l("Educational institution"), 200, _l("Write only the name of the institution.")
    )
    topic = SelectField(_l("Topic"), validate_choice=False)

    # The order of the fields on the page (the error summary follows it).
    ORDER = (
        "name",
        "email",
        "phone",
        "municipality",
        "institution",
        "topic",
        "message",
        "attachments",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.topic.choices = topic_choices()
        self.email_address: str | None = None
        self.phone_e164: str | None = None
        self.municipality_code: str | None = None
        self.institution_id: str | None = None
        self.reach_error: str | None = None

    def validate_email(self, field: Field) -> None:
        if field.data and field.data.strip():
            self.email_address = clean_email(field.data)
            if self.email_address is None:
                raise ValidationError(_l("Write the email address in the form name@example.fi."))

    def validate_phone(self, field: Field) -> None:
        if field.data and field.data.strip():
            self.phone_e164 = clean_phone(field.data)
            if self.phone_e164 is None:
                raise ValidationError(
                    _l(
                        "Write the phone number with its area code, for example 040 123 4567 "
                        "or +358 40 123 4567."
                    )
                )

    def validate_municipality(self, field: Field) -> None:
        if field.data and field.data.strip():
            found = self.directory.find_municipality(field.data)
            if found is None:
                raise ValidationError(
                    _l(
                        "We do not know the municipality %(name)s. Choose a municipality "
                        "from the list, or leave the field empty.",
                        name=field.data.strip(),
                    )
                )
            self.municipality_code = found.code

    def validate_institution(self, field: Field) -> None:
        if field.data and field.data.strip():
            found = self.directory.find_organization(field.data)
            if found is None or found.kind != Kind.INSTITUTION:
                raise ValidationError(
                    _l(
                        "We do not know the institution %(name)s. Choose one from the list, "
                        "or leave the field empty and name the institution in your message.",
                        name=field.data.strip(),
                    )
                )
            self.institution_id = found.id

    def validate_topic(self, field: Field) -> None:
        if field.data and field.data not in dict(topic_choices()):
            raise ValidationError(_l("Choose a topic from the list."))

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        has_email = bool((self.email.data or "").strip())
        has_phone = bool((self.phone.data or "").strip())
        if not has_email and not has_phone:
            self.reach_error = str(
                _l("Give an email address or a phone number, so that we can answer you.")
            )
            self.email.errors = [*self.email.errors, self.reach_error]
            return False
        return valid

    def error_list(self) -> list[tuple[str, str]]:
        order = {name: i for i, name in enumerate(self.ORDER)}
        found = super().error_list()
        return sorted(found, key=lambda pair: order.get(pair[0], len(order)))


class StaffContactForm(PortalForm):
    """/staff/contact: a question from the staff of an institution."""

    name = _optional_text(_l("Your name"), 200, _l("Write a shorter name."))
    email = StringField(
        _l("Your work email address"),
        validators=[
            DataRequired(message=_l("Give your work email address at your institution.")),
            Length(max=254, message=_l("The email address is too long.")),
        ],
    )
    phone = _optional_text(_l("Phone number"), 40, _l("The phone number is too long."))
    topic = SelectField(_l("Topic"), validate_choice=False)

    ORDER = ("name", "email", "phone", "topic", "message", "attachments")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.topic.choices = topic_choices()
        self.email_address: str | None = None
        self.phone_e164: str | None = None
        self.staff_organization: str | None = None

    def validate_email(self, field: Field) -> None:
        self.email_address = clean_email(field.data or "")
        if self.email_address is None:
            raise ValidationError(_l("Write the email address in the form name@example.fi."))
        organization = self.directory.organization_by_email(self.email_address)
        if organization is None:
            raise ValidationError(
                _l(
                    "This is not the email address of an institution we know. Use your work "
                    "email address at your institution. Applicants can use the contact form "
                    "for applicants."
                )
            )
        self.staff_organization = organization.id

    def validate_phone(self, field: Field) -> None:
        if field.data and field.data.strip():
            self.phone_e164 = clean_phone(field.data)
            if self.phone_e164 is None:
                raise ValidationError(
                    _l(
                        "Write the phone number with its area code, for example 040 123 4567 "
                        "or +358 40 123 4567."
                    )
                )

    def validate_topic(self, field: Field) -> None:
        if field.data and field.data not in dict(topic_choices()):
            raise ValidationError(_l("Choose a topic from the list."))

    def error_list(self) -> list[tuple[str, str]]:
        order = {name: i for i, name in enumerate(self.ORDER)}
        return sorted(super().error_list(), key=lambda pair: order.get(pair[0], len(order)))


class StatusMessageForm(PortalForm):
    """A new message on the status page: the message and files only."""


class AnsweredForm(FlaskForm):
    """ "My question is answered" on the status page: only the CSRF token."""
