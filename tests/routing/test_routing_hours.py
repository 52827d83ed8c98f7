"""Business hours: opening hours per weekday in Helsinki time, holidays
passed in, response times counted in open hours only."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing import (
    DEFAULT_OPENING_HOURS,
    OpeningHours,
    add_business_hours,
    business_hours_between,
    is_open,
)

HKI = ZoneInfo("Europe/Helsinki")
NONE: frozenset[date] = frozenset()
# Finnish public holidays the application would compute with `holidays`.
EASTER_2026 = frozenset({date(2026, 4, 3), date(2026, 4, 6)})  # Good Friday, Easter Monday
MIDSUMMER = frozenset({date(2026, 6, 19), date(2026, 6, 20)})


def hki(y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=HKI)


@pytest.mark.parametrize(
    ("at", "holidays", "open_"),
    [
        (hki(2026, 3, 10, 10), NONE, True),  # Tuesday morning
        (hki(2026, 3, 10, 9), NONE, True),  # opening minute
        (hki(2026, 3, 10, 8, 59), NONE, False),
        (hki(2026, 3, 10, 16), NONE, False),  # closing time is not open
        (hki(2026, 3, 14, 12), NONE, False),  # Saturday
        (hki(2026, 3, 15, 12), NONE, False),  # Sunday
        (hki(2026, 4, 3, 12), EASTER_2026, False),  # Good Friday
        (hki(2026, 4, 3, 12), NONE, True),  # the same Friday without holidays
        (hki(2026, 3, 10, 10).astimezone(UTC), NONE, True),  # UTC in
    ],
)
def test_is_open(at: datetime, holidays: frozenset[date], open_: bool) -> None:
    assert is_open(at, DEFAULT_OPENING_HOURS, holidays) is open_


@pytest.mark.parametrize(
    ("start", "hours", "holidays", "due"),
    [
        (hki(2026, 3, 10, 10), 2, NONE, hki(2026, 3, 10, 12)),
        (hki(2026, 3, 10, 15), 2, NONE, hki(2026, 3, 11, 10)),  # overnight
        (hki(2026, 3, 13, 15), 2, NONE, hki(2026, 3, 16, 10)),  # over the weekend
        (hki(2026, 3, 14, 11), 1, NONE, hki(2026, 3, 16, 10)),  # starts on a Saturday
        (hki(2026, 3, 10, 7), 1, NONE, hki(2026, 3, 10, 10)),  # before opening
        (hki(2026, 3, 9, 9), 8, NONE, hki(2026, 3, 10, 10)),  # a day is 7 hours
        (hki(2026, 4, 2, 15), 2, EASTER_2026, hki(2026, 4, 7, 10)),  # Easter
        (hki(2026, 6, 18, 15, 30), 1, MIDSUMMER, hki(2026, 6, 22, 9, 30)),  # Midsummer
        (hki(2026, 3, 27, 15), 2, NONE, hki(2026, 3, 30, 10)),  # over the switch to summer time
        (hki(2026, 10, 23, 15), 2, NONE, hki(2026, 10, 26, 10)),  # and back
        (hki(2026, 3, 10, 10), 0, NONE, hki(2026, 3, 10, 10)),
        (hki(2026, 3, 10, 10), 0.5, NONE, hki(2026, 3, 10, 10, 30)),
    ],
)
def test_add_business_hours(
    start: datetime, hours: float, holidays: frozenset[date], due: datetime
) -> None:
    result = add_business_hours(start, hours, DEFAULT_OPENING_HOURS, holidays)
    assert result == due
    assert result.tzinfo is UTC


@pytest.mark.parametrize(
    ("a", "b", "holidays", "hours"),
    [
        (hki(2026, 3, 13, 15), hki(2026, 3, 16, 10), NONE, 2.0),
        (hki(2026, 3, 16, 10), hki(2026, 3, 13, 15), NONE, -2.0),
        (hki(2026, 3, 14, 0), hki(2026, 3, 15, 23), NONE, 0.0),
        (hki(2026, 3, 9, 0), hki(2026, 3, 16, 0), NONE, 35.0),
        (hki(2026, 3, 30, 0), hki(2026, 4, 13, 0), EASTER_2026, 56.0),
    ],
)
def test_business_hours_between(
    a: datetime, b: datetime, holidays: frozenset[date], hours: float
) -> None:
    assert business_hours_between(a, b, DEFAULT_OPENING_HOURS, holidays) == pytest.approx(hours)


def test_parse_and_describe() -> None:
    hours = OpeningHours.parse(
        {"mon": "08:00-12:00, 13:00-16:00", "sat": "closed", "sun": "00:00-24:00"}
    )
    assert hours.weekdays[0] == ((time(8), time(12)), (time(13), time(16)))
    assert hours.weekdays[5] == ()
    assert OpeningHours.parse(hours.describe()) == hours
    assert is_open(hki(2026, 3, 15, 23, 59), hours, NONE)  # Sunday, all day


@pytest.mark.parametrize(
    "days",
    [
        {"mon": "16:00-08:00"},
        {"mon": "8-16"},
        {"mon": "25:00-26:00"},
        {"funday": "08:00-16:00"},
        {"mon": "08:00-12:00, 11:00-13:00"},
    ],
)
def test_parse_rejects(days: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        OpeningHours.parse(days)


def test_refusals() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        is_open(datetime(2026, 3, 10, 10), DEFAULT_OPENING_HOURS, NONE)
    with pytest.raises(ValueError, match="negative"):
        add_business_hours(hki(2026, 3, 10, 10), -1, DEFAULT_OPENING_HOURS, NONE)
    with pytest.raises(ValueError, match="no open time"):
        add_business_hours(hki(2026, 3, 10, 10), 1, OpeningHours.parse({}), NONE)


moments = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
holiday_sets = st.frozensets(st.dates(date(2025, 1, 1), date(2028, 6, 30)), max_size=30)


@settings(max_examples=150, deadline=None)
@given(start=moments, hours=st.floats(0, 300, allow_nan=False), holidays=holiday_sets)
def test_adding_then_measuring_gives_the_hours_back(
    start: datetime, hours: float, holidays: frozenset[date]
) -> None:
    due = add_business_hours(start, hours, DEFAULT_OPENING_HOURS, holidays)
    assert due >= start
    measured = business_hours_between(start, due, DEFAULT_OPENING_HOURS, holidays)
    assert measured == pytest.approx(hours, abs=1e-6)


@settings(max_examples=100, deadline=None)
@given(start=moments, a=st.floats(0, 100), b=st.floats(0, 100), holidays=holiday_sets)
def test_more_hours_are_never_sooner(
    start: datetime, a: float, b: float, holidays: frozenset[date]
) -> None:
    low, high = sorted((a, b))
    first = add_business_hours(start, low, DEFAULT_OPENING_HOURS, holidays)
    second = add_business_hours(start, high, DEFAULT_OPENING_HOURS, holidays)
    assert first <= second


@settings(max_examples=100, deadline=None)
@given(at=moments, holidays=holiday_sets)
def test_open_only_on_working_days_during_the_day(at: datetime, holidays: frozenset[date]) -> None:
    local = at.astimezone(HKI)
    expected = (
        local.weekday() < 5
        and local.date() not in holidays
        and time(9) <= local.time().replace(tzinfo=None) < time(16)
    )
    assert is_open(at, DEFAULT_OPENING_HOURS, holidays) is expected
    assert (at + timedelta(0)) == at
