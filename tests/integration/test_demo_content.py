"""The demo database has a knowledge base and a current announcement, so
``make run`` shows a filled /kb: public articles in Finnish, Swedish and
English on the common topics, one internal article, published; running
``servicedesk demo`` again adds nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from servicedesk import announcements, demo, knowledge
from servicedesk.models import Announcement, Article, ArticleAudience, ArticleStatus
from tests.integration.issue7_kit import make_user


def articles(session) -> list[Article]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return list(session.execute(select(Article).order_by(Article.id)).scalars())


def demo_users(session) -> None:  # type: ignore[no-untyped-def]
    """The demo's admin (the author) and agent (the owner); ``prepare``
    makes them, but it also migrates, which the test's open transaction
    would block on SQLite."""
    for email, name, role, organization, _sees in demo.DEMO_USERS[:2]:
        make_user(session, role=role, organization=organization, email=email, name=name)
    session.commit()


def test_demo_has_articles_and_an_announcement_once(rt, session) -> None:
    demo_users(session)
    before = len(articles(session))
    assert "5 knowledge-base articles added" in demo.load_content(rt)
    made = articles(session)[before:]
    public = [a for a in made if a.audience == ArticleAudience.PUBLIC]
    internal = [a for a in made if a.audience == ArticleAudience.INTERNAL]
    assert len(public) >= 4 and len(internal) == 1
    assert all(a.status == ArticleStatus.PUBLISHED for a in made)
    assert all({t.language for t in a.texts} == {"fi", "sv", "en"} for a in made)
    topics = {t for a in public for t in a.topics}
    assert {"funding", "apprenticeship", "application"} <= topics
    assert all(a.owner_id is not None and a.review_by is not None for a in made)
    shown = announcements.current(session, "contact_form", rt.now(), "sv")
    assert [n.title for n in shown] == ["Vårens gemensamma ansökan pågår"]

    assert demo.load_content(rt).startswith("0 knowledge-base articles added")  # again
    assert len(articles(session)) == before + len(made)
    assert session.execute(select(func.count(Announcement.id))).scalar_one() == 1


def test_demo_articles_show_on_the_public_pages(rt, session, client) -> None:
    demo.load_content(rt)
    titles = [title for _id, title in knowledge.browse(session, language="en")]
    assert "How do I fund my studies?" in titles
    assert "Desk guide: changing an application after the deadline" not in titles
    index = client.get("/kb?lang=fi").get_data(as_text=True)
    assert "/kb/topics/apprenticeship" in index and "/kb/topics/funding" in index
    page = client.get("/kb/topics/apprenticeship?lang=fi").get_data(as_text=True)
    assert "Oppisopimus – opiskele työn ohessa" in page
    found = client.get("/kb?lang=fi&q=hakemuksen").get_data(as_text=True)
    assert "Neuvojan ohje" not in found  # the internal one stays in the console
    hits = knowledge.search(session, "oppisopimus", language="fi")
    assert hits
