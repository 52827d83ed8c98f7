"""Attachment names and types that can be trusted by the rest of the desk.

A filename from a mail is whatever the sender's client wrote: it may carry a
path, control or bidi characters, reserved characters, or be missing.
:func:`sanitise_filename` makes it a plain, bounded name (inventing one from
the content type when there is none).  :func:`sniff_content_type` replaces a
generic or wrong declared type with the one the leading magic bytes show.
"""

from __future__ import annotations

import functools
import mimetypes
import re
import unicodedata

MAX_FILENAME_CHARS = 150

_GENERIC = frozenset(
    {
        "",
        "application/octet-stream",
        "application/unknown",
        "application/x-unknown",
        "application/binary",
        "application/x-download",
        "application/force-download",
        "application/download",
        "binary/octet-stream",
        "application/x-msdownload",
    }
)
_EXTENSIONS = {
    "text/plain": ".txt",
    "text/html": ".html",
    "text/calendar": ".ics",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
    "message/rfc822": ".eml",
    "application/vnd.ms-tnef": ".dat",
    "application/ms-tnef": ".dat",
}
# Containers whose magic bytes say less than a correct declared type does.
_CONTAINERS = {
    "application/zip": (
        "application/vnd.openxmlformats",
        "application/vnd.oasis",
        "application/epub",
        "application/java",
        "application/x-zip",
        "application/zip",
        "application/vnd.ms-",
    ),
    "application/x-ole-storage": (
        "application/msword",
        "application/vnd.ms-outlook",
        "application/vnd.ms-",
        "application/x-ole",
        "application/vnd.visio",
    ),
}
_WEAK = frozenset(
    {"image/tiff", "image/heic", "video/mp4", "video/quicktime", "audio/ogg", "audio/mpeg"}
)
_RESERVED = re.compile(r'[<>:"|?*\x00-\x1f\x7f]')
_SPACES = re.compile(r"\s+")
_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")


@functools.cache
def _mimetypes() -> mimetypes.MimeTypes:
    # Only the built-in table: /etc/mime.types differs between machines.
    return mimetypes.MimeTypes(filenames=())


def is_generic_type(content_type: str) -> bool:
    return content_type.lower() in _GENERIC or not _TYPE.fullmatch(content_type.lower())


def invent_filename(content_type: str, index: int) -> str:
    """A name for an attachment that came without one: ``attachment-2.pdf``."""
    extension = _EXTENSIONS.get(content_type.lower())
    if extension is None:
        extension = _mimetypes().guess_extension(content_type.lower()) or ".bin"
    stem = "message" if content_type.lower() == "message/rfc822" else "attachment"
    return f"{stem}-{index}{extension}"


def sanitise_filename(name: str | None, content_type: str, index: int) -> str:
    """A safe, bounded filename: no path, no control or bidi characters, never empty."""
    if not name:
        return invent_filename(content_type, index)
    name = unicodedata.normalize("NFC", name)
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(
        ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn")
    )
    name = _RESERVED.sub("_", name)
    name = _SPACES.sub(" ", name).strip().lstrip(".").strip()
    if not name or set(name) <= {".", "_", " "}:
        return invent_filename(content_type, index)
    if len(name) > MAX_FILENAME_CHARS:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            name = stem[: MAX_FILENAME_CHARS - len(extension) - 1].rstrip() + "." + extension
        else:
            name = name[:MAX_FILENAME_CHARS].rstrip()
    return name


def sniff(data: bytes) -> str | None:
    """The content type the leading bytes prove, or ``None``."""
    head = data[:64]
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "image/tiff"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"heic", b"heix", b"mif1", b"heif"):
            return "image/heic"
        return "video/quicktime" if brand == b"qt  " else "video/mp4"
    if head.startswith(b"PK\x03\x04"):
        return "application/zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "application/x-ole-storage"
    if head.startswith(b"\x78\x9f\x3e\x22"):
        return "application/vnd.ms-tnef"
    if head.startswith(b"\x1f\x8b"):
        return "application/gzip"
    if head.startswith(b"7z\xbc\xaf\x27\x1c"):
        return "application/x-7z-compressed"
    if head.startswith(b"Rar!\x1a\x07"):
        return "application/vnd.rar"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"ID3"):
        return "audio/mpeg"
    return None


def sniff_content_type(declared: str, data: bytes, filename: str) -> str:
    """The content type to record: sniffed when the declared one is generic or wrong."""
    declared = declared.lower().strip()
    sniffed = sniff(data)
    if sniffed is not None:
        if declared == sniffed:
            return declared
        if any(declared.startswith(prefix) for prefix in _CONTAINERS.get(sniffed, ())):
            return declared
        if sniffed in _CONTAINERS:
            guessed = _guess_from_name(filename)
            if guessed is not None and any(guessed.startswith(p) for p in _CONTAINERS[sniffed]):
                return guessed
        if sniffed in _WEAK and not is_generic_type(declared):
            # a few magic numbers are short enough to occur by chance
            return declared
        return sniffed
    if is_generic_type(declared):
        return _guess_from_name(filename) or "application/octet-stream"
    return declared


_BY_EXTENSION = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
    "epub": "application/epub+zip",
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "ppt": "application/vnd.ms-powerpoint",
    "msg": "application/vnd.ms-outlook",
    "heic": "image/heic",
    "ics": "text/calendar",
    "eml": "message/rfc822",
}


def _guess_from_name(filename: str) -> str | None:
    # Python's built-in table lacks the office formats applicants send most
    extension = filename.rpartition(".")[2].lower() if "." in filename else ""
    if extension in _BY_EXTENSION:
        return _BY_EXTENSION[extension]
    guessed, _encoding = _mimetypes().guess_type(filename, strict=False)
    return guessed
