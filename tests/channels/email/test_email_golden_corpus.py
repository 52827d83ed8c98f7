"""Every mail of tests/data/mail/ parses to what its NAME.expected.json says.

The expectations list only what matters for each case: a key that is absent
is not compared.  ``text_contains``/``text_excludes`` hold substrings,
``attachments`` is compared in order on the keys each entry names.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from channels.email import parse
from channels.message import InboundMessage

CORPUS = Path(__file__).resolve().parents[2] / "data" / "mail"
DESKS = ("applicants@desk.test", "staff@desk.test")
CASES = sorted(CORPUS.glob("*.eml"))


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("path", CASES, ids=[path.stem for path in CASES])
def test_golden_mail(path: Path) -> None:
    expected: dict[str, Any] = json.loads(path.with_suffix(".expected.json").read_text("utf-8"))
    options = expected.pop("parse_options", {})
    message = parse(path.read_bytes(), desk_addresses=DESKS, **options)
    _compare(message, expected)


def _compare(message: InboundMessage, expected: dict[str, Any]) -> None:
    for key, value in expected.items():
        if key in ("subject", "sender_address", "sender_name", "recipient_address", "external_id"):
            assert getattr(message, key) == value, key
        elif key == "auto_kind":
            assert message.auto_kind.value == value
        elif key == "sent_at":
            assert (message.sent_at.isoformat() if message.sent_at else None) == value
        elif key == "html":
            assert message.html == value
        elif key == "text_contains":
            for fragment in value:
                assert fragment in message.text, fragment
        elif key == "text_excludes":
            for fragment in value:
                assert fragment not in message.text, fragment
        elif key == "text_min_length":
            assert len(message.text) >= value
        elif key == "html_contains":
            for fragment in value:
                assert message.html is not None and fragment in message.html, fragment
        elif key == "html_excludes":
            for fragment in value:
                assert message.html is None or fragment not in message.html, fragment
        elif key == "notes_contain":
            for fragment in value:
                assert any(fragment in note for note in message.notes), fragment
        elif key == "references":
            assert list(message.references) == value
        elif key == "bounced_message_ids":
            assert list(message.bounced_message_ids) == value
        elif key == "external_id_prefix":
            assert message.external_id.startswith(value)
        elif key == "external_id_suffix":
            assert message.external_id.endswith(value)
        elif key == "attachments":
            assert len(message.attachments) == len(value), [a.filename for a in message.attachments]
            for attachment, wanted in zip(message.attachments, value, strict=True):
                for field, wanted_value in wanted.items():
                    actual = len(attachment.data) if field == "size" else getattr(attachment, field)
                    assert actual == wanted_value, (attachment.filename, field)
        else:
            raise AssertionError(f"unknown expectation {key!r}")
