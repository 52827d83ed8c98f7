"""Too much of everything: request bodies past the limit, fields past
theirs, uploads that are ZIP bombs or lie about their sizes, mail nested
thousands of levels deep or with a header of a megabyte.  Each is refused
with a 4xx, or taken in as failed intake with its reason; never a 5xx,
never unbounded memory or time."""

from __future__ import annotations

import base64
import io
import json
import struct
import time
import zipfile
from functools import lru_cache

from sqlalchemy import select

from servicedesk import mail_intake
from servicedesk.mail_intake import Outcome
from servicedesk.models import IntakeRecord
from servicedesk.portal.attachments import sniff
from tests.integration.portal_client import make_portal

MEBIBYTE = 1024 * 1024


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@lru_cache(maxsize=1)
def docx_bomb() -> bytes:
    """A Word document whose content inflates from about 100 KB to 100 MB."""
    return zip_bytes(
        {
            "[Content_Types].xml": b"<Types/>",
            "word/document.xml": b"<w:document>" + b"\x00" * (100 * MEBIBYTE) + b"</w:document>",
        }
    )


def lying_odt() -> bytes:
    """An OpenDocument whose ``mimetype`` member says 100 bytes and holds 5 MB."""
    data = bytearray(zip_bytes({"mimetype": b"a" * (5 * MEBIBYTE), "content.xml": b"<x/>"}))
    directory = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, directory + 24, 100)
    return bytes(data)


def test_api_bodies_past_the_limits(api, rt) -> None:  # type: ignore[no-untyped-def]
    huge = "x" * (rt.settings.max_request_bytes + 1)
    answer = api.post(
        "/enquiries", data=json.dumps({"body": huge}), content_type="application/json"
    )
    assert answer.status_code == 413
    assert answer.get_json()["error"]["code"]
    long_field = api.post("/enquiries", json={"email": "a@example.org", "body": "x" * 100_001})
    assert long_field.status_code == 400
    assert long_field.get_json()["error"]["field"] == "body"
    nested = api.post(
        "/enquiries", data="[" * 100_000 + "]" * 100_000, content_type="application/json"
    )
    assert nested.status_code == 400


def test_webhook_bodies_past_the_limit(client, rt) -> None:  # type: ignore[no-untyped-def]
    body = "Body=" + "x" * (rt.settings.max_request_bytes + 1)
    answer = client.post(
        "/webhooks/twilio/sms", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert answer.status_code in (403, 413)


def test_zip_bombs_and_lying_zips_are_judged_without_inflating(app, client, session) -> None:  # type: ignore[no-untyped-def]
    bomb = docx_bomb()
    assert len(bomb) < 2 * MEBIBYTE
    started = time.perf_counter()
    assert sniff(bomb) is not None and sniff(bomb).kind == "docx"  # type: ignore[union-attr]
    assert sniff(lying_odt()) is None
    assert time.perf_counter() - started < 2.0, "the names are read, the contents never inflated"
    portal = make_portal(app, client)
    for name, data in (("bomb.docx", bomb), ("lying.odt", lying_odt())):
        answer = portal.post(
            "/contact?lang=en",
            {
                "email": "zip@example.org",
                "message": f"Liitteenä {name}",
                "website": "",
                "attachments": [(io.BytesIO(data), name)],
            },
        )
        assert answer.status_code in (200, 422), (name, answer.status_code)


def _mail(headers: str, body: str) -> bytes:
    return (
        "From: a@example.org\r\nTo: neuvonta@desk.test\r\nMIME-Version: 1.0\r\n" + headers + body
    ).encode()


def test_deeply_nested_and_oversized_mail_becomes_failed_intake_not_a_crash(rt, session) -> None:  # type: ignore[no-untyped-def]
    nested = "text"
    for level in range(3000):
        nested = (
            f'Content-Type: multipart/mixed; boundary="b{level}"\r\n\r\n'
            f"--b{level}\r\n{nested}\r\n--b{level}--\r\n"
        )
    many_parts = (
        'Content-Type: multipart/mixed; boundary="m"\r\n\r\n'
        + "".join(f"--m\r\nContent-Type: text/plain\r\n\r\nosa {n}\r\n" for n in range(5000))
        + "--m--\r\n"
    )
    cases = {
        "nested": _mail("Subject: nested\r\n", nested),
        "many parts": _mail("Subject: parts\r\n", many_parts),
        "huge header": _mail(
            "Subject: " + "x" * MEBIBYTE + "\r\n", "Content-Type: text/plain\r\n\r\nhei"
        ),
        "zip bomb attached": _mail(
            "Subject: zip\r\n",
            'Content-Type: multipart/mixed; boundary="z"\r\n\r\n'
            "--z\r\nContent-Type: text/plain\r\n\r\nliite\r\n"
            "--z\r\nContent-Type: application/zip\r\nContent-Transfer-Encoding: base64\r\n"
            'Content-Disposition: attachment; filename="bomb.zip"\r\n\r\n'
            + base64.encodebytes(docx_bomb()).decode()
            + "\r\n--z--\r\n",
        ),
    }
    for name, raw in cases.items():
        started = time.perf_counter()
        result = mail_intake.ingest(rt, raw, name=name)
        assert result.outcome in {Outcome.CREATED, Outcome.FAILED}, (name, result)
        assert time.perf_counter() - started < 20, name
    failed = (
        session.execute(select(IntakeRecord).where(IntakeRecord.status == "failed")).scalars().all()
    )
    assert all(record.error for record in failed), "a failed mail keeps its reason"
