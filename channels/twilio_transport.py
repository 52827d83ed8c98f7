"""How we talk to Twilio's REST API: the SDK client, its HTTP transport, and
what Twilio's errors mean for a retry.

:class:`TwilioTransport` is the SDK's own ``TwilioHttpClient`` (so the SDK
builds, authenticates and sends every request itself) with two additions:

* :meth:`TwilioTransport.resolve_url`, the one place that decides where a
  request goes.  Production leaves it alone; tests override it to send the
  SDK's requests to a local fake server (``tests/twilio_server.py``) instead
  of patching anything.
* :meth:`TwilioTransport.download`, a binary GET (MMS media, recordings):
  the SDK's ``HttpClient.request`` returns decoded text, which would corrupt
  an image.

:func:`delivery_error` turns Twilio's HTTP status and error code into our
:class:`~channels.errors.TemporaryDeliveryError` (worth retrying) or
:class:`~channels.errors.PermanentDeliveryError` (never worth retrying).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from channels.errors import DeliveryError, PermanentDeliveryError, TemporaryDeliveryError

__all__ = [
    "PERMANENT_ERROR_CODES",
    "TEMPORARY_ERROR_CODES",
    "Download",
    "DownloadTooLargeError",
    "RedirectedTransport",
    "TwilioTransport",
    "delivery_error",
    "is_permanent_error_code",
    "is_twilio_url",
    "make_client",
]

#: Seconds before a request to Twilio is given up (and retried by the outbox
#: job).  The SDK's default is to wait forever, which would stall a worker.
DEFAULT_TIMEOUT = 30.0

#: Twilio error codes that no retry will fix.  Most arrive as a REST error when
#: sending; the 300xx ones arrive later in a status callback's ``ErrorCode``.
PERMANENT_ERROR_CODES: frozenset[int] = frozenset(
    {
        21211,  # invalid 'To' phone number
        21212,  # invalid 'From' phone number
        21214,  # 'To' number cannot be reached
        21217,  # phone number does not appear to be valid
        21401,  # invalid phone number
        21408,  # permission to send an SMS has not been enabled for the region
        21602,  # message body is required
        21604,  # 'To' number is required
        21606,  # 'From' number is not a valid, SMS-capable Twilio number
        21610,  # the recipient replied STOP (unsubscribed)
        21612,  # 'To' number is not currently reachable via SMS
        21614,  # 'To' number is not a valid mobile number
        21617,  # body exceeds 1600 characters
        21659,  # 'From' is not a Twilio phone number
        21660,  # 'From' does not belong to the account
        30003,  # unreachable destination handset
        30004,  # message blocked
        30005,  # unknown destination handset
        30006,  # landline or unreachable carrier
        30007,  # message filtered by the carrier
        30008,  # unknown error (Twilio advises against blind resending)
    }
)

#: Twilio error codes worth retrying whatever their HTTP status says.
TEMPORARY_ERROR_CODES: frozenset[int] = frozenset(
    {
        20003,  # authentication failed: an operator fixes the credentials, then it sends
        20005,  # account not active (suspended for billing): likewise
        20429,  # too many requests
        20500,  # internal server error
        20503,  # service unavailable
        30001,  # queue overflow
        30002,  # account suspended
    }
)


def is_permanent_error_code(code: int | str | None) -> bool:
    """Whether a Twilio error code (from a REST error or a status callback's
    ``ErrorCode``) means the message will never be delivered by retrying."""
    if code is None or code == "":
        return False
    try:
        return int(code) in PERMANENT_ERROR_CODES
    except ValueError:
        return False


def delivery_error(status: int, code: int | None, detail: str) -> DeliveryError:
    """The error to raise for a failed Twilio request.

    Known codes decide first (see the two tables); otherwise HTTP 429 and 5xx
    are temporary, and so is 401 (wrong credentials are fixed by an operator,
    after which the same request succeeds); any other 4xx is permanent: the
    same request would get the same answer.  Twilio's codes are five digits;
    when the SDK has no code it repeats the HTTP status, which is not
    reported as a code.
    """
    twilio_code = code if code is not None and code >= 10000 else None
    text = f"Twilio answered HTTP {status}" + (f" with error {twilio_code}" if twilio_code else "")
    message = f"{text}: {detail}" if detail else text
    code_text = str(twilio_code) if twilio_code is not None else None
    if twilio_code in PERMANENT_ERROR_CODES:
        return PermanentDeliveryError(message, code=code_text)
    if twilio_code in TEMPORARY_ERROR_CODES or status in (401, 429) or status >= 500:
        return TemporaryDeliveryError(message, code=code_text)
    return PermanentDeliveryError(message, code=code_text)


def is_twilio_url(url: str) -> bool:
    """Whether ``url`` is an HTTPS URL on Twilio's API (``api.twilio.com`` or a
    regional ``api.<edge>.<region>.twilio.com``): the only place we send the
    account's credentials to."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return parts.scheme == "https" and (host == "twilio.com" or host.endswith(".twilio.com"))


