"""Turning bytes of unknown or mislabelled encoding into text, never raising.

Mail in the wild declares charsets that do not exist, that Python spells
differently, or that are simply wrong (windows-1252 sent as "utf-8", UTF-8
sent as "iso-8859-1").  :func:`decode_bytes` tries the declared charset, then
UTF-8, then windows-1252 and finally latin-1, which accepts any byte, so
decoding always yields a string.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Sequence

# Labels seen in real mail that Python does not know, or knows as a narrower
# codec than the senders actually use (WHATWG's encoding standard makes the
# same substitutions for the web).
_ALIASES: dict[str, str] = {
    "ascii": "cp1252",
    "us-ascii": "cp1252",
    "ansi_x3.4-1968": "cp1252",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "8859-1": "cp1252",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "euc-cn": "gb18030",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "euc-kr": "cp949",
    "windows-31j": "cp932",
    "x-sjis": "cp932",
    "shift-jis": "cp932",
    "shift_jis": "cp932",
    "sjis": "cp932",
    "unicode-1-1-utf-7": "utf-7",
    "x-unicode20utf8": "utf-8",
    "unicode-1-1-utf-8": "utf-8",
    "utf8": "utf-8",
    "x-mac-roman": "mac-roman",
    "macintosh": "mac-roman",
    "tis-620": "cp874",
    "windows-874": "cp874",
    "iso-8859-8-i": "iso-8859-8",
    "iso-8859-6-i": "iso-8859-6",
}

# Codecs Python knows that are not character sets of mail text: naming one in
# a Content-Type must not turn a body into something else.
_NOT_TEXT = frozenset(
    {
        "base64",
        "bz2",
        "hex",
        "idna",
        "punycode",
        "quopri",
        "raw_unicode_escape",
        "rot13",
        "rot-13",
        "undefined",
        "unicode_escape",
        "uu",
        "zlib",
        "mbcs",
        "oem",
    }
)

# Japanese, Korean and Chinese mail declares a 7-bit ISO-2022 body charset but
# often writes raw header bytes in the 8-bit encoding of the same language.
_EIGHT_BIT_SIBLING = {
    "iso2022_jp": "cp932",
    "iso2022_jp_1": "cp932",
    "iso2022_jp_2": "cp932",
    "iso2022_jp_3": "cp932",
    "iso2022_jp_ext": "cp932",
    "iso2022_kr": "cp949",
    "hz": "gb18030",
}
_WESTERN = frozenset({"cp1252", "latin-1", "iso8859-15", "ascii"})
_LABEL = re.compile(r"[A-Za-z0-9._:+\-]{1,40}")


def codec_for(label: str | None) -> str | None:
    """The Python codec name for a charset label, or ``None`` if unusable."""
    if not label:
        return None
    cleaned = label.strip().strip("\"'").strip().lower()
    if not _LABEL.fullmatch(cleaned):
        return None
    cleaned = _ALIASES.get(cleaned, cleaned)
    try:
        info = codecs.lookup(cleaned)
    except (LookupError, ValueError, TypeError):
        if cleaned.startswith("x-"):
            return codec_for(cleaned[2:])
        return None
    if info.name in _NOT_TEXT or cleaned in _NOT_TEXT:
        return None
    return info.name


def decode_bytes(data: bytes, declared: str | None = None) -> str:
    """Decode ``data``: declared charset, then UTF-8, windows-1252, latin-1.

    Valid non-ASCII UTF-8 wins over a declared western single-byte charset,
    because such byte sequences almost never occur in real latin-1 text while
    UTF-8 mislabelled as latin-1 is common.
    """
    codec = codec_for(declared)
    is_ascii = data.isascii()
    if is_ascii and codec in (None, "cp1252", "utf-8", "ascii", "latin-1"):
        return data.decode("ascii")
    order: list[str] = []
    if codec in _WESTERN and not is_ascii and _is_utf8(data):
        order.append("utf-8")
    if codec is not None:
        order.append(codec)
        if codec in _EIGHT_BIT_SIBLING and not is_ascii:
            order.append(_EIGHT_BIT_SIBLING[codec])
    order += ["utf-8", "cp1252"]
    for name in order:
        # ASCII text decodes "successfully" as UTF-16 into CJK noise; real
        # UTF-16/32 mail text has NUL bytes or a byte order mark
        if name.startswith(("utf-16", "utf-32")) and not _looks_wide(data):
            continue
        try:
            return data.decode(name)
        except (UnicodeError, LookupError, ValueError, TypeError):
            continue
    return data.decode("latin-1")


def decode_header_bytes(data: bytes, hints: Sequence[str] = ()) -> str:
    """Decode raw 8-bit header bytes, which carry no charset label of their own.

    UTF-8 first; then the charsets the message's parts declare (multi-byte
    ones before western ones, which would accept anything), with 7-bit
    ISO-2022 labels standing for their 8-bit siblings; then windows-1252.
    """
    if data.isascii():
        return data.decode("ascii")
    order = ["utf-8"]
    codecs_found = [codec for codec in map(codec_for, hints) if codec is not None]
    codecs_found = [_EIGHT_BIT_SIBLING.get(codec, codec) for codec in codecs_found]
    order += [codec for codec in codecs_found if codec not in _WESTERN]
    order += [codec for codec in codecs_found if codec in _WESTERN]
    for name in [*order, "cp1252"]:
        try:
            return data.decode(name)
        except (UnicodeError, LookupError, ValueError, TypeError):
            continue
    return data.decode("latin-1")


def _looks_wide(data: bytes) -> bool:
    return b"\x00" in data[:200] or data.startswith((b"\xff\xfe", b"\xfe\xff"))


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def recover_bytes(value: str) -> bytes:
    """The original bytes of a string the email package decoded with surrogateescape."""
    return value.encode("utf-8", "surrogateescape")


def clean_text(value: str) -> str:
    """Drop what no text column can hold: NUL, other C0 controls, lone surrogates."""
    if value.isascii() and value.isprintable():
        return value
    value = value.encode("utf-8", "replace").decode("utf-8")
    return _CONTROLS.sub("", value)


_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
