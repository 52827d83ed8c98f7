"""The knowledge base in the console: the list and search over every
status and audience, the editor with fi/sv/en texts and its server-side
preview, versions with their authors, publishing and archiving, the
"needs review" list, usage and vote counts, who may edit what, and the
Content-Security-Policy of pages that show article media."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from servicedesk import knowledge
from servicedesk.knowledge import Draft
from servicedesk.models import Article, ArticleVersion, AuditEvent
from tests.integration import console_kit
from tests.integration.console_kit import fast_sign_in, make_user, token

app = console_kit.app  # the fixture, with compiled templates shared between tests


def article(session, rt, *, title="Yhteishaun aikataulu", owner=None, region=None, **kw):  # type: ignore[no-untyped-def]
    made = knowledge.create(
        session,
        texts=kw.pop("texts", None) or {"fi": Draft(title, "Yhteishaku alkaa **maaliskuussa**.")},
        topics=kw.pop("topics", ("application",)),
        owner_id=owner.id if owner else None,
        region_code=region,
        author=owner,
        now=rt.now(),
        **kw,
    )
    session.commit()
    return made


def form(**values: str) -> dict[str, str]:
    """An article form as the editor page sends it."""
    base = {
        "title_fi": "",
        "body_fi": "",
        "title_sv": "",
        "body_sv": "",
        "title_en": "",
        "body_en": "",
        "audience": "public",
        "region": "",
        "owner": "",
        "review_by": "",
        "note": "",
        "action": "save",
    }
    return {**base, **values}


def post(client, url: str, data: dict):  # type: ignore[no-untyped-def]
    return client.post(url, data={"csrf_token": token(client), **data})


@pytest.fixture
def agent(session):  # type: ignore[no-untyped-def]
    user = make_user(session, "agent", name="Aki Agentti")
    session.commit()
    return user


@pytest.fixture
def signed_in(client, agent):  # type: ignore[no-untyped-def]
    fast_sign_in(client, agent)
    return client


def test_list_shows_every_status_and_audience_and_searches(signed_in, session, rt) -> None:
    draft = article(session, rt, title="Oppisopimus luonnos")
    internal = article(session, rt, title="Sisäinen ohje hakuun", audience="internal")
    knowledge.publish(session, internal, None, rt.now())
    archived = article(session, rt, title="Vanha ohje")
    knowledge.archive(session, archived, None, rt.now())
    session.commit()
    page = signed_in.get("/console/kb/").get_data(as_text=True)
    for made in (draft, internal, archived):
        assert f'href="/console/kb/{made.id}"' in page
    found = signed_in.get("/console/kb/?q=oppisopimus").get_data(as_text=True)
    assert f"/console/kb/{draft.id}" in found and f"/console/kb/{internal.id}" not in found
    by_status = signed_in.get("/console/kb/?status=archived").get_data(as_text=True)
    assert f"/console/kb/{archived.id}" in by_status and f"/console/kb/{draft.id}" not in by_status
    by_number = signed_in.get(f"/console/kb/?q={internal.id}").get_data(as_text=True)
    assert f"/console/kb/{internal.id}" in by_number


def test_create_in_three_languages_preview_then_save(signed_in, session, agent) -> None:
    values = form(
        title_fi="Aikuiskoulutustuki",
        body_fi="Tukea haetaan **Työllisyysrahastosta**.",
        title_sv="Vuxenutbildningsstöd",
        body_sv="Stödet söks från *Sysselsättningsfonden*.",
        title_en="Adult education allowance",
        body_en="Apply at the Employment Fund.",
        topics="funding",
        owner=str(agent.id),
        review_by="2027-01-31",
    )
    preview = post(signed_in, "/console/kb/new", {**values, "action": "preview"})
    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    assert "<strong>Työllisyysrahastosta</strong>" in html
    assert "<em>Sysselsättningsfonden</em>" in html
    assert session.execute(select(Article)).first() is None  # a preview saves nothing
    saved = post(signed_in, "/console/kb/new", values)
    assert saved.status_code == 302
    made = session.execute(select(Article)).scalar_one()
    assert sorted(t.language for t in made.texts) == ["en", "fi", "sv"]
    assert (made.status, made.topics, made.owner_id) == ("draft", ["funding"], agent.id)
    assert made.review_by == date(2027, 1, 31)
    assert saved.headers["Location"].endswith(f"/console/kb/{made.id}")
    page = signed_in.get(f"/console/kb/{made.id}").get_data(as_text=True)
    assert "Vuxenutbildningsstöd" in page and "Aki Agentti" in page


def test_edit_makes_a_version_with_its_author_and_note(signed_in, session, rt, agent) -> None:
    made = article(session, rt)
    response = post(
        signed_in,
        f"/console/kb/{made.id}/edit",
        form(
            title_fi="Yhteishaun aikataulu 2027",
            body_fi="Haku alkaa helmikuussa.",
            topics="application",
            note="vuosi vaihtui",
        ),
    )
    assert response.status_code == 302
    session.expire_all()
    versions = session.execute(
        select(ArticleVersion).where(ArticleVersion.article_id == made.id)
    ).scalars()
    latest = max(versions, key=lambda v: v.version)
    assert (latest.version, latest.author_id, latest.note) == (2, agent.id, "vuosi vaihtui")
    history = signed_in.get(f"/console/kb/{made.id}").get_data(as_text=True)
    assert "vuosi vaihtui" in history and "Aki Agentti" in history
    old = signed_in.get(f"/console/kb/{made.id}/versions/1").get_data(as_text=True)
    assert "Yhteishaku alkaa **maaliskuussa**." in old  # the source as it was
    assert signed_in.get(f"/console/kb/{made.id}/versions/9").status_code == 404


def test_refused_fields_are_shown_at_the_field(signed_in, session) -> None:
    response = post(
        signed_in,
        "/console/kb/new",
        form(
            title_fi="Kuva",
            body_fi="![](https://evil.example/x.png)",
            title_sv="Bara rubrik",
        ),
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="body_fi-error"' in html and "evil.example" in html
    assert 'id="body_sv-error"' in html  # a title without its text
    assert 'aria-invalid="true"' in html
    assert session.execute(select(Article)).first() is None


def test_publish_and_archive_are_audited(signed_in, session, rt) -> None:
    made = article(session, rt)
    assert post(signed_in, f"/console/kb/{made.id}/publish", {}).status_code == 302
    session.expire_all()
    assert session.get(Article, made.id).status == "published"
    assert post(signed_in, f"/console/kb/{made.id}/archive", {}).status_code == 302
    session.expire_all()
    assert session.get(Article, made.id).status == "archived"
    kinds = session.execute(
        select(AuditEvent.kind).where(AuditEvent.kind.like("article_%"))
    ).scalars()
    assert sorted(kinds) == ["article_archived", "article_published"]


def test_needs_review_lists_stale_articles_and_owners(signed_in, session, rt, agent) -> None:
    today = rt.now().date()
    stale = article(session, rt, title="Vanhentunut", owner=agent, review_by=today - timedelta(3))
    fresh = article(session, rt, title="Tuore", review_by=today + timedelta(days=90))
    page = signed_in.get("/console/kb/review").get_data(as_text=True)
    assert f"/console/kb/{stale.id}" in page and f"/console/kb/{fresh.id}" not in page
    assert agent.email in page
    assert re.search(r'class="num">3<', page)
    assert "1 article needs review" in signed_in.get("/console/kb/").get_data(as_text=True)


def test_usage_and_votes_are_counted_on_the_page(signed_in, session, rt, agent) -> None:
    made = article(session, rt)
    knowledge.publish(session, made, None, rt.now())
    for score, language in ((3, "fi"), (3, "fi"), (1, "sv"), (2, "fi")):
        knowledge.record_feedback(session, made.id, language, score, rt.now())
    knowledge.record_use(session, made, None, agent, rt.now())
    session.commit()
    page = signed_in.get(f"/console/kb/{made.id}").get_data(as_text=True)
    assert re.search(r'id="kb-uses">1<', page)
    total = re.search(r'class="kb-total">(.*?)</tr>', page, re.S)
    assert total is not None
    assert re.findall(r'class="num">(\d+)<', total.group(1)) == ["2", "1", "1"]
    listing = signed_in.get("/console/kb/").get_data(as_text=True)
    assert "2 / 1 / 1" in listing


def test_article_page_allows_media_only_from_the_allowed_hosts(signed_in, session, rt) -> None:
    made = article(
        session,
        rt,
        texts={
            "fi": Draft("Video", "![Video: hakuohje](https://www.youtube-nocookie.com/embed/x)")
        },
    )
    response = signed_in.get(f"/console/kb/{made.id}")
    assert '<iframe src="https://www.youtube-nocookie.com/embed/x"' in response.get_data(
        as_text=True
    )
    widened = dict(
        part.strip().split(" ", 1)
        for part in response.headers["Content-Security-Policy"].split(";")
    )
    normal = signed_in.get("/console/kb/").headers["Content-Security-Policy"]
    strict = dict(part.strip().split(" ", 1) for part in normal.split(";"))
    assert widened.pop("frame-src") == "https://player.vimeo.com https://www.youtube-nocookie.com"
    assert widened.pop("img-src").startswith(strict.pop("img-src"))
    strict.pop("frame-src", None)
    assert widened == strict  # everything else as strict as the app's own policy


def test_live_preview_fragment_is_cleaned(signed_in) -> None:
    response = post(
        signed_in, "/console/kb/preview", {"body": "# Otsikko\n\n<script>alert(1)</script>"}
    )
    html = response.get_data(as_text=True)
    assert "<h2>Otsikko</h2>" in html and "<script>" not in html


@pytest.mark.parametrize(
    ("role", "owns", "same_region", "may_edit"),
    [
        ("admin", False, False, True),
        ("agent", False, False, True),
        ("expert", True, False, True),
        ("expert", False, True, True),
        ("expert", False, False, False),
        ("superuser", False, True, True),
        ("superuser", False, False, False),
        ("helpdesk", True, False, True),
        ("helpdesk", False, False, False),
    ],
)
def test_who_may_edit(client, session, rt, role, owns, same_region, may_edit) -> None:  # type: ignore[no-untyped-def]
    user = make_user(session, role)  # experts and super-users are OSAO's (region 17)
    made = article(session, rt, owner=user if owns else None, region="17" if same_region else "01")
    fast_sign_in(client, user)
    assert client.get(f"/console/kb/{made.id}").status_code == 200  # everyone reads
    expected = 200 if may_edit else 404
    assert client.get(f"/console/kb/{made.id}/edit").status_code == expected
    assert post(client, f"/console/kb/{made.id}/publish", {}).status_code == (
        302 if may_edit else 404
    )
    page = client.get(f"/console/kb/{made.id}").get_data(as_text=True)
    assert (f"/console/kb/{made.id}/edit" in page) is may_edit


def test_an_expert_cannot_give_the_article_away_from_themselves(client, session) -> None:
    expert = make_user(session, "expert")
    session.commit()
    fast_sign_in(client, expert)
    new = client.get("/console/kb/new").get_data(as_text=True)
    assert f'<option selected value="{expert.id}">' in new  # owner: themselves
    values = form(title_fi="Oma", body_fi="Teksti", topics="other", region="01")
    kept = post(client, "/console/kb/new", {**values, "owner": str(expert.id)})
    assert kept.status_code == 302
    refused = post(client, "/console/kb/new", {**values, "owner": ""})
    assert refused.status_code == 400
    assert 'id="owner-error"' in refused.get_data(as_text=True)
