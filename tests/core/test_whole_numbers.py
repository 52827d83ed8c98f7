"""Numbers typed into forms and query strings: only plain digits that
fit the id columns are ids; pages are clamped, never an exception."""

from __future__ import annotations

import pytest

from servicedesk.whole_numbers import MAX_ROW_ID, page_number, row_id, whole_number


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", 1),
        (" 42 ", 42),
        (str(MAX_ROW_ID), MAX_ROW_ID),
        (str(MAX_ROW_ID + 1), None),  # past PostgreSQL's integer
        ("0", None),
        ("-1", None),
        ("²", None),  # str.isdigit() says yes, int() says no
        ("١٢٣", None),  # Arabic-Indic digits: not how our ids are written
        ("1e3", None),
        ("9" * 5000, None),  # int() refuses strings this long
        ("", None),
        (None, None),
    ],
)
def test_row_id(raw: str | None, expected: int | None) -> None:
    assert row_id(raw) == expected


def test_whole_number_bounds() -> None:
    assert whole_number("0") == 0
    assert whole_number("7", low=1, high=9) == 7
    assert whole_number("10", low=1, high=9) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("3", 3), ("0", 1), ("", 1), (None, 1), ("x", 1), ("²", 1), ("12", 10), ("9" * 5000, 10)],
)
def test_page_number(raw: str | None, expected: int) -> None:
    assert page_number(raw, last=10) == expected
