"""How many SMS segments a text costs, counted the way the network sends it.

A text that uses only the GSM 03.38 (3GPP TS 23.038) default alphabet and its
extension table goes out as GSM-7: 160 septets in one SMS, or 153 per segment
once it is split (7 septets go to the concatenation header).  A character of
the extension table (``€ [ ] { } | ^ ~ \\`` and form feed) is an escape plus a
code, two septets, and the two are never split across segments.

One character outside those tables and the whole text goes out as UCS-2
(UTF-16 in practice): 70 code units in one SMS, 67 per segment.  A character
outside the Basic Multilingual Plane (most emoji) is a surrogate pair, two
units, never split either.

Finnish and Swedish letters ``å ä ö Å Ä Ö`` are in the default alphabet, as
are ``é É ü Ü ñ Ñ ø Ø æ Æ ß``; ``õ š ž`` and lower-case ``ç`` are not (only
capital ``Ç`` is), so an Estonian or Czech name turns a reply into UCS-2.
Counting assumes Twilio's "smart encoding" is off: the text is sent as typed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "GSM7_BASIC",
    "GSM7_DEFAULT_ALPHABET",
    "GSM7_EXTENSION",
    "SegmentCount",
    "SmsEncoding",
    "count_segments",
    "is_gsm7",
    "ucs2_characters",
]


class SmsEncoding(StrEnum):
    GSM7 = "GSM-7"
    UCS2 = "UCS-2"


#: The default alphabet in code order 0x00..0x7F (``GSM7_DEFAULT_ALPHABET[0x5B]``
#: is ``Ä``); 0x1B is the escape to the extension table, not a character.
GSM7_DEFAULT_ALPHABET = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
GSM7_BASIC: frozenset[str] = frozenset(GSM7_DEFAULT_ALPHABET) - {"\x1b"}
#: Escape + one of these: form feed ^ { } \ [ ~ ] | €
GSM7_EXTENSION: frozenset[str] = frozenset("\f^{}\\[~]|€")

_GSM7_SINGLE, _GSM7_MULTI = 160, 153
_UCS2_SINGLE, _UCS2_MULTI = 70, 67


@dataclass(frozen=True, slots=True)
class SegmentCount:
    """``units`` are septets for GSM-7 and UTF-16 code units for UCS-2.
    An empty text is zero segments: it cannot be sent at all."""

    encoding: SmsEncoding
    segments: int
    units: int


def is_gsm7(text: str) -> bool:
    """Whether every character of ``text`` fits the GSM-7 tables."""
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def ucs2_characters(text: str) -> tuple[str, ...]:
    """The distinct characters that force ``text`` into UCS-2, in order of
    appearance, so the console can say which ones to replace."""
    seen: dict[str, None] = {}
    for ch in text:
        if ch not in GSM7_BASIC and ch not in GSM7_EXTENSION:
            seen.setdefault(ch, None)
    return tuple(seen)


def count_segments(text: str) -> SegmentCount:
    """The encoding, the number of segments and the units ``text`` needs."""
    if is_gsm7(text):
        widths = [1 if ch in GSM7_BASIC else 2 for ch in text]
        return _pack(SmsEncoding.GSM7, widths, _GSM7_SINGLE, _GSM7_MULTI)
    widths = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    return _pack(SmsEncoding.UCS2, widths, _UCS2_SINGLE, _UCS2_MULTI)


def _pack(encoding: SmsEncoding, widths: Sequence[int], single: int, multi: int) -> SegmentCount:
    units = sum(widths)
    if units == 0:
        return SegmentCount(encoding, 0, 0)
    if units <= single:
        return SegmentCount(encoding, 1, units)
    segments, used = 1, 0
    for width in widths:
        # An escape pair or a surrogate pair that would straddle the boundary
        # moves whole into the next segment, leaving one unit unused.
        if used + width > multi:
            segments += 1
            used = 0
        used += width
    return SegmentCount(encoding, segments, units)
