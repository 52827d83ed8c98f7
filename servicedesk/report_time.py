"""Local time in report queries: what month, ISO week, weekday and hour an
instant was in Finland, computed by the database so that grouping stays
one aggregate query on both databases.

PostgreSQL converts with ``timezone(zone, column)``.  SQLite has no time
zones: the offset is worked out in SQL with the EU daylight-saving rule
(summer time from 01:00 UTC on the last Sunday of March until 01:00 UTC on
the last Sunday of October), which is exact for Europe/Helsinki and every
other EU zone; other zones with summer time are refused on SQLite.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Integer, and_, case, cast, func

from servicedesk.errors import ValidationError

PERIODS = ("month", "week", "weekday", "hour")


@dataclass(frozen=True, slots=True)
class ReportFilter:
    """Which tickets a report counts: created in [start, end), optionally
    one desk (``applicant`` or ``staff``); periods in ``timezone``."""

    start: datetime
    end: datetime
    desk: str | None = None
    timezone: str = "Europe/Helsinki"

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValidationError("report dates must carry a time zone", field="start")
        if self.end <= self.start:
            raise ValidationError("the end of the range must be after its start", field="end")
        if self.desk not in (None, "applicant", "staff"):
            raise ValidationError("the desk is applicant or staff", field="desk")

    @classmethod
    def for_days(
        cls, first: date, last: date, desk: str | None = None, timezone: str = "Europe/Helsinki"
    ) -> ReportFilter:
        """Whole local days from ``first`` to ``last``, both included."""
        zone = ZoneInfo(timezone)
        start = datetime(first.year, first.month, first.day, tzinfo=zone)
        end = datetime(last.year, last.month, last.day, tzinfo=zone) + timedelta(days=1)
        return cls(start.astimezone(UTC), end.astimezone(UTC), desk, timezone)


def _last_sunday(year: int, month: int) -> date:
    day = date(year, month, 25)
    return day + timedelta(days=(6 - day.weekday()))


@lru_cache(maxsize=8)
def eu_offsets(timezone: str) -> tuple[int, int]:
    """(standard, summer) UTC offsets in minutes, checked against the EU rule."""
    zone = ZoneInfo(timezone)
    year = 2026
    winter = datetime(year, 1, 15, 12, tzinfo=UTC).astimezone(zone).utcoffset()
    summer = datetime(year, 7, 15, 12, tzinfo=UTC).astimezone(zone).utcoffset()
    assert winter is not None and summer is not None
    std, dst = int(winter.total_seconds() // 60), int(summer.total_seconds() // 60)
    if std != dst:
        for month, before, after in ((3, std, dst), (10, dst, std)):
            change = datetime.combine(_last_sunday(year, month), datetime.min.time(), UTC)
            change += timedelta(hours=1)
            seen = [(change + timedelta(minutes=m)).astimezone(zone).utcoffset() for m in (-1, 0)]
            if [int(s.total_seconds() // 60) for s in seen if s is not None] != [before, after]:
                raise ValidationError(
                    f"{timezone} does not follow the EU summer-time rule; reports on "
                    "SQLite support EU time zones only",
                    field="timezone",
                )
    return std, dst


def local_time(column: Any, dialect: str, timezone: str) -> ColumnElement[Any]:
    """``column`` (a UTC instant) as local wall-clock time, in SQL."""
    if dialect == "postgresql":
        return func.timezone(timezone, column)
    std, dst = eu_offsets(timezone)
    if std == dst:
        return func.datetime(column, f"{std:+d} minutes")
    year = func.strftime("%Y", column)
    begins = func.date(year.op("||")("-03-25"), "weekday 0").op("||")(" 01:00:00")
    ends = func.date(year.op("||")("-10-25"), "weekday 0").op("||")(" 01:00:00")
    summer = and_(column >= begins, column < ends)
    return func.datetime(column, case((summer, f"{dst:+d} minutes"), else_=f"{std:+d} minutes"))


def period_key(local: ColumnElement[Any], dialect: str, period: str) -> ColumnElement[Any]:
    """The group of a local time: "2026-09" (month), the Monday "2026-08-31"
    (ISO week), 1–7 Monday first (weekday) or 0–23 (hour)."""
    if period not in PERIODS:
        raise ValidationError(f"the period is one of {', '.join(PERIODS)}", field="period")
    if dialect == "postgresql":
        if period == "month":
            return func.to_char(local, "YYYY-MM")
        if period == "week":
            return func.to_char(func.date_trunc("week", local), "YYYY-MM-DD")
        field = "isodow" if period == "weekday" else "hour"
        return cast(func.extract(field, local), Integer)
    if period == "month":
        return func.strftime("%Y-%m", local)
    weekday0 = (cast(func.strftime("%w", local), Integer) + 6) % 7  # Monday 0
    if period == "week":
        return func.date(local, func.printf("-%d days", weekday0))
    if period == "weekday":
        return weekday0 + 1
    return cast(func.strftime("%H", local), Integer)


def week_label(monday: str) -> str:
    """ "2026-08-31" → "2026-W36" (the ISO week)."""
    year, week, _ = date.fromisoformat(monday).isocalendar()
    return f"{year}-W{week:02d}"


def all_keys(report: ReportFilter, period: str) -> list[object]:
    """Every group of the range, so the charts show empty periods too."""
    if period == "weekday":
        return list(range(1, 8))
    if period == "hour":
        return list(range(24))
    zone = ZoneInfo(report.timezone)
    first = report.start.astimezone(zone).date()
    last = (report.end - timedelta(microseconds=1)).astimezone(zone).date()
    keys: list[object] = []
    if period == "month":
        year, month = first.year, first.month
        while (year, month) <= (last.year, last.month):
            keys.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return keys
    monday = first - timedelta(days=first.weekday())
    while monday <= last:
        keys.append(monday.isoformat())
        monday += timedelta(days=7)
    return keys
