"""compose(): threading headers, automation headers, alternatives, no header injection."""

from __future__ import annotations

import dataclasses
import re
from email import message_from_bytes, policy
from typing import Any

import pytest

from channels.email import InvalidAddressError, compose, make_message_id, parse
from channels.email.compose import ComposeError
from channels.email.policies import OUTGOING, READ
from channels.message import Attachment, AutoKind, Channel, OutboundMessage

BASE = OutboundMessage(
    channel=Channel.EMAIL,
    to_address="matti@example.fi",
    to_name="Matti Meikäläinen",
    from_address="applicants@desk.test",
    from_name="Hakijapalvelu",
    subject="Re: Hakemus [#2026-000001]",
    text="Hei Matti,\n\nhakuaika päättyy 18.3.\n",
    message_id="20260302.abc@desk.test",
    language="fi",
)


def headers(raw: bytes) -> list[tuple[str, str]]:
    parsed = message_from_bytes(raw, policy=policy.default)
    return [(name.lower(), str(value)) for name, value in parsed.items()]


def test_make_message_id_is_unique_and_bracketless() -> None:
    first, second = make_message_id("desk.test"), make_message_id("desk.test")
    assert first != second
    assert re.fullmatch(r"\d{14}\.[0-9a-f]{24}@desk\.test", first)


def test_make_message_id_rejects_a_bad_domain() -> None:
    with pytest.raises(InvalidAddressError):
        make_message_id("desk.test\r\nBcc: x@y")


def test_compose_round_trips_through_parse() -> None:
    raw = compose(
        dataclasses.replace(
            BASE, in_reply_to="applicant-1@example.fi", references=("first@desk.test",)
        )
    )
    message = parse(raw)
    assert message.external_id == "20260302.abc@desk.test"
    assert message.sender_address == "applicants@desk.test"
    assert message.sender_name == "Hakijapalvelu"
    assert message.recipient_address == "matti@example.fi"
    assert message.subject == "Re: Hakemus [#2026-000001]"
    assert message.text == "Hei Matti,\n\nhakuaika päättyy 18.3."
    assert message.references == ("applicant-1@example.fi", "first@desk.test")
    assert message.auto_kind is AutoKind.NONE
    assert message.sent_at is not None
    fields = dict(headers(raw))
    assert fields["content-language"] == "fi"
    assert fields["to"] == "Matti Meikäläinen <matti@example.fi>"


def test_output_is_seven_bit_with_crlf() -> None:
    raw = compose(BASE)
    assert raw.isascii()
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")


def test_automatic_mail_is_marked_and_parses_as_auto_reply() -> None:
    raw = compose(dataclasses.replace(BASE, is_automatic=True))
    fields = dict(headers(raw))
    assert fields["auto-submitted"] == "auto-replied"
    assert fields["x-auto-response-suppress"] == "All"
    assert parse(raw).auto_kind is AutoKind.AUTO_REPLY


def test_html_alternative_and_attachments() -> None:
    logo = Attachment("logo.png", "image/png", b"\x89PNG\r\n\x1a\n0", "logo@desk.test", True)
    guide = Attachment("Hakuopas äö.pdf", "application/pdf", b"%PDF-1.4 x")
    raw = compose(
        dataclasses.replace(
            BASE, html='<p>Hei <img src="cid:logo@desk.test"></p>', attachments=(logo, guide)
        )
    )
    message = parse(raw)
    assert message.html is not None and 'src="cid:logo@desk.test"' in message.html
    assert "hakuaika päättyy" in message.text
    names = {(a.filename, a.content_type, a.content_id, a.is_inline) for a in message.attachments}
    assert names == {
        ("logo.png", "image/png", "logo@desk.test", True),
        ("Hakuopas äö.pdf", "application/pdf", None, False),
    }


def test_missing_message_id_is_generated_from_the_from_domain() -> None:
    message = parse(compose(dataclasses.replace(BASE, message_id=None)))
    assert message.external_id.endswith("@desk.test")


def test_references_are_capped_keeping_the_first() -> None:
    refs = tuple(f"r{i}@desk.test" for i in range(40))
    message = parse(compose(dataclasses.replace(BASE, references=refs, in_reply_to=None)))
    assert len(message.references) == 20
    assert message.references[0] == "r0@desk.test" and message.references[-1] == "r39@desk.test"


INJECTIONS = ["x\r\nBcc: victim@evil.test", "x\nBcc: victim@evil.test", "x\rBcc: victim@evil.test"]


@pytest.mark.parametrize("payload", INJECTIONS)
@pytest.mark.parametrize("field", ["subject", "from_name", "to_name"])
def test_header_injection_through_text_fields_is_neutralised(field: str, payload: str) -> None:
    changes: dict[str, Any] = {field: payload}
    raw = compose(dataclasses.replace(BASE, **changes))
    names = [name for name, _value in headers(raw)]
    assert "bcc" not in names
    assert len(names) == len(set(names))
    assert b"\r\nBcc:" not in raw and b"\nBcc:" not in raw


@pytest.mark.parametrize(
    "address",
    [
        "matti@example.fi\r\nBcc: victim@evil.test",
        "matti@example.fi\nBcc: victim@evil.test",
        "matti@example.fi, victim@evil.test",
        "Matti <matti@example.fi>",
        "not-an-address",
        "matti@",
        "@example.fi",
        "matti@exa mple.fi",
        "mat ti@example.fi",
    ],
)
@pytest.mark.parametrize("field", ["to_address", "from_address"])
def test_bad_addresses_are_rejected(field: str, address: str) -> None:
    with pytest.raises(InvalidAddressError) as caught:
        changes: dict[str, Any] = {field: address}
        compose(dataclasses.replace(BASE, **changes))
    assert isinstance(caught.value, ValueError)


def test_international_domain_is_encoded() -> None:
    raw = compose(dataclasses.replace(BASE, to_address="maija@äänekoski.example"))
    assert dict(headers(raw))["to"].endswith("<maija@xn--nekoski-4waa.example>")


def test_invalid_thread_ids_are_left_out() -> None:
    raw = compose(
        dataclasses.replace(BASE, in_reply_to="bad id\r\nBcc: x@y", references=("ok@x", "<a b>"))
    )
    fields = dict(headers(raw))
    assert "in-reply-to" not in fields
    assert fields["references"] == "<ok@x>"


def test_invalid_own_message_id_is_an_error() -> None:
    with pytest.raises(ComposeError):
        compose(dataclasses.replace(BASE, message_id="no-at-sign"))


def test_the_desks_policies_read_and_write_as_the_standard_librarys() -> None:
    raw = compose(
        dataclasses.replace(
            BASE,
            subject="Re: Hakemus – päätös ja liitteet " * 4,
            to_name='Åsa "Testi" Öberg-Meikäläinen',
            html="<p>Hei</p>",
            attachments=(Attachment("päätös.pdf", "application/pdf", b"%PDF-1.4"),),
        )
    )
    ours = message_from_bytes(raw, policy=READ)
    stock = message_from_bytes(raw, policy=policy.default)
    assert [(n, str(v)) for n, v in ours.items()] == [(n, str(v)) for n, v in stock.items()]
    assert ours.as_bytes(policy=OUTGOING) == stock.as_bytes(
        policy=policy.SMTP.clone(cte_type="7bit")
    )
    assert OUTGOING.header_factory["Subject"] is OUTGOING.header_factory["subject"]
