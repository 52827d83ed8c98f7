"""Outbound SMS and MMS media through the real twilio Client, against the
local fake Twilio server (tests/twilio_server.py)."""

from __future__ import annotations

import socket

import pytest

from channels.errors import DeliveryError, PermanentDeliveryError, TemporaryDeliveryError
from channels.message import Attachment, Channel, OutboundMessage
from channels.sms import TwilioSmsGateway
from tests.twilio_server import FakeTwilioServer, LocalTwilioHttpClient, ScriptedResponse

DESK_NUMBER = "+358401234567"
STAFF_NUMBER = "+358409876543"
APPLICANT = "+358401112233"
STATUS_URL = "https://desk.example.fi/webhooks/twilio/sms/status"


def sms(text: str = "Hei! Tikettisi numero on 2024-0042.", **changes: object) -> OutboundMessage:
    fields: dict[str, object] = {
        "channel": Channel.SMS,
        "to_address": APPLICANT,
        "from_address": DESK_NUMBER,
        "text": text,
    }
    fields.update(changes)
    return OutboundMessage(**fields)  # type: ignore[arg-type]


def test_send(gateway: TwilioSmsGateway, twilio_server: FakeTwilioServer) -> None:
    receipt = gateway.send(sms("Hakuaika päättyy 19.3. klo 15.00 – tervetuloa! €"))

    assert receipt.status == "queued"
    assert receipt.provider_id is not None
    assert receipt.provider_id.startswith("SM")
    assert len(receipt.provider_id) == 34
    [request] = twilio_server.requests
    assert request.method == "POST"
    assert request.path == f"/2010-04-01/Accounts/{twilio_server.account_sid}/Messages.json"
    assert request.auth == (twilio_server.account_sid, twilio_server.auth_token)
    assert request.headers["Authorization"].startswith("Basic ")
    assert "twilio-python" in request.headers["User-Agent"]
    assert request.form == {
        "To": (APPLICANT,),
        "From": (DESK_NUMBER,),
        "Body": ("Hakuaika päättyy 19.3. klo 15.00 – tervetuloa! €",),
        "StatusCallback": (STATUS_URL,),
    }


def test_message_status_callback_wins(
    gateway: TwilioSmsGateway, twilio_server: FakeTwilioServer
) -> None:
    own = "https://desk.example.fi/webhooks/twilio/sms/status?outbox=17"
    gateway.send(sms(status_callback=own))
    assert twilio_server.messages[0].field("StatusCallback") == own


def test_from_address_of_the_message_wins(
    gateway: TwilioSmsGateway, twilio_server: FakeTwilioServer
) -> None:
    gateway.send(sms(from_address=STAFF_NUMBER))
    gateway.send(sms(from_address=""))
    assert [m.field("From") for m in twilio_server.messages] == [STAFF_NUMBER, DESK_NUMBER]


def test_no_status_callback_configured(
    twilio_server: FakeTwilioServer, http_client: LocalTwilioHttpClient
) -> None:
    gateway = TwilioSmsGateway(
        twilio_server.account_sid, twilio_server.auth_token, DESK_NUMBER, http_client=http_client
    )
    gateway.send(sms())
    assert "StatusCallback" not in twilio_server.messages[0].form


def test_attachments_are_not_sent(
    gateway: TwilioSmsGateway, twilio_server: FakeTwilioServer
) -> None:
    attachment = Attachment(filename="liite.pdf", content_type="application/pdf", data=b"%PDF")
    gateway.send(sms(attachments=(attachment,)))
    assert "MediaUrl" not in twilio_server.messages[0].form


def test_only_sms_messages(gateway: TwilioSmsGateway, twilio_server: FakeTwilioServer) -> None:
    with pytest.raises(ValueError, match="email"):
        gateway.send(sms(channel=Channel.EMAIL))
    assert twilio_server.requests == []


