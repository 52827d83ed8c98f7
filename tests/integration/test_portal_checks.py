"""The checks behind the public forms, without a database: file types by
their bytes, file names, email addresses and phone numbers."""

from __future__ import annotations

import io
import zipfile

import pytest

from servicedesk.portal.attachments import clean_filename, sniff
from servicedesk.portal.forms import clean_email, clean_phone


def zipped(*members: tuple[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"%PDF-1.7\n...", "pdf"),
        (b"\xef\xbb\xbf%PDF-1.4\n", "pdf"),  # a BOM before the header still is a PDF
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "png"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "heic"),
        (b"\x00\x00\x00\x1cftypmif1\x00\x00\x00\x00mif1heic", "heic"),
        (zipped(("[Content_Types].xml", b"<T/>"), ("word/document.xml", b"<w/>")), "docx"),
        (zipped(("[Content_Types].xml", b"<T/>"), ("xl/workbook.xml", b"<x/>")), "xlsx"),
        (zipped(("mimetype", b"application/vnd.oasis.opendocument.text")), "odt"),
        ("Hei, tässä on hakemukseni.\r\n".encode(), "txt"),
        ("Hej, här är min ansökan.".encode("cp1252"), "txt"),
        (b"MZ\x90\x00\x03\x00\x00\x00", None),  # a Windows program
        (b"\x7fELF\x02\x01\x01", None),
        (b"GIF89a\x01\x00", None),  # an image type we do not take
        (zipped(("evil.exe", b"MZ")), None),
        (
            zipped(
                ("[Content_Types].xml", b"<T/>"),
                ("word/document.xml", b""),
                ("word/vbaProject.bin", b""),
            ),
            None,
        ),
        (zipped(("mimetype", b"application/vnd.oasis.opendocument.spreadsheet")), None),
        (b"PK\x03\x04 not really a zip", None),
        (b"text with a \x00 inside", None),
        (b"", None),
    ],
)
def test_file_type_comes_from_the_bytes(data: bytes, kind: str | None) -> None:
    found = sniff(data)
    assert (found.kind if found else None) == kind


@pytest.mark.parametrize(
    ("name", "extension", "expected"),
    [
        ("todistus.pdf", "pdf", "todistus.pdf"),
        ("kuva.JPG", "jpg", "kuva.jpg"),
        ("lasku.pdf.exe", "pdf", "lasku.pdf.pdf"),
        ("C:\\Users\\maija\\cv.docx", "docx", "cv.docx"),
        ("../../etc/passwd", "txt", "passwd.txt"),
        ("nimi\x00\x1b[31m.png", "png", "nimi[31m.png"),
        ("", "pdf", "attachment.pdf"),
        ("x" * 300 + ".pdf", "pdf", "x" * 100 + ".pdf"),
    ],
)
def test_file_names_are_cleaned_and_say_what_the_bytes_are(name, extension, expected) -> None:
    assert clean_filename(name, extension) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Maija.Meikalainen@Example.FI", "maija.meikalainen@example.fi"),
        ("  aino+haku@example.org ", "aino+haku@example.org"),
        ("pekka@ääkkönen.fi", "pekka@ääkkönen.fi"),
        ("no-at-sign.example.org", None),
        ("two@@example.org", None),
        ("a@b", None),
        ("a@example.123", None),
        ("a b@example.org", None),
        (".a@example.org", None),
        ("a@-example.org", None),
        ("x" * 65 + "@example.org", None),
    ],
)
def test_email_addresses(value: str, expected: str | None) -> None:
    assert clean_email(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("040 123 4567", "+358401234567"),
        ("0401234567", "+358401234567"),
        ("+358 40 123 4567", "+358401234567"),
        ("00358 40 123 4567", "+358401234567"),
        ("(09) 310 1691", "+35893101691"),
        ("+46 70 123 45 67", "+46701234567"),
        ("12", None),
        ("040 12", None),
        ("phone me", None),
    ],
)
def test_phone_numbers_become_e164(value: str, expected: str | None) -> None:
    assert clean_phone(value) == expected
