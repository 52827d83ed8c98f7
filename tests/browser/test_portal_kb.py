"""The public answers (/kb) and the contact form's suggestions in a real
browser, in Finnish, Swedish and English: search, results, no results,
a topic, an article (and one shown in another language), "did this help?"
and its thanks, all with axe-core; the smiley buttons with the keyboard;
answers suggested as the applicant types (the script) and with the
"look for ready answers first" button (no script); an announcement on the
contact form."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from servicedesk import announcements, knowledge
from servicedesk.extensions import limiter
from servicedesk.knowledge import Draft
from servicedesk.models import Announcement
from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.browser

WORDS = {
    "fi": {
        "h1": "Vastauksia yleisiin kysymyksiin",
        "search": "Hae",
        "query": "yhteishaku",
        "title": "Yhteishaun aikataulu",
        "found": "Vastauksia löytyi: 1",
        "none": "Ei vastauksia haulla",
        "topic": "Miten ja milloin haetaan",
        "yes": "Kyllä, se auttoi",
        "thanks": "Kiitos vastauksestasi.",
    },
    "sv": {
        "h1": "Svar på vanliga frågor",
        "search": "Sök",
        "query": "gemensamma",
        "title": "Tidtabell för gemensam ansökan",
        "found": "Antal svar: 1",
        "none": "Inga svar för",
        "topic": "Hur och när man söker",
        "yes": "Ja, det hjälpte",
        "thanks": "Tack för ditt svar.",
        "fallback": "Det här svaret finns inte på svenska ännu. Det visas på finska.",
    },
    "en": {
        "h1": "Answers to common questions",
        "search": "Search",
        "query": "timetable",
        "title": "Joint application timetable",
        "found": "Answers found: 1",
        "none": "No answers for",
        "topic": "How and when to apply",
        "yes": "Yes, it helped",
        "thanks": "Thank you for your answer.",
        "fallback": "This answer is not written in English yet. It is shown in Finnish.",
    },
}
LANGUAGES = tuple(WORDS)
FUNDING_QUESTION = "Voinko saada aikuiskoulutustukea, jos opiskelen työn ohessa?"


@pytest.fixture(scope="module")
def articles(live) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """A trilingual answer about applying and a Finnish-only one about
    funding, published in the live server's database."""
    now = live.runtime.now()
    with live.runtime.db.transaction() as session:
        haku = knowledge.create(
            session,
            texts={
                "fi": Draft(
                    "Yhteishaun aikataulu",
                    "## Milloin?\n\nYhteishaku alkaa **maaliskuussa**.\n\n"
                    "![Hakulomakkeen etusivu](/static/kb/lomake.png)",
                ),
                "sv": Draft(
                    "Tidtabell för gemensam ansökan", "Den gemensamma ansökan börjar i mars."
                ),
                "en": Draft(
                    "Joint application timetable", "The joint application starts in March."
                ),
            },
            topics=["application"],
            author=None,
            now=now,
        )
        tuki = knowledge.create(
            session,
            texts={
                "fi": Draft(
                    "Aikuiskoulutustuki",
                    "Aikuiskoulutustukea voi hakea Työllisyysrahastosta, "
                    "kun opiskelet työn ohessa.",
                )
            },
            topics=["funding"],
            author=None,
            now=now,
        )
        for article in (haku, tuki):
            knowledge.publish(session, article, None, now)
        return {"haku": haku.id, "tuki": tuki.id}


@pytest.fixture
def announcement(live) -> Iterator[int]:  # type: ignore[no-untyped-def]
    """A congestion notice on the contact form, withdrawn afterwards so the
    other tests' pages stay as they were."""
    now = live.runtime.now()
    with live.runtime.db.transaction() as session:
        made = announcements.publish(
            session,
            kind="congestion",
            texts={
                "fi": {"title": "Ruuhkaa", "body": "Vastaamme tavallista hitaammin."},
                "en": {"title": "Busy days", "body": "We answer more slowly than usual."},
            },
            places=["contact_form"],
            starts_at=now - timedelta(minutes=1),
            ends_at=now + timedelta(hours=1),
            user=None,
            now=now,
        )
        made_id = made.id
    yield made_id
    with live.runtime.db.transaction() as session:
        row = session.get(Announcement, made_id)
        assert row is not None
        announcements.withdraw(session, row, None, live.runtime.now())


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> None:
    limiter.reset()