@pytest.mark.parametrize(
    ("status", "code", "error", "expected_code"),
    [
        (400, 21610, PermanentDeliveryError, "21610"),  # replied STOP
        (400, 21211, PermanentDeliveryError, "21211"),  # invalid 'To'
        (400, 21614, PermanentDeliveryError, "21614"),  # not a mobile number
        (400, 21408, PermanentDeliveryError, "21408"),  # region not enabled
        (400, 21612, PermanentDeliveryError, "21612"),
        (400, 21617, PermanentDeliveryError, "21617"),
        (400, 21999, PermanentDeliveryError, "21999"),  # unknown 4xx: the same request fails again
        (404, 20404, PermanentDeliveryError, "20404"),
        (429, 20429, TemporaryDeliveryError, "20429"),
        (401, 20003, TemporaryDeliveryError, "20003"),
        (500, 20500, TemporaryDeliveryError, "20500"),
        (503, 20503, TemporaryDeliveryError, "20503"),
        (500, None, TemporaryDeliveryError, None),  # HTML from a proxy, no Twilio code
        (502, None, TemporaryDeliveryError, None),
        (429, None, TemporaryDeliveryError, None),
        (400, None, PermanentDeliveryError, None),
    ],
)
def test_errors(
    gateway: TwilioSmsGateway,
    twilio_server: FakeTwilioServer,
    status: int,
    code: int | None,
    error: type[DeliveryError],
    expected_code: str | None,
) -> None:
    twilio_server.fail_next(status, code, "Attempt to send to unsubscribed recipient")
    with pytest.raises(DeliveryError) as caught:
        gateway.send(sms())
    assert type(caught.value) is error
    assert caught.value.code == expected_code
    assert f"HTTP {status}" in str(caught.value)
    assert len(twilio_server.messages) == 1
    # the failure was scripted once: the next send goes through
    assert gateway.send(sms()).status == "queued"


def test_twilio_message_is_kept(gateway: TwilioSmsGateway, twilio_server: FakeTwilioServer) -> None:
    twilio_server.fail_next(400, 21610, "Attempt to send to unsubscribed recipient")
    with pytest.raises(PermanentDeliveryError, match="unsubscribed recipient"):
        gateway.send(sms())


def test_validation_errors_of_the_server(
    gateway: TwilioSmsGateway, twilio_server: FakeTwilioServer
) -> None:
    with pytest.raises(PermanentDeliveryError) as caught:
        gateway.send(sms(""))
    assert caught.value.code == "21602"


def test_rfc9457_error_body(gateway: TwilioSmsGateway, twilio_server: FakeTwilioServer) -> None:
    problem = (
        b'{"type": "https://www.twilio.com/docs/errors/21211", "title": "Invalid To",'
        b' "status": 400, "code": 21211, "detail": "+3580 is not a valid number"}'
    )
    twilio_server.script(ScriptedResponse(400, problem, "application/problem+json"))
    with pytest.raises(PermanentDeliveryError, match="not a valid number") as caught:
        gateway.send(sms())
    assert caught.value.code == "21211"


def test_wrong_credentials(
    twilio_server: FakeTwilioServer, http_client: LocalTwilioHttpClient
) -> None:
    gateway = TwilioSmsGateway(
        twilio_server.account_sid, "wrong-token", DESK_NUMBER, http_client=http_client
    )
    with pytest.raises(TemporaryDeliveryError) as caught:
        gateway.send(sms())
    assert caught.value.code == "20003"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_connection_refused() -> None:
    client = LocalTwilioHttpClient(f"http://127.0.0.1:{_closed_port()}", timeout=2)
    gateway = TwilioSmsGateway("AC" + "1" * 32, "token", DESK_NUMBER, http_client=client)
    try:
        with pytest.raises(TemporaryDeliveryError, match="could not be reached") as caught:
            gateway.send(sms())
        assert caught.value.code is None
    finally:
        client.close()


def test_timeout(twilio_server: FakeTwilioServer) -> None:
    client = LocalTwilioHttpClient(twilio_server.base_url, timeout=0.2)
    gateway = TwilioSmsGateway(
        twilio_server.account_sid, twilio_server.auth_token, DESK_NUMBER, http_client=client
    )
    twilio_server.fail_next(500, delay=3)
    try:
        with pytest.raises(TemporaryDeliveryError, match="could not be reached"):
            gateway.send(sms())
    finally:
        client.close()


