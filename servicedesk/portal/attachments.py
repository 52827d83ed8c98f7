"""Files sent with the public forms: what we accept and how we tell.

The type of a file is decided by its bytes, never by its name or by the
browser's Content-Type: a PDF starts with ``%PDF-``, a Word document is a
ZIP holding ``word/document.xml``, and so on.  Limits: at most
``MAX_FILES`` files, ``MAX_FILE_BYTES`` each and ``MAX_TOTAL_BYTES``
together.  ``read_uploads`` returns the accepted files as channel
``Attachment`` values or raises ``AttachmentError`` with a code the form
turns into a sentence in the page's language.
"""

from __future__ import annotations

import io
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO, Protocol

from channels.message import Attachment

MEBIBYTE = 1024 * 1024
MAX_FILES = 5
MAX_FILE_BYTES = 10 * MEBIBYTE
MAX_TOTAL_BYTES = 20 * MEBIBYTE
# The whole request may carry the files plus the text fields.
MAX_REQUEST_BYTES = MAX_TOTAL_BYTES + MEBIBYTE

# Sniffed type -> (content type, file name extension)
TYPES: dict[str, tuple[str, str]] = {
    "pdf": ("application/pdf", "pdf"),
    "jpeg": ("image/jpeg", "jpg"),
    "png": ("image/png", "png"),
    "heic": ("image/heic", "heic"),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "docx",
    ),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "odt": ("application/vnd.oasis.opendocument.text", "odt"),
    "txt": ("text/plain", "txt"),
}
# What the file picker offers; the bytes still decide.
ACCEPT = ".pdf,.jpg,.jpeg,.png,.heic,.heif,.docx,.xlsx,.odt,.txt"

_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
_ODT = b"application/vnd.oasis.opendocument.text"


class AttachmentError(Exception):
    """A file (or the set of files) we cannot take.  ``code`` is one of
    ``too_many``, ``too_large``, ``total_too_large``, ``empty``,
    ``wrong_type``; ``filename`` names the file when one is to blame."""

    def __init__(self, code: str, filename: str = "") -> None:
        super().__init__(f"{code}: {filename}" if filename else code)
        self.code = code
        self.filename = filename


class Upload(Protocol):
    """What a form hands us per file (werkzeug's ``FileStorage``)."""

    filename: str | None
    stream: BinaryIO


@dataclass(frozen=True, slots=True)
class SniffedType:
    kind: str
    content_type: str
    extension: str


def _zip_kind(data: bytes) -> str | None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return None
    # Macro-enabled Office files are ZIPs with the same parts: refuse them.
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        return None
    if "word/document.xml" in names and "[Content_Types].xml" in names:
        return "docx"
    if "xl/workbook.xml" in names and "[Content_Types].xml" in names:
        return "xlsx"
    if "mimetype" in names:
        info = archive.getinfo("mimetype")
        try:
            # The sizes in a ZIP's directory are the sender's word: one that
            # lies fails its CRC check here, and the file is refused.
            if info.file_size <= 200 and archive.read(info).strip() == _ODT:
                return "odt"
        except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError):
            return None
    return None


def _is_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            return False
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f")
    return controls == 0


def sniff(data: bytes) -> SniffedType | None:
    """The accepted type the bytes are, or None."""
    kind: str | None = None
    if data[:1024].find(b"%PDF-") != -1:
        kind = "pdf"
    elif data.startswith(b"\xff\xd8\xff"):
        kind = "jpeg"
    elif data.startswith(b"\x89PNG\r\n\x1a\n"):
        kind = "png"
    elif data[4:8] == b"ftyp" and (
        data[8:12] in _HEIF_BRANDS
        or any(data[i : i + 4] in _HEIF_BRANDS for i in range(16, min(len(data), 64), 4))
    ):
        kind = "heic"
    elif data.startswith(b"PK\x03\x04"):
        kind = _zip_kind(data)
    elif data and _is_text(data):
        kind = "txt"
    if kind is None:
        return None
    content_type, extension = TYPES[kind]
    return SniffedType(kind, content_type, extension)


def clean_filename(name: str | None, extension: str) -> str:
    """The last path part without control characters, at most 120
    characters; the extension is the sniffed type's, so a name never
    claims what the bytes are not."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip(" .")
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = stem[:100] or "attachment"
    return f"{stem}.{extension}"


def read_uploads(uploads: Iterable[Upload]) -> tuple[Attachment, ...]:
    """Read, check and sniff the chosen files (empty file inputs are skipped)."""
    chosen = [u for u in uploads if u is not None and (u.filename or "").strip()]
    if len(chosen) > MAX_FILES:
        raise AttachmentError("too_many")
    accepted: list[Attachment] = []
    total = 0
    for upload in chosen:
        name = (upload.filename or "").strip()
        data = upload.stream.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise AttachmentError("too_large", name)
        if not data:
            raise AttachmentError("empty", name)
        total += len(data)
        if total > MAX_TOTAL_BYTES:
            raise AttachmentError("total_too_large")
        kind = sniff(data)
        if kind is None:
            raise AttachmentError("wrong_type", name)
        accepted.append(
            Attachment(
                filename=clean_filename(name, kind.extension),
                content_type=kind.content_type,
                data=data,
            )
        )
    return tuple(accepted)
