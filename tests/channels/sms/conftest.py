"""Fixtures of the SMS channel tests: the fake Twilio REST server and a
gateway that talks to it through the real SDK."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from channels.sms import TwilioSmsGateway
from tests.twilio_server import FakeTwilioServer, LocalTwilioHttpClient

DESK_NUMBER = "+358401234567"
STATUS_URL = "https://desk.example.fi/webhooks/twilio/sms/status"


@pytest.fixture
def twilio_server() -> Iterator[FakeTwilioServer]:
    with FakeTwilioServer() as server:
        yield server


@pytest.fixture
def http_client(twilio_server: FakeTwilioServer) -> Iterator[LocalTwilioHttpClient]:
    client = LocalTwilioHttpClient(twilio_server.base_url, timeout=5)
    yield client
    client.close()


@pytest.fixture
def gateway(
    twilio_server: FakeTwilioServer, http_client: LocalTwilioHttpClient
) -> TwilioSmsGateway:
    return TwilioSmsGateway(
        twilio_server.account_sid,
        twilio_server.auth_token,
        DESK_NUMBER,
        http_client=http_client,
        status_callback=STATUS_URL,
    )
