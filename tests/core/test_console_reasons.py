"""The console says every routing reason in the agent's language: each code
the engine can give has a sentence in the console's catalog, Finnish and
Swedish translate it with the same placeholders, and the values the engine
gives fill it (checked over the routing tests' whole table of decisions).
A reason the console cannot say from its code is shown in English."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po

from routing import CLAUSES, CODES, RoutingRequest, decide
from servicedesk.console.reasons import AUDIENCES, KINDS, REASONS, translate
from servicedesk.directory_source import load_regions, read_directory
from tests.routing.test_routing_decide import ALL_CASES

REPO = Path(__file__).resolve().parents[2]
TRANSLATIONS = REPO / "templates" / "console" / "translations"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)


def catalog(language: str) -> dict[str, str]:
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return {m.id: m.string for m in read_po(handle, locale=language) if isinstance(m.id, str)}


def stored_details() -> Iterator[tuple[dict[str, Any], str]]:
    """Every reason of the routing table, as the intake stores it."""
    directory = read_directory(
        REPO / "tests" / "routing" / "data" / "directory.yaml",
        load_regions(REPO / "config" / "regions"),
    ).build()
    for case in ALL_CASES:
        decision = decide(RoutingRequest(**case.values[0]), directory, NOW)
        for reason in decision.reasons:
            yield {"code": reason.code, "params": dict(reason.params)}, reason.text


def test_every_code_the_engine_gives_has_a_console_sentence() -> None:
    assert set(REASONS) == CODES


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_translations_keep_the_placeholders(language: str) -> None:
    translated = catalog(language)
    for table in (REASONS, AUDIENCES, KINDS):
        for code, message in table.items():
            msgid = message._args[0]
            assert translated.get(msgid), (code, msgid)
            assert sorted(PLACEHOLDER.findall(translated[msgid])) == sorted(
                PLACEHOLDER.findall(msgid)
            ), (code, translated[msgid])


def test_the_engines_values_fill_every_sentence() -> None:
    seen = set()
    for detail, english in stored_details():
        said = translate(detail, "(not said)")
        assert said != "(not said)", (detail, english)
        assert "%(" not in said, said
        seen.add(detail["code"])
        seen.update(
            code for name in CLAUSES for code in str(detail["params"].get(name, "")).split()
        )
    assert len(seen) >= len(CODES) // 2, sorted(CODES - seen)


def test_a_reason_that_cannot_be_said_stays_in_english() -> None:
    english = "Priority normal."
    assert translate({"code": "priority.unheard_of", "params": {}}, english) == english
    assert translate({"code": "rule.matched", "params": {"rule": "r1"}}, english) == english
    assert translate("not a mapping", english) == english
