"""The console's durations ("3 days", "1 week", "overdue by 2 hours") are
word for word what Babel's ``format_timedelta`` writes, in every language
and at every unit boundary, though the words are looked up once."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from babel.dates import TIMEDELTA_UNITS
from flask import Flask
from flask_babel import Babel, force_locale, format_timedelta

from servicedesk.console.labels import duration


def deltas() -> list[timedelta]:
    rng = random.Random(2026)
    seconds = {0.0, 1.0, 29.0, 30.0, 59.0, 60.0, 89.9, 90.0, 77_400.0, 77_401.0}
    for _unit, per_unit in TIMEDELTA_UNITS:
        for tenths in range(1, 200):  # 0.1 to 19.9 units, across each 0.9 threshold
            seconds.add(per_unit * tenths / 10)
            seconds.add(per_unit * tenths / 10 - 1)
    seconds.update(10 ** rng.uniform(0, 8.5) for _ in range(2000))
    return [timedelta(seconds=s) for s in sorted(seconds) if s >= 0]


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_every_duration_reads_as_babel_writes_it(language: str) -> None:
    app = Flask(__name__)
    Babel(app)
    with app.test_request_context(), force_locale(language):
        for delta in deltas():
            expected = str(format_timedelta(delta, granularity="minute", threshold=0.9))
            assert duration(delta) == expected, delta
            assert duration(-delta) == expected, delta
