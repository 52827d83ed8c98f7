"""Reading header fields of a parsed mail tolerantly.

The values are taken raw from the parsed message and decoded here, so the
same code serves both the ``policy.default`` parse and the ``compat32``
fallback, and malformed input degrades instead of raising: RFC 2047 encoded
words are decoded even when split, unpadded, quoted or glued together; raw
8-bit header bytes go through the charset chain; address lists, message ids
and dates are extracted leniently.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

from channels.email.charset import clean_text, decode_bytes, decode_header_bytes, recover_bytes

_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,60})\?([QqBb])\?([^?]*?)\?=")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_WHITESPACE = re.compile(r"\s+")
_MESSAGE_ID = re.compile(r"<([^<>\s]{1,900})>")
_BARE_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]{1,64}@[\w-]+(?:\.[\w-]+)*", re.UNICODE)


def raw_values(msg: Message, name: str, hints: Sequence[str] = ()) -> list[str]:
    """Every value of header ``name``, unfolded, 8-bit bytes decoded, words not yet.

    ``hints`` are charsets the message declares elsewhere, tried on raw 8-bit bytes.
    """
    wanted = name.lower()
    values: list[str] = []
    # raw_items() gives the header text exactly as parsed, before the policy
    # builds structured header objects, which may choke on broken input.
    for key, value in msg.raw_items():
        if str(key).lower() != wanted:
            continue
        text = str(value)
        if not text.isascii():
            text = decode_header_bytes(recover_bytes(text), hints)
        text = _FOLD.sub("", text).replace("\r", " ").replace("\n", " ")
        values.append(text.strip())
    return values


def first_raw(msg: Message, name: str, hints: Sequence[str] = ()) -> str | None:
    values = raw_values(msg, name, hints)
    return values[0] if values else None


def text_value(msg: Message, name: str, hints: Sequence[str] = ()) -> str:
    """The first value of ``name`` as readable text, whitespace collapsed."""
    raw = first_raw(msg, name, hints)
    if raw is None:
        return ""
    return clean_text(_WHITESPACE.sub(" ", decode_words(raw)).strip())


def decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words, tolerating the ways senders break them."""
    if "=?" not in value:
        return value
    try:
        return _decode_all_words(value)
    except Exception:  # a header is never worth losing the mail over
        return value


def _decode_all_words(value: str) -> str:
    pieces: list[tuple[bytes, str] | str] = []
    position = 0
    for match in _ENCODED_WORD.finditer(value):
        gap = value[position : match.start()]
        after_word = bool(pieces) and not isinstance(pieces[-1], str)
        if gap and not (after_word and gap.isspace()):
            pieces.append(gap)
        decoded = _decode_word(match.group(2), match.group(3))
        if decoded is None:
            pieces.append(match.group(0))
        else:
            pieces.append((decoded, match.group(1).split("*", 1)[0]))
        position = match.end()
    if position < len(value):
        pieces.append(value[position:])
    return "".join(_join_pieces(pieces))


def _decode_word(encoding: str, text: str) -> bytes | None:
    # raw 8-bit bytes inside a word were already decoded with the header
    data = text.encode("utf-8", "surrogateescape")
    try:
        if encoding in "Bb":
            data = re.sub(rb"[^A-Za-z0-9+/]", b"", data)
            data = data[: len(data) - len(data) % 4 if len(data) % 4 == 1 else len(data)]
            return base64.b64decode(data + b"=" * (-len(data) % 4))
        return binascii.a2b_qp(data, header=True)
    except (binascii.Error, ValueError):
        return None


def _join_pieces(pieces: list[tuple[bytes, str] | str]) -> Iterator[str]:
    # Adjacent words in one charset are joined before decoding: senders split
    # multi-byte characters across words.
    buffer = b""
    charset = ""
    for piece in pieces:
        if isinstance(piece, str):
            if buffer:
                yield decode_bytes(buffer, charset)
                buffer = b""
            yield piece
            continue
        data, piece_charset = piece
        if buffer and piece_charset.lower() != charset.lower():
            yield decode_bytes(buffer, charset)
            buffer = b""
        buffer += data
        charset = piece_charset
    if buffer:
        yield decode_bytes(buffer, charset)


def addresses(msg: Message, *names: str, hints: Sequence[str] = ()) -> list[tuple[str, str]]:
    """``(display name, lowercased address)`` pairs from the named headers, in order."""
    found: list[tuple[str, str]] = []
    for name in names:
        for raw in raw_values(msg, name, hints):
            found.extend(parse_addresses(raw))
    return found


def parse_addresses(raw: str) -> list[tuple[str, str]]:
    # Encoded words stand in for atoms while the list is split, so that an
    # unquoted "=?...?Q?Smith,=20John?=" is not cut at its comma.
    words: list[str] = []

    def hide(match: re.Match[str]) -> str:
        words.append(match.group(0))
        return f"encodedword{len(words) - 1}x"

    def restore(text: str) -> str:
        return re.sub(r"encodedword(\d+)x", lambda m: words[int(m.group(1))], text)

    try:
        pairs = getaddresses([_ENCODED_WORD.sub(hide, raw)])
    except Exception:  # the stdlib address parser has crashed on junk before
        pairs = []
    pairs = [(restore(display), restore(address)) for display, address in pairs]
    result: list[tuple[str, str]] = []
    for display, address in pairs:
        address = address.strip().strip("<>").strip().lower()
        name = _WHITESPACE.sub(" ", decode_words(display)).strip().strip("\"'").strip()
        if address or name:
            result.append((clean_text(name), clean_text(address)))
    if not any(address for _name, address in result) and "@" in raw:
        # strict getaddresses() gives up on malformed lists; salvage the addresses
        result = [("", match.group(0).lower()) for match in _BARE_ADDRESS.finditer(raw)]
    return result


def message_ids(values: Iterable[str]) -> list[str]:
    """Message ids without angle brackets, in order, duplicates removed."""
    ids: list[str] = []
    for value in values:
        found = _MESSAGE_ID.findall(value)
        if not found:
            bare = value.strip()
            if bare and " " not in bare and "@" in bare and len(bare) <= 900:
                found = [bare.strip("<>")]
        for item in found:
            item = clean_text(item.strip())
            if item and item not in ids:
                ids.append(item)
    return ids


def parse_date(value: str | None) -> datetime | None:
    """An aware UTC datetime from a Date header, or ``None`` when unparseable."""
    if not value:
        return None
    value = re.sub(r"\([^)]*\)", " ", value).strip()
    parsed: datetime | None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        result = parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        return None
    if not 1970 <= result.year <= 2200:
        return None
    return result
