"""Bad input to every page and form of the application, sent by someone
signed in (an administrator, who reaches every form) with a valid CSRF
token: each answers with a page or a message (2xx, 3xx or 4xx), never a
server error.  The field names are those the application's own pages
use, read from them; the values are what a confused user, a broken
client or an attacker sends: nothing, NUL bytes, huge and negative
numbers, impossible dates, unknown choices, text where a number belongs.
The same for every Twilio webhook, correctly signed (a leaked token, a
broken proxy): never a 5xx, which would have Twilio send it again and
again, and an SMS that cannot be read is kept as failed intake.  And for
every write of the JSON API: a value of any JSON type in any field is a
4xx with the field named, never a 5xx; a lone surrogate, which JSON can
spell and no stored text can hold, is a 400 that keeps nothing."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from servicedesk.models import IntakeRecord, IntakeStatus, Message
from tests.integration.console_kit import fast_sign_in, token
from tests.integration.twilio_requests import Twilio
from tests.security.conftest import World, routes

NAME = re.compile(r'<(?:input|select|textarea|button)\b[^>]*\bname="([^"]+)"')
EXEMPT_PREFIXES = ("/api/", "/webhooks/", "/logout")
JUNK = (
    "",
    " ",
    "\x00",
    "-1",
    "0",
    "99999999999999999999999999",
    "2147483648",
    "²",
    "١٢٣",
    "1e309",
    "NaN",
    "2026-02-30",
    "9999-99-99",
    "zzz-not-a-choice",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "ä" * 1000,
)
#: The query parameters the pages read (``request.args`` and the list
#: filters), each given in turn what breaks a careless parser: digits
#: ``int`` refuses and a number past the id columns.
QUERY_NAMES = (
    "after", "assignee", "attempt", "audience", "before", "channel", "created_from",
    "created_to", "desk", "from", "lang", "language", "next", "page", "q", "queue", "region",
    "score", "sort", "status", "to", "topic",
)  # fmt: skip
QUERY_JUNK = ("²", "2147483648")


#: The field names of the application's pages (the same on both databases).
FIELD_NAMES: list[str] = []
NOT_PAGES = ("/logout", "/static/")


def page_field_names(client, paths: list[str]) -> list[str]:  # type: ignore[no-untyped-def]
    names: set[str] = set()
    for path in paths:
        names.update(NAME.findall(client.get(path).get_data(as_text=True)))
    names.discard("csrf_token")
    return sorted(names)


@pytest.fixture
def signed_in(client, world: World):  # type: ignore[no-untyped-def]
    fast_sign_in(client, world.admin)
    return client


def test_every_page_takes_nonsense_in_its_query_string(app, signed_in, world: World) -> None:  # type: ignore[no-untyped-def]
    failures = []
    for endpoint, path in routes(app, world, "GET"):
        if path.startswith(NOT_PAGES):
            continue
        for name in QUERY_NAMES:
            for junk in QUERY_JUNK:
                response = signed_in.get(path, query_string={name: junk})
                if response.status_code >= 500:
                    failures.append((endpoint, path, name, junk, response.status_code))
    assert failures == []


@pytest.mark.parametrize("junk", JUNK, ids=[f"junk{n}" for n in range(len(JUNK))])
def test_every_form_takes_nonsense_without_a_server_error(  # type: ignore[no-untyped-def]
    app, signed_in, world: World, junk: str
) -> None:
    if not FIELD_NAMES:  # read once: every page, ~100 requests
        gets = [p for _e, p in routes(app, world, "GET") if not p.startswith(NOT_PAGES)]
        FIELD_NAMES.extend(page_field_names(signed_in, gets))
    assert len(FIELD_NAMES) >= 60  # the pages' forms were read
    data = {name: junk for name in FIELD_NAMES}
    failures = []
    for endpoint, path in routes(app, world, "POST"):
        if path.startswith(EXEMPT_PREFIXES):
            continue
        response = signed_in.post(path, data={**data, "csrf_token": token(signed_in)})
        if response.status_code >= 500:
            failures.append((endpoint, path, response.status_code))
    assert failures == []


TWILIO_FIELDS = (
    "MessageSid", "From", "To", "Body", "NumMedia", "MediaUrl0", "MediaContentType0",
    "MessageStatus", "ErrorCode", "CallSid", "CallStatus", "Digits", "SpeechResult",
    "Confidence", "RecordingUrl", "RecordingSid", "RecordingDuration", "RecordingStatus",
    "DialCallStatus", "DialCallDuration", "CallDuration", "OptOutType",
)  # fmt: skip


@pytest.mark.parametrize("junk", JUNK, ids=[f"junk{n}" for n in range(len(JUNK))])
def test_every_webhook_takes_nonsense_without_a_server_error(  # type: ignore[no-untyped-def]
    app, client, settings, world: World, junk: str
) -> None:
    twilio = Twilio(client, settings)
    form = {name: junk for name in TWILIO_FIELDS} | {"AccountSid": settings.twilio_account_sid}
    failures = []
    for endpoint, path in routes(app, world, "POST"):
        if not path.startswith("/webhooks/"):
            continue
        for query in ("", f"attempt={junk[:20]}&page={junk[:20]}&call={junk[:20]}"):
            response = twilio.post(path, form, query=query)
            if response.status_code >= 500:
                failures.append((endpoint, path, query, response.status_code))
    assert failures == []


def test_an_sms_with_an_id_no_twilio_id_looks_like_is_kept_as_failed_intake(  # type: ignore[no-untyped-def]
    client, settings, session
) -> None:
    form = {
        "MessageSid": "SM" + "a" * 300,
        "AccountSid": settings.twilio_account_sid,
        "From": "+358401234567",
        "To": settings.sms_number,
        "Body": "Hei",
        "NumMedia": "0",
    }
    assert Twilio(client, settings).post("/webhooks/twilio/sms", form).status_code == 200
    record = session.execute(select(IntakeRecord)).scalars().one()
    assert record.status == IntakeStatus.FAILED
    assert "not a Twilio id" in (record.error or "")


API_WRITES = ("/enquiries", "/tickets/{number}/replies", "/tickets/{number}/calls")
API_FIELDS = (
    "email", "phone", "name", "body", "subject", "language", "municipality", "topic",
    "audience", "channel", "direction", "number", "summary", "duration_minutes", "attachments",
)  # fmt: skip
API_VALUES = (
    None, True, 2**70, -1, 1e308, "", "²", "\x00", "a\ud800b", [], {}, [{"name": "²"}],
    {"a": [[[]]]}, [{"name": "\udfff"}],
)  # fmt: skip
SENSIBLE = {
    "email": "hakija@example.org",
    "body": "Milloin haku alkaa?",
    "direction": "inbound",
    "number": "+358401234567",
    "summary": "Soitti hausta",
    "duration_minutes": 3,
}


def test_every_api_write_takes_any_json_value_in_any_field(api, world: World) -> None:  # type: ignore[no-untyped-def]
    failures = []
    for template in API_WRITES:
        path = template.format(number=world.osao_ticket.number)
        for name in API_FIELDS:
            for value in API_VALUES:
                response = api.post(path, json={**SENSIBLE, name: value})
                if response.status_code >= 500:
                    failures.append((path, name, repr(value)[:20], response.status_code))
    assert failures == []


#: Each write's body as raw JSON text, valid but for half a UTF-16 pair,
#: which JSON can spell ("\ud800") and no UTF-8 text can hold.
SURROGATES = {
    "/enquiries": '{"email": "a@example.org", "body": "Hei \\ud800 hei"}',
    "/tickets/{number}/replies": '{"body": "Hei \\udfff"}',
    "/tickets/{number}/calls": '{"direction": "inbound", "number": "+358401234567",'
    ' "summary": "Soitti \\udc00"}',
}


@pytest.mark.parametrize("write", API_WRITES)
def test_a_lone_surrogate_in_json_is_refused_and_nothing_is_kept(
    api, world: World, session, write: str
) -> None:  # type: ignore[no-untyped-def]
    path = write.format(number=world.osao_ticket.number)
    body = SURROGATES[write]
    kept = (select(func.count(IntakeRecord.id)), select(func.count(Message.id)))
    before = [session.execute(query).scalar() for query in kept]
    response = api.post(path, data=body, content_type="application/json")
    assert response.status_code == 400, response.get_json()
    assert "lone surrogate" in response.get_json()["error"]["message"]
    assert [session.execute(query).scalar() for query in kept] == before