@dataclass(frozen=True, slots=True)
class Download:
    """The answer to a binary GET: the final URL after redirects, the status,
    the content type (parameters such as ``charset`` removed) and the bytes."""

    url: str
    status: int
    content_type: str
    data: bytes


class DownloadTooLargeError(Exception):
    """The body was larger than the caller allowed."""


class TwilioTransport(TwilioHttpClient):  # type: ignore[misc]  # the SDK is untyped
    """The SDK's ``TwilioHttpClient`` with a URL hook and binary downloads."""

    def __init__(self, *, timeout: float = DEFAULT_TIMEOUT, **kwargs: Any) -> None:
        super().__init__(timeout=timeout, **kwargs)

    def resolve_url(self, url: str) -> str:
        """Where a request for ``url`` is actually sent (identity here)."""
        return url

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        return super().request(
            method,
            self.resolve_url(url),
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )

    def download(
        self,
        url: str,
        *,
        auth: tuple[str, str] | None,
        max_bytes: int,
        timeout: float | None = None,
    ) -> Download:
        """GET ``url`` following redirects and return the raw bytes.

        ``requests`` drops the ``Authorization`` header when a redirect leaves
        the host, so Twilio's redirect to its media storage does not carry our
        credentials along.  Raises :class:`DownloadTooLargeError` past
        ``max_bytes``, and ``requests`` exceptions for network failures.
        """
        session: requests.Session = self.session or requests.Session()
        try:
            response = session.get(
                self.resolve_url(url),
                auth=auth,
                timeout=timeout or self.timeout,
                allow_redirects=True,
                stream=True,
                proxies=self.proxy or None,
            )
            with response:
                chunks: list[bytes] = []
                size = 0
                if response.ok:
                    for chunk in response.iter_content(chunk_size=64 * 1024):
                        size += len(chunk)
                        if size > max_bytes:
                            raise DownloadTooLargeError(f"more than {max_bytes} bytes")
                        chunks.append(chunk)
                content_type = response.headers.get("Content-Type", "")
                return Download(
                    url=response.url,
                    status=response.status_code,
                    content_type=content_type.split(";", 1)[0].strip().lower(),
                    data=b"".join(chunks),
                )
        finally:
            if session is not self.session:
                session.close()

    def close(self) -> None:
        """Close the pooled connections."""
        if self.session is not None:
            self.session.close()


def make_client(account_sid: str, auth_token: str, http_client: TwilioTransport) -> Any:
    """The SDK's REST ``Client`` for one account, sending through ``http_client``.

    The SDK falls back to ``os.environ`` for anything not given (credentials,
    ``TWILIO_EDGE``, ``TWILIO_REGION``).  Configuration here comes from
    ``Settings`` only, so the fallback gets an explicit environment in which
    edge and region are unset.
    """
    if not account_sid or not auth_token:
        raise ValueError("the Twilio account SID and auth token are both required")
    return Client(
        account_sid,
        auth_token,
        http_client=http_client,
        environment={"TWILIO_EDGE": "", "TWILIO_REGION": ""},
    )


class RedirectedTransport(TwilioTransport):
    """Sends what the SDK addresses to Twilio's API to ``base_url`` instead
    (scheme and host only; path, query, form and credentials unchanged).
    ``SERVICEDESK_TWILIO_API_BASE`` uses it to point a whole deployment, its
    worker processes included, at a local stand-in of Twilio in tests."""

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._target = urlsplit(base_url)
        if self.session is not None:
            self.session.trust_env = False

    def resolve_url(self, url: str) -> str:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if host == "twilio.com" or host.endswith(".twilio.com"):
            return parts._replace(scheme=self._target.scheme, netloc=self._target.netloc).geturl()
        return url