def test_gateway_builds_its_own_transport() -> None:
    with TwilioSmsGateway("AC" + "1" * 32, "token", DESK_NUMBER) as gateway:
        assert gateway is not None


@pytest.mark.parametrize(("sid", "token"), [("", "token"), ("AC1", "")])
def test_credentials_are_required(sid: str, token: str) -> None:
    with pytest.raises(ValueError, match="required"):
        TwilioSmsGateway(sid, token, DESK_NUMBER)


# --- MMS media ----------------------------------------------------------------------

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\x80\x81\xfe\xff\xd9"


def test_fetch_media(gateway: TwilioSmsGateway, twilio_server: FakeTwilioServer) -> None:
    url = twilio_server.add_media("image/jpeg", JPEG, message_sid="MM" + "a" * 32)
    assert url.startswith("https://api.twilio.com/2010-04-01/Accounts/")

    attachment = gateway.fetch_media(url)

    assert attachment.data == JPEG  # binary intact, not decoded as text
    assert attachment.content_type == "image/jpeg"
    media_sid = url.rsplit("/", 1)[-1]
    assert attachment.filename == f"{media_sid}.jpg"
    api, storage = twilio_server.requests
    assert api.method == "GET"
    assert api.path == url.removeprefix("https://api.twilio.com")
    assert api.auth == (twilio_server.account_sid, twilio_server.auth_token)
    assert storage.path == f"/storage/{media_sid}"


def test_fetch_recording(gateway: TwilioSmsGateway, twilio_server: FakeTwilioServer) -> None:
    wav = b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00"
    url = twilio_server.add_recording(wav)
    attachment = gateway.fetch_media(url)
    assert attachment.data == wav
    assert attachment.filename.endswith(".wav")
    assert attachment.filename.startswith("RE")


@pytest.mark.parametrize(
    "url",
    [
        "https://attacker.example/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1",
        "http://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1",
        "https://api.twilio.com.attacker.example/Media/ME1",
        "file:///etc/passwd",
    ],
)
def test_fetch_media_sends_credentials_to_twilio_only(
    gateway: TwilioSmsGateway, twilio_server: FakeTwilioServer, url: str
) -> None:
    with pytest.raises(PermanentDeliveryError, match="refusing"):
        gateway.fetch_media(url)
    assert twilio_server.requests == []


def test_fetch_missing_media(gateway: TwilioSmsGateway, twilio_server: FakeTwilioServer) -> None:
    base = f"https://api.twilio.com/2010-04-01/Accounts/{twilio_server.account_sid}"
    with pytest.raises(PermanentDeliveryError, match="HTTP 404"):
        gateway.fetch_media(f"{base}/Messages/MM1/Media/ME404")


def test_fetch_media_server_error(
    gateway: TwilioSmsGateway, twilio_server: FakeTwilioServer
) -> None:
    url = twilio_server.add_media("image/png", b"\x89PNG")
    twilio_server.fail_next(503, path_suffix=url.rsplit("/", 1)[-1])
    with pytest.raises(TemporaryDeliveryError, match="HTTP 503"):
        gateway.fetch_media(url)
    assert gateway.fetch_media(url).filename.endswith(".png")


def test_fetch_media_too_large(
    twilio_server: FakeTwilioServer, http_client: LocalTwilioHttpClient
) -> None:
    gateway = TwilioSmsGateway(
        twilio_server.account_sid,
        twilio_server.auth_token,
        DESK_NUMBER,
        http_client=http_client,
        max_media_bytes=10,
    )
    url = twilio_server.add_media("image/jpeg", JPEG)
    with pytest.raises(PermanentDeliveryError, match="too large"):
        gateway.fetch_media(url)


def test_fetch_media_connection_refused() -> None:
    client = LocalTwilioHttpClient(f"http://127.0.0.1:{_closed_port()}", timeout=2)
    gateway = TwilioSmsGateway("AC" + "1" * 32, "token", DESK_NUMBER, http_client=client)
    try:
        with pytest.raises(TemporaryDeliveryError, match="could not be fetched"):
            gateway.fetch_media(
                "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"
            )
    finally:
        client.close()
