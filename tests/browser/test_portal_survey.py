"""The satisfaction survey in a real browser, reached through the links of
a resolved ticket's "resolved" mail (as queued in the outbox): the open
page, the "no choice" error and the thank-you page (still changeable) all
pass axe-core; one answer given with the keyboard alone; and an answer's
own link (``?score=N``) opens the page with that answer chosen, records
nothing until the button is pressed, then records it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from servicedesk import feedback
from servicedesk.extensions import limiter
from servicedesk.models import OutboxItem, Survey
from tests.browser.conftest import assert_accessible
from tests.integration.issue7_kit import make_contact, make_ticket

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> None:
    limiter.reset()


def resolved_mail(live, email: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    """A ticket resolved now (in English); its id and the queued mail's text."""
    now = live.runtime.now()
    with live.runtime.db.transaction() as session:
        contact = make_contact(session, name="Alex", email=email, language="en")
        ticket = make_ticket(
            session,
            now,
            contact=contact,
            language="en",
            status="resolved",
            resolved_at=now,
            subject="When does the joint application start?",
        )
        feedback.on_resolved(session, live.runtime, ticket, now=now)
        ticket_id = ticket.id
    with live.runtime.db.session() as session:
        item = session.execute(
            select(OutboxItem).where(
                OutboxItem.ticket_id == ticket_id, OutboxItem.kind == "resolved"
            )
        ).scalar_one()
        return ticket_id, str(item.payload["text"])


def links(live, text: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The mail's survey links by answer ("3", "2", "1")."""
    found = dict(
        (score, url)
        for url, score in re.findall(
            re.escape(live.url) + r"(/survey/[A-Za-z0-9_-]+\?score=([123]))", text
        )
    )
    assert set(found) == {"1", "2", "3"}, text
    return found


def survey_of(live, ticket_id: int) -> Survey:  # type: ignore[no-untyped-def]
    with live.runtime.db.session() as session:
        return session.execute(select(Survey).where(Survey.ticket_id == ticket_id)).scalar_one()


def test_survey_pages_are_accessible_and_work_with_the_keyboard(live, page) -> None:
    ticket_id, text = resolved_mail(live, "alex.keyboard@example.org")
    plain = links(live, text)["3"].partition("?")[0]  # the survey without a choice

    page.goto(live.url + plain)
    assert re.search(r"/survey/[^?]+\?lang=en$", page.url)  # the ticket's language
    page.get_by_role("heading", level=1, name="Did our answer help you?").wait_for()
    assert not page.locator("input[name=score]:checked").count()
    assert_accessible(page, context="(the open survey)")

    page.get_by_role("button", name="Send my answer").click()
    page.locator("#error-summary").wait_for()
    assert "Choose one of the three answers." in page.inner_text("#error-summary")
    assert_accessible(page, context="(no answer chosen)")
    assert survey_of(live, ticket_id).answered_at is None

    # The keyboard alone: into the radio group, an arrow to "partly", a
    # comment, and Enter on the button.
    page.goto(live.url + plain + "?lang=en")
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.name") == "score":
            break
    else:
        pytest.fail("Tab never reached the answers")
    page.keyboard.press("ArrowDown")
    assert page.locator("#score-2").is_checked()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "comment"
    page.keyboard.type("Clear, thank you.")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "submit"
    page.keyboard.press("Enter")
    page.get_by_text("Thank you for your answer.").wait_for()
    assert page.locator("#score-2").is_checked()
    assert "We have your answer. You can change it until" in page.inner_text("main")
    page.get_by_role("button", name="Change my answer").wait_for()
    assert_accessible(page, context="(answered, still changeable)")

    survey = survey_of(live, ticket_id)
    assert (survey.score, survey.comment) == (2, "Clear, thank you.")


def test_an_answers_own_link_chooses_it_and_one_press_sends_it(live, page) -> None:
    ticket_id, text = resolved_mail(live, "alex.link@example.org")
    page.goto(live.url + links(live, text)["1"])
    assert re.search(r"\?(score=1&lang=en|lang=en&score=1)$", page.url)
    assert page.locator("#score-1").is_checked()
    assert page.locator("#survey-from-link").is_visible()
    assert_accessible(page, context="(an answer chosen by the link)")
    # Opening the link recorded nothing: mail scanners open links too.
    assert survey_of(live, ticket_id).answered_at is None

    page.get_by_role("button", name="Send my answer").click()
    page.get_by_text("Thank you for your answer.").wait_for()
    assert not page.locator("#survey-from-link").count()
    survey = survey_of(live, ticket_id)
    assert survey.score == 1 and survey.answered_at is not None
