"""The search page (GET /console/search): marked and escaped results, a
ticket number opening the ticket, the "no results" page, every filter of
the desk lists, visibility per role, and hostile or odd parameters that
never give a server error."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from servicedesk.models import Message
from tests.integration import console_kit, search_kit
from tests.integration.console_kit import fast_sign_in, make_user
from tests.integration.search_kit import HOSTILE, Corpus

app = console_kit.app  # the fixture, with compiled templates shared between tests
corpus, agent = search_kit.corpus, search_kit.agent  # the fixtures

NUMBER = re.compile(r'href="/console/tickets/([0-9-]+)"')


def numbers(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.status_code
    return NUMBER.findall(response.get_data(as_text=True))


def test_the_page_lists_marked_results(client, session, corpus: Corpus, agent) -> None:
    fast_sign_in(client, agent)
    page = client.get("/console/search?q=oppisopimus")
    assert numbers(page) == [corpus.triage.number]
    html = page.get_data(as_text=True)
    assert "<mark>oppisopimus</mark>" in html
    assert 'value="oppisopimus"' in html


def test_the_page_escapes_everything(client, session, corpus: Corpus, agent) -> None:
    corpus.triage.subject = "<script>alert(1)</script> apprenticeship"
    session.add(
        Message(
            ticket_id=corpus.triage.id,
            direction="inbound",
            channel="sms",
            body_text='<img src=x onerror="alert(2)"> apprenticeship',
        )
    )
    session.commit()
    fast_sign_in(client, agent)
    html = client.get("/console/search?q=apprenticeship").get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html
    echoed = client.get("/console/search?q=<b>zzz</b>").get_data(as_text=True)
    assert "<b>" not in echoed and "&lt;b&gt;zzz" in echoed


def test_a_number_jumps_to_the_ticket(client, session, corpus: Corpus, agent) -> None:
    fast_sign_in(client, agent)
    response = client.get(f"/console/search?q={corpus.osao.number}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/console/tickets/{corpus.osao.number}")


def test_no_results_and_empty_pages(client, session, corpus: Corpus, agent) -> None:
    fast_sign_in(client, agent)
    nothing = client.get("/console/search?q=xyzzyplugh")
    assert nothing.status_code == 200
    assert "No tickets match" in nothing.get_data(as_text=True)
    empty = client.get("/console/search")
    assert empty.status_code == 200
    assert "No tickets match" not in empty.get_data(as_text=True)


def test_the_page_filters(client, rt, session, corpus: Corpus, agent) -> None:
    fast_sign_in(client, agent)
    assert numbers(client.get("/console/search?q=hakemus&desk=staff")) == []
    assert numbers(client.get("/console/search?q=tunnukset&desk=staff")) == [corpus.staff.number]
    assert numbers(client.get("/console/search?q=valintakoe&status=active")) == []
    assert numbers(client.get("/console/search?q=valintakoe&status=closed")) == [
        corpus.closed.number
    ]
    assert numbers(client.get("/console/search?q=oppisopimus&channel=email")) == []
    assert numbers(client.get("/console/search?q=oppisopimus&channel=sms")) == [
        corpus.triage.number
    ]
    assert numbers(client.get("/console/search?q=hakemus&region=17")) == [corpus.osao.number]
    assert numbers(client.get("/console/search?q=hakemus&topic=application")) == [
        corpus.osao.number
    ]
    assert numbers(client.get("/console/search?q=apprenticeship&language=fi")) == []
    assert numbers(client.get("/console/search?q=apprenticeship&language=en")) == [
        corpus.triage.number
    ]
    assert numbers(client.get("/console/search?q=apprenticeship&assignee=none")) == [
        corpus.triage.number
    ]
    assert numbers(client.get(f"/console/search?q=apprenticeship&assignee={agent.id}")) == []
    # The date filter is a Finnish calendar day (the staff ticket's, made now).
    today = corpus.staff.created_at.astimezone(ZoneInfo(rt.settings.timezone)).date()
    assert numbers(client.get(f"/console/search?q=hakemus&created_from={today}")) == []
    bad = client.get("/console/search?q=hakemus&channel=pigeon&created_from=yesterday")
    assert bad.status_code == 200 and "ignored" in bad.get_data(as_text=True)


def test_an_expert_sees_only_their_organisation(client, session, corpus: Corpus) -> None:
    expert = make_user(session, "expert")
    session.commit()
    fast_sign_in(client, expert)
    assert numbers(client.get("/console/search?q=hakemus")) == [corpus.osao.number]
    assert numbers(client.get("/console/search?q=olli@omnia.example")) == []
    response = client.get(f"/console/search?q={corpus.omnia.number}")
    assert response.status_code == 200 and numbers(response) == []


def test_hostile_input_on_the_page(client, session, corpus: Corpus, agent) -> None:
    fast_sign_in(client, agent)
    for typed in HOSTILE:
        response = client.get("/console/search", query_string={"q": typed, "page": "-1"})
        assert response.status_code == 200, typed


def test_odd_page_numbers(client, session, corpus: Corpus, agent) -> None:
    fast_sign_in(client, agent)
    for page in ("0", "-5", "99999999999999999999", "x", "1e9"):
        assert client.get(f"/console/search?q=hakemus&page={page}").status_code == 200


def test_signed_out_is_sent_to_sign_in(client) -> None:
    response = client.get("/console/search?q=hakemus")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
