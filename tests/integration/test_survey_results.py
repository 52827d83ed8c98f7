"""Survey results in the console and the one-click answer links: the
ticket page has a "Satisfaction" box (not sent, waiting, answered with
the words, comment and times in Finnish time) and history lines in the
user's language; the "resolved" email has one link per answer, and such
a link opens the page with the answer chosen but records nothing until
the form is sent."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from servicedesk import feedback, tickets
from servicedesk.extensions import limiter
from servicedesk.models import OutboxItem, Survey
from tests.integration import console_kit
from tests.integration.console_kit import csrf_of, fast_sign_in, make_user
from tests.integration.issue7_kit import at, make_contact, make_ticket

app = console_kit.app  # the fixture, with compiled templates shared between tests

NOW = at("2026-03-02 10:00")  # 12.00 in Helsinki
SCORE_LINK = re.compile(r"(http://desk\.test/survey/[A-Za-z0-9_-]+)\?score=([123])")


@pytest.fixture
def clock(rt):  # type: ignore[no-untyped-def]
    moments = [NOW]
    rt.clock = lambda: moments[-1]
    return moments


@pytest.fixture(autouse=True)
def fresh_rate_limits(app):  # type: ignore[no-untyped-def]
    limiter.reset()


def resolve(session, rt, ticket) -> str:  # type: ignore[no-untyped-def]
    tickets.change_status(session, ticket, "resolved", None, "answered", rt.now())
    session.commit()
    item = session.execute(
        select(OutboxItem).where(OutboxItem.ticket_id == ticket.id, OutboxItem.kind == "resolved")
    ).scalar_one()
    return str(item.payload["text"])


def agent_page(client, session, number: str, language: str = "en") -> str:  # type: ignore[no-untyped-def]
    user = make_user(session, "agent", ui_language=language)
    session.commit()
    fast_sign_in(client, user)
    response = client.get(f"/console/tickets/{number}")
    assert response.status_code == 200
    return str(response.get_data(as_text=True))


def survey_box(page: str) -> str:
    start = page.index('aria-labelledby="survey-heading"')
    return page[start : page.index("</section>", start)]


def test_resolved_email_has_one_link_per_answer(session, rt, clock) -> None:
    contact = make_contact(session, email="aino@example.org", language="en")
    ticket = make_ticket(session, NOW, contact=contact, language="en")
    text = resolve(session, rt, ticket)
    links = SCORE_LINK.findall(text)
    assert [score for _url, score in links] == ["3", "2", "1"]
    assert len({url for url, _score in links}) == 1  # the same survey
    assert "🙂 Yes, it helped: " in text and "🙁 No, it did not help: " in text


def test_resolved_sms_keeps_a_single_link(session, rt, clock) -> None:
    """Three links do not fit two GSM-7 segments with a real base URL."""
    contact = make_contact(session, phone="+358401234599")
    ticket = make_ticket(session, NOW, contact=contact, channel="sms")
    text = resolve(session, rt, ticket)
    assert "?score=" not in text and text.count("http://desk.test/survey/") == 1


def test_score_link_preselects_without_recording(client, session, rt, clock) -> None:
    ticket = make_ticket(session, NOW, contact=make_contact(session, email="b@example.org"))
    url, _ = SCORE_LINK.findall(resolve(session, rt, ticket))[2]  # "no"
    path = url.removeprefix("http://desk.test")
    first = client.get(f"{path}?score=1")
    assert first.status_code == 302  # to the ticket's language, the choice kept
    assert "lang=fi" in first.location and "score=1" in first.location
    page = client.get(f"{path}?score=1&lang=en").get_data(as_text=True)
    assert re.search(r'id="score-1" name="score" value="1" checked', page)
    assert 'id="survey-from-link"' in page
    session.expire_all()
    survey = session.execute(select(Survey).where(Survey.ticket_id == ticket.id)).scalar_one()
    assert survey.answered_at is None and survey.score is None  # a GET records nothing
    sent = client.post(
        f"{path}?lang=en", data={"csrf_token": csrf_of(page), "score": "1", "comment": ""}
    )
    assert sent.status_code == 302
    session.expire_all()
    assert session.get(Survey, survey.id).score == 1  # type: ignore[union-attr]


def test_a_bad_score_in_the_link_is_ignored(client, session, rt, clock) -> None:
    ticket = make_ticket(session, NOW, contact=make_contact(session, email="c@example.org"))
    url, _ = SCORE_LINK.findall(resolve(session, rt, ticket))[0]
    page = client.get(url.removeprefix("http://desk.test") + "?score=9&lang=en")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and " checked" not in text and "survey-from-link" not in text


def test_console_box_when_no_survey_was_sent(client, session, rt, clock) -> None:
    ticket = make_ticket(session, NOW, contact=make_contact(session, email="d@example.org"))
    session.commit()
    box = survey_box(agent_page(client, session, ticket.number))
    assert "Satisfaction" in box and "No survey has been sent." in box


def test_console_box_while_waiting_for_an_answer(client, session, rt, clock) -> None:
    ticket = make_ticket(session, NOW, contact=make_contact(session, email="e@example.org"))
    resolve(session, rt, ticket)
    box = survey_box(agent_page(client, session, ticket.number))
    assert "Waiting for an answer." in box
    assert '<time datetime="2026-03-02T10:00:00+00:00">2.3.2026 12:00</time>' in box


def test_console_box_and_history_after_an_answer_and_a_change(client, session, rt, clock) -> None:
    ticket = make_ticket(session, NOW, contact=make_contact(session, email="f@example.org"))
    url, _ = SCORE_LINK.findall(resolve(session, rt, ticket))[0]
    token = url.rsplit("/", 1)[1]
    feedback.answer(session, token, 1, "Vastaus oli <epäselvä>", NOW + timedelta(hours=1))
    feedback.answer(session, token, 2, "Sittenkin osittain", NOW + timedelta(days=1))
    session.commit()
    page = agent_page(client, session, ticket.number)
    box = survey_box(page)
    assert "😐" in box and "It helped partly" in box and "Sittenkin osittain" in box
    assert "2.3.2026 13:00" in box  # answered, in Finnish time
    assert "3.3.2026 12:00" in box  # changed
    assert "Can be changed until" in box and "9.3.2026 13:00" in box
    assert "Satisfaction survey answered" in page
    assert "Satisfaction survey answer changed" in page
    assert "No, it did not help → " in page
    assert "Notice: resolved, with the survey link" in page and "sent (Email)" in page
    assert "survey_answered</strong>" not in page


def test_console_box_speaks_finnish(client, session, rt, clock) -> None:
    ticket = make_ticket(session, NOW, contact=make_contact(session, email="g@example.org"))
    url, _ = SCORE_LINK.findall(resolve(session, rt, ticket))[0]
    feedback.answer(session, url.rsplit("/", 1)[1], 3, "", NOW + timedelta(hours=1))
    session.commit()
    page = agent_page(client, session, ticket.number, language="fi")
    box = survey_box(page)
    assert "Tyytyväisyys" in box and "Kyllä, se auttoi" in box
    assert "2.3.2026 klo 13.00" in box
    assert "Tyytyväisyyskyselyyn vastattu" in page


def test_final_answer_is_shown_without_a_change_deadline(client, session, rt, clock) -> None:
    ticket = make_ticket(session, NOW, contact=make_contact(session, email="h@example.org"))
    url, _ = SCORE_LINK.findall(resolve(session, rt, ticket))[0]
    feedback.answer(session, url.rsplit("/", 1)[1], 3, "", NOW)
    session.commit()
    clock.append(NOW + timedelta(days=feedback.CHANGE_DAYS + 1))
    box = survey_box(agent_page(client, session, ticket.number))
    assert "Yes, it helped" in box and "Can be changed until" not in box
