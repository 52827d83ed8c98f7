"""Satisfaction surveys: resolving a ticket sends the one-click link; one
answer per ticket, changeable for 7 days, no login; a token opens its own
survey and nothing else; the public page is accessible and private."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from servicedesk import feedback, tickets
from servicedesk.errors import ConflictError, NotFoundError, ValidationError
from servicedesk.extensions import limiter
from servicedesk.feedback import SurveyState
from servicedesk.models import AuditEvent, OutboxItem, Survey
from tests.integration.issue7_kit import at, make_contact, make_ticket

NOW = at("2026-03-02 10:00")
LINK = re.compile(r"http://desk\.test/survey/([A-Za-z0-9_-]+)")


@pytest.fixture
def clock(rt):
    moments = [NOW]
    rt.clock = lambda: moments[-1]
    return moments


def resolve(session, rt, ticket) -> str:
    """Resolve through the status change and return the link's token."""
    tickets.change_status(session, ticket, "resolved", None, "answered", rt.now())
    session.flush()
    item = (
        session.execute(
            select(OutboxItem)
            .where(OutboxItem.ticket_id == ticket.id, OutboxItem.kind == "resolved")
            .order_by(OutboxItem.id.desc())
        )
        .scalars()
        .first()
    )
    assert item is not None, "the resolved notice was queued"
    match = LINK.search(item.payload["text"])
    assert match, item.payload["text"]
    return match.group(1)


def test_resolving_sends_the_survey_link_by_email(session, rt, clock) -> None:
    contact = make_contact(session, name="Aino", email="aino@example.org")
    ticket = make_ticket(session, NOW, contact=contact, language="en")
    token = resolve(session, rt, ticket)
    assert len(token) >= 22  # at least 128 random bits, URL-safe
    survey = session.execute(select(Survey).where(Survey.ticket_id == ticket.id)).scalar_one()
    assert survey.token_hash == feedback.hash_token(token) and token not in survey.token_hash
    assert survey.channel == "email" and survey.language == "en"
    item = session.execute(select(OutboxItem).where(OutboxItem.kind == "resolved")).scalar_one()
    assert item.to_address == "aino@example.org"
    assert item.payload["subject"] == f"Your question has been resolved [#{ticket.number}]"
    kinds = [e.kind for e in tickets.events(session, ticket.id)]
    assert kinds[-2:] == ["notice_resolved", "status_changed"]


def test_resolving_an_sms_ticket_sends_a_short_sms(session, rt, clock) -> None:
    contact = make_contact(session, phone="+358401234567")
    ticket = make_ticket(session, NOW, contact=contact, channel="sms")
    token = resolve(session, rt, ticket)
    item = session.execute(select(OutboxItem).where(OutboxItem.kind == "resolved")).scalar_one()
    assert item.channel == "sms" and item.to_address == "+358401234567"
    assert item.payload["text"].strip() == (
        f"Kysymyksesi {ticket.number} on ratkaistu. Auttoiko vastaus? "
        f"Kerro meille: http://desk.test/survey/{token}"
    )


def test_opted_out_number_gets_email_or_nothing(session, rt, clock) -> None:
    contact = make_contact(session, phone="+358401234568", opted_out=NOW)
    ticket = make_ticket(session, NOW, contact=contact, channel="sms")
    tickets.change_status(session, ticket, "resolved", None, "", rt.now())
    assert session.execute(select(OutboxItem).where(OutboxItem.kind == "resolved")).first() is None
    skipped = session.execute(
        select(AuditEvent).where(AuditEvent.kind == "notice_resolved")
    ).scalar_one()
    assert skipped.data == {"sent": False} and "opted out" in skipped.reason


def test_answer_and_change_within_seven_days_then_final(session, rt, clock) -> None:
    ticket = make_ticket(session, NOW, contact=make_contact(session, email="a@example.org"))
    token = resolve(session, rt, ticket)
    first = NOW + timedelta(hours=2)
    survey = feedback.answer(session, token, 1, "Ei auttanut", first)
    assert (survey.score, survey.comment, survey.answered_at) == (1, "Ei auttanut", first)
    changed = feedback.answer(session, token, 3, "Sittenkin auttoi", first + timedelta(days=6))
    assert (changed.score, changed.answered_at, changed.id) == (3, first, survey.id)
    assert feedback.state(changed, first + timedelta(days=7)) is SurveyState.CHANGEABLE
    with pytest.raises(ConflictError):
        feedback.answer(session, token, 2, "", first + timedelta(days=7, seconds=1))
    result = feedback.result_for_ticket(session, ticket.id, first + timedelta(days=8))
    assert result is not None and (result.state, result.score) == (SurveyState.FINAL, 3)
    kinds = [e.kind for e in tickets.events(session, ticket.id) if e.kind.startswith("survey")]
    assert kinds == ["survey_answered", "survey_changed"]
    assert session.execute(select(Survey)).scalars().all() == [changed]  # one per ticket


def test_an_unanswered_survey_expires(session, rt, clock) -> None:
    ticket = make_ticket(session, NOW, contact=make_contact(session, email="b@example.org"))
    token = resolve(session, rt, ticket)
    with pytest.raises(ConflictError):
        feedback.answer(session, token, 3, "", NOW + timedelta(days=feedback.ANSWER_DAYS, hours=1))


