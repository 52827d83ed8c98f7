"""Full-text search on both databases: what a query finds (subject words,
Finnish inflections on PostgreSQL, message bodies and notes, email
addresses, phone numbers in many forms, ticket numbers), what it never
shows (other organisations' tickets, unmasked identity codes), the
filters, paging, and hostile input that must never reach the database as
syntax.  The page itself: test_search_page.py."""

from __future__ import annotations

from datetime import timedelta

import pytest

from servicedesk import access, search, search_index
from servicedesk.models import Message, Ticket
from tests.integration import search_kit
from tests.integration.console_kit import make_ticket, make_user
from tests.integration.search_kit import HOSTILE, Corpus

corpus, agent = search_kit.corpus, search_kit.agent  # the fixtures


def found(session, user, text: str, **kw) -> list[str]:  # type: ignore[no-untyped-def]
    results = search.search(session, user, search.parse(text), **kw)
    return [hit.ticket.number for hit in results.hits]


def test_a_subject_word_and_its_beginning(session, corpus: Corpus, agent) -> None:
    assert found(session, agent, "apprenticeship") == [corpus.triage.number]
    assert found(session, agent, "appren") == [corpus.triage.number]
    assert corpus.closed.number in found(session, agent, "valintakoe")


def test_words_of_a_message_and_of_a_note(session, corpus: Corpus, agent) -> None:
    assert found(session, agent, "oppisopimus oulu") == [corpus.triage.number]
    assert found(session, agent, "muistiinpano huomenna") == [corpus.triage.number]
    assert found(session, agent, "oppisopimus tampere") == []


def test_every_word_must_match_and_minus_excludes(session, corpus: Corpus, agent) -> None:
    both = found(session, agent, "hakemus")
    assert {corpus.osao.number, corpus.omnia.number} <= set(both)
    assert corpus.omnia.number not in found(session, agent, "hakemus -omniaan")
    assert found(session, agent, '"antoi virheen"') == [corpus.osao.number]
    assert found(session, agent, '"virheen antoi"') == []


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)  # its finnish stemmer
def test_finnish_inflections_on_postgresql(session, corpus: Corpus, agent) -> None:
    # "opiskelijoille" and "opiskelijan" share the stem; neither begins the other.
    assert corpus.osao.number in found(session, agent, "opiskelijoille")
    assert found(session, agent, "tunnuksista") == [corpus.staff.number]


@pytest.mark.parametrize(
    "typed",
    ["aino.hakija@example.org", "AINO.Hakija@Example.org", "aino.hakija@", "@example.org"],
)
def test_an_email_address_whole_or_begun(session, corpus: Corpus, agent, typed: str) -> None:
    assert found(session, agent, typed) == [corpus.osao.number]


@pytest.mark.parametrize(
    "typed",
    [
        "+358401234567",
        "+358 40 123 4567",
        "040 123 4567",
        "040-1234567",
        "0401234567",
        "(040) 123 4567",
        "00358 40 123 4567",
        "358401234567",
    ],
)
def test_a_phone_number_in_any_common_form(session, corpus: Corpus, agent, typed: str) -> None:
    assert found(session, agent, typed) == [corpus.osao.number]


def test_a_ticket_number(session, corpus: Corpus, agent) -> None:
    assert found(session, agent, corpus.closed.number)[0] == corpus.closed.number
    year, value = corpus.closed.number.split("-")
    assert found(session, agent, f"#{year}-{int(value)}")[0] == corpus.closed.number


def test_visibility_per_role(session, corpus: Corpus) -> None:
    expert = make_user(session, "expert")  # osao
    superuser = make_user(session, "superuser")  # osao, staff desk only
    helpdesk = make_user(session, "helpdesk")
    session.commit()
    assert set(found(session, expert, "hakemus")) == {corpus.osao.number}
    assert found(session, expert, "olli@omnia.example") == []
    assert found(session, expert, corpus.omnia.number) == []
    assert found(session, expert, "salainen") == []
    assert set(found(session, expert, "tunnukset")) == {corpus.staff.number}
    assert found(session, superuser, "hakemus") == []
    assert found(session, superuser, "tunnukset") == [corpus.staff.number]
    assert found(session, helpdesk, "tunnukset") == [corpus.staff.number]
    assert found(session, helpdesk, "apprenticeship") == []


def test_the_caller_filters(session, corpus: Corpus, agent) -> None:
    only_sms = [Ticket.channel == "sms"]
    assert found(session, agent, "oppisopimus", where=only_sms) == [corpus.triage.number]
    assert found(session, agent, "hakemus", where=only_sms) == []
    assert found(session, agent, "hakemus", where=[Ticket.organization_id == "omnia"]) == [
        corpus.omnia.number
    ]


def test_passages_are_marked_and_identity_codes_masked(session, corpus: Corpus, agent) -> None:
    session.add(
        Message(
            ticket_id=corpus.osao.id,
            direction="note",
            channel="email",
            body_text="Hakijan tunnus 131052-308T kirjattu, hakemus käsittelyssä.",
            is_public=False,
        )
    )
    session.commit()
    results = search.search(session, agent, search.parse("kirjattu"))
    (hit,) = results.hits
    text = "".join(s.text for s in hit.passage)
    assert "131052-308T" not in text and "[henkilötunnus poistettu]" in text
    assert [s.text.lower() for s in hit.passage if s.marked] == ["kirjattu"]
    subject = search.search(session, agent, search.parse("apprenticeship")).hits[0].subject
    assert [s.text for s in subject if s.marked] == ["apprenticeship"]


def test_a_mark_inside_an_identity_code_still_masks_it() -> None:
    marked = "tunnus \ue000131052\ue001-308T on"
    pieces = search.segments(marked)
    assert "".join(p.text for p in pieces) == "tunnus [henkilötunnus poistettu] on"


