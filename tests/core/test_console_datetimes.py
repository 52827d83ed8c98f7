"""The console's times ("2.3.2026 klo 13.00") are what Babel writes for the
console's patterns, in the desk's time zone across summer-time changes,
though written without it; and an overdue deadline reads in the user's
language however often the same phrase is written."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask_babel import Babel, force_locale, format_datetime

from servicedesk.console.labels import local_datetime, time_left
from servicedesk.resources import templates_dir

# The patterns the console showed times in, in Babel's notation.
BABEL_PATTERNS = {
    "fi": "d.M.yyyy 'klo' H.mm",
    "sv": "d.M.yyyy 'kl.' H.mm",
    "en": "d.M.yyyy HH:mm",
}
SHOWN = re.compile(r'<time datetime="([^"]+)">([^<]+)</time>')


def app_like_the_console() -> Flask:
    app = Flask(__name__)
    app.config.update(
        BABEL_DEFAULT_LOCALE="fi",
        BABEL_DEFAULT_TIMEZONE="Europe/Helsinki",
        BABEL_TRANSLATION_DIRECTORIES=str(templates_dir() / "console" / "translations"),
    )
    Babel(app)
    return app


def times() -> list[datetime]:
    rng = random.Random(2026)
    chosen = []
    # Every quarter of an hour around the summer-time changes of 2026 (29
    # March, 25 October: 01:00 UTC) and across New Year.
    for start in ("2026-03-28 20:00", "2026-10-24 20:00", "2026-12-31 18:00"):
        first = datetime.fromisoformat(start).replace(tzinfo=UTC)
        chosen += [first + timedelta(minutes=15 * i) for i in range(4 * 12)]
    first = datetime(2020, 1, 1, tzinfo=UTC)
    chosen += [first + timedelta(minutes=rng.randrange(10 * 365 * 24 * 60)) for _ in range(3000)]
    return chosen


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_times_read_as_babel_writes_them(language: str) -> None:
    with app_like_the_console().test_request_context(), force_locale(language):
        for value in times():
            found = SHOWN.fullmatch(str(local_datetime(value)))
            assert found, value
            assert found.group(1) == value.isoformat()
            assert found.group(2) == format_datetime(value, BABEL_PATTERNS[language]), value


def test_a_missing_time_is_a_dash() -> None:
    with app_like_the_console().test_request_context():
        assert str(local_datetime(None)) == "–"


@pytest.mark.parametrize(
    ("language", "ahead", "overdue"),
    [
        ("fi", "3 päivää", '<strong class="overdue">myöhässä 3 päivää</strong>'),
        ("sv", "3 dygn", '<strong class="overdue">försenat med 3 dygn</strong>'),
        ("en", "3 days", '<strong class="overdue">overdue by 3 days</strong>'),
    ],
)
def test_deadlines_read_in_the_users_language(language: str, ahead: str, overdue: str) -> None:
    now = datetime(2026, 11, 30, 12, tzinfo=UTC)
    with app_like_the_console().test_request_context():
        for shown in ("fi", "sv", "en", language):  # the same phrase in each language in turn
            with force_locale(shown):
                written = str(time_left(now - timedelta(days=3), now))
        assert written == overdue
        with force_locale(language):
            assert str(time_left(now + timedelta(days=3), now)) == ahead
            assert str(time_left(now - timedelta(days=3), now, active=False)) == "–"
