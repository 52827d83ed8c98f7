"""One test per parsing concern of channels.email.parse, on small inline mails."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from channels.email import has_own_message_id, parse
from channels.email.attachment import sanitise_filename, sniff_content_type
from channels.email.charset import decode_bytes
from channels.email.header import decode_words
from channels.email.markup import html_to_text, sanitise_html
from channels.errors import ParseError
from channels.message import AutoKind, Channel


def mail(headers: str, body: str = "Hello.\n", charset: str = "utf-8") -> bytes:
    head = headers.strip("\n") + "\n"
    if "content-type" not in head.lower():
        head += f"Content-Type: text/plain; charset={charset}\n"
    return (head + "\n" + body).encode("utf-8")


BASIC = "From: a@example.fi\nTo: applicants@desk.test\nSubject: s\nMessage-ID: <id-1@example.fi>"


# --- not a mail at all -------------------------------------------------------


@pytest.mark.parametrize("raw", [b"", b"   \r\n\r\n", b"\x00\x01\x02\x03", b"\n\n\n"])
def test_input_that_is_not_a_mail_raises_parse_error(raw: bytes) -> None:
    with pytest.raises(ParseError):
        parse(raw)


def test_non_bytes_input_raises_parse_error() -> None:
    with pytest.raises(ParseError):
        parse("From: a@b\n\nx")  # type: ignore[arg-type]


def test_headerless_prose_is_kept_as_a_message_without_sender() -> None:
    message = parse("Hei, tämä on pelkkää tekstiä ilman otsikoita.".encode())
    assert message.channel is Channel.EMAIL
    assert message.sender_address == ""
    assert "pelkkää tekstiä" in message.text


# --- identity and threading ---------------------------------------------------


def test_external_id_is_message_id_without_brackets() -> None:
    assert parse(mail(BASIC)).external_id == "id-1@example.fi"


def test_missing_message_id_gives_deterministic_synthetic_id() -> None:
    raw = mail("From: a@example.fi\nSubject: s")
    first, second = parse(raw).external_id, parse(raw).external_id
    assert first == second
    assert first.startswith("sha256.") and first.endswith("@synthetic.invalid")
    assert parse(raw + b"x").external_id != first


def test_references_in_reply_to_first_deduplicated_without_brackets() -> None:
    raw = mail(BASIC + "\nIn-Reply-To: <b@x>\nReferences: <a@x> <b@x>\n <c@x>")
    assert parse(raw).references == ("b@x", "a@x", "c@x")


def test_has_own_message_id() -> None:
    message = parse(mail(BASIC.replace("id-1@example.fi", "20260101.x@desk.test")))
    assert has_own_message_id(message, "desk.test")
    assert has_own_message_id(message, "@DESK.test")
    assert not has_own_message_id(message, "example.fi")


# --- sender and recipient -----------------------------------------------------


def test_sender_is_lowercased_and_name_decoded() -> None:
    raw = mail("From: =?utf-8?q?P=C3=A4ivi_Sipil=C3=A4?= <Paivi.Sipila@Example.FI>\nSubject: s")
    message = parse(raw)
    assert (message.sender_name, message.sender_address) == (
        "Päivi Sipilä",
        "paivi.sipila@example.fi",
    )


def test_sender_falls_back_to_return_path() -> None:
    message = parse(mail("Return-Path: <bounce@example.fi>\nSubject: s"))
    assert message.sender_address == "bounce@example.fi"


def test_name_without_address_is_a_name() -> None:
    message = parse(mail("From: Applicant Name\nSubject: s"))
    assert (message.sender_name, message.sender_address) == ("Applicant Name", "")


def test_bare_mailer_daemon_is_an_address() -> None:
    message = parse(mail("From: MAILER-DAEMON\nSubject: failure notice"))
    assert message.sender_address == "mailer-daemon"
    assert message.auto_kind is AutoKind.BOUNCE


def test_recipient_prefers_desk_address_in_header_order() -> None:
    raw = mail(
        "From: a@x.fi\nX-Original-To: staff@desk.test\nTo: someone@x.fi, applicants@desk.test\n"
        "Subject: s"
    )
    desks = ("applicants@desk.test", "staff@desk.test")
    assert parse(raw, desk_addresses=desks).recipient_address == "staff@desk.test"
    assert parse(raw).recipient_address == "someone@x.fi"


# --- headers --------------------------------------------------------------------


def test_subject_encoded_words_in_two_charsets_are_joined() -> None:
    raw = mail("From: a@x.fi\nSubject: =?iso-8859-1?q?K=E4y?= =?utf-8?q?tt=C3=B6?=")
    assert parse(raw).subject == "Käyttö"


def test_raw_utf8_subject_bytes_are_decoded() -> None:
    assert parse(mail("From: a@x.fi\nSubject: Ääkköset")).subject == "Ääkköset"


def test_broken_encoded_words_do_not_raise() -> None:
    assert decode_words("=?utf-8?b?w6Q?=") == "ä"  # missing padding
    assert decode_words("=?bogus?q?abc?=") == "abc"  # unknown charset
    assert decode_words("=?utf-8?q?a?==?utf-8?q?b?=") == "ab"  # glued words
    assert decode_words("=?utf-8?q?p=C3=A4iv=C3=A4_ja_yö?=") == "päivä ja yö"  # raw 8-bit inside


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Mon, 02 Mar 2026 09:15:00 +0200", datetime(2026, 3, 2, 7, 15, tzinfo=UTC)),
        ("2 Mar 2026 09:15:00 -0000", datetime(2026, 3, 2, 9, 15, tzinfo=UTC)),
        ("Mon, 02 Mar 2026 09:15:00 +0200 (EET)", datetime(2026, 3, 2, 7, 15, tzinfo=UTC)),
        ("tomorrow-ish", None),
        ("Mon, 99 Foo 2026 99:99:99", None),
    ],
)
def test_sent_at_is_aware_utc_or_none(value: str, expected: datetime | None) -> None:
    assert parse(mail(f"From: a@x.fi\nSubject: s\nDate: {value}")).sent_at == expected


# --- charsets ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "declared", "expected"),
    [
        ("Hyvää päivää".encode(), "utf-8", "Hyvää päivää"),
        ("Hej på dig".encode("latin-1"), "iso-8859-1", "Hej på dig"),
        ("5 € – ok".encode("cp1252"), "utf-8", "5 € – ok"),
        ("Hyvää päivää".encode(), "iso-8859-1", "Hyvää päivää"),
        ("Grüße".encode("latin-1"), None, "Grüße"),
        (b"\x81\x8d\xff", "utf-8", "\x81\x8d\xff"),
        (b"plain", "base64", "plain"),
    ],
)
def test_decode_bytes_never_raises(data: bytes, declared: str | None, expected: str) -> None:
    assert decode_bytes(data, declared) == expected


# --- bodies -----------------------------------------------------------------------


def test_alternative_prefers_plain_text_and_keeps_html() -> None:
    body = (
        "--b\nContent-Type: text/plain; charset=utf-8\n\nplain version\n"
        "--b\nContent-Type: text/html; charset=utf-8\n\n<p>html <i>version</i></p>\n--b--\n"
    )
    message = parse(mail(BASIC + '\nContent-Type: multipart/alternative; boundary="b"', body))
    assert message.text == "plain version"
    assert message.html is not None and "<i>version</i>" in message.html


def test_html_only_is_sanitised_and_converted() -> None:
    body = '<p onclick="x()">Hei <script>bad()</script><b>maailma</b></p><img src="cid:a@b">'
    message = parse(mail(BASIC + "\nContent-Type: text/html; charset=utf-8", body))
    assert message.text == "Hei maailma"
    assert message.html == '<p>Hei <b>maailma</b></p><img src="cid:a@b">'


def test_html_to_text_lists_tables_and_quotes() -> None:
    text = html_to_text(
        "<ul><li>yksi</li><li>kaksi</li></ul><table><tr><td>a</td><td>b</td></tr></table>"
        "<blockquote>lainaus</blockquote>"
    )
    assert text == "- yksi\n- kaksi\n\na\tb\n\n> lainaus"


def test_sanitise_html_keeps_cid_images_and_drops_javascript_links() -> None:
    clean = sanitise_html('<img src="cid:x@y"><a href="javascript:alert(1)">x</a>')
    assert 'src="cid:x@y"' in clean and "javascript" not in clean


def test_line_endings_and_nul_bytes_are_normalised() -> None:
    message = parse(mail(BASIC, "rivi 1\r\nrivi 2\x00\r\n"))
    assert message.text == "rivi 1\nrivi 2"


def test_oversize_attachment_is_replaced_by_a_note() -> None:
    body = (
        "--b\nContent-Type: text/plain\n\nsee attached\n"
        "--b\nContent-Type: application/pdf\nContent-Disposition: attachment; filename=big.pdf\n"
        "Content-Transfer-Encoding: base64\n\n" + "QUFB" * 100 + "\n--b--\n"
    )
    message = parse(
        mail(BASIC + '\nContent-Type: multipart/mixed; boundary="b"', body),
        max_attachment_bytes=100,
    )
    assert message.attachments == ()
    assert "big.pdf" in message.notes[0] and "big.pdf" in message.text


def test_inline_image_keeps_content_id() -> None:
    body = (
        '--b\nContent-Type: text/html\n\n<img src="cid:logo@x">\n'
        "--b\nContent-Type: image/gif\nContent-ID: <logo@x>\nContent-Transfer-Encoding: base64\n\n"
        "R0lGODlhAQABAAAAACw=\n--b--\n"
    )
    message = parse(mail(BASIC + '\nContent-Type: multipart/related; boundary="b"', body))
    (image,) = message.attachments
    assert (image.content_id, image.is_inline, image.content_type) == ("logo@x", True, "image/gif")
    assert image.filename == "attachment-1.gif"


# --- attachments ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\temp\\cv.pdf", "cv.pdf"),
        ("evil\u202efdp.exe", "evilfdp.exe"),
        ('a<b>:"c|?*.txt', "a_b___c___.txt"),
        ("..", "attachment-3.pdf"),
        ("   ", "attachment-3.pdf"),
        (None, "attachment-3.pdf"),
        (".hidden", "hidden"),
    ],
)
def test_sanitise_filename(name: str | None, expected: str) -> None:
    assert sanitise_filename(name, "application/pdf", 3) == expected


def test_sanitise_filename_caps_length_and_keeps_extension() -> None:
    name = sanitise_filename("x" * 500 + ".docx", "application/octet-stream", 1)
    assert len(name) == 150 and name.endswith(".docx")


@pytest.mark.parametrize(
    ("declared", "data", "filename", "expected"),
    [
        ("application/octet-stream", b"%PDF-1.7 ...", "x", "application/pdf"),
        ("image/jpeg", b"\x89PNG\r\n\x1a\n....", "a.jpg", "image/png"),
        (
            "application/octet-stream",
            b"PK\x03\x04....",
            "cv.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            "application/vnd.ms-excel",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
            "a.xls",
            "application/vnd.ms-excel",
        ),
        ("application/octet-stream", b"no magic here", "notes.txt", "text/plain"),
        ("text/csv", b"ID3,a,b", "x.csv", "text/csv"),
    ],
)
def test_sniff_content_type(declared: str, data: bytes, filename: str, expected: str) -> None:
    assert sniff_content_type(declared, data, filename) == expected


# --- automation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "kind"),
    [
        ("Auto-Submitted: no", AutoKind.NONE),
        ("Auto-Submitted: auto-generated", AutoKind.AUTO_REPLY),
        ("Auto-Submitted: auto-replied (vacation)", AutoKind.OUT_OF_OFFICE),
        ("Precedence: bulk", AutoKind.BULK),
        ("Precedence: junk", AutoKind.BULK),
        ("List-Unsubscribe: <mailto:x@y>", AutoKind.BULK),
        ("X-Autoreply: yes", AutoKind.AUTO_REPLY),
        ("X-Auto-Response-Suppress: All", AutoKind.AUTO_REPLY),
        (
            "X-Auto-Response-Suppress: All\nX-MS-Exchange-Inbox-Rules-Loop: a@x",
            AutoKind.OUT_OF_OFFICE,
        ),
        ("Return-Path: <>", AutoKind.AUTO_REPLY),
        ("X-Failed-Recipients: a@x", AutoKind.BOUNCE),
    ],
)
def test_auto_kind_from_headers(headers: str, kind: AutoKind) -> None:
    assert parse(mail(BASIC + "\n" + headers)).auto_kind is kind


@pytest.mark.parametrize(
    "subject",
    [
        "Automatic reply: Hakemus",
        "Automaattinen vastaus: Hakemus",
        "Autosvar: Ansökan",
        "Out of Office: Question",
        "Poissa toimistolta 1.-31.7.",
        "Abwesenheitsnotiz: Frage",
    ],
)
def test_out_of_office_subjects(subject: str) -> None:
    raw = mail(f"From: a@x.fi\nSubject: {subject}")
    assert parse(raw).auto_kind is AutoKind.OUT_OF_OFFICE


@pytest.mark.parametrize("sender", ["MAILER-DAEMON@mx.x.fi", "postmaster@x.fi"])
def test_daemon_senders_are_bounces(sender: str) -> None:
    assert parse(mail(f"From: {sender}\nSubject: failure notice")).auto_kind is AutoKind.BOUNCE


def test_human_reply_mentioning_office_is_not_automatic() -> None:
    raw = mail("From: a@x.fi\nSubject: Re: When is the office open?")
    assert parse(raw).auto_kind is AutoKind.NONE
