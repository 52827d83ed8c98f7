"""The JSON API as an integration would use it, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from servicedesk import jobs, tokens
from servicedesk.models import IntakeRecord, Ticket
from tests.integration.console_kit import contact_writes_again


def test_enquiry_becomes_a_routed_ticket(api, session, mail) -> None:
    response = api.post(
        "/enquiries",
        json={
            "name": "Aino Korhonen",
            "email": "aino@example.org",
            "body": "Hei! Asun Oulussa ja haluaisin opiskella lähihoitajaksi oppisopimuksella.",
        },
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    ticket = body["ticket"]
    assert ticket["number"].startswith("20") and len(ticket["number"]) == 11
    assert ticket["status"] == "new"
    assert ticket["audience"] == "applicant"
    assert ticket["region"] == "17"
    assert ticket["topic"] == "apprenticeship"
    assert ticket["language"] == "fi"
    assert ticket["queue"] and ticket["organization"]
    assert body["routing"]["reasons"], "the routing must say why"
    # the acknowledgement went out on the channel the contact has
    ack = mail.to("aino@example.org")
    assert len(ack) == 1
    assert ticket["number"] in ack[0].subject
    assert "/status/" in ack[0].text


def test_enquiry_contract_fields(api) -> None:
    response = api.post(
        "/enquiries",
        json={
            "audience": "applicant",
            "channel": "web",
            "municipality": "Vasa",
            "language": "sv",
            "subject": "Läroavtal",
            "body": "Hur ansöker jag till läroavtalsutbildning?",
            "email": "elias@example.org",
        },
    )
    assert response.status_code == 201
    ticket = response.get_json()["ticket"]
    assert set(ticket) == {
        "number",
        "status",
        "audience",
        "queue",
        "organization",
        "region",
        "topic",
        "language",
    }
    assert ticket["region"] == "15"
    assert ticket["language"] == "sv"


def test_idempotency_key_returns_the_same_ticket(api, session) -> None:
    payload = {"email": "x@example.org", "body": "Milloin yhteishaku alkaa?"}
    first = api.post("/enquiries", json=payload, headers={"Idempotency-Key": "abc-12345"})
    second = api.post("/enquiries", json=payload, headers={"Idempotency-Key": "abc-12345"})
    assert first.status_code == 201
    assert second.status_code == 200
    assert first.get_json()["ticket"]["number"] == second.get_json()["ticket"]["number"]


def test_an_idempotency_key_sent_again_with_another_enquiry_is_refused(api, session) -> None:
    """Answering with the first enquiry's ticket would lose the second: the
    integration is told the key was used, and the first stays as it was."""
    key = {"Idempotency-Key": "avain-0042"}
    first = api.post(
        "/enquiries", json={"email": "x@example.org", "body": "Ensimmäinen"}, headers=key
    )
    other = api.post("/enquiries", json={"email": "x@example.org", "body": "Toinen"}, headers=key)
    assert first.status_code == 201
    assert other.status_code == 422
    error = other.get_json()["error"]
    assert error["code"] == "idempotency_key_reused" and error["field"] == "Idempotency-Key"
    assert "different enquiry" in error["message"]
    again = api.post(
        "/enquiries", json={"email": "x@example.org", "body": "Ensimmäinen"}, headers=key
    )
    assert again.status_code == 200
    assert again.get_json()["ticket"]["number"] == first.get_json()["ticket"]["number"]
    assert session.execute(select(func.count(Ticket.id))).scalar_one() == 1


def test_an_idempotency_key_belongs_to_the_token_that_sent_it(api, client, rt) -> None:
    """Two integrations numbering their requests alike: the same key from
    another token is another enquiry, and its answer is its own ticket."""
    with rt.db.transaction() as s:
        _row, other_token = tokens.create(s, "another integration", rt.now())
    payload = {"email": "x@example.org", "body": "Milloin yhteishaku alkaa?"}
    key = {"Idempotency-Key": "pyynto-00000001"}
    first = api.post("/enquiries", json=payload, headers=key)
    other = client.post(
        "/api/v1/enquiries",
        json=payload,
        headers={**key, "Authorization": f"Bearer {other_token}"},
    )
    assert (first.status_code, other.status_code) == (201, 201)
    numbers = {first.get_json()["ticket"]["number"], other.get_json()["ticket"]["number"]}
    assert len(numbers) == 2
    again = api.post("/enquiries", json=payload, headers=key)
    assert again.status_code == 200
    assert again.get_json()["ticket"]["number"] == first.get_json()["ticket"]["number"]


def test_an_enquiry_with_an_identity_code_sent_again_gets_its_ticket(api) -> None:
    """The desk keeps the enquiry with the code masked; the same request
    sent again is still recognised as the same."""
    payload = {"email": "x@example.org", "name": "Matti 131052-308T", "body": "Hetu 131052-308T"}
    key = {"Idempotency-Key": "avain-0043"}
    first = api.post("/enquiries", json=payload, headers=key)
    again = api.post("/enquiries", json=payload, headers=key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["ticket"]["number"] == first.get_json()["ticket"]["number"]


FAULTS = {
    # The database fails the ticket's insert for a moment: with the code of
    # a connection lost midway on PostgreSQL, with a constraint on SQLite.
    "postgresql": [
        "CREATE FUNCTION sd_fault() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF NEW.subject = 'Katkos' THEN "
        "RAISE EXCEPTION 'connection lost' USING ERRCODE = '08006'; END IF; "
        "RETURN NEW; END $$",
        "CREATE TRIGGER sd_fault BEFORE INSERT ON tickets FOR EACH ROW EXECUTE FUNCTION sd_fault()",
    ],
    "sqlite": [
        "CREATE TRIGGER sd_fault BEFORE INSERT ON tickets WHEN NEW.subject = 'Katkos' "
        "BEGIN SELECT RAISE(ABORT, 'connection lost'); END",
    ],
}


def test_an_enquiry_stored_but_not_made_a_ticket_is_answered_202(api, session, mail) -> None:
    """Stored, so it is the desk's: the integration is told so (202, do not
    send it again), never an error that makes it send a second one; the
    desk makes the ticket later, and the same Idempotency-Key gets it."""
    dialect = session.bind.dialect.name
    for statement in FAULTS[dialect]:
        session.execute(text(statement))
    session.commit()
    payload = {"email": "katkos@example.org", "subject": "Katkos", "body": "Onko haku auki?"}
    key = {"Idempotency-Key": "katkos-0001"}

    answer = api.post("/enquiries", json=payload, headers=key)
    assert answer.status_code == 202, answer.get_json()
    received = answer.get_json()["received"]
    assert received["status"] == "received"
    assert "do not send it again" in answer.get_json()["message"]
    record = session.get(IntakeRecord, received["id"], populate_existing=True)
    assert record is not None and record.status == "received" and record.ticket_id is None
    assert not mail.to("katkos@example.org")

    session.execute(
        text("DROP TRIGGER sd_fault" + (" ON tickets" if dialect == "postgresql" else ""))
    )
    session.commit()
    jobs.process_intake(received["id"])  # what the intake sweeper queues
    again = api.post("/enquiries", json=payload, headers=key)
    assert again.status_code == 200, again.get_json()
    number = again.get_json()["ticket"]["number"]
    assert (
        session.execute(
            select(func.count(Ticket.id)).where(Ticket.subject == "Katkos")
        ).scalar_one()
        == 1
    )
    assert [number in m.subject for m in mail.to("katkos@example.org")] == [True]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "body"),
        ({"body": ""}, "body"),
        ({"body": 42}, "body"),
        ({"body": "x", "email": "not-an-address"}, "email"),
        ({"body": "x", "email": "tomás@example.org"}, "email"),  # our mail could not answer
        ({"body": "x", "phone": "call me"}, "phone"),
        ({"body": "x", "audience": "everyone"}, "audience"),
        ({"body": "x", "language": "de"}, "language"),
        ({"body": "x", "municipality": "Atlantis"}, "municipality"),
        ({"body": "x", "institution": "Hogwarts"}, "institution"),
        ({"body": "x", "colour": "blue"}, "colour"),
        ({"body": "x" * 100_001}, "body"),
    ],
)
def test_bad_enquiries_get_a_field_error(api, payload, field) -> None:
    response = api.post("/enquiries", json=payload)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["field"] == field
    assert error["code"] == "invalid"
    assert error["message"]


def test_malformed_json_and_wrong_types(client, api) -> None:
    response = client.post(
        "/api/v1/enquiries",
        data="{not json",
        headers={**api.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid"
    response = api.post("/enquiries", json=["a", "list"])
    assert response.status_code == 400
    response = client.post("/api/v1/enquiries", data="body=x", headers=api.headers)
    assert response.status_code == 400


def test_oversize_body_is_refused(client, api, app) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post(
        "/api/v1/enquiries",
        data="x" * 4096,
        headers={**api.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.get_json()["error"]["code"]


def test_token_required(client) -> None:
    assert client.get("/api/v1/tickets").status_code == 401
    response = client.get("/api/v1/tickets", headers={"Authorization": "Bearer sdk_nope"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_show_list_and_reply(api, session, mail) -> None:
    created = api.post(
        "/enquiries",
        json={
            "email": "liam@example.org",
            "language": "en",
            "body": "How do I apply to vocational education?",
        },
    )
    number = created.get_json()["ticket"]["number"]
    shown = api.get(f"/tickets/{number}")
    assert shown.status_code == 200
    detail = shown.get_json()
    assert detail["ticket"]["number"] == number
    assert detail["messages"][0]["direction"] == "inbound"
    assert any(e["kind"] == "routed" for e in detail["events"])

    listed = api.get("/tickets?audience=applicant&status=new")
    assert listed.status_code == 200
    page = listed.get_json()
    assert page["page"] == 1
    assert number in [t["number"] for t in page["tickets"]]
    assert {
        "number",
        "subject",
        "status",
        "audience",
        "channel",
        "queue",
        "organization",
        "region",
        "topic",
        "language",
        "created_at",
    } <= set(page["tickets"][0])

    replied = api.post(
        f"/tickets/{number}/replies", json={"body": "You apply in the joint application."}
    )
    assert replied.status_code == 201
    sent = mail.to("liam@example.org")
    assert any("joint application" in m.text for m in sent)
    after = api.get(f"/tickets/{number}").get_json()
    assert after["ticket"]["status"] == "pending"
    assert session.query(Ticket).filter_by(number=number).one().first_response_at is not None


def test_an_answer_written_before_the_contact_wrote_again_is_refused(
    api, rt, session, mail
) -> None:  # type: ignore[no-untyped-def]
    """An integration answers with the newest message from the contact it
    read (``seen``); the contact wrote again meanwhile: the answer is not
    sent and the ticket stays on the worklist (409, field seen).  Answered
    after reading the new message, it goes; without ``seen`` it goes as
    before."""
    created = api.post(
        "/enquiries",
        json={"email": "liam@example.org", "language": "en", "body": "When does applying start?"},
    )
    number = created.get_json()["ticket"]["number"]
    (first,) = [
        m["id"]
        for m in api.get(f"/tickets/{number}").get_json()["messages"]
        if m["direction"] == "inbound"
    ]
    contact_writes_again(
        rt, number, "And is a certificate needed?", sender="Liam <liam@example.org>"
    )

    answer = {"body": "Applying starts in March.", "seen": first}
    refused = api.post(f"/tickets/{number}/replies", json=answer)
    assert refused.status_code == 409
    error = refused.get_json()["error"]
    assert (error["code"], error["field"]) == ("conflict", "seen")
    assert not any("March" in m.text for m in mail.to("liam@example.org"))
    detail = api.get(f"/tickets/{number}").get_json()
    assert detail["ticket"]["status"] != "pending"

    newest = max(m["id"] for m in detail["messages"] if m["direction"] == "inbound")
    assert (
        api.post(f"/tickets/{number}/replies", json={**answer, "seen": newest}).status_code == 201
    )
    assert any("March" in m.text for m in mail.to("liam@example.org"))
    unchecked = api.post(f"/tickets/{number}/replies", json={"body": "One more thing."})
    assert unchecked.status_code == 201


@pytest.mark.parametrize("seen", ["12", -1, 2**31, True, 1.5, [1]])
def test_seen_must_be_a_message_id(api, seen) -> None:  # type: ignore[no-untyped-def]
    created = api.post("/enquiries", json={"email": "liam@example.org", "body": "Hello?"})
    number = created.get_json()["ticket"]["number"]
    response = api.post(f"/tickets/{number}/replies", json={"body": "Hi.", "seen": seen})
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "seen"


def test_unknown_ticket_is_404_json(api) -> None:
    response = api.get("/tickets/2026-999999")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_bad_list_parameters(api) -> None:
    assert api.get("/tickets?page=0").status_code == 400
    assert api.get("/tickets?page=abc").status_code == 400
    # Digits int() refuses, and a number with thousands of them: 400, not 500.
    for page in ("²", "١٢", "9" * 5000):
        response = api.get("/tickets", query_string={"page": page})
        assert response.status_code == 400, page
        assert response.get_json()["error"]["field"] == "page"
    assert api.get("/tickets?status=lost").status_code == 400


def test_openapi_document(client) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.")
    assert "/enquiries" in document["paths"]


def test_healthz(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["database"] == "up"


def test_nul_characters_are_refused_not_crashed_on(api) -> None:
    assert api.get("/tickets?queue=a%00b").status_code == 400
    response = api.post("/enquiries", json={"body": "hei\u0000", "email": "n@example.org"})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid"
