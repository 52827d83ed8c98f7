"""SMS segment counting, GSM-7 and UCS-2."""

from __future__ import annotations

import pytest

from channels.sms import SegmentCount, SmsEncoding, count_segments
from channels.sms_encoding import (
    GSM7_BASIC,
    GSM7_DEFAULT_ALPHABET,
    GSM7_EXTENSION,
    is_gsm7,
    ucs2_characters,
)

GSM = SmsEncoding.GSM7
UCS = SmsEncoding.UCS2
EMOJI = "😀"  # outside the BMP: a surrogate pair


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", SegmentCount(GSM, 0, 0)),
        ("a", SegmentCount(GSM, 1, 1)),
        ("a" * 160, SegmentCount(GSM, 1, 160)),
        ("a" * 161, SegmentCount(GSM, 2, 161)),
        ("a" * 306, SegmentCount(GSM, 2, 306)),
        ("a" * 307, SegmentCount(GSM, 3, 307)),
        ("a" * 459, SegmentCount(GSM, 3, 459)),
        ("a" * 460, SegmentCount(GSM, 4, 460)),
        # extension characters are two septets
        ("€", SegmentCount(GSM, 1, 2)),
        ("€" * 80, SegmentCount(GSM, 1, 160)),
        ("a" * 159 + "€", SegmentCount(GSM, 2, 161)),
        ("{}[]~|^\\\f", SegmentCount(GSM, 1, 18)),
        # € at the boundary: 152 + 2 would split the escape pair, so it moves on
        ("a" * 152 + "€" + "a" * 10, SegmentCount(GSM, 2, 164)),
        ("a" * 151 + "€" + "a" * 153, SegmentCount(GSM, 2, 306)),
        ("a" * 152 + "€" + "a" * 152, SegmentCount(GSM, 3, 306)),
        # Finnish and Swedish letters are GSM-7
        ("Hyvää päivää! Åbo, Östra, ÄÖÅ äöå", SegmentCount(GSM, 1, 33)),
        ("ä" * 160, SegmentCount(GSM, 1, 160)),
        ("ö" * 161, SegmentCount(GSM, 2, 161)),
        ("Müller, Ñuñoa, Øre, Æble, Straße, École, è ù ì ò à", SegmentCount(GSM, 1, 50)),
        ("¡¿§¤£¥@_ΔΦΓΛΩΠΨΣΘΞ", SegmentCount(GSM, 1, 18)),
        ("line\r\nbreak", SegmentCount(GSM, 1, 11)),
        # UCS-2: one character outside the tables changes everything
        ("õ", SegmentCount(UCS, 1, 1)),
        ("Tõnis", SegmentCount(UCS, 1, 5)),
        ("šakki", SegmentCount(UCS, 1, 5)),
        ("žurnalisti", SegmentCount(UCS, 1, 10)),
        ("ça", SegmentCount(UCS, 1, 2)),  # only capital Ç is in the table
        ("Ñandú", SegmentCount(UCS, 1, 5)),  # ù is in the table, ú is not
        ("tab\there", SegmentCount(UCS, 1, 8)),
        ("“quotes”", SegmentCount(UCS, 1, 8)),
        ("ä" * 69 + "õ", SegmentCount(UCS, 1, 70)),
        ("ä" * 70 + "õ", SegmentCount(UCS, 2, 71)),
        ("õ" * 70, SegmentCount(UCS, 1, 70)),
        ("õ" * 71, SegmentCount(UCS, 2, 71)),
        ("õ" * 134, SegmentCount(UCS, 2, 134)),
        ("õ" * 135, SegmentCount(UCS, 3, 135)),
        ("€" * 70 + "õ", SegmentCount(UCS, 2, 71)),  # € is one unit in UCS-2
        # emoji: surrogate pairs count 2 and are not split
        (EMOJI, SegmentCount(UCS, 1, 2)),
        (EMOJI * 35, SegmentCount(UCS, 1, 70)),
        (EMOJI * 36, SegmentCount(UCS, 2, 72)),
        ("a" * 66 + EMOJI, SegmentCount(UCS, 1, 68)),
        ("a" * 66 + EMOJI + "a" * 3, SegmentCount(UCS, 2, 71)),
        ("a" * 68 + EMOJI, SegmentCount(UCS, 1, 70)),
        ("a" * 69 + EMOJI, SegmentCount(UCS, 2, 71)),
        ("a" * 66 + EMOJI + "a" * 66, SegmentCount(UCS, 3, 134)),
        ("a" * 65 + EMOJI + "a" * 67, SegmentCount(UCS, 2, 134)),
    ],
)
def test_count_segments(text: str, expected: SegmentCount) -> None:
    assert count_segments(text) == expected


def test_encoding_names() -> None:
    assert count_segments("moi").encoding == "GSM-7"
    assert count_segments("мир").encoding == "UCS-2"


@pytest.mark.parametrize(
    ("code", "char"),
    [
        (0x00, "@"),
        (0x02, "$"),
        (0x09, "Ç"),
        (0x0E, "Å"),
        (0x0F, "å"),
        (0x1C, "Æ"),
        (0x1F, "É"),
        (0x24, "¤"),
        (0x40, "¡"),
        (0x5B, "Ä"),
        (0x5C, "Ö"),
        (0x5D, "Ñ"),
        (0x5E, "Ü"),
        (0x5F, "§"),
        (0x60, "¿"),
        (0x7B, "ä"),
        (0x7C, "ö"),
        (0x7D, "ñ"),
        (0x7E, "ü"),
        (0x7F, "à"),
    ],
)
def test_default_alphabet_positions(code: int, char: str) -> None:
    assert GSM7_DEFAULT_ALPHABET[code] == char


def test_tables() -> None:
    assert len(GSM7_DEFAULT_ALPHABET) == 128
    assert GSM7_DEFAULT_ALPHABET[0x1B] == "\x1b"
    assert len(GSM7_BASIC) == 127
    assert "\x1b" not in GSM7_BASIC
    assert frozenset("\f^{}\\[~]|€") == GSM7_EXTENSION
    assert not GSM7_BASIC & GSM7_EXTENSION
    for char in "õšžçÕŠŽ`\t":
        assert char not in GSM7_BASIC | GSM7_EXTENSION


def test_ucs2_characters_explains_the_encoding() -> None:
    assert is_gsm7("Hyvää yötä €")
    assert not is_gsm7("Tõnis 😀")
    assert ucs2_characters("Tõnis õ 😀 ä") == ("õ", EMOJI)
    assert ucs2_characters("ääkköset") == ()
