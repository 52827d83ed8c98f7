"""The walk over a mail's MIME tree that gathers text, HTML and attachments.

:func:`gather` visits every part once.  Text and HTML body parts become
*segments* in reading order (a multipart/alternative gives one segment: its
plain text, with the HTML kept beside it); forwarded ``message/rfc822``
parts add a header block and their own segments and attachments; the
original returned inside a ``multipart/report`` only contributes its
Message-ID.  Everything else is an attachment, named, sniffed and checked
against the size limit.

An Outlook TNEF container (``winmail.dat``, ``application/ms-tnef``) is
kept as an attachment as it came, with a visible note that its contents
were not unpacked.  The issue asks for unpacking only where a maintained
library does it, and the one Python library for it, tnefparse (1.4.0), has
had no release or maintenance since 2021: parsing a hostile binary format with
unmaintained code is a worse risk than an agent asking for the files again.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesHeaderParser, BytesParser
from email.policy import compat32

from channels.email.attachment import sanitise_filename, sniff_content_type
from channels.email.charset import clean_text, decode_bytes, recover_bytes
from channels.email.header import decode_words, first_raw, message_ids, text_value
from channels.email.markup import html_to_text, meta_charset, sanitise_html
from channels.message import Attachment

MAX_DEPTH = 30
_BODY_TYPES = ("text/plain", "text/html")
_TNEF_TYPES = ("application/ms-tnef", "application/vnd.ms-tnef")
_DELIMITER = re.compile(rb"^--([0-9A-Za-z'()+_,./:=?-]{1,70})[ \t]*\r?$", re.M)


@dataclass(frozen=True, slots=True)
class Body:
    text: str
    html: str | None
    attachments: tuple[Attachment, ...]
    notes: tuple[str, ...]
    nested_message_ids: tuple[str, ...]
    has_delivery_status: bool
    has_disposition_notification: bool


@dataclass(slots=True)
class _Segment:
    text: str
    html: str | None = None


@dataclass(slots=True)
class _Walk:
    max_attachment_bytes: int
    hints: Sequence[str] = ()
    segments: list[_Segment] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    nested_ids: list[str] = field(default_factory=list)
    delivery_status: bool = False
    disposition_notification: bool = False
    counter: int = 0


def gather(msg: Message, *, max_attachment_bytes: int, hints: Sequence[str] = ()) -> Body:
    """Text, HTML and attachments of ``msg``; ``hints`` are charsets for raw 8-bit names."""
    walk = _Walk(max_attachment_bytes=max_attachment_bytes, hints=hints)
    _visit(msg, walk, depth=0, in_report=False)
    for note in walk.removed:
        walk.segments.append(_Segment(text=f"[{note}]"))
    segments = [s for s in walk.segments if s.text.strip() or (s.html and s.html.strip())]
    text = "\n\n".join(s.text.strip("\n") for s in segments if s.text.strip())
    markup: str | None = None
    if any(s.html for s in segments):
        markup = sanitise_html(
            "\n".join(s.html or f"<pre>{html.escape(s.text)}</pre>" for s in segments)
        )
    return Body(
        text=clean_text(text).strip(),
        html=clean_text(markup) if markup else None,
        attachments=tuple(walk.attachments),
        notes=tuple(walk.notes),
        nested_message_ids=tuple(walk.nested_ids),
        has_delivery_status=walk.delivery_status,
        has_disposition_notification=walk.disposition_notification,
    )


class _Mime:
    """A part's MIME headers read through a compat32 view of their raw text.

    The structured header classes of ``policy.default`` cut ``name=../x`` at
    the slash and drop undecodable bytes; the raw text keeps both.
    """

    def __init__(self, part: Message, hints: Sequence[str] = ()) -> None:
        view = Message()
        for name in ("content-type", "content-disposition"):
            value = first_raw(part, name, hints)
            if value is not None:
                view[name] = value
        self.view = view
        has_type = "content-type" in view
        self.content_type = view.get_content_type() if has_type else part.get_default_type()
        self.disposition = view.get_content_disposition()

    def param(self, name: str) -> str:
        value = self.view.get_param(name)
        if isinstance(value, tuple):
            value = value[2]
        return str(value or "").strip()

    def filename(self) -> str | None:
        for header, param in (("content-disposition", "filename"), ("content-type", "name")):
            try:
                value = self.view.get_param(param, header=header)
            except (LookupError, ValueError, TypeError):
                continue
            if isinstance(value, tuple):
                # RFC 2231: percent-decoded bytes held as latin-1 characters,
                # decoded here through the charset chain instead of "replace"
                charset, _language, text = value
                data = str(text).encode("latin-1", "replace")
                value = decode_bytes(data, str(charset or "") or None)
            if isinstance(value, str) and value.strip():
                return decode_words(value)
        return None


def _visit(part: Message, walk: _Walk, *, depth: int, in_report: bool) -> None:
    mime = _Mime(part, walk.hints)
    ctype = mime.content_type
    if depth > MAX_DEPTH:
        walk.notes.append(f"Parts nested deeper than {MAX_DEPTH} levels were not read.")
        return
    if ctype in ("message/rfc822", "message/global"):
        _visit_message(part, walk, depth=depth, in_report=in_report)
    elif ctype in ("message/delivery-status", "message/global-delivery-status"):
        walk.delivery_status = True
        walk.segments.append(_Segment(text=_flatten_blocks(part)))
    elif ctype == "message/disposition-notification":
        walk.disposition_notification = True
        walk.segments.append(_Segment(text=_flatten_blocks(part)))
    elif ctype == "text/rfc822-headers" or (in_report and ctype == "message/rfc822-headers"):
        walk.nested_ids.extend(_ids_in_headers(_payload(part)))
    elif part.is_multipart():
        _visit_multipart(part, mime, walk, depth=depth, in_report=in_report)
    elif ctype.startswith("multipart/"):
        _visit_broken_multipart(part, walk, depth=depth)
    elif ctype in _BODY_TYPES and mime.disposition != "attachment" and mime.filename() is None:
        walk.segments.append(_segment(part, mime))
    else:
        _keep_attachment(part, mime, walk)


def _visit_multipart(
    part: Message, mime: _Mime, walk: _Walk, *, depth: int, in_report: bool
) -> None:
    children = [child for child in part.get_payload() if isinstance(child, Message)]
    ctype = mime.content_type
    if ctype == "multipart/alternative":
        _visit_alternative(children, walk, depth=depth)
        return
    if ctype == "multipart/report":
        in_report = True
    for child in children:
        _visit(child, walk, depth=depth + 1, in_report=in_report)


def _visit_alternative(children: list[Message], walk: _Walk, *, depth: int) -> None:
    plain: _Segment | None = None
    rich: _Segment | None = None
    for child in children:
        mime = _Mime(child, walk.hints)
        if mime.content_type == "text/plain" and plain is None and mime.disposition != "attachment":
            plain = _segment(child, mime)
        elif mime.content_type == "text/html" and mime.disposition != "attachment":
            rich = _segment(child, mime)
        elif mime.content_type.startswith("multipart/"):
            inner = _Walk(walk.max_attachment_bytes, walk.hints, counter=walk.counter)
            _visit(child, inner, depth=depth + 1, in_report=False)
            walk.counter = inner.counter
            walk.attachments += inner.attachments
            walk.notes += inner.notes
            walk.removed += inner.removed
            walk.nested_ids += inner.nested_ids
            if any(s.html for s in inner.segments):
                rich = _Segment(
                    text="\n\n".join(s.text for s in inner.segments if s.text.strip()),
                    html="\n".join(s.html or "" for s in inner.segments),
                )
            elif plain is None and inner.segments:
                plain = _Segment(text="\n\n".join(s.text for s in inner.segments))
        elif mime.content_type not in _BODY_TYPES:
            _keep_attachment(child, mime, walk)
    if plain is not None and plain.text.strip():
        walk.segments.append(_Segment(text=plain.text, html=rich.html if rich else None))
    elif rich is not None:
        walk.segments.append(rich)
    elif plain is not None:
        walk.segments.append(plain)


def _visit_message(part: Message, walk: _Walk, *, depth: int, in_report: bool) -> None:
    payload = part.get_payload()
    inner = payload[0] if isinstance(payload, list) and payload else None
    if not isinstance(inner, Message):
        _keep_attachment(part, _Mime(part, walk.hints), walk)
        return
    walk.nested_ids.extend(message_ids([first_raw(inner, "message-id") or ""]))
    if in_report:
        return
    lines = ["---------- Forwarded message ----------"]
    for label, name in (("From", "from"), ("Date", "date"), ("Subject", "subject"), ("To", "to")):
        value = text_value(inner, name)
        if value:
            lines.append(f"{label}: {value}")
    walk.segments.append(_Segment(text="\n".join(lines)))
    _visit(inner, walk, depth=depth + 1, in_report=False)


def _visit_broken_multipart(part: Message, walk: _Walk, *, depth: int) -> None:
    """A multipart without a usable boundary: find the delimiter in the body, or keep it as text."""
    data = _payload(part)
    match = _DELIMITER.search(data)
    if match is not None:
        boundary = match.group(1).decode("ascii", "replace")
        header = f'Content-Type: multipart/mixed; boundary="{boundary}"\n\n'.encode()
        recovered = BytesParser(policy=part.policy).parsebytes(header + data)
        if recovered.is_multipart():
            _visit(recovered, walk, depth=depth + 1, in_report=False)
            return
    walk.segments.append(_Segment(text=decode_bytes(data).replace("\r\n", "\n")))


def _segment(part: Message, mime: _Mime) -> _Segment:
    data = _payload(part)
    if mime.content_type == "text/html":
        charset = mime.param("charset") or meta_charset(data)
        markup = decode_bytes(data, charset)
        clean = sanitise_html(markup)
        return _Segment(text=html_to_text(clean), html=clean)
    text = decode_bytes(data, mime.param("charset"))
    return _Segment(text=text.replace("\r\n", "\n").replace("\r", "\n"))


def _keep_attachment(part: Message, mime: _Mime, walk: _Walk) -> None:
    walk.counter += 1
    data = _payload(part)
    declared = mime.content_type
    original = mime.filename()
    content_type = sniff_content_type(declared, data, original or "")
    name = sanitise_filename(original, content_type, walk.counter)
    if len(data) > walk.max_attachment_bytes:
        note = (
            f"Attachment {name!r} ({content_type}, {len(data)} bytes) was removed: "
            f"it is larger than the limit of {walk.max_attachment_bytes} bytes."
        )
        walk.notes.append(note)
        walk.removed.append(note)
        return
    if content_type in _TNEF_TYPES or name.lower() == "winmail.dat":
        walk.notes.append(
            f"Attachment {name!r} is an Outlook TNEF (winmail.dat) container; "
            "it is kept as it is, its contents were not unpacked."
        )
    raw_cid = first_raw(part, "content-id")
    content_id = raw_cid.strip().strip("<>").strip() if raw_cid else None
    is_inline = mime.disposition == "inline" or (
        mime.disposition is None and bool(content_id) and declared.startswith("image/")
    )
    walk.attachments.append(
        Attachment(
            filename=name,
            content_type=content_type,
            data=data,
            content_id=clean_text(content_id) if content_id else None,
            is_inline=is_inline,
        )
    )


def _payload(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except (ValueError, TypeError, LookupError, AssertionError):
        data = None
    if isinstance(data, bytes):
        return data
    raw = part.get_payload()
    if isinstance(raw, str):
        return raw.encode("utf-8", "surrogateescape")
    return b""


def _flatten_blocks(part: Message) -> str:
    """The field blocks of a delivery-status or MDN part as plain text."""
    payload = part.get_payload()
    if isinstance(payload, str):
        return decode_bytes(_payload(part))
    blocks = []
    for block in payload if isinstance(payload, list) else []:
        if isinstance(block, Message):
            fields = [f"{name}: {value}" for name, value in _block_fields(block)]
            blocks.append("\n".join(fields))
    return "\n\n".join(blocks)


def _block_fields(block: Message) -> list[tuple[str, str]]:
    fields: list[tuple[str, str]] = []
    for name, value in block.raw_items():
        text = decode_bytes(recover_bytes(str(value))) if not str(value).isascii() else str(value)
        fields.append((str(name), " ".join(decode_words(text).split())))
    return fields


def _ids_in_headers(data: bytes) -> list[str]:
    headers = BytesHeaderParser(policy=compat32).parsebytes(data)
    return message_ids([first_raw(headers, "message-id") or ""])[:1]
