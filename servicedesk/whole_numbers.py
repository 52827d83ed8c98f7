"""Whole numbers as people and programs type them into forms and query
strings: a row's id, a page number, a score.

``str.isdigit`` is not enough to guard ``int()``: it is true for "²" and
other digits ``int`` refuses, and a number past the database's integer
column (2,147,483,647) is refused by PostgreSQL with an error and
overflows SQLite's driver.  Each function here answers None (or the
default) for anything else, so the caller shows its own message instead
of a server error.
"""

from __future__ import annotations

#: PostgreSQL's ``integer``, the type of every id column.
MAX_ROW_ID = 2**31 - 1


def whole_number(raw: str | None, *, low: int = 0, high: int = MAX_ROW_ID) -> int | None:
    """``raw`` as an int in [low, high] if it is plain ASCII digits
    (surrounding blanks ignored), otherwise None."""
    text = (raw or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(high)):
        return None
    value = int(text)
    return value if low <= value <= high else None


def row_id(raw: str | None) -> int | None:
    """An id as a form or URL carries it: a positive number that fits the
    id columns, or None."""
    return whole_number(raw, low=1)


def page_number(raw: str | None, *, last: int) -> int:
    """A page from 1 to ``last``: 1 for anything that is not a number, and
    a number past ``last`` is ``last``."""
    text = (raw or "").strip()
    if not (text.isascii() and text.isdigit()):
        return 1
    if len(text) > len(str(last)):
        return last
    return max(1, min(int(text), last))
