"""Satisfaction surveys: when a ticket is resolved, its contact gets a
link ``/survey/<token>`` in the "resolved" notice, and in email one link
per answer (``?score=N``: the page opens with that answer chosen, sent
with one press); three smileys (1 not helpful, 2 partly, 3 helpful) and
an optional comment, no login.

- One survey per ticket.  The token (192 random bits) is stored only as its
  SHA-256; resolving the ticket again mints a new link for the same survey,
  so the newest message always works and there is still one answer.
- The first answer is accepted for ``ANSWER_DAYS`` after the link was sent;
  a given answer can be changed for ``CHANGE_DAYS`` after it was first
  given, then it is final.
- ``answer`` stores the comment with personal identity codes masked.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from servicedesk import audit, auto_notices
from servicedesk import runtime as runtime_module
from servicedesk.errors import ConflictError, NotFoundError, ValidationError
from servicedesk.masking import mask_identity_codes
from servicedesk.models import Message, Survey, Ticket
from servicedesk.runtime import Runtime

logger = logging.getLogger(__name__)

ANSWER_DAYS = 30
CHANGE_DAYS = 7
SCORES = (1, 2, 3)
MAX_COMMENT = 2000
_TOKEN = re.compile(r"[A-Za-z0-9_-]{22,64}")
SURVEY_ACTOR = audit.Actor("the contact (satisfaction survey)")


class SurveyState(StrEnum):
    OPEN = "open"  # not answered yet, the link is valid
    EXPIRED = "expired"  # never answered, too late now
    CHANGEABLE = "changeable"  # answered, may still be changed
    FINAL = "final"  # answered, no longer changeable


@dataclass(frozen=True, slots=True)
class SurveyResult:
    """A ticket's survey as the console shows it."""

    state: SurveyState
    score: int | None
    comment: str
    sent_at: datetime
    answered_at: datetime | None
    changed_at: datetime | None

    @property
    def change_until(self) -> datetime | None:
        """Until when the contact may still change the answer."""
        if self.answered_at is None:
            return None
        return self.answered_at + timedelta(days=CHANGE_DAYS)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def survey_url(runtime: Runtime, token: str, score: int | None = None) -> str:
    """The survey's page; with ``score``, the page with that answer chosen
    (to be confirmed there: opening a link records nothing, since mail
    scanners open links too)."""
    url = f"{runtime.settings.base_url}/survey/{token}"
    return f"{url}?score={score}" if score in SCORES else url


def survey_links(runtime: Runtime, token: str) -> dict[str, str]:
    """The template variables of the "resolved" notice: the page and one
    link per answer."""
    return {
        "survey_url": survey_url(runtime, token),
        "survey_yes_url": survey_url(runtime, token, 3),
        "survey_partly_url": survey_url(runtime, token, 2),
        "survey_no_url": survey_url(runtime, token, 1),
    }


def state(survey: Survey, now: datetime) -> SurveyState:
    if survey.answered_at is None:
        return SurveyState.OPEN if now <= survey.expires_at else SurveyState.EXPIRED
    if now <= survey.answered_at + timedelta(days=CHANGE_DAYS):
        return SurveyState.CHANGEABLE
    return SurveyState.FINAL


def change_deadline(survey: Survey) -> datetime | None:
    """Until when a given answer can be changed (None: not answered yet)."""
    if survey.answered_at is None:
        return None
    return survey.answered_at + timedelta(days=CHANGE_DAYS)


def open_survey(session: Session, ticket: Ticket, now: datetime) -> tuple[Survey, str]:
    """The ticket's survey (made on first use) with a fresh token."""
    token = secrets.token_urlsafe(24)
    survey = session.execute(
        select(Survey).where(Survey.ticket_id == ticket.id)
    ).scalar_one_or_none()
    if survey is None:
        survey = Survey(ticket_id=ticket.id, created_at=now, expires_at=now)
        session.add(survey)
    survey.token_hash = hash_token(token)
    survey.language = ticket.language
    survey.sent_at = now
    survey.expires_at = max(survey.expires_at, now + timedelta(days=ANSWER_DAYS))
    session.flush()
    return survey, token


def on_resolved(
    session: Session, runtime: Runtime | None, ticket: Ticket, *, now: datetime | None = None
) -> Message | None:
    """The hook ``tickets.change_status`` calls when a ticket becomes
    resolved: the "resolved" notice to the contact, with the survey link
    unless the survey was already answered for good.  ``runtime`` None
    means the installed one (``change_status`` is not given one)."""
    if ticket.contact_id is None or ticket.merged_into_id is not None:
        return None
    if runtime is None:
        try:
            runtime = runtime_module.current()
        except RuntimeError:  # a bare session with no runtime: no messages
            logger.warning("ticket %s resolved without a runtime: no survey sent", ticket.id)
            return None
    now = now or runtime.now()
    survey, token = open_survey(session, ticket, now)
    links = survey_links(runtime, token)
    if state(survey, now) is SurveyState.FINAL:
        links = dict.fromkeys(links, "")
    message = auto_notices.send_notice(session, runtime, ticket, "resolved", **links)
    if message is not None:
        survey.channel = message.channel
    return message


def survey_by_token(session: Session, token: str) -> Survey | None:
    """The survey a link leads to; None for anything else."""
    if not _TOKEN.fullmatch(token or ""):
        return None
    return session.execute(
        select(Survey).where(Survey.token_hash == hash_token(token))
    ).scalar_one_or_none()


def answer(session: Session, token: str, score: int, comment: str, now: datetime) -> Survey:
    """Record (or change) the answer behind a link; audited on the ticket.
    The caller commits."""
    survey = survey_by_token(session, token)
    if survey is None:
        raise NotFoundError("no such survey")
    if score not in SCORES:
        raise ValidationError("choose one of the three answers", field="score")
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise ValidationError(
            f"the comment is longer than {MAX_COMMENT} characters", field="comment"
        )
    comment = mask_identity_codes(comment)[0]
    current = state(survey, now)
    if current is SurveyState.EXPIRED:
        raise ConflictError("this survey has expired", field="score")
    if current is SurveyState.FINAL:
        raise ConflictError("the answer can no longer be changed", field="score")
    changed = survey.answered_at is not None
    audit.record(
        session,
        survey.ticket_id,
        SURVEY_ACTOR,
        "survey_changed" if changed else "survey_answered",
        "",
        {"score": score, "from": survey.score} if changed else {"score": score},
        at=now,
    )
    if changed:
        survey.changed_at = now
    else:
        survey.answered_at = now
    survey.score = score
    survey.comment = comment
    session.flush()
    return survey


def result_for_ticket(session: Session, ticket_id: int, now: datetime) -> SurveyResult | None:
    """The ticket's survey and its answer, or None when none was sent."""
    survey = session.execute(
        select(Survey).where(Survey.ticket_id == ticket_id)
    ).scalar_one_or_none()
    if survey is None:
        return None
    return SurveyResult(
        state=state(survey, now),
        score=survey.score,
        comment=survey.comment,
        sent_at=survey.sent_at,
        answered_at=survey.answered_at,
        changed_at=survey.changed_at,
    )
