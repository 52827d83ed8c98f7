"""Business hours: when an organisation is open, and response times counted
in open hours only.

Opening hours are local wall-clock times in the organisation's time zone
(Europe/Helsinki unless told otherwise); instants in and out are aware
datetimes, returned in UTC.  Public holidays are passed in as local dates,
so this module needs no calendar of its own (the application computes them
with the ``holidays`` package).  A day's interval that ends at ``00:00``
ends at midnight at the end of that day, so ``00:00-00:00`` is a whole day.
"""

from __future__ import annotations

import re
from collections.abc import Container, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

HELSINKI = "Europe/Helsinki"
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

Interval = tuple[time, time]

# A response-time search gives up after this many days without an open hour
# (a calendar that is all holidays would otherwise never end).
_SEARCH_DAYS = 3 * 366
_INTERVAL = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True, slots=True)
class OpeningHours:
    """Open intervals for each weekday, Monday first (seven entries)."""

    weekdays: tuple[tuple[Interval, ...], ...]
    tz: str = HELSINKI

    def __post_init__(self) -> None:
        if len(self.weekdays) != 7:
            raise ValueError("opening hours need seven weekdays, Monday first")
        for day in self.weekdays:
            previous_end = -1
            for start, end in day:
                first, last = _minutes(start), _end_minutes(end)
                if first >= last:
                    raise ValueError(f"interval {start:%H:%M}-{end:%H:%M} ends before it starts")
                if first < previous_end:
                    raise ValueError("intervals of one day must be in order and not overlap")
                previous_end = last
        ZoneInfo(self.tz)

    @classmethod
    def parse(cls, days: Mapping[str, str | None], tz: str = HELSINKI) -> OpeningHours:
        """From ``{"mon": "08:00-16:00", "sat": "10:00-12:00, 13:00-14:00"}``;
        a missing day, ``None``, ``""`` or ``"closed"`` is a closed day."""
        unknown = sorted(set(days) - set(WEEKDAYS))
        if unknown:
            raise ValueError(f"unknown weekday {unknown[0]!r} (use {', '.join(WEEKDAYS)})")
        parsed: list[tuple[Interval, ...]] = []
        for name in WEEKDAYS:
            spec = days.get(name)
            if spec is None or spec.strip().lower() in {"", "closed"}:
                parsed.append(())
                continue
            parsed.append(tuple(_parse_interval(part) for part in spec.split(",")))
        return cls(tuple(parsed), tz)

    def describe(self) -> dict[str, str]:
        """The inverse of ``parse`` (closed days left out)."""
        return {
            name: ", ".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in day)
            for name, day in zip(WEEKDAYS, self.weekdays, strict=True)
            if day
        }

    @property
    def is_never_open(self) -> bool:
        return not any(self.weekdays)


def _parse_interval(text: str) -> Interval:
    match = _INTERVAL.match(text)
    if match is None:
        raise ValueError(f"{text.strip()!r} is not an interval like 08:00-16:00")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h2 == 24 and m2 == 0:
        h2 = 0
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise ValueError(f"{text.strip()!r} is not a valid time of day")
    return time(h1, m1), time(h2, m2)


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def _end_minutes(t: time) -> int:
    minutes = _minutes(t)
    return 24 * 60 if minutes == 0 else minutes


DEFAULT_OPENING_HOURS = OpeningHours.parse(
    {day: "09:00-16:00" for day in ("mon", "tue", "wed", "thu", "fri")}
)


def _require_aware(at: datetime, name: str) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")


def _day_intervals(
    day: date, opening: OpeningHours, zone: ZoneInfo, holidays: Container[date]
) -> list[tuple[datetime, datetime]]:
    """The open intervals of one local day, as aware UTC datetimes."""
    if day in holidays:
        return []
    result = []
    for start, end in opening.weekdays[day.weekday()]:
        begin = datetime.combine(day, start, zone)
        if _minutes(end) == 0:
            finish = datetime.combine(day + timedelta(days=1), time(0), zone)
        else:
            finish = datetime.combine(day, end, zone)
        result.append((begin.astimezone(UTC), finish.astimezone(UTC)))
    return result


@lru_cache(maxsize=8192)
def _memo_day_intervals(
    day: date, opening: OpeningHours, holidays: Container[date]
) -> tuple[tuple[datetime, datetime], ...]:
    return tuple(_day_intervals(day, opening, ZoneInfo(opening.tz), holidays))


def _intervals_of(
    day: date, opening: OpeningHours, zone: ZoneInfo, holidays: Container[date]
) -> Sequence[tuple[datetime, datetime]]:
    """``_day_intervals`` remembered per day: reports add up the open hours
    of tens of thousands of tickets over the same few hundred days.  A
    calendar is taken not to change once made; one that cannot be hashed
    (a ``set``) is simply not remembered."""
    if isinstance(holidays, Hashable):
        return _memo_day_intervals(day, opening, holidays)
    return _day_intervals(day, opening, zone, holidays)


def is_open(at: datetime, opening: OpeningHours, holidays: Container[date]) -> bool:
    """Whether ``at`` falls inside the opening hours (a holiday is closed)."""
    _require_aware(at, "at")
    zone = ZoneInfo(opening.tz)
    local = at.astimezone(zone)
    instant = at.astimezone(UTC)
    return any(a <= instant < b for a, b in _day_intervals(local.date(), opening, zone, holidays))


def add_business_hours(
    start: datetime, hours: float, opening: OpeningHours, holidays: Container[date]
) -> datetime:
    """The instant when ``hours`` of open time have passed since ``start``
    (aware, returned in UTC).  Zero hours returns ``start`` itself."""
    _require_aware(start, "start")
    if hours < 0:
        raise ValueError("hours must not be negative")
    instant = start.astimezone(UTC)
    if hours == 0:
        return instant
    if opening.is_never_open:
        raise ValueError("the opening hours have no open time")
    remaining = timedelta(hours=hours)
    zone = ZoneInfo(opening.tz)
    day = instant.astimezone(zone).date()
    for _ in range(_SEARCH_DAYS):
        for a, b in _day_intervals(day, opening, zone, holidays):
            begin = max(a, instant)
            if begin >= b:
                continue
            available = b - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
        day += timedelta(days=1)
    raise ValueError(f"no open time within {_SEARCH_DAYS} days of {start.isoformat()}")


def business_hours_between(
    a: datetime, b: datetime, opening: OpeningHours, holidays: Container[date]
) -> float:
    """Open hours between two instants; negative when ``b`` is before ``a``."""
    _require_aware(a, "a")
    _require_aware(b, "b")
    first, last = a.astimezone(UTC), b.astimezone(UTC)
    if last < first:
        return -business_hours_between(b, a, opening, holidays)
    zone = ZoneInfo(opening.tz)
    total = timedelta()
    day = first.astimezone(zone).date()
    end_day = last.astimezone(zone).date()
    while day <= end_day:
        for start, finish in _intervals_of(day, opening, zone, holidays):
            overlap = min(finish, last) - max(start, first)
            if overlap > timedelta():
                total += overlap
        day += timedelta(days=1)
    return total.total_seconds() / 3600
