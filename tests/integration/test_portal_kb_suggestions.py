"""Public answers suggested while an applicant writes: ``GET /kb/suggest``
(JSON, never cached, rate limited) for the script, and without it the
"look for ready answers first" button, the page after a refused post and
the page with the ticket number.  None of them stands in the way of
sending."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from servicedesk.models import IntakeRecord, Ticket
from tests.integration.portal_client import PDF, PortalClient, make_portal
from tests.integration.portal_kb_kit import Library, make_library


@pytest.fixture
def portal(app, client) -> PortalClient:
    return make_portal(app, client)


@pytest.fixture
def library(session) -> Library:
    return make_library(session)


FUNDING = "Hei! Voinko saada aikuiskoulutustukea, jos opiskelen työn ohessa?"


def text(response) -> str:
    return response.get_data(as_text=True)


def count(session, model) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def suggested_titles(page: str) -> list[str]:
    region = page.split('id="kb-suggestions"', 1)[1].split("</div>", 1)[0]
    return re.findall(r'<a href="/kb/\d+-[a-z0-9-]+\?lang=\w\w"[^>]*>([^<]+?) ?<', region)


# -- the JSON endpoint ----------------------------------------------------------------


def test_suggest_answers_public_articles_as_json(portal, library) -> None:
    response = portal.get("/kb/suggest", query_string={"q": FUNDING, "lang": "fi"})
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    articles = response.get_json()["articles"]
    assert articles[0] == {
        "id": library.tuki.id,
        "title": "Aikuiskoulutustuki",
        "snippet": (
            "Aikuiskoulutustukea voi hakea Työllisyysrahastosta, kun opiskelet työn ohessa."
        ),
        "language": "fi",
        "url": f"/kb/{library.tuki.id}-aikuiskoulutustuki?lang=fi",
    }
    assert library.internal.id not in {a["id"] for a in articles}
    english = portal.get(
        "/kb/suggest",
        query_string={"q": "Can I get the adult education allowance?", "lang": "en"},
    ).get_json()["articles"]
    assert english[0]["title"] == "Adult education allowance"
    assert english[0]["url"].endswith("?lang=en")


@pytest.mark.parametrize("q", ["", "Hei", "   hei   kiitos   ", "x" * 11])
def test_too_short_a_text_suggests_nothing(portal, library, q) -> None:
    response = portal.get("/kb/suggest", query_string={"q": q, "lang": "fi"})
    assert response.get_json() == {"articles": []}


def test_internal_answers_are_never_suggested(portal, library) -> None:
    articles = portal.get(
        "/kb/suggest", query_string={"q": "Hakemusten käsittely virkailijana", "lang": "fi"}
    ).get_json()["articles"]
    assert library.internal.id not in {a["id"] for a in articles}


def test_suggest_is_rate_limited_with_a_json_answer(app, portal, library) -> None:
    app.config["PORTAL_KB_SUGGEST_LIMITS"] = "2/minute"
    for _ in range(2):
        assert portal.get("/kb/suggest", query_string={"q": FUNDING}).status_code == 200
    refused = portal.get("/kb/suggest", query_string={"q": FUNDING, "lang": "en"})
    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "rate_limited"
    assert "Retry-After" in refused.headers
    # the form's own pages are not limited by it
    assert portal.get("/contact?lang=fi").status_code == 200


# -- the contact form ------------------------------------------------------------------


def test_contact_form_has_the_live_region_and_no_inline_script(portal, library) -> None:
    page = text(portal.get("/contact?lang=sv"))
    region = re.search(r'<div id="kb-suggestions"[^>]*>', page).group(0)
    assert 'aria-live="polite"' in region
    assert 'data-suggest-url="/kb/suggest"' in region and 'data-lang="sv"' in region
    assert 'data-heading="Svar som kan hjälpa"' in region
    assert "<script>" not in page and " style=" not in page and " onclick=" not in page
    # "send" stays the form's first button, so Enter in a field still sends
    buttons = re.findall(r"<button type=\"submit\"[^>]*>([^<]+)</button>", page)
    assert buttons == ["Skicka frågan", "Sök först bland färdiga svar"]
    assert 'href="/kb?lang=sv"' in page


def test_looking_for_answers_first_sends_nothing_and_keeps_the_text(
    portal, session, library
) -> None:
    before = (count(session, Ticket), count(session, IntakeRecord))
    response = portal.post(
        "/contact?lang=fi",
        {
            "action": "check",
            "name": "Aino",
            "email": "aino@example.org",
            "message": FUNDING,
            "attachments": [(io.BytesIO(PDF), "todistus.pdf")],
        },
    )
    page = text(response)
    assert response.status_code == 200
    assert (count(session, Ticket), count(session, IntakeRecord)) == before
    assert suggested_titles(page)[0] == "Aikuiskoulutustuki"
    assert 'target="_blank" rel="noopener"' in page
    assert "(avautuu uuteen välilehteen)" in page
    assert FUNDING in page and 'value="aino@example.org"' in page
    assert "Valitsemiasi tiedostoja ei tallennettu." in page
    assert 'id="error-summary"' not in page  # checking is not sending: no errors


def test_looking_for_answers_that_do_not_exist_says_so(portal, library) -> None:
    response = portal.post(
        "/contact?lang=en", {"action": "check", "message": "Zebra crossings near the zoo?"}
    )
    page = text(response)
    assert "We found no ready answers to your message." in page
    assert "The files you chose were not kept." not in page


def test_a_refused_post_lists_answers_next_to_the_errors(portal, library) -> None:
    response = portal.post("/contact?lang=fi", {"message": FUNDING})
    page = text(response)
    assert response.status_code == 422
    assert 'id="error-summary"' in page
    assert suggested_titles(page)[0] == "Aikuiskoulutustuki"


def test_the_page_with_the_number_lists_answers_while_waiting(portal, session, library) -> None:
    response = portal.post("/contact?lang=fi", {"email": "aino@example.org", "message": FUNDING})
    page = text(response)
    assert response.status_code == 200
    assert count(session, Ticket) == 1
    assert "Sillä aikaa kun odotat vastaustamme" in page
    assert f'<a href="/kb/{library.tuki.id}-aikuiskoulutustuki?lang=fi">Aikuiskoulutustuki</a>' in (
        page
    )