def test_new_messages_and_edits_are_found_at_once(session, corpus: Corpus, agent) -> None:
    message = Message(
        ticket_id=corpus.omnia.id, direction="inbound", channel="email", body_text="kaktus"
    )
    session.add(message)
    session.commit()
    assert found(session, agent, "kaktus") == [corpus.omnia.number]
    message.body_text = "kukkaruukku"
    corpus.closed.subject = "Peruutettu pääsykoe"
    session.commit()
    assert found(session, agent, "kaktus") == []
    assert found(session, agent, "kukkaruukku") == [corpus.omnia.number]
    assert found(session, agent, "pääsykoe") == [corpus.closed.number]
    session.delete(message)
    session.commit()
    assert found(session, agent, "kukkaruukku") == []


def test_a_merge_moves_what_is_found(session, corpus: Corpus, agent) -> None:
    session.query(Message).filter(Message.ticket_id == corpus.omnia.id).update(
        {Message.ticket_id: corpus.closed.id}
    )
    session.commit()
    assert corpus.closed.number in found(session, agent, "salainen")
    assert corpus.omnia.number not in found(session, agent, "salainen")


def test_hostile_input_is_only_ever_text(session, corpus: Corpus, agent) -> None:
    # One test over all the strings: on PostgreSQL a statement that failed
    # would abort the transaction and fail every later search here too.
    for typed in HOSTILE:
        query = search.parse(typed)
        results = search.search(session, agent, query)
        assert len(query.text) <= search.MAX_QUERY, typed
        assert results.total <= search.MAX_RESULTS, typed
    for typed in ('"antoi virheen" NEAR(x) -hakemus*', "virheen' OR 1=1 --"):
        assert found(session, agent, typed) == [], typed
    assert session.get(Ticket, corpus.osao.id) is not None  # nothing was dropped


def test_long_queries_are_cut() -> None:
    query = search.parse("sana " * 100)
    assert query.cut and len(query.text) <= search.MAX_QUERY
    assert len(query.terms) == search.MAX_TERMS
    assert not search.parse("hakemus").cut


def test_results_are_paged(session, rt, agent) -> None:
    now = rt.now()
    made = [
        make_ticket(
            session,
            now,
            queue="national-triage",
            organization="national-desk",
            subject=f"Sivutustesti {i}",
            created_at=now - timedelta(minutes=i),
        )
        for i in range(7)
    ]
    session.commit()
    pages = [
        search.search(session, agent, search.parse("sivutustesti"), page=n, page_size=3)
        for n in (1, 2, 3, 4)
    ]
    assert [p.pages for p in pages] == [3, 3, 3, 3]
    seen = [h.ticket.number for p in pages[:3] for h in p.hits]
    assert sorted(seen) == sorted(t.number for t in made)
    assert [h.ticket.number for h in pages[3].hits] == [h.ticket.number for h in pages[2].hits]


def test_an_older_ticket_behind_a_long_thread_is_still_found(session, rt, agent) -> None:
    """The matching messages are read newest first in batches: a newer
    ticket whose thread matches hundreds of times does not hide an older
    one the first batch did not reach."""
    now = rt.now()
    place = {"queue": "national-triage", "organization": "national-desk"}
    older = make_ticket(session, now, **place, subject="Vanha", body="Kysymys jonosta")
    busy = make_ticket(session, now, **place, subject="Vilkas")
    session.add_all(
        Message(ticket_id=busy.id, direction="inbound", channel="email", body_text=f"jonosta {n}")
        for n in range(search.MESSAGE_BATCHES[0] + 10)
    )
    session.commit()
    assert sorted(found(session, agent, "jonosta")) == sorted([older.number, busy.number])


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_reading_the_matches_at_once_or_walking_gives_the_same(session, rt, agent) -> None:
    """On PostgreSQL a word in few messages (or subjects) is read from the
    GIN index at once, a common one by walking newest first: the same
    newest messages and tickets either way, with the caller's conditions,
    and for messages from any point on."""
    now = rt.now()
    tickets = [
        make_ticket(
            session,
            now,
            queue="national-triage",
            organization="national-desk",
            subject=f"Kaksi tapaa {n}" if n % 2 else f"Yksi tapa {n}",
            body=f"jonosta {n}",
        )
        for n in range(6)
    ]
    staff = make_ticket(session, now, audience="staff", queue="osao-staff", organization="osao")
    for n, ticket in enumerate([*tickets, staff] * 4):
        words = "jonosta hakemus" if n % 3 else "hakemus"
        session.add(
            Message(ticket_id=ticket.id, direction="inbound", channel="email", body_text=words)
        )
    session.commit()
    index = search_index.PostgresIndex()
    applicants = [Ticket.audience == "applicant", access.visible(agent)]
    for text in ("jonosta", "hakemus", "hakemus -jonosta", '"jonosta hakemus"', "xyzzy", "tapaa"):
        terms = search.parse(text).terms
        every = session.scalars(index.newest_messages(terms, applicants, 1000)).all()
        for before in (None, *every[::5]):
            walked = session.scalars(index.newest_messages(terms, applicants, 7, before)).all()
            read = index.newest_messages(terms, applicants, 7, before, few=True)
            assert session.scalars(read).all() == walked, (text, before)
        walked = session.scalars(index.newest_tickets(terms, applicants, 4)).all()
        read = index.newest_tickets(terms, applicants, 4, few=True)
        assert session.scalars(read).all() == walked, text
    assert index.estimated_matches(session, search.parse("jonosta").terms) >= 1
    assert index.estimated_matches(session, search.parse("tapaa").terms, subjects=True) >= 1
