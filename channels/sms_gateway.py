"""Sending SMS and fetching MMS media through Twilio's REST API.

:class:`TwilioSmsGateway` uses the SDK's own ``Client`` (built by
:func:`~channels.twilio_transport.make_client`) and turns every failure into
our errors::

    DeliveryError
    ├── TemporaryDeliveryError   HTTP 429 / 5xx, 401, connection refused,
    │                            timeouts, oversized or unreachable media
    └── PermanentDeliveryError   21610 unsubscribed, 21211 / 21614 invalid or
                                 not mobile, 21408 region not enabled, 21612,
                                 300xx, any other 4xx

A read timeout is ambiguous: Twilio may have accepted the message before the
answer was lost, so a retry can send it twice.  Twilio's Messages API has no
idempotency key to prevent that; the outbox keeps such retries few.
"""

from __future__ import annotations

import logging
import mimetypes
from typing import Any
from urllib.parse import urlsplit

import requests
from twilio.base.exceptions import (
    TwilioException,
    TwilioRestException,
    TwilioServiceException,
)

from channels.errors import PermanentDeliveryError, TemporaryDeliveryError
from channels.message import Attachment, Channel, DeliveryReceipt, OutboundMessage
from channels.twilio_transport import (
    DownloadTooLargeError,
    TwilioTransport,
    delivery_error,
    is_twilio_url,
    make_client,
)

__all__ = ["MAX_MEDIA_BYTES", "TwilioSmsGateway", "media_filename"]

logger = logging.getLogger(__name__)

#: Twilio accepts at most 5 MB of incoming MMS media; anything far larger is
#: not what Twilio stores, so it is refused rather than held in memory.
MAX_MEDIA_BYTES = 10 * 1024 * 1024

# Stable extensions for what phones send by MMS; ``mimetypes`` depends on the
# host's /etc/mime.types and answers ``.jpe`` on some systems.
_EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/heic": ".heic",
    "image/heif": ".heif",
    "image/webp": ".webp",
    "image/bmp": ".bmp",
    "video/mp4": ".mp4",
    "video/3gpp": ".3gp",
    "video/quicktime": ".mov",
    "audio/amr": ".amr",
    "audio/mpeg": ".mp3",
    "audio/mp4": ".m4a",
    "audio/ogg": ".ogg",
    "audio/wav": ".wav",
    "audio/x-wav": ".wav",
    "text/vcard": ".vcf",
    "text/x-vcard": ".vcf",
    "text/calendar": ".ics",
    "text/plain": ".txt",
    "application/pdf": ".pdf",
}


def media_filename(url: str, content_type: str) -> str:
    """A file name for downloaded media: the media SID from the URL (``ME…``)
    and an extension from the content type (``ME0123….jpg``)."""
    last = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    stem = last if last.isalnum() else "media"
    kind = content_type.split(";", 1)[0].strip().lower()
    extension = _EXTENSIONS.get(kind) or mimetypes.guess_extension(kind, strict=False) or ".bin"
    return stem + extension


class TwilioSmsGateway:
    """Sends SMS with ``client.messages.create`` and fetches MMS media.

    ``from_number`` is used when a message's ``from_address`` is empty (the
    application normally sends from the number the contact wrote to, which
    also decides the applicant or staff desk).  ``status_callback`` is the
    default delivery status URL when a message carries none of its own.
    ``http_client`` defaults to a :class:`TwilioTransport` with a timeout;
    tests pass one that talks to a local fake server.
    """

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str,
        *,
        http_client: TwilioTransport | None = None,
        status_callback: str | None = None,
        max_media_bytes: int = MAX_MEDIA_BYTES,
    ) -> None:
        self._owns_transport = http_client is None
        self._transport = http_client if http_client is not None else TwilioTransport()
        self._client: Any = make_client(account_sid, auth_token, self._transport)
        self._auth = (account_sid, auth_token)
        self._from_number = from_number
        self._status_callback = status_callback
        self._max_media_bytes = max_media_bytes

    def close(self) -> None:
        """Close the connections of a transport this gateway created."""
        if self._owns_transport:
            self._transport.close()

    def __enter__(self) -> TwilioSmsGateway:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def send(self, message: OutboundMessage) -> DeliveryReceipt:
        """Hand ``message`` to Twilio; the receipt carries the ``SM…`` SID and
        Twilio's first status (``queued`` or ``accepted``)."""
        if message.channel != Channel.SMS:
            raise ValueError(f"TwilioSmsGateway cannot send a {message.channel} message")
        if message.attachments:
            # Twilio's media_url needs public URLs, which the desk does not have.
            logger.warning("%d attachment(s) not sent by SMS", len(message.attachments))
        arguments: dict[str, str] = {
            "to": message.to_address.strip(),
            "from_": message.from_address.strip() or self._from_number,
            "body": message.text,
        }
        callback = message.status_callback or self._status_callback
        if callback:
            arguments["status_callback"] = callback
        try:
            created = self._client.messages.create(**arguments)
        except TwilioRestException as exc:
            raise delivery_error(exc.status, exc.code, str(exc.msg)) from exc
        except TwilioServiceException as exc:
            detail = f"{exc.title}: {exc.detail}" if exc.detail else str(exc.title)
            raise delivery_error(exc.status, exc.code, detail) from exc
        except requests.RequestException as exc:
            raise TemporaryDeliveryError(f"Twilio could not be reached: {exc}") from exc
        except TwilioException as exc:
            raise TemporaryDeliveryError(f"Twilio SDK error: {exc}") from exc
        sid = str(created.sid) if created.sid else None
        status = str(created.status) if created.status else "queued"
        logger.info("SMS %s handed to Twilio (%s)", sid, status)
        return DeliveryReceipt(provider_id=sid, status=status)

    def fetch_media(self, url: str) -> Attachment:
        """Download MMS media with the account's credentials (HTTP basic
        auth).  Credentials go to Twilio's own HTTPS hosts only: any other URL
        is refused as permanent."""
        if not is_twilio_url(url):
            raise PermanentDeliveryError(f"refusing to send Twilio credentials to {url!r}")
        try:
            download = self._transport.download(
                url, auth=self._auth, max_bytes=self._max_media_bytes
            )
        except DownloadTooLargeError as exc:
            raise PermanentDeliveryError(f"MMS media too large: {exc}") from exc
        except requests.RequestException as exc:
            raise TemporaryDeliveryError(f"MMS media could not be fetched: {exc}") from exc
        if download.status != 200:
            raise delivery_error(download.status, None, "fetching MMS media")
        content_type = download.content_type or "application/octet-stream"
        return Attachment(
            filename=media_filename(url, content_type),
            content_type=content_type,
            data=download.data,
        )
