"""Language: hints first, then the words of the text."""

from __future__ import annotations

from datetime import datetime

import pytest

from routing import Directory, RoutingRequest, decide, parse_language

LANGUAGE_CASES = [
    ("Hei, haluaisin kysyä koulutuksesta.", None, "fi"),
    ("Moi! Milloin haku alkaa?", None, "fi"),
    ("Oppisopimus Oulussa?", None, "fi"),
    ("Hej, jag undrar om utbildningen.", None, "sv"),
    ("Tack för svaret!", None, "sv"),
    ("Läroavtal i Vasa?", None, "sv"),
    ("Hello, I would like to ask about the course.", None, "en"),
    ("What is the deadline?", None, "en"),
    ("Thanks for the information.", None, "en"),
    ("Hei", "sv", "sv"),
    ("Hello", "fi", "fi"),
    ("Hej", "en-GB", "en"),
    ("Hei", "sv_FI", "sv"),
    ("Hello", "suomi", "fi"),
    ("Hej", "english", "en"),
    ("Hei", "xx", "fi"),
    ("", None, "fi"),
    ("Åbo", None, "sv"),
    ("Kiitos paljon", None, "fi"),
    ("Oulu", None, "fi"),
]


@pytest.mark.parametrize(("text", "hint", "language"), LANGUAGE_CASES)
def test_language(
    directory: Directory, now: datetime, text: str, hint: str | None, language: str
) -> None:
    decision = decide(RoutingRequest(text=text, language=hint), directory, now)
    assert decision.language == language, [r.text for r in decision.reasons]


@pytest.mark.parametrize(
    ("hint", "parsed"),
    [
        ("fi", "fi"),
        ("FI", "fi"),
        ("sv-FI", "sv"),
        ("svenska", "sv"),
        ("en_US", "en"),
        ("de", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_language(hint: str | None, parsed: str | None) -> None:
    assert parse_language(hint) == parsed
