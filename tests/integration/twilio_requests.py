"""Requests as Twilio makes them: signed with the SDK's ``RequestValidator``
for the public URL (``SERVICEDESK_BASE_URL`` + path + query), and TwiML
answers parsed as XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from urllib.parse import urlsplit

from twilio.request_validator import RequestValidator

from channels.twilio_signature import SIGNATURE_HEADER, public_url

CALLER = "+358401234567"


class Twilio:
    """Posts webhooks to the test client the way Twilio would."""

    def __init__(self, client, settings) -> None:  # type: ignore[no-untyped-def]
        self.client = client
        self.settings = settings
        self.validator = RequestValidator(settings.twilio_auth_token)

    def sign(self, url: str, form: Mapping[str, str]) -> str:
        return str(self.validator.compute_signature(url, dict(form)))

    def post(
        self,
        path: str,
        form: Mapping[str, str],
        *,
        query: str = "",
        signature: str | None = None,
        signed_url: str | None = None,
        app_base_url: str = "http://localhost",
    ):  # type: ignore[no-untyped-def]
        """POST ``form`` to ``path``; signed for the public URL unless
        ``signature`` or ``signed_url`` says otherwise.  ``app_base_url`` is
        the URL the application itself sees (behind a proxy it differs)."""
        url = signed_url or public_url(self.settings.base_url, path, query)
        headers = {}
        if signature is None:
            signature = self.sign(url, form)
        if signature:
            headers[SIGNATURE_HEADER] = signature
        target = path + (f"?{query}" if query else "")
        return self.client.post(target, data=dict(form), headers=headers, base_url=app_base_url)

    def follow(self, url: str, form: Mapping[str, str]):  # type: ignore[no-untyped-def]
        """POST to an absolute action URL taken from a TwiML answer."""
        parts = urlsplit(url)
        base = self.settings.base_url.rstrip("/")
        assert url.startswith(base + "/"), f"{url} is not under {base}"
        return self.post(parts.path, form, query=parts.query)


def twiml(response) -> ET.Element:  # type: ignore[no-untyped-def]
    """The ``<Response>`` element of a TwiML answer."""
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/xml"
    root = ET.fromstring(response.get_data())
    assert root.tag == "Response"
    return root
