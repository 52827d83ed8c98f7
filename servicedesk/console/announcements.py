"""Announcements in the console (administrators): publish a notice with its
texts per language, kind, start and end and the places it is shown at;
list and withdraw; send it to a target group (contacts of active tickets
in chosen queues or regions, staff of chosen organisations) by email or
SMS, checking the recipients first; and the delivery report.  Every
console page shows the console's current announcements as a banner
(``console_notices``, used by ``console_kb/_banner.html``).

Other roles get 404 on every page here.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as tr  # this area's catalog: see knowledge_forms
from flask_babel import lazy_gettext as tr_lazy
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from wtforms import SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Length

from servicedesk import access, announcement_delivery, announcements, jobs
from servicedesk.announcement_delivery import Target
from servicedesk.console import console
from servicedesk.console.forms import ConsoleForm, choices
from servicedesk.console.identity import me
from servicedesk.console.knowledge_forms import MultiCheckboxField
from servicedesk.errors import ServiceDeskError
from servicedesk.message_templates import LANGUAGES
from servicedesk.models import Announcement, Organization, Queue, Region
from servicedesk.queueing import OUTBOUND
from servicedesk.web import db, runtime

logger = logging.getLogger(__name__)

KIND_WORDS = {
    "congestion": tr_lazy("Congestion"),
    "technical": tr_lazy("Technical problem"),
    "deadline": tr_lazy("Deadline"),
    "other": tr_lazy("Notice"),
}
PLACE_WORDS = {
    "contact_form": tr_lazy("Contact forms"),
    "status_pages": tr_lazy("Status pages"),
    "console": tr_lazy("Console"),
}
CHANNEL_WORDS = {
    "email": tr_lazy("Email"),
    "sms": tr_lazy("SMS"),
    "preferred": tr_lazy("The channel each contact uses"),
}
SKIP_WORDS = {
    "no email address": tr_lazy("no email address"),
    "no phone number": tr_lazy("no phone number"),
    "opted out of SMS": tr_lazy("opted out of SMS"),
    "the announcement was withdrawn": tr_lazy("the announcement was withdrawn"),
}
DELIVERY_WORDS = {
    "waiting": tr_lazy("waiting for its batch"),
    "skipped": tr_lazy("skipped"),
    "pending": tr_lazy("in the outbox"),
    "sending": tr_lazy("sending"),
    "sent": tr_lazy("sent"),
    "failed": tr_lazy("failed"),
    "cancelled": tr_lazy("cancelled"),
}
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"  # <input type="datetime-local">


class AnnouncementForm(ConsoleForm):
    kind = StringField(tr_lazy("Kind"))
    places = MultiCheckboxField(tr_lazy("Show it on"), validate_choice=False)
    starts = StringField(tr_lazy("Shown from"))
    ends = StringField(tr_lazy("Shown until (optional)"))
    title_fi = StringField(tr_lazy("Title"), [Length(max=announcements.MAX_TITLE)])
    body_fi = TextAreaField(tr_lazy("Text"), [Length(max=announcements.MAX_BODY)])
    sms_fi = StringField(tr_lazy("Short text for SMS (optional)"), [Length(max=480)])
    title_sv = StringField(tr_lazy("Title"), [Length(max=announcements.MAX_TITLE)])
    body_sv = TextAreaField(tr_lazy("Text"), [Length(max=announcements.MAX_BODY)])
    sms_sv = StringField(tr_lazy("Short text for SMS (optional)"), [Length(max=480)])
    title_en = StringField(tr_lazy("Title"), [Length(max=announcements.MAX_TITLE)])
    body_en = TextAreaField(tr_lazy("Text"), [Length(max=announcements.MAX_BODY)])
    sms_en = StringField(tr_lazy("Short text for SMS (optional)"), [Length(max=480)])

    def texts(self) -> dict[str, dict[str, str]]:
        found = {}
        for language in LANGUAGES:
            values = {
                key: (getattr(self, f"{key}_{language}").data or "").strip()
                for key in ("title", "body", "sms")
            }
            if any(values.values()):
                found[language] = {k: v for k, v in values.items() if v}
        return found


class TargetForm(ConsoleForm):
    queues = SelectMultipleField(
        tr_lazy("Contacts of active tickets in queues"), validate_choice=False
    )
    regions = SelectMultipleField(
        tr_lazy("Contacts of active tickets in regions"), validate_choice=False
    )
    organizations = SelectMultipleField(
        tr_lazy("Staff users of organisations"), validate_choice=False
    )
    channel = StringField(tr_lazy("Send by"))


def _admin() -> None:
    if not access.can_administer(me()):
        abort(404)


def local_zone() -> ZoneInfo:
    return ZoneInfo(runtime().settings.timezone)


def parse_local(raw: str) -> datetime | None:
    """A ``datetime-local`` value (Finnish time) as UTC; None when empty or
    not a time."""
    try:
        moment = datetime.strptime(raw.strip(), LOCAL_FORMAT)
    except ValueError:
        return None
    return moment.replace(tzinfo=local_zone()).astimezone(UTC)


def as_local(moment: datetime | None) -> str:
    return moment.astimezone(local_zone()).strftime(LOCAL_FORMAT) if moment else ""


@console.context_processor
def announcements_context() -> dict[str, Any]:
    def console_notices() -> list[announcements.Notice]:
        if not current_user.is_authenticated:
            return []
        language = str(get_locale() or "fi")[:2]
        try:
            return announcements.current(db(), "console", runtime().now(), language)
        except SQLAlchemyError:
            # An error page after a failed query: show it without the banner.
            logger.warning("console announcements could not be read", exc_info=True)
            return []

    return {
        "console_notices": console_notices,
        "notice_kind": lambda kind: str(KIND_WORDS.get(kind, kind)),
        "place_word": lambda place: str(PLACE_WORDS.get(place, place)),
        "channel_word": lambda channel: str(CHANNEL_WORDS.get(channel, channel)),
        "skip_reason": lambda reason: str(SKIP_WORDS.get(reason, reason)),
        "delivery_state": lambda state: str(DELIVERY_WORDS.get(state, state)),
    }


def _state(row: Announcement, now: datetime) -> str:
    if row.withdrawn_at is not None:
        return "withdrawn"
    if row.starts_at > now:
        return "scheduled"
    if row.ends_at is not None and row.ends_at <= now:
        return "ended"
    return "shown"


@console.get("/console/admin/announcements")
def announcements_list() -> Any:
    _admin()
    now = runtime().now()
    rows = (
        db()
        .execute(
            select(Announcement)
            .order_by(Announcement.starts_at.desc(), Announcement.id.desc())
            .limit(200)
        )
        .scalars()
    )
    items = [(row, _state(row, now), announcements.announcement_text(row, "fi")[1]) for row in rows]
    return render_template("console_kb/announcements_list.html", items=items)


def _new_form(form: AnnouncementForm, problems: list[str], status: int = 200) -> Any:
    form.places.choices = choices(PLACE_WORDS.items())
    return (
        render_template(
            "console_kb/announcement_new.html",
            form=form,
            kinds=KIND_WORDS,
            problems=problems,
        ),
        status,
    )


@console.route("/console/admin/announcements/new", methods=["GET", "POST"])
def announcement_new() -> Any:
    _admin()
    form = AnnouncementForm(formdata=request.form if request.method == "POST" else None)
    if request.method == "GET":
        form.kind.data = "congestion"
        form.places.data = ["contact_form", "status_pages", "console"]
        form.starts.data = as_local(runtime().now())
        return _new_form(form, [])
    problems = []
    form.validate()
    problems += [str(e) for errors in form.errors.values() for e in errors]
    starts = parse_local(form.starts.data or "")
    ends = parse_local(form.ends.data or "") if (form.ends.data or "").strip() else None
    if starts is None:
        problems.append(tr("Give the start as a date and time."))
    if (form.ends.data or "").strip() and ends is None:
        problems.append(tr("Give the end as a date and time, or leave it empty."))
    if starts and ends and ends <= starts:
        problems.append(tr("The end must be after the start."))
    texts = form.texts()
    for language, text in texts.items():
        if not text.get("title") or not text.get("body"):
            problems.append(
                tr("%(language)s: write both the title and the text.", language=language)
            )
    if not texts:
        problems.append(tr("Write the announcement in at least one language."))
    if not form.places.data:
        problems.append(tr("Choose where it is shown."))
    if problems or starts is None:
        return _new_form(form, problems, 400)
    session = db()
    try:
        row = announcements.publish(
            session,
            kind=form.kind.data or "",
            texts=texts,
            places=form.places.data or [],
            starts_at=starts,
            ends_at=ends,
            user=me(),
            now=runtime().now(),
        )
        session.commit()
    except ServiceDeskError as exc:
        session.rollback()
        return _new_form(form, [exc.message], 400)
    flash(tr("The announcement was published."), "success")
    return redirect(url_for("console.announcement_page", announcement_id=row.id))


def _announcement(announcement_id: int) -> Announcement:
    _admin()
    row = db().get(Announcement, announcement_id)
    if row is None:
        abort(404)
    return row


def _target_form(form: TargetForm) -> TargetForm:
    session = db()
    queues = session.execute(select(Queue).where(Queue.active).order_by(Queue.id)).scalars()
    form.queues.choices = choices((q.id, f"{q.id} ({q.label('fi')})") for q in queues)
    regions = session.execute(select(Region).order_by(Region.code)).scalars()
    form.regions.choices = choices((r.code, f"{r.code} {r.name_fi}") for r in regions)
    organizations = session.execute(
        select(Organization).where(Organization.active).order_by(Organization.id)
    ).scalars()
    form.organizations.choices = choices((o.id, o.name_fi) for o in organizations)
    return form


def _target(form: TargetForm) -> Target:
    def known(field: Any) -> tuple[str, ...]:
        allowed = {c.value for c in field.choices or []}
        return tuple(v for v in field.data or [] if v in allowed)

    return Target(
        queues=known(form.queues),
        regions=known(form.regions),
        organizations=known(form.organizations),
        channel=form.channel.data if form.channel.data in CHANNEL_WORDS else "email",
    )


def _page(row: Announcement, form: TargetForm, check: Any = None, status: int = 200) -> Any:
    report = announcement_delivery.delivery_report(db(), row.id)
    return (
        render_template(
            "console_kb/announcement.html",
            row=row,
            state=_state(row, runtime().now()),
            texts=sorted(row.texts.items()),
            form=form,
            check=check,
            report=report,
            channels=CHANNEL_WORDS,
            as_local=as_local,
        ),
        status,
    )


@console.get("/console/admin/announcements/<int:announcement_id>")
def announcement_page(announcement_id: int) -> Any:
    row = _announcement(announcement_id)
    form = _target_form(TargetForm(formdata=None))
    form.channel.data = "email"
    return _page(row, form)


@console.post("/console/admin/announcements/<int:announcement_id>/withdraw")
def announcement_withdraw(announcement_id: int) -> Any:
    row = _announcement(announcement_id)
    session = db()
    if row.withdrawn_at is None:
        announcements.withdraw(session, row, me(), runtime().now())
        session.commit()
        flash(tr("The announcement was withdrawn."), "success")
    return redirect(url_for("console.announcement_page", announcement_id=row.id))


@console.post("/console/admin/announcements/<int:announcement_id>/send")
def announcement_send(announcement_id: int) -> Any:
    """Check who a target group is, or send to it (the sending job works
    through the deliveries in throttled batches)."""
    row = _announcement(announcement_id)
    form = _target_form(TargetForm())
    target = _target(form)
    session = db()
    if not (target.queues or target.regions or target.organizations):
        form.queues.errors = [tr("Choose at least one queue, region or organisation.")]
        return _page(row, form, status=400)
    if request.form.get("action") != "send":
        found = announcement_delivery.recipients(session, target)
        counts = Counter(r.channel for r in found if not r.skip_reason)
        skipped = Counter(r.skip_reason for r in found if r.skip_reason)
        return _page(row, form, check={"counts": counts, "skipped": skipped, "total": len(found)})
    try:
        announcement_delivery.send_to(session, row, target, me(), runtime().now())
        session.commit()
    except ServiceDeskError as exc:
        session.rollback()
        form.queues.errors = [exc.message]
        return _page(row, form, status=409)
    runtime().jobs.enqueue(OUTBOUND, jobs.send_announcements)
    flash(tr("The announcement is being sent; the report below follows its progress."), "success")
    return redirect(url_for("console.announcement_deliveries", announcement_id=row.id))


@console.get("/console/admin/announcements/<int:announcement_id>/deliveries")
def announcement_deliveries(announcement_id: int) -> Any:
    row = _announcement(announcement_id)
    report = announcement_delivery.delivery_report(db(), row.id)
    return render_template(
        "console_kb/announcement_deliveries.html",
        row=row,
        title=announcements.announcement_text(row, "fi")[1].get("title", ""),
        report=report,
        statuses=sorted({s for per in report.counts.values() for s in per}),
    )
