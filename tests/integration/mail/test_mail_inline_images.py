"""Inline ``cid:`` images of an HTML mail show in the console's sandboxed
frame (as ``data:`` URLs of the message's own image parts), and nothing
but a real PNG, JPEG, GIF or WebP ever does."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from servicedesk.mail_intake import ingest
from servicedesk.models import Attachment, Message, Ticket
from servicedesk.runtime import Runtime
from tests.conftest import REPO
from tests.integration import console_kit
from tests.integration.console_kit import fast_sign_in, make_user

app = console_kit.app  # the fixture, with compiled templates shared between tests

CORPUS = REPO / "tests" / "data" / "mail"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgAAACAAFUok9dAAAAAElFTkSuQmCC"
)


@pytest.fixture
def agent_client(app: Any, session: Session) -> Any:
    agent = make_user(session, "agent")
    session.commit()
    client = app.test_client()
    fast_sign_in(client, agent)
    return client


def html_message(rt: Runtime, number: str) -> Message:
    with rt.db.session() as session:
        return session.execute(
            select(Message)
            .join(Ticket, Ticket.id == Message.ticket_id)
            .where(Ticket.number == number, Message.body_html.is_not(None))
        ).scalar_one()


def test_the_corpus_mails_inline_image_shows_in_the_console(rt: Runtime, agent_client: Any) -> None:
    result = ingest(rt, (CORPUS / "13-related-cid-image.eml").read_bytes(), name="13")
    assert result.outcome == "created" and result.ticket_number
    message = html_message(rt, result.ticket_number)
    with rt.db.session() as session:
        (image,) = session.execute(
            select(Attachment).where(Attachment.message_id == message.id)
        ).scalars()
        assert (image.content_id, image.is_inline) == ("screenshot.001@example.fi", True)
        data = rt.storage.read(image.storage_key)

    page = agent_client.get(f"/console/tickets/{result.ticket_number}")
    assert page.status_code == 200
    assert f'src="/console/messages/{message.id}/html"' in page.get_data(as_text=True)
    frame = agent_client.get(f"/console/messages/{message.id}/html")
    assert frame.status_code == 200
    body = frame.get_data(as_text=True)
    assert f'src="data:image/png;base64,{base64.b64encode(data).decode()}"' in body
    assert 'alt="virhe"' in body and "cid:" not in body
    policy = frame.headers["Content-Security-Policy"]
    assert "img-src data:;" in policy and "sandbox" in policy


@pytest.mark.parametrize(
    ("content_type", "data", "shown"),
    [
        ("image/png", PNG, True),
        ("image/svg+xml", b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>', False),
        ("image/png", b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>', False),
        ("text/html", b"<script>alert(1)</script>", False),
    ],
    ids=["png", "svg", "svg-labelled-png", "html"],
)
def test_only_real_raster_images_are_inlined(
    rt: Runtime, session: Session, agent_client: Any, content_type: str, data: bytes, shown: bool
) -> None:
    result = ingest(rt, (CORPUS / "13-related-cid-image.eml").read_bytes(), name="13")
    message = html_message(rt, result.ticket_number or "")
    stored = rt.storage.put(data)
    row = session.get(Message, message.id)
    assert row is not None
    row.body_html = (
        '<p><img src="cid:other%40example.fi" alt="toinen">'
        '<img src="cid:unknown@example.fi" alt="puuttuu">'
        '<img src="data:image/gif;base64,R0lGODlh" alt="oma">'
        '<a href="cid:other@example.fi">linkki</a></p>'
    )
    session.add(
        Attachment(
            message_id=message.id,
            filename="toinen",
            content_type=content_type,
            size=stored.size,
            sha256=stored.sha256,
            storage_key=stored.key,
            content_id="<other@example.fi>",
            is_inline=True,
        )
    )
    session.commit()
    body = agent_client.get(f"/console/messages/{message.id}/html").get_data(as_text=True)
    expected = f'src="data:{content_type};base64,{base64.b64encode(data).decode()}"'
    assert (expected in body) is shown
    assert "cid:" not in body, "an unknown Content-ID, or one in a link, is dropped"
    assert "R0lGODlh" not in body, "the mail's own data: URLs stay out"
    assert body.count("data:") == (1 if shown else 0)
