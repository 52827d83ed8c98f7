"""IDOR: an object reached by its id or number is shown only to whom its
ticket is visible — tickets, messages (the mail HTML frame), attachments,
call recordings, search results, API tickets and replies, the public
status and survey pages.  Each role's view of the ticket actions is
tests/integration/test_console_permissions.py; here the objects are
addressed directly, by guessing or by someone else's link."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import func, select

from servicedesk import tokens
from servicedesk.models import CallRecord, Message
from tests.integration.console_kit import fast_sign_in, token
from tests.security.conftest import World


@pytest.fixture
def call(session, world: World) -> CallRecord:  # type: ignore[no-untyped-def]
    record = CallRecord(
        call_sid="CA" + secrets.token_hex(16),
        ticket_id=world.omnia_ticket.id,
        from_number="+358401234567",
        outcome="voicemail",
        recording_data=b"RIFF....WAVEfmt ",
    )
    session.add(record)
    world.omnia_message.body_html = "<p>Omnia</p>"
    session.commit()
    return record


def omnia_objects(world: World, call: CallRecord) -> list[str]:
    return [
        f"/console/tickets/{world.omnia_ticket.number}",
        f"/console/messages/{world.omnia_message.id}/html",
        f"/console/attachments/{world.omnia_attachment.id}",
        f"/console/calls/{call.id}/recording",
        "/console/desks/applicants/queues/omnia-applicants",
    ]


def test_an_institution_reaches_only_its_own_objects(client, world: World, call) -> None:  # type: ignore[no-untyped-def]
    fast_sign_in(client, world.expert_osao)
    for path in omnia_objects(world, call):
        assert client.get(path).status_code == 404, path
    fast_sign_in(client, world.expert_omnia)
    for path in omnia_objects(world, call):
        assert client.get(path).status_code == 200, path


def test_actions_on_someone_elses_ticket_are_404_and_change_nothing(
    client, session, world: World
) -> None:  # type: ignore[no-untyped-def]
    fast_sign_in(client, world.expert_osao)
    number = world.omnia_ticket.number
    before = session.execute(select(func.count(Message.id))).scalar_one()
    for action, data in (
        ("note", {"note-body": "x"}),
        ("reply", {"reply-body": "x", "reply-send": "1"}),
        (f"messages/{world.omnia_message.id}/retry", {}),
    ):
        answer = client.post(
            f"/console/tickets/{number}/{action}", data={"csrf_token": token(client), **data}
        )
        assert answer.status_code == 404, action
    # A message id of another ticket under one's own ticket number.
    own = world.osao_ticket.number
    answer = client.post(
        f"/console/tickets/{own}/messages/{world.omnia_message.id}/retry",
        data={"csrf_token": token(client)},
    )
    assert answer.status_code in (404, 409)
    session.expire_all()
    assert session.execute(select(func.count(Message.id))).scalar_one() == before


def test_search_finds_only_visible_tickets(client, world: World) -> None:  # type: ignore[no-untyped-def]
    fast_sign_in(client, world.expert_osao)
    for query in ("Omnian", world.omnia_ticket.number, f"#{world.omnia_ticket.number}"):
        page = client.get(f"/console/search?q={query}")
        assert page.status_code == 200, query
        link = f"/console/tickets/{world.omnia_ticket.number}"
        assert link not in page.get_data(as_text=True), query
        assert "Vain Omnian" not in page.get_data(as_text=True), "no snippet either"


def test_api_tokens_of_a_user_see_what_the_user_sees(client, rt, session, world: World) -> None:  # type: ignore[no-untyped-def]
    _row, secret = tokens.create(
        session, "osao integration", rt.now(), user_id=world.expert_osao.id
    )
    session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    other = world.omnia_ticket.number
    assert client.get(f"/api/v1/tickets/{other}", headers=headers).status_code == 404
    assert (
        client.get(f"/api/v1/tickets/{world.osao_ticket.number}", headers=headers).status_code
        == 200
    )
    listed = client.get("/api/v1/tickets?status=new", headers=headers).get_json()["tickets"]
    assert {t["number"] for t in listed} == {world.osao_ticket.number}
    answer = client.post(f"/api/v1/tickets/{other}/replies", json={"body": "x"}, headers=headers)
    assert answer.status_code == 404
    revoked = client.get("/api/v1/tickets", headers={"Authorization": "Bearer sdk_" + "x" * 40})
    assert revoked.status_code == 401


def test_public_pages_need_the_whole_unguessable_token(client, world: World) -> None:  # type: ignore[no-untyped-def]
    token_ = world.osao_ticket.status_token
    assert len(token_) >= 32
    assert client.get(f"/status/{token_}").status_code == 200
    for guess in (
        token_[:-1],
        token_[:-1] + ("A" if token_[-1] != "A" else "B"),
        "1",
        token_ + "x",
    ):
        assert client.get(f"/status/{guess}").status_code == 404, guess
    assert client.get(f"/survey/{token_}").status_code == 404, "a status token is no survey token"
    assert client.get(f"/status/{world.osao_ticket.number}").status_code == 404
