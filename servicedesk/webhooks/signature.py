"""Twilio's signature on every webhook, checked before anything is read.

Twilio signs the URL it requested, which is the public one: behind a proxy
or a load balancer the application sees another host, scheme or port, so
the URL is rebuilt from ``SERVICEDESK_BASE_URL`` + the path within the
application + the query string exactly as received (the voice flow puts
``?attempt=2`` into its own action URLs, and that is signed too).

A request whose signature does not verify gets 403 and nothing is stored.
Without ``TWILIO_AUTH_TOKEN`` every webhook is refused: a missing token
would otherwise let anyone in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import ParamSpec

from flask import Response, request

from channels.twilio_signature import SIGNATURE_HEADER, public_url, verify_signature
from servicedesk.web import runtime

logger = logging.getLogger(__name__)

P = ParamSpec("P")

#: The empty TwiML document: "received, nothing to say".
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response />'


def twiml(document: str, status: int = 200) -> Response:
    """A TwiML answer."""
    return Response(document, status=status, mimetype="text/xml")


def requested_url() -> str:
    """The URL Twilio requested and signed (see the module docstring)."""
    query = request.query_string.decode("utf-8", "replace")
    return public_url(runtime().settings.base_url, request.path, query)


def is_signed_by_twilio() -> bool:
    token = runtime().settings.twilio_auth_token
    if not token:
        logger.error("Twilio webhook %s refused: TWILIO_AUTH_TOKEN is not set", request.path)
        return False
    signature = request.headers.get(SIGNATURE_HEADER)
    return verify_signature(requested_url(), request.form, signature, token)


def twilio_signed(view: Callable[P, Response]) -> Callable[P, Response]:
    """Refuse (403) a request that Twilio did not sign for this URL."""

    @wraps(view)
    def checked(*args: P.args, **kwargs: P.kwargs) -> Response:
        if not is_signed_by_twilio():
            return Response("The Twilio signature did not verify.\n", 403, mimetype="text/plain")
        return view(*args, **kwargs)

    return checked
