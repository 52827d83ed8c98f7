"""Routing reasons on the ticket page speak the agent's language: an
enquiry through the API gets English reasons in the API (the contract), and
the same reasons in Finnish or Swedish in the console, from the codes the
intake stored beside them.  Tickets stored before the codes keep their
English reasons."""

from __future__ import annotations

import html
import re

import pytest

from servicedesk import audit, retention
from servicedesk.models import Ticket
from tests.integration import console_kit
from tests.integration.console_kit import fast_sign_in, make_ticket, make_user

app = console_kit.app  # the fixture, with compiled templates shared between tests

REASONS = re.compile(r'<ol class="reasons">(.*?)</ol>', re.S)
ENQUIRY = {
    "name": "Aino Korhonen",
    "email": "aino@example.org",
    "body": "Hei! Asun Oulussa ja haluaisin opiskella lähihoitajaksi oppisopimuksella.",
}


def reasons_on_the_page(client, number: str) -> list[str]:  # type: ignore[no-untyped-def]
    response = client.get(f"/console/tickets/{number}")
    assert response.status_code == 200
    found = REASONS.search(response.get_data(as_text=True))
    assert found, "the side panel lists no reasons"
    return [html.unescape(item) for item in re.findall(r"<li>(.*?)</li>", found.group(1), re.S)]


@pytest.mark.parametrize(
    ("ui_language", "expected"),
    [
        ("fi", ["Kieli suomi: ", "Kunta Oulu", "Maakunta 17 ", "Kiireellisyys normaali."]),
        ("sv", ["Språk finska: ", "Kommun Oulu", "Landskap 17 ", "Prioritet normal."]),
    ],
)
def test_the_ticket_page_gives_the_reasons_in_the_agents_language(
    api, client, session, ui_language: str, expected: list[str]
) -> None:
    response = api.post("/enquiries", json=ENQUIRY)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    english = body["routing"]["reasons"]
    ticket = session.query(Ticket).filter_by(number=body["ticket"]["number"]).one()
    assert ticket.routing["reasons"] == english
    assert [d["code"] for d in ticket.routing["details"]][-1] == "priority.normal"
    assert len(ticket.routing["details"]) == len(english)

    fast_sign_in(client, make_user(session, "agent", ui_language=ui_language))
    session.commit()
    shown = reasons_on_the_page(client, body["ticket"]["number"])

    assert len(shown) == len(english)
    for sentence in english:
        assert sentence not in shown
    page = " ".join(shown)
    for words in expected:
        assert words in page, shown
    for words in ("Language ", "Region ", "Priority ", "chain step", "named in the text"):
        assert words not in page, shown
    # The API stays in English whatever the agents read.
    again = api.get(f"/tickets/{body['ticket']['number']}")
    routing = again.get_json()["ticket"]["routing"]
    assert routing["reasons"] == english and set(routing) == {"reasons", "rule"}


def test_english_readers_get_the_engines_own_sentences(api, client, session) -> None:
    body = api.post("/enquiries", json=ENQUIRY).get_json()
    fast_sign_in(client, make_user(session, "agent", ui_language="en"))
    session.commit()
    assert reasons_on_the_page(client, body["ticket"]["number"]) == body["routing"]["reasons"]


def test_a_ticket_routed_before_the_codes_keeps_its_english_reasons(rt, client, session) -> None:
    old = make_ticket(
        session, rt.now(), queue="national-triage", organization="national-desk", subject="Haku"
    )
    old.routing = {"rule": None, "reasons": ["Priority normal."], "steps": ["priority"]}
    fast_sign_in(client, make_user(session, "agent", ui_language="fi"))
    session.commit()
    assert reasons_on_the_page(client, old.number) == ["Priority normal."]


def test_removing_personal_data_removes_the_details_with_the_reasons(api, rt, session) -> None:
    body = api.post("/enquiries", json=ENQUIRY).get_json()
    ticket = session.query(Ticket).filter_by(number=body["ticket"]["number"]).one()
    assert any("Oulussa" in str(d["params"]) for d in ticket.routing["details"])
    retention.redact_ticket(session, ticket, reason="erasure", actor=audit.SYSTEM, now=rt.now())
    assert not {"reasons", "details"} & set(ticket.routing)
