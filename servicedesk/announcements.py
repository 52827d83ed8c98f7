"""Announcements: a notice an administrator publishes (congestion, a
technical problem, a deadline...) with a start and an end, shown on the
contact form, the status pages and/or the console; optionally also sent to
a target group by email or SMS.

Sending to a group lives in ``announcement_delivery``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from channels.sms import count_segments
from servicedesk import audit
from servicedesk.errors import ValidationError
from servicedesk.message_templates import LANGUAGES
from servicedesk.models import Announcement, User

KINDS = ("congestion", "technical", "deadline", "other")
PLACES = ("contact_form", "status_pages", "console")
MAX_TITLE, MAX_BODY, MAX_SMS_SEGMENTS = 200, 4000, 3


@dataclass(frozen=True, slots=True)
class Notice:
    """An announcement as a page shows it, in one language."""

    id: int
    kind: str
    title: str
    body: str
    language: str
    starts_at: datetime
    ends_at: datetime | None


def _check(texts: Mapping[str, Mapping[str, str]], kind: str, places: Sequence[str]) -> None:
    problems = []
    if kind not in KINDS:
        problems.append(f"the kind must be one of {', '.join(KINDS)}")
    if not places or set(places) - set(PLACES):
        problems.append(f"show it in one or more of {', '.join(PLACES)}")
    if not texts:
        problems.append("write the announcement in at least one language")
    for language, text in texts.items():
        if language not in LANGUAGES:
            problems.append(f"unknown language {language!r}")
            continue
        if not 0 < len(text.get("title", "").strip()) <= MAX_TITLE:
            problems.append(f"{language}: the title must be 1 to {MAX_TITLE} characters")
        if not 0 < len(text.get("body", "").strip()) <= MAX_BODY:
            problems.append(f"{language}: the text must be 1 to {MAX_BODY} characters")
        segments = count_segments(sms_text(text)).segments
        if segments > MAX_SMS_SEGMENTS:
            problems.append(
                f"{language}: the SMS would take {segments} segments; "
                f"write a shorter SMS text (at most {MAX_SMS_SEGMENTS})"
            )
    if problems:
        raise ValidationError("; ".join(problems), field="announcement")


def sms_text(text: Mapping[str, str]) -> str:
    """The SMS of one language: its own short text, else title and text."""
    own = text.get("sms", "").strip()
    return own or f"{text.get('title', '').strip()}: {text.get('body', '').strip()}"


def publish(
    session: Session,
    *,
    kind: str,
    texts: Mapping[str, Mapping[str, str]],
    places: Sequence[str],
    starts_at: datetime,
    ends_at: datetime | None,
    user: User | None,
    now: datetime,
) -> Announcement:
    """A new announcement, shown from ``starts_at`` until ``ends_at``."""
    _check(texts, kind, places)
    if ends_at is not None and ends_at <= starts_at:
        raise ValidationError("the end must be after the start", field="ends_at")
    announcement = Announcement(
        kind=kind,
        texts={lang: {k: v.strip() for k, v in t.items()} for lang, t in texts.items()},
        places=list(dict.fromkeys(places)),
        starts_at=starts_at,
        ends_at=ends_at,
        created_by=user.id if user else None,
        created_at=now,
        updated_at=now,
    )
    session.add(announcement)
    session.flush()
    audit.record(
        session,
        None,
        audit.Actor.of(user) if user else audit.SYSTEM,
        "announcement_published",
        "",
        {"announcement_id": announcement.id, "kind": kind, "places": announcement.places},
        at=now,
    )
    return announcement


def withdraw(
    session: Session, announcement: Announcement, user: User | None, now: datetime
) -> None:
    """Stop showing it now; deliveries not yet in the outbox are cancelled."""
    announcement.withdrawn_at = now
    announcement.updated_at = now
    audit.record(
        session,
        None,
        audit.Actor.of(user) if user else audit.SYSTEM,
        "announcement_withdrawn",
        "",
        {"announcement_id": announcement.id},
        at=now,
    )


def announcement_text(announcement: Announcement, language: str) -> tuple[str, dict[str, str]]:
    for code in (language, "fi", "en", "sv"):
        if code in announcement.texts:
            return code, announcement.texts[code]
    code = next(iter(announcement.texts))
    return code, announcement.texts[code]


def current(session: Session, place: str, now: datetime, language: str) -> list[Notice]:
    """The announcements shown at ``place`` now, newest first."""
    rows = session.execute(
        select(Announcement)
        .where(
            Announcement.starts_at <= now,
            (Announcement.ends_at.is_(None)) | (Announcement.ends_at > now),
            Announcement.withdrawn_at.is_(None),
        )
        .order_by(Announcement.starts_at.desc(), Announcement.id.desc())
        .limit(50)
    ).scalars()
    notices = []
    for row in rows:
        if place not in row.places:
            continue
        code, text = announcement_text(row, language)
        notices.append(
            Notice(row.id, row.kind, text["title"], text["body"], code, row.starts_at, row.ends_at)
        )
    return notices
