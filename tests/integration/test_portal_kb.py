"""/kb on the test client, CSRF on: the page language, search with plain
snippets, browsing by topic, article pages (sanitised Markdown, only
public and published, another language with a note, stable addresses), the
CSP widened on article pages only, and "did this help?" recorded once per
article and language and rate limited."""

from __future__ import annotations

import re

import pytest

from servicedesk import knowledge
from servicedesk.portal.content_policy import parse, widen
from servicedesk.portal.kb_listing import slugify
from tests.integration.portal_client import PortalClient, hidden_fields, make_portal
from tests.integration.portal_kb_kit import Library, make_library


@pytest.fixture
def portal(app, client) -> PortalClient:
    return make_portal(app, client)


@pytest.fixture
def library(session) -> Library:
    return make_library(session)


def text(response) -> str:
    return response.get_data(as_text=True)


def article_path(article, language: str = "fi") -> str:
    return f"/kb/{article.id}-{slugify(article.text(language).title)}?lang={language}"


def result_links(page: str) -> list[str]:
    return re.findall(r'<a href="(/kb/\d+-[a-z0-9-]+\?lang=\w\w)"', page)


# -- the page language ----------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "accept", "lang", "title"),
    [
        ("", "fi-FI,fi;q=0.9", "fi", "Vastauksia yleisiin kysymyksiin"),
        ("", "sv-FI,sv;q=0.9", "sv", "Svar på vanliga frågor"),
        ("?lang=en", "fi-FI", "en", "Answers to common questions"),
    ],
)
def test_kb_page_language(portal, library, query, accept, lang, title) -> None:
    response = portal.get("/kb" + query, headers={"Accept-Language": accept})
    page = text(response)
    assert response.status_code == 200
    assert f'<html lang="{lang}">' in page
    assert f"<h1>{title}</h1>" in page
    assert re.search(rf'hreflang="{lang}" aria-current="true"', page)
    # the search form keeps the language, the switcher keeps the page
    assert f'<input type="hidden" name="lang" value="{lang}">' in page
    assert 'href="/kb?lang=sv"' in page


# -- search ---------------------------------------------------------------------


def test_search_lists_public_published_answers_with_plain_snippets(portal, library) -> None:
    page = text(portal.get("/kb?lang=fi&q=yhteishaku"))
    assert result_links(page) == [article_path(library.haku)]
    assert ">Yhteishaun aikataulu</a>" in page
    assert "Hakuaika päättyy huhtikuussa." in page  # the snippet, without Markdown
    assert "<strong>Hakuaika" not in page
    assert "Vastauksia löytyi: 1" in page
    # the internal, the draft and the archived answer mention it too
    for hidden in ("Hakemusten käsittely", "Luonnos yhteishausta", "Vanha yhteishaku"):
        assert hidden not in page
    assert 'value="yhteishaku"' in page  # the words searched stay in the box


def test_search_without_answers_suggests_what_to_do(portal, library) -> None:
    page = text(portal.get("/kb?lang=en&q=zebra+crossing"))
    assert "No answers for “zebra crossing”" in page
    assert "check the spelling" in page
    assert 'href="/contact?lang=en"' in page
    assert result_links(page) == []
    # an empty search asks for words
    empty = text(portal.get("/kb?lang=en&q=+"))
    assert "Write a word or two about what you are looking for" in empty


def test_search_offers_answers_in_other_languages_when_none_in_the_page_language(
    portal, library
) -> None:
    page = text(portal.get("/kb?lang=sv&q=aikuiskoulutustuki"))
    assert "Vi hittade inga svar på svenska." in page
    assert f'<a href="/kb/{library.tuki.id}-aikuiskoulutustuki?lang=sv" lang="fi"' in page
    assert "(på finska)" in page


def test_search_is_safe_with_odd_queries(portal, library) -> None:
    for query in ["%27%3B+DROP+TABLE+kb_articles%3B--", "%26%7C%21%3A*", "a" * 500]:
        response = portal.get(f"/kb?lang=fi&q={query}")
        assert response.status_code == 200
    page = text(portal.get("/kb?lang=en&q=%3Cscript%3Ex%3C/script%3E"))
    assert "<script>x" not in page
    assert "<title>Search: &lt;script&gt;x&lt;/script&gt; – " in page


# -- topics ---------------------------------------------------------------------


