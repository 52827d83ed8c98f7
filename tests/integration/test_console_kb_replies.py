"""Knowledge-base answers on the ticket page: suggestions for the open
ticket, "insert answer" and "insert link" without JavaScript (the reply
form posted to kb-insert and shown again with the text), and a use counted
when a reply that carries the article is sent."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from servicedesk import knowledge
from servicedesk.knowledge import Draft
from servicedesk.models import Article, ArticleUse
from tests.integration import console_kit
from tests.integration.console_kit import (
    add_first_message,
    fast_sign_in,
    make_user,
    send_answer,
    token,
)
from tests.integration.issue7_kit import make_contact, make_ticket

app = console_kit.app  # the fixture, with compiled templates shared between tests

BODY = "Yhteishaku alkaa maaliskuussa ja hakuaika päättyy huhtikuussa."


@pytest.fixture
def agent(session):  # type: ignore[no-untyped-def]
    user = make_user(session, "agent", name="Aki Agentti")
    session.commit()
    return user


@pytest.fixture
def articles(session, rt):  # type: ignore[no-untyped-def]
    made = {}
    for key, audience, title in (
        ("public", "public", "Yhteishaun aikataulu"),
        ("internal", "internal", "Yhteishaun sisäinen ohje"),
    ):
        made[key] = knowledge.create(
            session,
            texts={"fi": Draft(title, BODY)},
            audience=audience,
            topics=("application",),
            author=None,
            now=rt.now(),
        )
        knowledge.publish(session, made[key], None, rt.now())
    session.commit()
    return made


@pytest.fixture
def ticket(session, rt):  # type: ignore[no-untyped-def]
    contact = make_contact(session, email="aino@example.org")
    made = make_ticket(
        session,
        rt.now(),
        contact=contact,
        topic="application",
        subject="Milloin yhteishaku alkaa?",
        body="Hei, milloin yhteishaku alkaa ja mihin asti hakuaika on?",
    )
    session.commit()
    return made


@pytest.fixture
def signed_in(client, agent):  # type: ignore[no-untyped-def]
    fast_sign_in(client, agent)
    return client


def reply_body(page: str) -> str:
    found = re.search(r'<textarea[^>]*id="reply-body"[^>]*>(.*?)</textarea>', page, re.S)
    assert found, "no reply box on the page"
    return html.unescape(found.group(1)).removeprefix("\r\n")  # as a browser reads it


def test_suggestions_for_the_open_ticket(signed_in, ticket, articles) -> None:
    page = signed_in.get(f"/console/tickets/{ticket.number}").get_data(as_text=True)
    panel = page[page.index('id="kb-suggestions-heading"') :]
    panel = panel[: panel.index("</section>")]
    public, internal = articles["public"].id, articles["internal"].id
    assert f'value="answer:{public}"' in panel and f'value="link:{public}"' in panel
    assert f'value="answer:{internal}"' in panel
    assert f'value="link:{internal}"' not in panel  # internal articles have no public page
    assert 'form="reply-form"' in panel


def test_insert_answer_without_javascript(signed_in, ticket, articles) -> None:
    public = articles["public"]
    response = signed_in.post(
        f"/console/tickets/{ticket.number}/kb-insert",
        data={
            "csrf_token": token(signed_in),
            "reply-body": "Hei Aino,",
            "reply-channel": "email",
            "kb_insert": f"answer:{public.id}",
        },
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    body = reply_body(page)
    assert body.startswith("Hei Aino,\n\nYhteishaun aikataulu\n\n" + BODY)
    assert f"http://desk.test/kb/{public.id}?lang=fi" in body
    assert f'name="reply-kb_article" value="{public.id}"' in page


def test_insert_link_without_javascript(signed_in, ticket, articles) -> None:
    public = articles["public"]
    response = signed_in.post(
        f"/console/tickets/{ticket.number}/kb-insert",
        data={"csrf_token": token(signed_in), "reply-body": "", "kb_insert": f"link:{public.id}"},
    )
    assert reply_body(response.get_data(as_text=True)) == f"http://desk.test/kb/{public.id}?lang=fi"
    internal = signed_in.post(
        f"/console/tickets/{ticket.number}/kb-insert",
        data={"csrf_token": token(signed_in), "kb_insert": f"link:{articles['internal'].id}"},
    )
    assert internal.status_code == 400


def test_a_sent_reply_counts_the_articles_it_used(signed_in, session, ticket, articles) -> None:
    public, internal = articles["public"], articles["internal"]
    text = knowledge.reply_text(public, "fi", "http://desk.test")
    response = send_answer(
        signed_in,
        ticket.number,
        f"Hei,\n\n{text}",
        **{"reply-kb_article": [str(public.id), str(internal.id)]},  # the second was removed
    )
    assert response.status_code == 302
    session.expire_all()
    uses = session.execute(select(ArticleUse)).scalars().all()
    assert [(u.article_id, u.ticket_id) for u in uses] == [(public.id, ticket.id)]
    assert session.get(Article, public.id).use_count == 1
    assert session.get(Article, internal.id).use_count == 0


def test_a_closed_ticket_offers_no_insert_buttons(signed_in, session, ticket, articles) -> None:
    ticket.status = "closed"
    session.commit()
    page = signed_in.get(f"/console/tickets/{ticket.number}").get_data(as_text=True)
    assert "Yhteishaun aikataulu" in page
    assert "kb-insert" not in page


def test_insert_follows_the_ticket_visibility(client, session, ticket, articles) -> None:
    expert = make_user(session, "expert")  # OSAO's, and the ticket is the national desk's
    session.commit()
    fast_sign_in(client, expert)
    response = client.post(
        f"/console/tickets/{ticket.number}/kb-insert",
        data={"csrf_token": token(client), "kb_insert": f"answer:{articles['public'].id}"},
    )
    assert response.status_code == 404


def test_suggestions_read_the_contacts_first_message(signed_in, session, rt, articles) -> None:
    """The subject and the contact's first message choose the articles; a
    later message does not, whatever it says."""
    contact = make_contact(session, email="aino@example.org")
    asks_first, asks_later = (
        make_ticket(session, rt.now(), contact=contact, topic="other", subject="Kysymys", body=b)
        for b in (BODY.replace(".", "?"), "Hei, kiitos viimeisestä.")
    )
    for ticket, later in ((asks_first, "Kiitos!"), (asks_later, BODY)):
        add_first_message(session, ticket, contact, "email", "Re: Kysymys", later, rt.now())
    session.commit()

    def suggested(number: str) -> bool:
        page = signed_in.get(f"/console/tickets/{number}").get_data(as_text=True)
        return f'value="answer:{articles["public"].id}"' in page

    assert suggested(asks_first.number)
    assert not suggested(asks_later.number)