def search(page, words: str) -> None:  # type: ignore[no-untyped-def]
    page.fill("#kb-q", words)
    with page.expect_navigation():
        page.press("#kb-q", "Enter")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_search_browse_read_and_say_it_helped(live, page, articles, lang) -> None:  # type: ignore[no-untyped-def]
    words = WORDS[lang]
    page.goto(f"{live.url}/kb?lang={lang}")
    assert page.get_attribute("html", "lang") == lang
    assert page.locator("h1").inner_text() == words["h1"]
    assert_accessible(page, context="kb")

    search(page, words["query"])
    assert f"lang={lang}" in page.url
    assert words["found"] in page.locator(".kb-results").inner_text()
    assert page.locator(".kb-results a").first.inner_text() == words["title"]
    assert_accessible(page, context="kb, results")

    search(page, "zzzyx qwerty")
    assert words["none"] in page.locator("#results-title").inner_text()
    assert_accessible(page, context="kb, no results")

    with page.expect_navigation():
        page.get_by_role("link", name=words["topic"]).click()
    assert page.locator("h1").inner_text() == words["topic"]
    assert_accessible(page, context="kb, topic")

    with page.expect_navigation():
        page.get_by_role("link", name=words["title"]).click()
    assert page.locator("h1").inner_text() == words["title"]
    assert_accessible(page, context="kb, article")

    with page.expect_navigation():
        page.get_by_role("button", name=words["yes"]).click()
    thanks = page.locator("#kb-thanks")
    assert words["thanks"] in thanks.inner_text()
    assert page.evaluate("document.activeElement.id") == "kb-thanks"
    assert page.get_by_role("button", name=words["yes"]).count() == 0
    assert_accessible(page, context="kb, thanks")
    with live.runtime.db.session() as session:
        counts = knowledge.feedback_counts(session, articles["haku"])
    assert counts[lang][3] >= 1


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_an_answer_in_another_language_says_so(live, page, articles, lang) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live.url}/kb/{articles['tuki']}?lang={lang}")
    assert page.url.endswith(f"/kb/{articles['tuki']}-aikuiskoulutustuki?lang={lang}")
    assert page.get_attribute("html", "lang") == lang
    assert page.locator(".kb-note").inner_text() == WORDS[lang]["fallback"]
    assert page.get_attribute("h1", "lang") == "fi"
    assert_accessible(page, context="kb, article in Finnish")


def test_the_smileys_work_with_the_keyboard(live, page, articles) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live.url}/kb/{articles['tuki']}?lang=fi")
    buttons = page.locator(".smileys button")
    assert buttons.count() == 3
    buttons.first.focus()
    page.keyboard.press("Tab")
    assert "Se auttoi osittain" in page.evaluate("document.activeElement.textContent")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Kiitos vastauksestasi." in page.locator("#kb-thanks").inner_text()
    assert "Olemme pahoillamme" in page.locator("#kb-thanks").inner_text()


def test_the_contact_form_suggests_answers_as_the_applicant_types(  # type: ignore[no-untyped-def]
    live, page, articles, announcement
) -> None:
    page.goto(f"{live.url}/contact?lang=fi")
    notice = page.get_by_role("region", name="Tiedotteet")
    assert "Ruuhkaa" in notice.inner_text()
    page.locator("#message").press_sequentially(FUNDING_QUESTION, delay=5)
    first = page.locator("#kb-suggestions a").first
    first.wait_for()
    assert first.inner_text().startswith("Aikuiskoulutustuki")
    assert first.get_attribute("target") == "_blank"
    assert page.get_attribute("#kb-suggestions", "aria-live") == "polite"
    assert_accessible(page, context="contact, with suggestions and an announcement")
    # the button lists them too (the page it gives is the one without the script)
    page.fill("#email", "ehdotus@example.org")
    with page.expect_navigation():
        page.get_by_role("button", name="Etsi ensin valmiita vastauksia").click()
    assert page.locator("#kb-suggestions a").first.inner_text().startswith("Aikuiskoulutustuki")
    assert page.input_value("#message") == FUNDING_QUESTION
    assert_accessible(page, context="contact, suggestions after the button")
    # sending is not in the way
    with page.expect_navigation():
        page.get_by_role("button", name="Lähetä kysymys").click()
    assert page.locator("h1").inner_text() == "Kiitos. Kysymyksesi on saapunut."
    assert page.get_by_role("link", name="Aikuiskoulutustuki").count() == 1
    assert_accessible(page, context="sent, with suggestions")


def test_without_javascript_the_button_looks_for_answers_first(live, browser, articles) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(java_script_enabled=False, locale="fi-FI")
    page = context.new_page()
    try:
        page.goto(f"{live.url}/contact?lang=fi")
        page.fill("#message", FUNDING_QUESTION)
        page.fill("#email", "ilman-skriptia@example.org")
        with page.expect_navigation():
            page.get_by_role("button", name="Etsi ensin valmiita vastauksia").click()
        assert page.url.endswith("/contact?lang=fi#kb-suggestions")
        assert page.locator("h1").inner_text() == "Kysy koulutukseen hakemisesta"
        region = page.locator("#kb-suggestions")
        assert "Vastauksia, joista voi olla apua" in region.inner_text()
        assert region.locator("a").first.inner_text().startswith("Aikuiskoulutustuki")
        assert page.input_value("#message") == FUNDING_QUESTION
        assert page.input_value("#email") == "ilman-skriptia@example.org"
        # (axe itself needs the script: the same page is checked in the test above)
        # and the question is still sent with the first button
        with page.expect_navigation():
            page.get_by_role("button", name="Lähetä kysymys").click()
        assert page.locator("h1").inner_text() == "Kiitos. Kysymyksesi on saapunut."
    finally:
        context.close()