def test_topics_with_public_answers_are_listed_in_plain_language(portal, library) -> None:
    page = text(portal.get("/kb?lang=fi"))
    topics = re.findall(r'href="/kb/topics/(\w+)\?lang=fi">([^<]+)</a>', page)
    assert topics == [
        ("application", "Miten ja milloin haetaan"),
        ("funding", "Raha: opiskelun kulut ja opintotuki"),
        ("study_modes", "Opiskelutavat: etä-, osa-aika- ja iltaopiskelu"),
    ]
    # "technical" has only an internal answer, "results" only an archived one
    assert "/kb/topics/technical" not in page and "/kb/topics/results" not in page


def test_a_topic_lists_its_answers_and_those_in_other_languages(portal, library) -> None:
    page = text(portal.get("/kb/topics/funding?lang=sv"))
    assert "<h1>Pengar: studiekostnader och studiestöd</h1>" in page
    assert "Svar på andra språk" in page
    assert f'href="/kb/{library.tuki.id}-aikuiskoulutustuki?lang=sv" lang="fi"' in page
    application = text(portal.get("/kb/topics/application?lang=sv"))
    assert ">Tidtabell för gemensam ansökan</a>" in application
    assert "Hakemusten käsittely" not in application  # internal
    assert portal.get("/kb/topics/no-such-topic?lang=fi").status_code == 404


# -- article pages ----------------------------------------------------------------


def test_article_page_renders_sanitised_markdown(portal, library) -> None:
    response = portal.get(article_path(library.haku))
    page = text(response)
    assert response.status_code == 200
    assert '<h1 id="article-title">Yhteishaun aikataulu</h1>' in page
    assert "<h3>Milloin haetaan?</h3>" in page  # headings move down under the title
    assert "<strong>Hakuaika</strong>" in page
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page
    assert "<title>Yhteishaun aikataulu – " in page
    assert "Saatavilla myös:" in page
    assert f'href="/kb/{library.haku.id}?lang=sv" lang="sv" hreflang="sv">Svenska</a>' in page
    assert 'href="/kb/topics/application?lang=fi"' in page


def test_article_addresses_redirect_to_the_one_with_the_title(portal, library) -> None:
    plain = portal.get(f"/kb/{library.haku.id}", headers={"Accept-Language": "en"})
    assert plain.status_code == 302  # the language came from the browser
    assert plain.headers["Location"].endswith(article_path(library.haku, "en"))
    stale = portal.get(f"/kb/{library.haku.id}-old-title?lang=sv")
    assert stale.status_code == 301
    assert stale.headers["Location"].endswith(article_path(library.haku, "sv"))
    assert portal.get(stale.headers["Location"]).status_code == 200
    assert knowledge.public_url("", library.haku.id, "fi") == f"/kb/{library.haku.id}?lang=fi"


@pytest.mark.parametrize("which", ["internal", "draft", "archived", "missing"])
def test_only_public_published_articles_are_shown(portal, library, which) -> None:
    article_id = getattr(library, which).id if which != "missing" else 999_999
    for path in (f"/kb/{article_id}?lang=sv", f"/kb/{article_id}-x?lang=sv"):
        response = portal.get(path)
        assert response.status_code == 404
        assert "Sidan hittades inte" in text(response)  # the 404 page, in the page's language


def test_article_in_another_language_says_so(portal, library) -> None:
    page = text(portal.get(article_path(library.tuki, "fi").replace("lang=fi", "lang=sv")))
    assert '<html lang="sv">' in page
    assert "Det här svaret finns inte på svenska ännu. Det visas på finska." in page
    assert '<h1 id="article-title" lang="fi">Aikuiskoulutustuki</h1>' in page
    assert '<div class="kb-body" lang="fi">' in page
    assert 'name="language" value="fi"' in page  # a vote counts for the text read


def test_article_pages_only_widen_the_csp_for_the_media_hosts(portal, library, rt) -> None:
    rt.settings = rt.settings.with_changes(extra={"SERVICEDESK_KB_IMAGE_HOSTS": "kuvat.example.fi"})
    strict = portal.get("/kb?lang=fi").headers["Content-Security-Policy"]
    response = portal.get(article_path(library.video))
    page = text(response)
    assert '<iframe src="https://www.youtube-nocookie.com/embed/abc123"' in page
    assert 'title="Video: etäopiskelu"' in page
    assert '<img src="/static/kb/lomake.png" alt="Kuva hakulomakkeesta"' in page
    widened = parse(response.headers["Content-Security-Policy"])
    assert widened["img-src"] == ["'self'", "data:", "https://kuvat.example.fi"]
    assert widened["frame-src"] == [
        "'self'",
        "https://player.vimeo.com",
        "https://www.youtube-nocookie.com",
    ]
    # everything else is the application's strict policy, unchanged
    rest = {k: v for k, v in widened.items() if k not in {"img-src", "frame-src"}}
    assert rest == {k: v for k, v in parse(strict).items() if k != "img-src"}
    assert "frame-src" not in parse(strict)
    for path in (
        "/kb?lang=fi&q=video",
        "/kb/topics/study_modes?lang=fi",
        f"/kb/{library.video.id}?lang=fi",  # the redirect
        "/contact?lang=fi",
        "/kb/suggest?lang=fi&q=etaopiskelu+videolla",
    ):
        assert portal.get(path).headers["Content-Security-Policy"] == strict, path


