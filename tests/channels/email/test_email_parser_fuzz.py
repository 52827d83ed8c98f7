"""Whatever bytes arrive, parse() gives an InboundMessage or a ParseError."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channels.email import parse, split_quoted
from channels.errors import ParseError
from channels.message import InboundMessage

CORPUS = Path(__file__).resolve().parents[2] / "data" / "mail"
SAMPLES = [path.read_bytes() for path in sorted(CORPUS.glob("*.eml"))]
FRAGMENTS = [
    b"\r\n",
    b"\n\n",
    b"--",
    b"=?utf-8?b?",
    b"?=",
    b"Content-Type: multipart/mixed; boundary=x\n",
    b"Content-Type: message/rfc822\n",
    b"Content-Transfer-Encoding: base64\n",
    b"\x00",
    b"\xff\xfe",
    b"\xc3",
    b"<",
    b">",
    b";",
    b'"',
    b"\\",
]


def _check(raw: bytes) -> None:
    try:
        message = parse(raw)
    except ParseError:
        return
    assert isinstance(message, InboundMessage)
    assert "\x00" not in message.text and "\x00" not in message.subject
    message.text.encode("utf-8")  # no lone surrogates
    message.subject.encode("utf-8")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4000))
def test_arbitrary_bytes(raw: bytes) -> None:
    _check(raw)


@st.composite
def mutated_mail(draw: st.DrawFn) -> bytes:
    raw = bytearray(draw(st.sampled_from(SAMPLES)))
    for _ in range(draw(st.integers(min_value=1, max_value=8))):
        position = draw(st.integers(min_value=0, max_value=max(0, len(raw) - 1)))
        action = draw(st.sampled_from(["insert", "delete", "flip", "truncate"]))
        if action == "insert":
            raw[position:position] = draw(st.sampled_from(FRAGMENTS))
        elif action == "delete":
            del raw[position : position + draw(st.integers(min_value=1, max_value=40))]
        elif action == "flip" and raw:
            raw[position] = draw(st.integers(min_value=0, max_value=255))
        else:
            del raw[position:]
    return bytes(raw)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_mail())
def test_mutated_valid_mail(raw: bytes) -> None:
    _check(raw)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=2000))
def test_split_quoted_loses_nothing(text: str) -> None:
    visible, quoted = split_quoted(text)
    assert visible + quoted == text