def test_invalid_answers_are_refused(session, rt, clock) -> None:
    ticket = make_ticket(session, NOW, contact=make_contact(session, email="c@example.org"))
    token = resolve(session, rt, ticket)
    with pytest.raises(ValidationError):
        feedback.answer(session, token, 4, "", NOW)
    with pytest.raises(ValidationError):
        feedback.answer(session, token, 3, "x" * (feedback.MAX_COMMENT + 1), NOW)


def test_a_token_opens_its_own_survey_only(session, rt, clock) -> None:
    one = make_ticket(session, NOW, contact=make_contact(session, email="one@example.org"))
    two = make_ticket(session, NOW, contact=make_contact(session, email="two@example.org"))
    token_one, token_two = resolve(session, rt, one), resolve(session, rt, two)
    assert token_one != token_two
    feedback.answer(session, token_one, 1, "", NOW)
    assert feedback.survey_by_token(session, token_two).ticket_id == two.id
    assert feedback.result_for_ticket(session, two.id, NOW).score is None
    for wrong in [
        "",
        "x",
        token_one[:-1],
        token_one + "A",
        token_one.upper(),
        "../" + token_one,
        feedback.hash_token(token_one),
        one.status_token,
    ]:
        assert feedback.survey_by_token(session, wrong) is None, wrong
        with pytest.raises(NotFoundError):
            feedback.answer(session, wrong, 3, "", NOW)


def test_resolving_again_sends_a_new_link_for_the_same_survey(session, rt, clock) -> None:
    ticket = make_ticket(session, NOW, contact=make_contact(session, email="d@example.org"))
    old = resolve(session, rt, ticket)
    feedback.answer(session, old, 2, "", NOW)
    tickets.change_status(session, ticket, "open", None, "the contact wrote again", NOW)
    new = resolve(session, rt, ticket)
    assert new != old and feedback.survey_by_token(session, old) is None
    assert feedback.answer(session, new, 3, "", NOW + timedelta(days=1)).score == 3
    # after the change window the next resolution sends no link at all
    clock.append(NOW + timedelta(days=30))
    tickets.change_status(session, ticket, "open", None, "again", clock[-1])
    tickets.change_status(session, ticket, "resolved", None, "", clock[-1])
    last = (
        session.execute(
            select(OutboxItem).where(OutboxItem.kind == "resolved").order_by(OutboxItem.id.desc())
        )
        .scalars()
        .first()
    )
    assert "/survey/" not in last.payload["text"]


def test_no_contact_no_survey(session, rt, clock) -> None:
    ticket = make_ticket(session, NOW)
    tickets.change_status(session, ticket, "resolved", None, "", NOW)
    assert session.execute(select(Survey)).first() is None


# -- the public page ---------------------------------------------------------

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def web(app, client):
    app.config.update(WTF_CSRF_ENABLED=True)
    limiter.reset()
    return client


def post_answer(web, token: str, **data: str):
    page = web.get(f"/survey/{token}?lang=fi").get_data(as_text=True)
    csrf = CSRF.search(page).group(1)
    return web.post(f"/survey/{token}?lang=fi", data={"csrf_token": csrf, **data})


def survey_token(session, rt) -> str:
    ticket = make_ticket(
        session, rt.now(), contact=make_contact(session, email="web@example.org"), language="sv"
    )
    token = resolve(session, rt, ticket)
    session.commit()
    return token


def test_survey_page_is_accessible_and_private(session, rt, web, clock) -> None:
    token = survey_token(session, rt)
    first = web.get(f"/survey/{token}")
    assert first.status_code == 302 and first.headers["Location"].endswith("lang=sv")
    response = web.get(f"/survey/{token}?lang=fi")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "<fieldset" in page and "<legend>" in page
    for value in ("1", "2", "3"):
        assert re.search(
            rf'<label for="score-{value}"><input type="radio" id="score-{value}"', page
        )
    assert '<span aria-hidden="true">🙂</span>' in page  # the smiley is decoration
    assert '<label for="comment">' in page and 'aria-describedby="comment-hint"' in page


def test_answering_on_the_page(session, rt, web, clock) -> None:
    token = survey_token(session, rt)
    refused = post_answer(web, token, comment="ilman valintaa")
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert 'id="error-summary"' in page and 'aria-describedby="score-error"' in page
    assert "ilman valintaa" in page  # what was written is kept
    done = post_answer(web, token, score="3", comment="Hetu 131052-308T, kiitos!")
    assert done.status_code == 302
    survey = feedback.survey_by_token(session, token)
    session.refresh(survey)
    assert survey.score == 3 and "131052-308T" not in survey.comment
    assert survey.comment.endswith(", kiitos!")
    again = web.get(f"/survey/{token}?lang=fi").get_data(as_text=True)
    assert 'value="3" checked' in again


def test_unknown_survey_token_is_a_plain_404(session, rt, web, clock) -> None:
    survey_token(session, rt)
    for token in ["x" * 32, "short", "%2e%2e"]:
        response = web.get(f"/survey/{token}?lang=fi")
        assert response.status_code == 404
    assert web.post("/survey/" + "y" * 32 + "?lang=fi", data={"score": "3"}).status_code in {
        400,
        404,
    }


def test_a_final_answer_cannot_be_changed_on_the_page(session, rt, web, clock) -> None:
    token = survey_token(session, rt)
    assert post_answer(web, token, score="2").status_code == 302
    clock.append(NOW + timedelta(days=8))
    page = web.get(f"/survey/{token}?lang=en")
    assert "can no longer be changed" in page.get_data(as_text=True)
    assert "<form" not in page.get_data(as_text=True)
