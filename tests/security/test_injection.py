"""Injection: SQL through the search box, the desk filters, the keyset
cursor and the API's query parameters; headers through the subject and
the name of an enquiry into the mail the desk sends.  Every hostile value
is either refused with a 4xx or treated as plain data: no 5xx, no other
tickets, no extra headers."""

from __future__ import annotations

import email
import email.policy
from urllib.parse import quote

import pytest

from channels.email.compose import compose
from tests.integration.console_kit import fast_sign_in
from tests.security.conftest import World

SQL = [
    "' OR '1'='1",
    "'; DROP TABLE tickets; --",
    '" OR 1=1 --',
    "1) OR (1=1",
    "\\' OR 1=1 --",
    "%' OR 'a' LIKE '%",
    "Omnian' UNION SELECT password_hash FROM users --",
    "a:* & !b | (c <-> d)",  # tsquery syntax
    "'::regconfig",
    "* ) ( ! & | : ' \"",
    "\u0000",
    "x" * 5000,
    "🙂' OR 1=1 --",
]


def _get(client, path: str):  # type: ignore[no-untyped-def]
    answer = client.get(path)
    assert answer.status_code < 500, (path, answer.status_code)
    return answer


@pytest.mark.parametrize("value", SQL, ids=range(len(SQL)))
def test_search_and_filters_take_hostile_values_as_data(client, world: World, value: str) -> None:  # type: ignore[no-untyped-def]
    fast_sign_in(client, world.expert_osao)
    quoted = quote(value)
    omnia = f"/console/tickets/{world.omnia_ticket.number}"
    for path in (
        f"/console/search?q={quoted}",
        f"/console/search?q=Omnian&status={quoted}&region={quoted}&desk={quoted}",
        f"/console/desks/applicants/?status={quoted}&channel={quoted}&sort={quoted}",
        f"/console/desks/applicants/?region={quoted}&topic={quoted}&assignee={quoted}",
        f"/console/desks/applicants/?after={quoted}&created_from={quoted}",
        f"/console/reports?from={quoted}&to={quoted}&desk={quoted}",
    ):
        answer = _get(client, path)
        assert omnia not in answer.get_data(as_text=True), path


@pytest.mark.parametrize("value", SQL[:8], ids=range(8))
def test_api_parameters_take_hostile_values_as_data(api, value: str) -> None:  # type: ignore[no-untyped-def]
    quoted = quote(value)
    for path in (
        f"/tickets?queue={quoted}",
        f"/tickets?status={quoted}",
        f"/tickets?audience={quoted}",
        f"/tickets?page={quoted}",
        f"/tickets/{quoted}",
    ):
        answer = api.get(path)
        assert answer.status_code < 500, (path, answer.status_code)
        if answer.status_code == 200 and "tickets" in (answer.get_json() or {}):
            assert answer.get_json()["tickets"] == [], path


HEADER_ATTACKS = [
    "Kysymys\r\nBcc: victim@example.net",
    "Kysymys\nBcc: victim@example.net",
    "Kysymys\r\n\r\n<html>injected body",
    "=?utf-8?q?Kysymys=0D=0ABcc=3A_victim=40example=2Enet?=",
]


@pytest.mark.parametrize("subject", HEADER_ATTACKS, ids=range(len(HEADER_ATTACKS)))
def test_no_header_injection_into_the_acknowledgement(api, mail, subject: str) -> None:  # type: ignore[no-untyped-def]
    answer = api.post(
        "/enquiries",
        json={
            "name": "Aino\r\nBcc: victim@example.net",
            "email": "aino@example.org",
            "subject": subject,
            "body": "Milloin haku alkaa?",
        },
    )
    assert answer.status_code in (201, 400)
    for outbound in mail.sent:
        assert "victim@example.net" not in outbound.to_address
        raw = compose(outbound)
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        head = raw.split(b"\r\n\r\n", 1)[0].decode(errors="replace")
        lines = [line.lower() for line in head.split("\r\n")]
        assert not any(line.startswith("bcc:") for line in lines), head
        assert parsed.get_all("Bcc") is None
        recipients = [a.addr_spec for a in parsed["To"].addresses]
        assert recipients == [outbound.to_address], head
        assert "injected body" not in head
