"""The fake Twilio server itself (tests/twilio_server.py), through the SDK."""

from __future__ import annotations

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from channels.errors import PermanentDeliveryError
from channels.message import Channel, OutboundMessage
from channels.sms import TwilioSmsGateway
from channels.twilio_transport import delivery_error, is_permanent_error_code, is_twilio_url
from tests.twilio_server import FakeTwilioServer, LocalTwilioHttpClient, twilio_error


def sms() -> OutboundMessage:
    return OutboundMessage(
        channel=Channel.SMS, to_address="+358401112233", from_address="+358401234567", text="x"
    )


def client_for(server: FakeTwilioServer, http_client: LocalTwilioHttpClient) -> Client:
    return Client(server.account_sid, server.auth_token, http_client=http_client)


def test_create_returns_a_message_resource(
    twilio_server: FakeTwilioServer, http_client: LocalTwilioHttpClient
) -> None:
    message = client_for(twilio_server, http_client).messages.create(
        to="+358401112233", from_="+358401234567", body="Moi"
    )
    assert message.sid.startswith("SM")
    assert message.status == "queued"
    assert message.to == "+358401112233"
    assert message.from_ == "+358401234567"
    assert message.body == "Moi"
    assert message.direction == "outbound-api"
    assert message.date_created is not None
    assert message.account_sid == twilio_server.account_sid


def test_requires_to(twilio_server: FakeTwilioServer, http_client: LocalTwilioHttpClient) -> None:
    client = client_for(twilio_server, http_client)
    with pytest.raises(TwilioRestException) as caught:
        client.messages.create(to="", from_="+358401234567", body="Moi")
    assert caught.value.code == 21604
    assert caught.value.status == 400


def test_other_account_is_not_found(
    twilio_server: FakeTwilioServer, http_client: LocalTwilioHttpClient
) -> None:
    other = "AC" + "9" * 32
    client = Client(other, twilio_server.auth_token, http_client=http_client)
    with pytest.raises(TwilioRestException) as caught:
        client.messages.create(to="+358401112233", from_="+358401234567", body="x")
    assert caught.value.status == 401  # the credentials belong to another account


def test_scripts_match_by_path_and_run_out(
    twilio_server: FakeTwilioServer, http_client: LocalTwilioHttpClient
) -> None:
    twilio_server.script(twilio_error(400, 21610), path_suffix="/Calls.json")
    twilio_server.fail_next(429, 20429, times=2)
    client = client_for(twilio_server, http_client)
    for _ in range(2):
        with pytest.raises(TwilioRestException) as caught:
            client.messages.create(to="+358401112233", from_="+358401234567", body="x")
        assert caught.value.code == 20429
    client.messages.create(to="+358401112233", from_="+358401234567", body="x")
    assert len(twilio_server.messages) == 3


def test_reset(twilio_server: FakeTwilioServer, gateway: TwilioSmsGateway) -> None:
    url = twilio_server.add_media("image/gif", b"GIF89a")
    twilio_server.fail_next(500)
    assert gateway.fetch_media(url).data == b"GIF89a"
    twilio_server.reset()
    assert twilio_server.requests == []
    with pytest.raises(PermanentDeliveryError, match="HTTP 404"):
        gateway.fetch_media(url)  # the media is gone
    assert gateway.send(sms()).status == "queued"  # and so is the scripted 500
    assert len(twilio_server.messages) == 1


def test_base_url_needs_a_running_server() -> None:
    server = FakeTwilioServer()
    with pytest.raises(RuntimeError):
        _ = server.base_url
    with server:
        assert server.base_url.startswith("http://127.0.0.1:")
    server.stop()  # stopping twice is harmless


def test_only_twilio_hosts_are_rewritten(twilio_server: FakeTwilioServer) -> None:
    client = LocalTwilioHttpClient(twilio_server.base_url)
    try:
        host = twilio_server.base_url
        assert (
            client.resolve_url("https://api.twilio.com/2010-04-01/A.json?x=1")
            == f"{host}/2010-04-01/A.json?x=1"
        )
        assert client.resolve_url("https://api.dublin.ie1.twilio.com/x") == f"{host}/x"
        assert client.resolve_url("https://example.org/x") == "https://example.org/x"
    finally:
        client.close()


@pytest.mark.parametrize(
    ("url", "trusted"),
    [
        ("https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1", True),
        ("https://api.dublin.ie1.twilio.com/x", True),
        ("https://API.TWILIO.COM/x", True),
        ("http://api.twilio.com/x", False),
        ("https://twilio.com.example.org/x", False),
        ("https://eviltwilio.com/x", False),
        ("https://example.org/?u=https://api.twilio.com", False),
    ],
)
def test_is_twilio_url(url: str, trusted: bool) -> None:
    assert is_twilio_url(url) is trusted


def test_delivery_error_text() -> None:
    error = delivery_error(400, 21610, "Attempt to send to unsubscribed recipient")
    assert (
        str(error)
        == "Twilio answered HTTP 400 with error 21610: Attempt to send to unsubscribed recipient"
    )
    assert str(delivery_error(502, 502, "")) == "Twilio answered HTTP 502"
    assert delivery_error(502, 502, "").code is None
    assert is_permanent_error_code(21610)
    assert not is_permanent_error_code("")
