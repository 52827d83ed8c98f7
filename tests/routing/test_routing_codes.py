"""Every reason has a code the engine declares (``routing.CODES``), with
the values that fill it: a console can say the reason in its own words.
Checked over the whole table of decisions, and against the source, so a
new sentence cannot be added without its code."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from routing import CLAUSES, CODES, Directory, RoutingRequest, decide
from tests.routing.test_routing_decide import ALL_CASES

ROUTING = Path(__file__).resolve().parents[2] / "routing"
CODE_LITERAL = re.compile(
    r"\"((?:input|language|topic|institution|place|region|rule|queue|chain|priority)\.[a-z_]+)\""
)


def test_every_code_in_the_source_is_declared_and_every_declared_code_is_used() -> None:
    found = {
        code
        for path in ROUTING.glob("*.py")
        if path.name != "codes.py"
        for code in CODE_LITERAL.findall(path.read_text(encoding="utf-8"))
    }
    assert found == CODES, (sorted(found - CODES), sorted(CODES - found))


@pytest.mark.parametrize(("request_fields", "queue", "expect", "reasons"), ALL_CASES)
def test_every_reason_has_a_declared_code_and_its_values(
    directory: Directory,
    now: datetime,
    request_fields: dict[str, Any],
    queue: str | None,
    expect: dict[str, Any],
    reasons: tuple[str, ...],
) -> None:
    decision = decide(RoutingRequest(**request_fields), directory, now)
    for reason in decision.reasons:
        assert reason.code in CODES, reason
        names = [name for name, _value in reason.params]
        assert all(isinstance(value, str) for _name, value in reason.params), reason
        for clause in CLAUSES:
            values = [value for name, value in reason.params if name == clause]
            assert len(values) <= 1, reason
            for code in " ".join(values).split():
                assert code in CODES, reason
        assert len(names) == len(set(names)), reason
