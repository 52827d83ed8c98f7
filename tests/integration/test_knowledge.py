"""The knowledge base: versions with their authors, search and suggestions
on both databases, review reminders, uses and "did this help?" votes."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from servicedesk import knowledge
from servicedesk.errors import NotFoundError, ValidationError
from servicedesk.knowledge import Draft
from servicedesk.models import ArticleText, ArticleUse
from tests.integration.issue7_kit import at, make_ticket, make_user

NOW = at("2026-03-02 10:00")


def article(session, *, fi=None, sv=None, en=None, topics=("application",), publish=True, **kw):
    texts = {
        lang: Draft(*pair)
        for lang, pair in (("fi", fi), ("sv", sv), ("en", en))
        if pair is not None
    }
    made = knowledge.create(session, texts=texts, topics=topics, author=None, now=NOW, **kw)
    if publish:
        knowledge.publish(session, made, None, NOW)
    return made


@pytest.fixture
def library(session):
    """Four articles: three public in different languages, one internal."""
    return {
        "haku": article(
            session,
            fi=(
                "Yhteishaun aikataulu",
                "Yhteishaku alkaa maaliskuussa. **Hakuaika** päättyy huhtikuussa.",
            ),
            sv=("Tidtabell för gemensam ansökan", "Den gemensamma ansökan börjar i mars."),
            topics=("application",),
        ),
        "tuki": article(
            session,
            fi=(
                "Aikuiskoulutustuki",
                "Aikuiskoulutustukea voi hakea Työllisyysrahastosta, kun opiskelet työn ohessa.",
            ),
            en=(
                "Adult education allowance",
                "You can apply for the allowance from the Employment Fund.",
            ),
            topics=("funding",),
        ),
        "oppisopimus": article(
            session,
            fi=(
                "Oppisopimuskoulutus",
                "Oppisopimuksessa opiskelet työpaikalla. Ota yhteyttä oppisopimustoimistoon.",
            ),
            topics=("apprenticeship",),
            region_code="17",
        ),
        "sisainen": article(
            session,
            fi=(
                "Hakemusten käsittely virkailijana",
                "Sisäinen ohje: hakemusten käsittely ja yhteishaku.",
            ),
            topics=("application", "technical"),
            audience="internal",
        ),
    }


def test_every_save_is_a_version_with_its_author(session) -> None:
    author = make_user(session, name="Kirjoittaja")
    editor = make_user(session, name="Muokkaaja")
    made = knowledge.create(
        session,
        texts={"fi": Draft("Otsikko", "Teksti 1")},
        topics=["funding"],
        author=author,
        now=NOW,
    )
    knowledge.update(
        session,
        made,
        texts={"fi": Draft("Otsikko", "Teksti 2"), "en": Draft("Title", "Text 2")},
        audience="public",
        topics=["funding", "results"],
        region_code=None,
        owner_id=editor.id,
        review_by=date(2026, 9, 1),
        author=editor,
        now=at("2026-03-03 09:00"),
        note="added English",
    )
    versions = knowledge.versions(session, made.id)
    assert [(v.version, v.author.name, v.note) for v in versions] == [
        (2, "Muokkaaja", "added English"),
        (1, "Kirjoittaja", "created"),
    ]
    assert versions[1].texts == {"fi": {"title": "Otsikko", "body": "Teksti 1"}}
    assert versions[0].meta["topics"] == ["funding", "results"]
    assert versions[0].meta["review_by"] == "2026-09-01"
    assert made.version == 2 and sorted(t.language for t in made.texts) == ["en", "fi"]


def test_a_language_left_out_of_an_edit_is_removed(session) -> None:
    made = article(session, fi=("A", "a"), sv=("B", "b"))
    knowledge.update(
        session,
        made,
        texts={"fi": Draft("A", "a2")},
        audience="public",
        topics=[],
        region_code=None,
        owner_id=None,
        review_by=None,
        author=None,
        now=NOW,
    )
    count = session.execute(
        select(func.count()).select_from(ArticleText).where(ArticleText.article_id == made.id)
    ).scalar_one()
    assert count == 1


@pytest.mark.parametrize(
    ("texts", "kw", "problem"),
    [
        ({"fi": Draft("", "x")}, {}, "title"),
        ({"fi": Draft("x", "![](/static/kb/a.png)")}, {}, "no text alternative"),
        ({"fi": Draft("x", "![Kuva](https://evil.example/a.png)")}, {}, "may come only from"),
        ({"de": Draft("x", "y")}, {}, "unknown language"),
        ({"fi": Draft("x", "y")}, {"topics": ["astrology"]}, "unknown topics"),
        ({"fi": Draft("x", "y")}, {"audience": "everyone"}, "audience"),
        ({"fi": Draft("x", "y")}, {"region_code": "99"}, "unknown region"),
        ({}, {}, "at least one language"),
    ],
)
def test_invalid_articles_are_refused(session, texts, kw, problem) -> None:
    with pytest.raises(ValidationError) as refused:
        knowledge.create(session, texts=texts, author=None, now=NOW, **kw)
    assert problem in refused.value.message


def test_search_finds_published_public_articles_by_word_start(session, library) -> None:
    hits = knowledge.search(session, "yhteishaku", language="fi")
    assert [h.article_id for h in hits] == [library["haku"].id]
    assert hits[0].title == "Yhteishaun aikataulu"
    assert "Hakuaika päättyy" in hits[0].snippet  # plain text, no Markdown
    # every word must match; internal articles only for the console
    assert knowledge.search(session, "yhteishaku tuki", language="fi") == []
    internal = knowledge.search(session, "hakemusten käsittely", language="fi", audience="internal")
    assert [h.article_id for h in internal] == [library["sisainen"].id]
    assert knowledge.search(session, "hakemusten käsittely", language="fi") == []
    # another language's text, and capital letters and accents
    assert [h.article_id for h in knowledge.search(session, "GEMENSAMMA", language="sv")] == [
        library["haku"].id
    ]
    assert knowledge.search(session, "   ", language="fi") == []


def test_search_filters_by_topic_and_region(session, library) -> None:
    assert knowledge.search(session, "oppisopimus", language="fi", region="01") == []
    hits = knowledge.search(session, "oppisopimus", language="fi", region="17")
    assert [h.article_id for h in hits] == [library["oppisopimus"].id]
    assert knowledge.search(session, "oppisopimus", language="fi", topic="funding") == []


def test_drafts_and_archived_articles_are_not_found(session, library) -> None:
    knowledge.archive(session, library["tuki"], None, NOW)
    draft = article(session, fi=("Aikuiskoulutustuki uusi", "Luonnos"), publish=False)
    assert knowledge.search(session, "aikuiskoulutustuki", language="fi") == []
    with pytest.raises(NotFoundError):
        knowledge.page(session, draft.id, "fi")


def test_search_is_safe_with_query_syntax(session, library) -> None:
    for query in ["haku & | ! :* ( ' \"", "%_%", "'; DROP TABLE kb_articles; --"]:
        knowledge.search(session, query, language="fi")


def test_suggestions_while_writing_use_topic_and_words(session, library) -> None:
    text = "Hei! Voinko saada aikuiskoulutustukea jos opiskelen työn ohessa?"
    hits = knowledge.suggest_for_text(session, text, "fi")
    assert hits[0].article_id == library["tuki"].id
    assert library["sisainen"].id not in {h.article_id for h in hits}
    assert knowledge.suggest_for_text(session, "Hei", "fi") == []


def test_suggestions_for_a_ticket_include_internal_articles(session, library) -> None:
    ticket = make_ticket(
        session,
        NOW,
        subject="Hakemusten käsittely",
        body="Miten käsittelen hakemukset?",
        topic="application",
    )
    ids = [h.article_id for h in knowledge.suggest_for_ticket(session, ticket)]
    assert library["sisainen"].id in ids and library["haku"].id in ids
    assert library["tuki"].id not in ids


def test_needs_review_lists_stale_articles_with_their_owner(session) -> None:
    owner = make_user(session, name="Omistaja", email="omistaja@desk.test")
    stale = article(session, fi=("Vanha", "x"), owner_id=owner.id, review_by=date(2026, 2, 1))
    article(session, fi=("Tuore", "x"), owner_id=owner.id, review_by=date(2026, 6, 1))
    archived = article(session, fi=("Arkistoitu", "x"), review_by=date(2026, 1, 1))
    knowledge.archive(session, archived, None, NOW)
    items = knowledge.needs_review(session, date(2026, 3, 2))
    assert [(i.article_id, i.title, i.owner_email, i.days_overdue) for i in items] == [
        (stale.id, "Vanha", "omistaja@desk.test", 29)
    ]


def test_uses_in_replies_are_counted(session, library) -> None:
    agent = make_user(session)
    ticket = make_ticket(session, NOW)
    for _ in range(3):
        knowledge.record_use(session, library["haku"], ticket, agent, NOW)
    assert library["haku"].use_count == 3
    assert session.execute(select(func.count()).select_from(ArticleUse)).scalar_one() >= 3
    text = knowledge.reply_text(library["haku"], "fi", "https://neuvonta.example.fi")
    assert text.startswith("Yhteishaun aikataulu\n\nYhteishaku alkaa maaliskuussa.")
    assert text.endswith(f"https://neuvonta.example.fi/kb/{library['haku'].id}?lang=fi")
    assert "/kb/" not in knowledge.reply_text(library["sisainen"], "fi", "https://x.fi")


def test_did_this_help_votes_per_language(session, library) -> None:
    for language, score in [("fi", 3), ("fi", 3), ("fi", 1), ("sv", 2)]:
        knowledge.record_feedback(session, library["haku"].id, language, score, NOW)
    assert knowledge.feedback_counts(session, library["haku"].id) == {
        "fi": {1: 1, 2: 0, 3: 2},
        "sv": {1: 0, 2: 1, 3: 0},
    }
    with pytest.raises(ValidationError):
        knowledge.record_feedback(session, library["haku"].id, "fi", 5, NOW)


def test_page_renders_sanitised_html_and_falls_back_to_another_language(session, library) -> None:
    shown = knowledge.page(session, library["tuki"].id, "sv")
    assert shown.language == "fi" and shown.languages == ["en", "fi"]
    assert "<p>" in shown.html
    with pytest.raises(NotFoundError):
        knowledge.page(session, library["sisainen"].id, "fi")
    assert knowledge.page(session, library["sisainen"].id, "fi", audience="internal").title
    titles = knowledge.browse(session, language="fi", topic="application")
    assert titles == [(library["haku"].id, "Yhteishaun aikataulu")]