def test_widening_adds_sources_and_never_removes_any() -> None:
    policy = "default-src 'self'; img-src 'self' data:; object-src 'none'"
    widened = widen(
        policy, {"img-src": ["https://a.example", "'self'"], "frame-src": ["https://v"]}
    )
    assert widened == (
        "default-src 'self'; img-src 'self' data: https://a.example; object-src 'none'; "
        "frame-src 'self' https://v"
    )
    assert widen("default-src 'none'", {"frame-src": ["https://v"]}).endswith("frame-src https://v")


# -- did this help? -----------------------------------------------------------------


def vote(portal: PortalClient, article, score: str, language: str = "fi", hidden=None):
    """A click on a smiley of the article's page (fetched first, unless the
    ``hidden`` fields of an earlier fetch are given: a reload of the post)."""
    return portal.post(
        f"/kb/{article.id}/feedback?lang={language}",
        {"score": score, "language": language},
        form_path=article_path(article, language),
        hidden=hidden,
    )


def test_one_click_records_a_vote_per_article_and_language(portal, session, library) -> None:
    page = text(portal.get(article_path(library.haku)))
    for score, words in (
        ("3", "Kyllä, se auttoi"),
        ("2", "Se auttoi osittain"),
        ("1", "Ei, se ei auttanut"),
    ):
        assert re.search(
            rf'<button type="submit" name="score" value="{score}"[^>]*>'
            rf'<span class="smiley-face" aria-hidden="true">.</span> {words}',
            page,
        ), words
    hidden = hidden_fields(page)
    response = vote(portal, library.haku, "3", hidden=hidden)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(article_path(library.haku) + "#kb-thanks")
    assert knowledge.feedback_counts(session, library.haku.id) == {"fi": {1: 0, 2: 0, 3: 1}}
    thanks = text(portal.get(response.headers["Location"]))
    assert 'id="kb-thanks" class="notice" role="status"' in thanks
    assert 'name="score"' not in thanks
    # a second click, or a reload of the post, does not vote again
    assert vote(portal, library.haku, "1", hidden=hidden).status_code == 303
    assert knowledge.feedback_counts(session, library.haku.id) == {"fi": {1: 0, 2: 0, 3: 1}}
    # the English text is another vote
    vote(portal, library.haku, "1", "en")
    assert knowledge.feedback_counts(session, library.haku.id)["en"] == {1: 1, 2: 0, 3: 0}
    sorry = text(portal.get(article_path(library.haku, "en")))
    assert "We are sorry the answer did not help enough." in sorry


def test_a_vote_needs_the_form_token_and_a_valid_answer(portal, session, library) -> None:
    hidden = hidden_fields(text(portal.get(article_path(library.haku))))
    no_token = portal.post(f"/kb/{library.haku.id}/feedback?lang=fi", {"score": "3"}, hidden={})
    assert no_token.status_code == 400
    odd = portal.post(f"/kb/{library.haku.id}/feedback?lang=fi", {"score": "9"}, hidden=hidden)
    assert odd.status_code == 400
    internal = portal.post(
        f"/kb/{library.internal.id}/feedback?lang=fi", {"score": "3"}, hidden=hidden
    )
    assert internal.status_code == 404
    assert knowledge.feedback_counts(session, library.haku.id) == {}
    assert knowledge.feedback_counts(session, library.internal.id) == {}


def test_votes_are_rate_limited(app, portal, session, library) -> None:
    app.config["PORTAL_KB_FEEDBACK_LIMITS"] = "2/minute"
    for article in (library.haku, library.tuki):
        assert vote(portal, article, "3").status_code == 303
    refused = vote(portal, library.video, "3")
    assert refused.status_code == 429
    assert knowledge.feedback_counts(session, library.video.id) == {}
