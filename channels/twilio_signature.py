"""Checking that a webhook request really comes from Twilio.

Twilio signs every webhook (SMS, status callbacks, every step of a voice
call) with the account's auth token over the URL it requested plus the POST
parameters, and sends the result in the ``X-Twilio-Signature`` header.  The
check itself is the SDK's :class:`~twilio.request_validator.RequestValidator`;
this module only fixes how our callers build the URL, because that is where
signature checks go wrong behind a proxy.

Building the URL
----------------
Twilio signs the *public* URL it was configured with, not the one the web
process sees behind a load balancer or TLS terminator (``http://10.0.0.5:8000``
is not what Twilio signed).  So the caller builds it from
``SERVICEDESK_BASE_URL`` and never from the request's host header::

    url = public_url(settings.base_url, request.path, request.query_string.decode())
    ok = verify_signature(url, request.form, request.headers.get("X-Twilio-Signature"),
                          settings.twilio_auth_token)

* ``base_url`` is ``SERVICEDESK_BASE_URL`` exactly as Twilio knows the
  service, including any path prefix the application is mounted under
  (``https://desk.example.fi/servicedesk``).
* ``path`` is the path *within* the application (Flask's ``request.path``).
* ``query`` is the raw query string as received, not re-encoded: Twilio
  signs the bytes it requested (``request.query_string``, decoded as ASCII or
  UTF-8).  A ``?lang=fi`` the voice flow put into its own action URLs is part
  of the signed URL.
* ``params`` is the POST form.  For a GET webhook it is empty: the
  parameters are in the query string, which is already part of ``url``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from twilio.request_validator import RequestValidator

__all__ = ["SIGNATURE_HEADER", "FormParams", "public_url", "verify_signature"]

SIGNATURE_HEADER = "X-Twilio-Signature"

logger = logging.getLogger(__name__)


#: A webhook form: a plain mapping, a mapping of value lists, or a multi-dict
#: (werkzeug's ``MultiDict`` is a ``Mapping[str, str]`` with ``getlist``).
FormParams = Mapping[str, str] | Mapping[str, Sequence[str]]


class _MultiValues(dict[str, list[str]]):
    """Every value of every key, in the shape the SDK's validator asks for
    (it calls ``getlist`` when a form has it, else ``[form[key]]``)."""

    def getlist(self, key: str) -> list[str]:
        return self[key]


def _all_values(params: FormParams) -> _MultiValues:
    getlist = getattr(params, "getlist", None)
    values = _MultiValues()
    for key in params:
        found: object = getlist(key) if getlist is not None else params[key]
        if isinstance(found, str):
            values[key] = [found]
        elif isinstance(found, Sequence):
            values[key] = [str(v) for v in found]
        else:
            values[key] = [str(found)]
    return values


def public_url(base_url: str, path: str, query: str = "") -> str:
    """The URL Twilio requested: ``SERVICEDESK_BASE_URL`` + path + ``?query``.

    >>> public_url("https://desk.example.fi/", "/webhooks/twilio/voice", "step=menu")
    'https://desk.example.fi/webhooks/twilio/voice?step=menu'
    """
    url = base_url.rstrip("/") + "/" + path.lstrip("/")
    return f"{url}?{query}" if query else url


def verify_signature(url: str, params: FormParams, signature: str | None, auth_token: str) -> bool:
    """Whether ``signature`` is Twilio's signature of ``url`` and ``params``.

    ``url`` must be the public URL (see the module docstring and
    :func:`public_url`).  ``params`` may be a plain mapping, a mapping of
    lists, or a multi-dict: every value of a repeated key is signed.  A
    missing or empty signature is never valid.  With an empty ``auth_token``
    anyone could compute a "valid" signature, so that raises ``ValueError``
    instead of quietly letting requests in: it is a configuration error.
    """
    if not auth_token:
        raise ValueError("the Twilio auth token is empty: set TWILIO_AUTH_TOKEN")
    if not signature:
        return False
    validator = RequestValidator(auth_token)
    valid = bool(validator.validate(url, _all_values(params), signature))
    if not valid:
        logger.info("Twilio signature did not verify for %s", url.split("?", 1)[0])
    return valid
