"""Webhook signatures, computed with the SDK's own RequestValidator."""

from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import ImmutableMultiDict

from channels.sms import public_url, verify_signature

TOKEN = "9c2f4e1a7b3d5f6e8a0b1c2d3e4f5a6b"
BASE_URL = "https://desk.example.fi"
URL = BASE_URL + "/webhooks/twilio/sms"
FORM = {
    "MessageSid": "SM1f0e3c5a7b9d2e4f6a8b0c1d3e5f7a9b",
    "AccountSid": "AC0123456789abcdef0123456789abcdef",
    "From": "+358401112233",
    "To": "+358401234567",
    "Body": "Milloin yhteishaku alkaa?",
    "NumMedia": "0",
}


def sign(url: str, params: object, token: str = TOKEN) -> str:
    return str(RequestValidator(token).compute_signature(url, params))


def test_valid_signature() -> None:
    assert verify_signature(URL, FORM, sign(URL, FORM), TOKEN)


def test_forged_signature() -> None:
    forged = RequestValidator("attacker-token").compute_signature(URL, FORM)
    assert not verify_signature(URL, FORM, forged, TOKEN)
    assert not verify_signature(URL, FORM, "bm90IGEgc2lnbmF0dXJl", TOKEN)


def test_tampered_form() -> None:
    signature = sign(URL, FORM)
    assert not verify_signature(URL, {**FORM, "Body": "STOP"}, signature, TOKEN)
    assert not verify_signature(URL, {**FORM, "Extra": "1"}, signature, TOKEN)


@pytest.mark.parametrize("signature", [None, ""])
def test_missing_signature(signature: str | None) -> None:
    assert not verify_signature(URL, FORM, signature, TOKEN)


def test_empty_auth_token_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="TWILIO_AUTH_TOKEN"):
        verify_signature(URL, FORM, sign(URL, FORM, token=""), "")


def test_parameter_order_does_not_matter() -> None:
    reordered = dict(reversed(list(FORM.items())))
    assert list(reordered) != list(FORM)
    assert verify_signature(URL, reordered, sign(URL, FORM), TOKEN)


def test_proxied_url_with_query_string() -> None:
    # Twilio signed the public URL; the web process behind the proxy sees
    # http://10.0.0.5:8000/webhooks/twilio/sms?desk=staff.
    signed = "https://desk.example.fi/servicedesk/webhooks/twilio/sms?desk=staff&lang=sv"
    signature = sign(signed, FORM)
    url = public_url(
        "https://desk.example.fi/servicedesk", "/webhooks/twilio/sms", "desk=staff&lang=sv"
    )
    assert url == signed
    assert verify_signature(url, FORM, signature, TOKEN)
    internal = "http://10.0.0.5:8000/webhooks/twilio/sms?desk=staff&lang=sv"
    assert not verify_signature(internal, FORM, signature, TOKEN)
    assert not verify_signature(
        public_url(BASE_URL + "/servicedesk", "/webhooks/twilio/sms"), FORM, signature, TOKEN
    )


def test_url_signed_with_explicit_port() -> None:
    signature = sign("https://desk.example.fi:443/webhooks/twilio/sms", FORM)
    assert verify_signature(URL, FORM, signature, TOKEN)


def test_repeated_fields_in_a_multidict() -> None:
    form = ImmutableMultiDict([*FORM.items(), ("Tag", "b"), ("Tag", "a")])
    signature = sign(URL, form)
    assert verify_signature(URL, form, signature, TOKEN)
    as_lists = {key: form.getlist(key) for key in form}
    assert verify_signature(URL, as_lists, signature, TOKEN)
    only_first = {**FORM, "Tag": "b"}
    assert not verify_signature(URL, only_first, signature, TOKEN)


def test_get_webhook_signs_the_query_only() -> None:
    url = URL + "?MessageSid=SM1&From=%2B358401112233"
    assert verify_signature(url, {}, sign(url, {}), TOKEN)


@pytest.mark.parametrize(
    ("base", "path", "query", "expected"),
    [
        (
            "https://desk.example.fi",
            "/webhooks/twilio/sms",
            "",
            "https://desk.example.fi/webhooks/twilio/sms",
        ),
        (
            "https://desk.example.fi/",
            "/webhooks/twilio/sms",
            "",
            "https://desk.example.fi/webhooks/twilio/sms",
        ),
        (
            "https://desk.example.fi",
            "webhooks/twilio/voice",
            "step=menu",
            "https://desk.example.fi/webhooks/twilio/voice?step=menu",
        ),
        (
            "https://example.fi/desk/",
            "/webhooks/twilio/voice",
            "a=%C3%A4",
            "https://example.fi/desk/webhooks/twilio/voice?a=%C3%A4",
        ),
    ],
)
def test_public_url(base: str, path: str, query: str, expected: str) -> None:
    assert public_url(base, path, query) == expected
