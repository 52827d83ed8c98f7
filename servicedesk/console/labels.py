"""What the console calls things, in the user's language: statuses,
channels, topics, roles, audit events; and how it writes times (Finnish
local time through Flask-Babel, ages and time left as short durations).
Registered as Jinja filters and globals by ``install``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, cast

from babel.dates import TIMEDELTA_UNITS
from babel.dates import format_timedelta as babel_timedelta
from flask import Flask
from flask.sansio.blueprints import BlueprintSetupState
from flask_babel import get_locale, get_timezone, gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from servicedesk.console import console
from servicedesk.models import Queue

STATUSES: dict[str, Any] = {
    "new": _l("New"),
    "open": _l("Open"),
    "pending": _l("Waiting for the contact"),
    "resolved": _l("Resolved"),
    "closed": _l("Closed"),
}
CHANNELS: dict[str, Any] = {
    "email": _l("Email"),
    "sms": _l("SMS"),
    "phone": _l("Phone"),
    "web": _l("Web form"),
    "api": _l("API"),
}
DIRECTIONS: dict[str, Any] = {
    "inbound": _l("From the contact"),
    "outbound": _l("To the contact"),
    "note": _l("Internal note"),
}
DELIVERY: dict[str, Any] = {
    "pending": _l("Waiting to be sent"),
    "retrying": _l("Sending failed, will be retried"),
    "sending": _l("Sending"),
    "sent": _l("Sent"),
    "queued": _l("Queued at the provider"),
    "delivered": _l("Delivered"),
    "undelivered": _l("Not delivered"),
    "failed": _l("Delivery failed"),
    "logged": _l("Written to the log, not sent"),
    "accepted": _l("Accepted by the provider"),
    "scheduled": _l("Scheduled at the provider"),
    "canceled": _l("Canceled"),
    "read": _l("Read"),
}
PRIORITIES: dict[str, Any] = {"low": _l("Low"), "normal": _l("Normal"), "high": _l("High")}
TOPICS: dict[str, Any] = {
    "funding": _l("Funding"),
    "application": _l("How and when to apply"),
    "results": _l("Admission results"),
    "content": _l("Content of studies"),
    "duration": _l("Length and schedule"),
    "recognition": _l("Recognition of prior learning"),
    "suitability": _l("Suitability and age"),
    "competence_qualification": _l("Competence-based qualification"),
    "apprenticeship": _l("Apprenticeship"),
    "labour_market_training": _l("Labour market training"),
    "study_modes": _l("Ways of studying"),
    "language_math": _l("Language and mathematics"),
    "it_skills": _l("IT skills"),
    "technical": _l("Technical problem"),
    "other": _l("Other"),
}
LANGUAGES: dict[str, Any] = {"fi": _l("Finnish"), "sv": _l("Swedish"), "en": _l("English")}
ROLES: dict[str, Any] = {
    "admin": _l("Administrator"),
    "agent": _l("Desk agent"),
    "expert": _l("Institution expert"),
    "superuser": _l("Institution super-user"),
    "helpdesk": _l("National staff helpdesk"),
}
DESKS: dict[str, Any] = {"applicant": _l("Applicants"), "staff": _l("Staff")}
#: A desk's views, in the order its navigation shows them.
VIEWS: dict[str, Any] = {
    "all": _l("All active"),
    "mine": _l("Mine"),
    "unassigned": _l("Unassigned"),
    "overdue": _l("Overdue"),
}
EVENTS: dict[str, Any] = {
    "created": _l("Created"),
    "routed": _l("Routed"),
    "replied": _l("Replied"),
    "note_added": _l("Internal note"),
    "status_changed": _l("Status changed"),
    "assigned": _l("Assigned"),
    "forwarded": _l("Forwarded"),
    "merged_into": _l("Merged into another ticket"),
    "merged_from": _l("A ticket was merged here"),
    "linked": _l("Linked"),
    "fields_changed": _l("Priority or topic changed"),
    "call_logged": _l("Phone call logged"),
    "callback_requested": _l("Call back requested"),
    "callback_done": _l("Called back"),
    "media_not_fetched": _l("Picture or file not fetched"),
    "contact_exported": _l("Contact's data exported"),
    "sms_opted_out": _l("SMS refused by the contact"),
    "sms_opted_in": _l("SMS allowed again by the contact"),
    "delivery_retried": _l("Delivery retried"),
    "returned_to_region": _l("Returned to the regional desk"),
    "message_added": _l("Message received"),
    "replied_by_email": _l("Answered by email"),
    "answer_not_sent": _l("Answer not sent"),
    "status_kept": _l("Kept open: the contact wrote again"),
    "acknowledgement_skipped": _l("Acknowledgement not sent"),
    "delivery_failed": _l("Delivery failed"),
    "masked": _l("Identity codes masked"),
    "survey_answered": _l("Satisfaction survey answered"),
    "survey_changed": _l("Satisfaction survey answer changed"),
    "notice_ticket_forwarded": _l("Notice: passed on to an institution"),
    "notice_pending_reminder": _l("Notice: reminder to reply"),
    "notice_resolved": _l("Notice: resolved, with the survey link"),
    "notice_closed_automatically": _l("Notice: closed automatically"),
    "personal_data_removed": _l("Personal data removed"),
}
# The satisfaction survey's answers: the smiley is decoration, the words
# say it (the same three as the public survey page).
SURVEY_SCORES: dict[int, Any] = {
    3: _l("Yes, it helped"),
    2: _l("It helped partly"),
    1: _l("No, it did not help"),
}
SURVEY_SMILEYS: dict[int, str] = {3: "🙂", 2: "😐", 1: "🙁"}
LINK_KINDS: dict[str, Any] = {
    "related": _l("Related"),
    "merged": _l("Merged"),
    "follow_up": _l("Follow-up"),
}

# Dates are always written the Finnish way (day first); the words follow the
# user's language.  In Babel's terms "d.M.yyyy 'klo' H.mm" (fi),
# "d.M.yyyy 'kl.' H.mm" (sv) and "d.M.yyyy HH:mm" (en), written here with
# str.format: Babel's general formatter took 60 µs a time, and a ticket
# page writes twenty of them, a desk page a hundred.
DATETIME_FORMATS = {
    "fi": "{t.day}.{t.month}.{t.year} klo {t.hour}.{t.minute:02}",
    "sv": "{t.day}.{t.month}.{t.year} kl. {t.hour}.{t.minute:02}",
    "en": "{t.day}.{t.month}.{t.year} {t.hour:02}:{t.minute:02}",
}


def label(table: dict[str, Any], key: str | None) -> str:
    if key is None:
        return "–"
    names = translated(table)
    return names[key] if key in names else str(key)


# (id of a table, language) -> (the table, its names in that language).
# The table is kept with its names, so its id cannot be reused meanwhile.
_translated: dict[tuple[int, str], tuple[dict[str, Any], dict[str, str]]] = {}


def translated(table: dict[str, Any]) -> dict[str, str]:
    """The names of a table in the language of the moment, translated once
    per table and language: a desk page writes a hundred statuses and
    channels, and every lazy string asks Flask-Babel for its catalogue
    again (5 % of the page's Python calls).  The catalogues do not change
    while the process runs."""
    language = str(get_locale())
    kept = _translated.get((id(table), language))
    if kept is None or kept[0] is not table:
        kept = (table, {key: str(value) for key, value in table.items()})
        _translated[(id(table), language)] = kept
    return kept[1]


def local_datetime(value: datetime | None) -> Markup:
    """A UTC time as ``<time>`` in the desk's local time (Europe/Helsinki)."""
    if value is None:
        return Markup("–")
    language = str(get_locale() or "fi")[:2]
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    shown = DATETIME_FORMATS.get(language, DATETIME_FORMATS["fi"]).format(
        t=aware.astimezone(get_timezone())
    )
    return Markup(f'<time datetime="{value.isoformat()}">{shown}</time>')  # noqa: S704 - digits


DURATION_THRESHOLD = 0.9  # "6 days 10 hours" is "1 week"


def duration(delta: timedelta) -> str:
    """A short, rounded duration in words ("3 days", "5 minutes"): Babel's
    ``format_timedelta(delta, granularity="minute", threshold=0.9)``.

    Its choice of unit and count is made here and only the words are asked
    of Babel, once per unit, count and language: a desk page writes a
    hundred durations, and Babel reads the locale's patterns each time."""
    seconds = abs(delta.total_seconds())
    for unit, per_unit in TIMEDELTA_UNITS:
        value = seconds / per_unit
        if value >= DURATION_THRESHOLD or unit == "minute":
            if unit == "minute" and value > 0:
                value = max(1, value)
            return _in_words(unit, round(value), str(get_locale() or "fi"))
    return ""  # not reached: minutes always are


@lru_cache(maxsize=2048)
def _in_words(unit: str, count: int, locale: str) -> str:
    # With ``unit`` as the granularity and a threshold no unit reaches,
    # Babel writes ``count`` in exactly this unit.
    per_unit = dict(TIMEDELTA_UNITS)[unit]
    return str(
        babel_timedelta(
            count * per_unit,
            granularity=cast(Any, unit),  # one of TIMEDELTA_UNITS' names
            threshold=float("inf"),
            locale=locale,
        )
    )


def time_left(due_at: datetime | None, now: datetime, active: bool = True) -> Markup:
    """Time left to a deadline, or how long it is overdue (marked)."""
    if due_at is None or not active:
        return Markup("–")
    if due_at >= now:
        return escape(duration(due_at - now))
    return _overdue(duration(now - due_at), str(get_locale() or "fi"))


@lru_cache(maxsize=1024)
def _overdue(time: str, locale: str) -> Markup:
    # Once per duration and language: most of a large desk's tickets are
    # overdue, and each lazy string asked Flask-Babel for its catalogue.
    text = gettext("overdue by %(time)s", time=time)
    return Markup('<strong class="overdue">{}</strong>').format(text)


def queue_name(queue: Queue | None, language: str | None = None) -> str:
    """A queue as people know it: its organisation, and the queue's own
    name where it has one (an organisation may have several)."""
    if queue is None:
        return "–"
    language = language or str(get_locale() or "fi")[:2]
    organization = queue.organization.name(language) if queue.organization else ""
    own = queue.name.get(language) or queue.name.get("en") or ""
    if own and organization:
        return f"{organization} – {own}"
    return own or organization or queue.id


def install(app: Flask) -> None:
    app.jinja_env.filters.update(local_datetime=local_datetime, duration=duration)
    app.jinja_env.globals.update(
        label=label,
        time_left=time_left,
        queue_name=queue_name,
        STATUSES=STATUSES,
        CHANNELS=CHANNELS,
        DIRECTIONS=DIRECTIONS,
        DELIVERY=DELIVERY,
        PRIORITIES=PRIORITIES,
        TOPICS=TOPICS,
        LANGUAGES=LANGUAGES,
        ROLES=ROLES,
        DESKS=DESKS,
        VIEWS=VIEWS,
        EVENTS=EVENTS,
        LINK_KINDS=LINK_KINDS,
        SURVEY_SCORES=SURVEY_SCORES,
        SURVEY_SMILEYS=SURVEY_SMILEYS,
    )


@console.record_once
def _install_on_register(state: BlueprintSetupState) -> None:
    install(cast(Flask, state.app))
