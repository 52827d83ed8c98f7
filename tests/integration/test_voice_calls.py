"""Phone calls an agent logs by hand (``POST /api/v1/tickets/<n>/calls``)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from servicedesk.models import CallRecord, Ticket


@pytest.fixture
def ticket_number(api) -> str:  # type: ignore[no-untyped-def]
    response = api.post(
        "/enquiries",
        json={"phone": "+358401234567", "body": "Soittakaa minulle, asun Oulussa."},
    )
    assert response.status_code == 201
    return str(response.get_json()["ticket"]["number"])


def test_an_agent_logs_a_call_back(api, client, session, ticket_number) -> None:
    response = api.post(
        f"/tickets/{ticket_number}/calls",
        json={
            "direction": "outbound",
            "number": "+358401234567",
            "summary": "Soitin takaisin: kerroin hakuajan ja liitteet.",
            "duration_minutes": 6,
        },
    )

    assert response.status_code == 201
    message = response.get_json()["message"]
    assert (message["channel"], message["direction"]) == ("phone", "outbound")
    assert message["recipient"] == "+358401234567"
    ticket = session.execute(select(Ticket).where(Ticket.number == ticket_number)).scalar_one()
    record = session.execute(
        select(CallRecord).where(CallRecord.ticket_id == ticket.id)
    ).scalar_one()
    assert record.call_sid.startswith("manual-")
    assert (record.to_number, record.duration_seconds, record.outcome) == (
        "+358401234567",
        360,
        "answered",
    )
    assert ticket.first_response_at is not None
    detail = api.get(f"/tickets/{ticket_number}").get_json()
    assert "call_logged" in [event["kind"] for event in detail["events"]]
    assert any(m["channel"] == "phone" for m in detail["messages"])
    # The agent's notes of the call are for the staff: the contact's status
    # page does not show them as something the contact wrote.
    status_page = client.get(f"/status/{ticket.status_token}?lang=fi").get_data(as_text=True)
    assert "Soittakaa minulle" in status_page
    assert "kerroin hakuajan" not in status_page


def test_an_incoming_call_taken_outside_the_line(api, ticket_number) -> None:
    response = api.post(
        f"/tickets/{ticket_number}/calls",
        json={"direction": "inbound", "number": "+358401234567", "summary": "Kysyi tuloksista."},
    )

    assert response.status_code == 201
    assert response.get_json()["message"]["sender"] == "+358401234567"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"number": "+358401234567", "summary": "x"}, "direction"),
        ({"direction": "sideways", "number": "+358401234567", "summary": "x"}, "direction"),
        ({"direction": "inbound", "summary": "x"}, "number"),
        ({"direction": "inbound", "number": "+358401234567", "summary": " "}, "body"),
        (
            {"direction": "inbound", "number": "1", "summary": "x", "duration_minutes": -1},
            "duration_minutes",
        ),
    ],
)
def test_a_bad_call_log_gets_a_field_error(api, ticket_number, payload, field) -> None:
    response = api.post(f"/tickets/{ticket_number}/calls", json=payload)

    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == field


def test_a_call_on_an_unknown_ticket_is_404(api) -> None:
    response = api.post(
        "/tickets/2026-999999/calls",
        json={"direction": "inbound", "number": "+358401234567", "summary": "x"},
    )
    assert response.status_code == 404
