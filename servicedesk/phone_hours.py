"""Opening hours as the phone line says them, in Finnish, Swedish or English.

Consecutive weekdays with the same hours are said together ("maanantaista
perjantaihin kello 8–16"); whole hours are said without minutes, which
text-to-speech reads more naturally.  Public holidays are not listed: the
line says it is closed, then when it is normally open.
"""

from __future__ import annotations

from datetime import time

from routing import OpeningHours

_DAYS = {
    # (from, to, single day)
    "fi": (
        (
            "maanantaista",
            "tiistaista",
            "keskiviikosta",
            "torstaista",
            "perjantaista",
            "lauantaista",
            "sunnuntaista",
        ),
        (
            "maanantaihin",
            "tiistaihin",
            "keskiviikkoon",
            "torstaihin",
            "perjantaihin",
            "lauantaihin",
            "sunnuntaihin",
        ),
        (
            "maanantaisin",
            "tiistaisin",
            "keskiviikkoisin",
            "torstaisin",
            "perjantaisin",
            "lauantaisin",
            "sunnuntaisin",
        ),
    ),
    "sv": (
        ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag"),
        ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag"),
        (
            "på måndagar",
            "på tisdagar",
            "på onsdagar",
            "på torsdagar",
            "på fredagar",
            "på lördagar",
            "på söndagar",
        ),
    ),
    "en": (
        ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        (
            "on Mondays",
            "on Tuesdays",
            "on Wednesdays",
            "on Thursdays",
            "on Fridays",
            "on Saturdays",
            "on Sundays",
        ),
    ),
}
_OPEN = {
    "fi": "Palvelemme {groups}.",
    "sv": "Vi har öppet {groups}.",
    "en": "We are open {groups}.",
}
_RANGE = {"fi": "{a} {b}", "sv": "{a} till {b}", "en": "{a} to {b}"}
_AND = {"fi": " ja ", "sv": " och ", "en": " and "}
_CLOCK = {"fi": "kello {t}", "sv": "klockan {t}", "en": "{t}"}


def _clock(t: time, language: str, *, end: bool = False) -> str:
    hour = 24 if end and t == time(0) else t.hour
    if language == "en":
        return f"{hour}:{t.minute:02d}"
    return str(hour) if t.minute == 0 else f"{hour}.{t.minute:02d}"


def _intervals(day: tuple[tuple[time, time], ...], language: str) -> str:
    spans = [f"{_clock(a, language)}–{_clock(b, language, end=True)}" for a, b in day]
    text = _AND[language].join(spans)
    return _CLOCK[language].format(t=text)


def describe_opening_hours(hours: OpeningHours, language: str) -> str | None:
    """A sentence saying when the line is open; ``None`` when it never is."""
    language = language if language in _DAYS else "fi"
    starts, ends, singles = _DAYS[language]
    groups: list[tuple[int, int]] = []
    for index, day in enumerate(hours.weekdays):
        if not day:
            continue
        if groups and groups[-1][1] == index - 1 and hours.weekdays[groups[-1][0]] == day:
            groups[-1] = (groups[-1][0], index)
        else:
            groups.append((index, index))
    if not groups:
        return None
    parts = []
    for first, last in groups:
        if first == last:
            days = singles[first]
        else:
            days = _RANGE[language].format(a=starts[first], b=ends[last])
        parts.append(f"{days} {_intervals(hours.weekdays[first], language)}")
    return _OPEN[language].format(groups=_AND[language].join(parts))
