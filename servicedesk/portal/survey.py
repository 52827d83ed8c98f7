"""``/survey/<token>``: the satisfaction survey behind the link in the
"resolved" notice.  Three answers (each a radio button with its words, the
smiley only decoration) and an optional comment; no login.  The message
has a link per answer (``?score=N``): the page opens with it chosen, and
one press sends it; opening a link never records anything.  The token is
the only key, every page is private (no caching, no referrer), an unknown
token is a plain 404, and the rules (one answer per ticket, changeable for
7 days) are ``servicedesk.feedback``'s.  The comment is stored with any
personal identity code masked."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from servicedesk import feedback
from servicedesk.errors import ConflictError, ValidationError
from servicedesk.models import Survey, Ticket
from servicedesk.portal import portal
from servicedesk.portal.pages import (
    LANGUAGES,
    count_submission,
    lang_url,
    mark_private,
    rate_limited,
)
from servicedesk.web import db, runtime


def _survey_or_404(token: str) -> Survey:
    mark_private()
    survey = feedback.survey_by_token(db(), token)
    if survey is None:
        abort(404)
    return survey


def _choices() -> list[tuple[int, str, str]]:
    return [
        (3, "🙂", _("Yes, it helped")),
        (2, "😐", _("It helped partly")),
        (1, "🙁", _("No, it did not help")),
    ]


def _page(
    token: str,
    survey: Survey,
    *,
    score: int | None = None,
    comment: str | None = None,
    error: str = "",
    error_field: str = "",
    http_status: int = 200,
    from_link: bool = False,
) -> ResponseReturnValue:
    ticket = db().get(Ticket, survey.ticket_id)
    now = runtime().now()
    return render_template(
        "portal/survey.html",
        token=token,
        number=ticket.number if ticket else "",
        state=feedback.state(survey, now).value,
        answered=survey.answered_at is not None,
        change_until=feedback.change_deadline(survey),
        choices=_choices(),
        score=score if score is not None else survey.score,
        comment=comment if comment is not None else survey.comment,
        max_comment=feedback.MAX_COMMENT,
        error=error,
        error_field=error_field,
        from_link=from_link,
    ), http_status


def _link_score() -> int | None:
    """The answer chosen in the message (``?score=N``), if any."""
    raw = request.args.get("score", "")
    return int(raw) if raw in {"1", "2", "3"} else None


@portal.get("/survey/<token>")
def survey_view(token: str) -> ResponseReturnValue:
    """The survey; from an answer's own link, with that answer chosen but
    not recorded: mail scanners open links too, so only the form's post
    counts."""
    survey = _survey_or_404(token)
    score = _link_score()
    if request.args.get("lang") not in LANGUAGES:
        # The link in the message has no language: the ticket's, then.
        return redirect(
            url_for("portal.survey_view", token=token, lang=survey.language, score=score)
        )
    return _page(token, survey, score=score, from_link=score is not None)


@portal.post("/survey/<token>")
@rate_limited
def survey_answer(token: str) -> ResponseReturnValue:
    session = db()
    survey = _survey_or_404(token)
    raw_score = request.form.get("score", "")
    score = int(raw_score) if raw_score in {"1", "2", "3"} else 0
    comment = request.form.get("comment", "")
    try:
        feedback.answer(session, token, score, comment, runtime().now())
    except ValidationError as exc:
        session.rollback()
        field = "score" if exc.field == "score" else "comment"
        message = (
            _("Choose one of the three answers.")
            if field == "score"
            else _(
                "Write a shorter comment: at most %(count)s characters.",
                count=feedback.MAX_COMMENT,
            )
        )
        return _page(
            token,
            survey,
            score=score or None,
            comment=comment,
            error=message,
            error_field=field,
            http_status=422,
        )
    except ConflictError:
        session.rollback()
        return _page(token, session.get(Survey, survey.id) or survey, http_status=409)
    session.commit()
    count_submission()
    flash(_("Thank you for your answer."), "success")
    return redirect(lang_url("portal.survey_view", token=token))
