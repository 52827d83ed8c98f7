"""``/contact`` (applicants) and ``/staff/contact`` (staff of institutions):
the form, its errors, and the page that gives the ticket number.

The honeypot: a field people never see (hidden by the style sheet, out of
the tab order, labelled "leave this field empty" for the odd reader that
shows it).  A post that fills it is refused openly (``pages.refuse_bot``)
with a page that says the form was not sent and how else to reach us;
nothing is stored.  We
refuse rather than pretend success: a person whose browser filled the
field by mistake must not wait for an answer that never comes.

The applicant form also lists public answers that may help
(``suggestions``): a post with ``action=check`` ("Look for ready answers
first") only lists them and sends nothing; a refused post and the page
with the ticket number list them too.  Both forms show the announcements
published for the contact form.
"""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request
from flask.typing import ResponseReturnValue
from markupsafe import Markup
from sqlalchemy import select

from channels.message import Hints
from routing import Directory, Kind
from servicedesk import directory_store
from servicedesk.models import Message, Ticket
from servicedesk.portal import portal
from servicedesk.portal.attachments import ACCEPT, MAX_FILES
from servicedesk.portal.forms import ContactForm, PortalForm, StaffContactForm
from servicedesk.portal.pages import (
    count_submission,
    lang_url,
    mark_private,
    notices,
    page_language,
    rate_limited,
    refuse_bot,
)
from servicedesk.portal.submission import Outcome, Sender, build_message, submit
from servicedesk.portal.suggestions import Suggestion, suggest
from servicedesk.web import db, runtime


def municipality_names(directory: Directory, language: str) -> list[str]:
    """Suggestions for the municipality field: each name in the page's
    language first, the other official name too where it differs."""
    names: set[str] = set()
    for municipality in directory.municipalities.values():
        first, second = (
            (municipality.name_sv, municipality.name_fi)
            if language == "sv"
            else (municipality.name_fi, municipality.name_sv)
        )
        names.add(first)
        if second and second != first:
            names.add(second)
    return sorted(names, key=str.casefold)


#: The form's two suggestion lists as markup, kept per language for the
#: directory in use: some 350 options, escaped once per directory version
#: instead of on every page load.
_suggestion_lists: dict[str, tuple[Directory, dict[str, Markup]]] = {}


def suggestion_lists(directory: Directory, language: str) -> dict[str, Markup]:
    """``<datalist>`` elements by id: municipality names and institutions."""
    kept = _suggestion_lists.get(language)
    if kept is not None and kept[0] is directory:
        return kept[1]
    lists = {
        "municipality-list": municipality_names(directory, language),
        "institution-list": institution_names(directory, language),
    }
    markup = {
        list_id: Markup('<datalist id="{}">\n{}</datalist>').format(
            list_id,
            Markup("").join(Markup('<option value="{}"></option>\n').format(v) for v in values),
        )
        for list_id, values in lists.items()
    }
    _suggestion_lists[language] = (directory, markup)
    return markup


def institution_names(directory: Directory, language: str) -> list[str]:
    return sorted(
        {
            org.name.pick(language)
            for org in directory.organizations.values()
            if org.kind == Kind.INSTITUTION and org.active
        },
        key=str.casefold,
    )


def acknowledgement_channel(ticket: Ticket) -> str | None:
    """How the acknowledgement went out ("email", "sms"), never to whom:
    the page must not show an address the sender did not type."""
    channel = (
        db()
        .execute(
            select(Message.channel)
            .where(
                Message.ticket_id == ticket.id,
                Message.direction == "outbound",
                Message.auto_kind == "auto_reply",
            )
            .order_by(Message.id)
            .limit(1)
        )
        .scalar_one_or_none()
    )
    return channel


def sent_page(
    outcome: Outcome, *, staff: bool, suggestions: list[Suggestion] | None = None
) -> ResponseReturnValue:
    count_submission()
    mark_private()
    ticket = outcome.ticket
    return render_template(
        "portal/sent.html",
        ticket=ticket,
        staff=staff,
        acknowledged_by=acknowledgement_channel(ticket) if ticket else None,
        suggestions=suggestions or [],
    )


def _form_page(
    template: str, form: PortalForm, *, status: int | None = None, **context: Any
) -> ResponseReturnValue:
    if status is None:
        status = 422 if request.method == "POST" else 200
    return render_template(
        template,
        form=form,
        errors=form.error_list(),
        accept=ACCEPT,
        max_files=MAX_FILES,
        notices=notices("contact_form"),
        **context,
    ), status


def files_dropped() -> bool:
    """Files were chosen for a post that sent nothing: the page must say
    to choose them again (a browser cannot put them back)."""
    return any((upload.filename or "").strip() for upload in request.files.getlist("attachments"))


@portal.get("/")
def front() -> ResponseReturnValue:
    """The desk's own address: its contact form, in the language asked for
    (``?lang=``) or the browser's."""
    return redirect(lang_url("portal.contact"))


@portal.route("/contact", methods=["GET", "POST"])
@rate_limited
def contact() -> ResponseReturnValue:
    language = page_language()
    directory = directory_store.current(db())
    form = ContactForm(directory=directory)
    checked = False
    found: list[Suggestion] = []
    if request.method == "POST":
        if form.is_bot:
            return refuse_bot()
        checked = request.form.get("action") == "check"
        if checked:
            found = suggest(form.message.data or "", language)
        elif form.validate():
            message = build_message(
                kind="contact",
                submission=form.submission.data,
                sender=Sender(form.name.data or "", form.email_address, form.phone_e164),
                text=form.message.data,
                hints=Hints(
                    audience="applicant",
                    language=language,
                    municipality=form.municipality_code,
                    institution=form.institution_id,
                    topic=form.topic.data or None,
                ),
                attachments=form.files,
            )
            outcome = submit(runtime(), db(), message, source="web")
            return sent_page(outcome, staff=False, suggestions=suggest(form.message.data, language))
        else:
            found = suggest(form.message.data or "", language)
    return _form_page(
        "portal/contact.html",
        form,
        status=200 if checked else None,
        suggestion_lists=suggestion_lists(directory, language),
        suggestions=found,
        checked=checked,
        files_dropped=checked and files_dropped(),
    )


@portal.route("/staff/contact", methods=["GET", "POST"])
@rate_limited
def staff_contact() -> ResponseReturnValue:
    language = page_language()
    form = StaffContactForm(directory=directory_store.current(db()))
    if request.method == "POST":
        if form.is_bot:
            return refuse_bot()
        if form.validate():
            message = build_message(
                kind="staff",
                submission=form.submission.data,
                sender=Sender(form.name.data or "", form.email_address, form.phone_e164),
                text=form.message.data,
                hints=Hints(audience="staff", language=language, topic=form.topic.data or None),
                attachments=form.files,
            )
            return sent_page(submit(runtime(), db(), message, source="web"), staff=True)
    return _form_page("portal/staff_contact.html", form)
