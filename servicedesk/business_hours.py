"""Business hours: an organisation's opening hours and the Finnish public
holidays, and the open hours between two instants by them.  Response
deadlines (deadlines.py) and the durations the reports aggregate
(models/durations.py) use this one calendar.

It sits below the models' layer on purpose (standard library, routing and
the holidays calendar only), so the models can keep durations up to date
whatever code writes them."""

from __future__ import annotations

import logging
from datetime import date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING

import holidays as holiday_calendars

from routing import DEFAULT_OPENING_HOURS, OpeningHours, business_hours_between

if TYPE_CHECKING:
    from servicedesk.models import Organization

logger = logging.getLogger(__name__)


class FinnishHolidays:
    """A ``Container[date]`` of Finnish public holidays for any year."""

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and day in _year(day.year)


@lru_cache(maxsize=16)
def _year(year: int) -> frozenset[date]:
    return frozenset(holiday_calendars.country_holidays("FI", years=year).keys())


FINNISH_HOLIDAYS = FinnishHolidays()


def opening_hours(organization: Organization | None, tz: str = "Europe/Helsinki") -> OpeningHours:
    if organization is None or not organization.opening_hours:
        return DEFAULT_OPENING_HOURS
    try:
        return OpeningHours.parse(organization.opening_hours, tz)
    except ValueError:
        logger.warning("organisation %s has unreadable opening hours", organization.id)
        return DEFAULT_OPENING_HOURS


def hours_between(hours: OpeningHours, start: datetime, end: datetime) -> float:
    """Open hours from ``start`` to ``end``, Finnish holidays excluded; never
    negative (an answer stamped before the ticket counts as immediate)."""
    return max(0.0, business_hours_between(start, end, hours, FINNISH_HOLIDAYS))
