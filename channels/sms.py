"""The SMS channel: Twilio's webhooks in, Twilio's Messages API out.

In: :func:`parse_webhook` turns the form Twilio posts for an incoming SMS or
MMS into an :class:`~channels.message.InboundMessage` (media stay remote until
:meth:`TwilioSmsGateway.fetch_media` fetches them in a job);
:func:`opt_keyword` recognises STOP / START / HELP;
:func:`parse_status_callback` and :func:`is_forward` record delivery statuses
without ever stepping one backwards.

Out: :class:`SmsGateway` is what the outbox job is given: the real
:class:`TwilioSmsGateway` or, in the application's tests, the
:class:`RecordingSmsGateway` fake.

Signatures (:func:`verify_signature`) and segment counting
(:func:`count_segments`) live in their own modules and are re-exported here.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Protocol

from channels.email.charset import clean_text
from channels.errors import DeliveryError, ParseError, PermanentDeliveryError
from channels.message import (
    Attachment,
    Channel,
    DeliveryReceipt,
    InboundMessage,
    OutboundMessage,
    RemoteMedia,
)
from channels.sms_encoding import SegmentCount, SmsEncoding, count_segments
from channels.sms_gateway import TwilioSmsGateway, media_filename
from channels.twilio_signature import public_url, verify_signature
from channels.twilio_transport import is_permanent_error_code

__all__ = [
    "MAX_SID_LENGTH",
    "TWILIO_OPT_KEYWORDS",
    "MessageStatus",
    "OptKeyword",
    "RecordingSmsGateway",
    "SegmentCount",
    "SmsEncoding",
    "SmsGateway",
    "StatusUpdate",
    "TwilioSmsGateway",
    "count_segments",
    "is_forward",
    "media_filename",
    "opt_keyword",
    "parse_status_callback",
    "parse_webhook",
    "public_url",
    "verify_signature",
]

# --- incoming messages -------------------------------------------------------

#: Twilio's ids are 34 characters ("SM" and 32 hex digits): anything past
#: 64 is not one (and would not fit the call records' column).
MAX_SID_LENGTH = 64


def _field(form: Mapping[str, str], name: str) -> str:
    return (form.get(name) or "").strip()


def parse_webhook(form: Mapping[str, str]) -> InboundMessage:
    """The incoming SMS or MMS in Twilio's webhook form.

    ``external_id`` is the ``MessageSid`` (``SmsMessageSid`` on old
    webhooks), which makes Twilio's retries harmless; addresses stay E.164
    as Twilio gives them; ``Body`` is kept as sent but for what no text
    can hold (``clean_text``: NUL and the other control characters but
    tab and line breaks, a lone surrogate).
    """
    sid = _field(form, "MessageSid") or _field(form, "SmsMessageSid")
    if not sid:
        raise ParseError("SMS webhook has no MessageSid (nor SmsMessageSid)")
    if len(sid) > MAX_SID_LENGTH:
        raise ParseError(f"SMS webhook's MessageSid is {len(sid)} characters, not a Twilio id")
    sender = _field(form, "From")
    if not sender:
        raise ParseError(f"SMS webhook {sid} has no From number")
    return InboundMessage(
        channel=Channel.SMS,
        external_id=sid,
        sender_address=sender,
        recipient_address=_field(form, "To"),
        text=clean_text(form.get("Body") or ""),
        remote_media=_remote_media(form, sid),
    )


def _remote_media(form: Mapping[str, str], sid: str) -> tuple[RemoteMedia, ...]:
    raw = _field(form, "NumMedia") or "0"
    try:
        count = int(raw)
    except ValueError:
        raise ParseError(f"SMS webhook {sid} has NumMedia={raw!r}, not a number") from None
    if count < 0:
        raise ParseError(f"SMS webhook {sid} has NumMedia={count}")
    media = []
    for index in range(count):
        url = _field(form, f"MediaUrl{index}")
        if not url:
            raise ParseError(f"SMS webhook {sid} says NumMedia={count} but has no MediaUrl{index}")
        content_type = _field(form, f"MediaContentType{index}") or "application/octet-stream"
        media.append(RemoteMedia(url=url, content_type=content_type.lower()))
    return tuple(media)


# --- opt-out keywords --------------------------------------------------------


class OptKeyword(StrEnum):
    STOP = "stop"
    START = "start"
    HELP = "help"


#: Twilio's default keywords.  Only these are honoured, on purpose: Twilio
#: acts on exactly these itself (it blocks delivery to the number after a STOP
#: word, error 21610, and lifts the block after a START word), and our opt-out
#: flag must mirror that block.  A local-only "LOPETA" would mark a contact
#: opted out while Twilio still delivers and sends no confirmation, and a local
#: "ALOITA" would clear the flag while Twilio still refuses.  An applicant who
#: writes "lopeta" reaches an agent as a normal message, and the agent can
#: mark the opt-out by hand.  With Twilio Advanced Opt-Out configured on a
#: Messaging Service, pass its keyword table to :func:`opt_keyword` instead.
TWILIO_OPT_KEYWORDS: Mapping[str, OptKeyword] = MappingProxyType(
    {
        **dict.fromkeys(
            ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"], OptKeyword.STOP
        ),
        **dict.fromkeys(["START", "YES", "UNSTOP"], OptKeyword.START),
        **dict.fromkeys(["HELP", "INFO"], OptKeyword.HELP),
    }
)


def _is_trimmable(ch: str) -> bool:
    # Whitespace, punctuation, symbols (emoji) and invisible format characters.
    return unicodedata.category(ch)[0] in "PSZC"


def opt_keyword(
    body: str, keywords: Mapping[str, OptKeyword] = TWILIO_OPT_KEYWORDS
) -> OptKeyword | None:
    """The opt keyword ``body`` consists of, if any.

    The whole message must be the keyword: case, surrounding whitespace and
    surrounding punctuation do not matter (``"Stop."``, ``" stop! "``), but
    ``"stop sending these"`` is a message for an agent, not an opt-out.
    Trimming punctuation is a little more lenient than Twilio's own match; for
    STOP that errs towards sending less.  Should a "Start!" clear our flag
    while Twilio still blocks, the next send fails with 21610, a permanent
    error the application treats as opted out again.
    """
    text = unicodedata.normalize("NFKC", body)
    start, end = 0, len(text)
    while start < end and _is_trimmable(text[start]):
        start += 1
    while end > start and _is_trimmable(text[end - 1]):
        end -= 1
    return keywords.get(text[start:end].upper())


# --- delivery statuses -------------------------------------------------------


class MessageStatus(StrEnum):
    """Twilio's statuses of an outbound message."""

    ACCEPTED = "accepted"
    SCHEDULED = "scheduled"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNDELIVERED = "undelivered"
    CANCELED = "canceled"
    DELIVERED = "delivered"
    READ = "read"


#: Callbacks race each other, so a status may only move up this table.  The
#: terminal states are failed, undelivered, canceled, delivered and read, and
#: only two replacements between them are allowed: ``undelivered`` by
#: ``delivered`` (a late positive handset receipt beats an earlier carrier
#: failure report: the applicant did get the text) and ``delivered`` by
#: ``read``.  ``failed`` and ``canceled`` are never replaced: Twilio never
#: handed the message to a carrier.
_RANK: Mapping[str, int] = MappingProxyType(
    {
        MessageStatus.ACCEPTED: 0,
        MessageStatus.SCHEDULED: 0,
        MessageStatus.QUEUED: 1,
        MessageStatus.SENDING: 2,
        MessageStatus.SENT: 3,
        MessageStatus.FAILED: 4,
        MessageStatus.UNDELIVERED: 4,
        MessageStatus.CANCELED: 4,
        MessageStatus.DELIVERED: 5,
        MessageStatus.READ: 6,
    }
)
_NEVER_REPLACED = frozenset({MessageStatus.FAILED, MessageStatus.CANCELED, MessageStatus.READ})


def is_forward(old_status: str | None, new_status: str) -> bool:
    """Whether recording ``new_status`` over ``old_status`` moves forward.

    A repeated status is not forward (a duplicate callback changes nothing).
    An unknown new status is never recorded (the caller should log it); any
    known status replaces nothing or an unknown old one.
    """
    new = new_status.strip().lower()
    if new not in _RANK:
        return False
    old = (old_status or "").strip().lower()
    if old not in _RANK:
        return True
    if old in _NEVER_REPLACED:
        return False
    return _RANK[new] > _RANK[old]


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    """One delivery status callback.  ``status`` is lower case, as Twilio
    sends it; ``error_code`` is Twilio's code as text (``"30003"``)."""

    message_sid: str
    status: str
    error_code: str | None = None
    error_message: str | None = None

    @property
    def is_permanent_failure(self) -> bool:
        """Whether the error code says retrying will never deliver it."""
        return is_permanent_error_code(self.error_code)


def parse_status_callback(form: Mapping[str, str]) -> StatusUpdate:
    """The status callback Twilio posts to ``StatusCallback``."""
    sid = _field(form, "MessageSid") or _field(form, "SmsSid")
    if not sid:
        raise ParseError("status callback has no MessageSid")
    status = (_field(form, "MessageStatus") or _field(form, "SmsStatus")).lower()
    if not status:
        raise ParseError(f"status callback for {sid} has no MessageStatus")
    return StatusUpdate(
        message_sid=sid,
        status=status,
        error_code=_field(form, "ErrorCode") or None,
        error_message=_field(form, "ErrorMessage") or None,
    )


# --- gateways ----------------------------------------------------------------


class SmsGateway(Protocol):
    """What the outbox and media jobs need from an SMS provider."""

    def send(self, message: OutboundMessage) -> DeliveryReceipt:
        """Hand ``message`` to the provider; raise a ``DeliveryError`` subclass."""
        ...  # pragma: no cover - protocol

    def fetch_media(self, url: str) -> Attachment:
        """Download media the provider holds for an incoming MMS."""
        ...  # pragma: no cover - protocol


class RecordingSmsGateway:
    """A fake :class:`SmsGateway` for the application's tests: pass it in.

    ``attempts`` holds every message given to :meth:`send`, ``sent`` those
    that were accepted.  :meth:`fail_next` makes the next sends raise the
    given error; :meth:`add_media` provides what :meth:`fetch_media` returns.
    """

    def __init__(self) -> None:
        self.attempts: list[OutboundMessage] = []
        self.sent: list[OutboundMessage] = []
        self.receipts: list[DeliveryReceipt] = []
        self.fetched: list[str] = []
        self._media: dict[str, Attachment] = {}
        self._failures: list[DeliveryError] = []
        self._lock = threading.Lock()

    def fail_next(self, error: DeliveryError, *, times: int = 1) -> None:
        """Make the next ``times`` sends raise ``error``."""
        with self._lock:
            self._failures.extend([error] * times)

    def add_media(self, url: str, attachment: Attachment) -> None:
        with self._lock:
            self._media[url] = attachment

    def send(self, message: OutboundMessage) -> DeliveryReceipt:
        with self._lock:
            self.attempts.append(message)
            if self._failures:
                raise self._failures.pop(0)
            self.sent.append(message)
            receipt = DeliveryReceipt(provider_id=f"SM{len(self.sent):032x}", status="queued")
            self.receipts.append(receipt)
            return receipt

    def fetch_media(self, url: str) -> Attachment:
        with self._lock:
            self.fetched.append(url)
            try:
                return self._media[url]
            except KeyError:
                raise PermanentDeliveryError(f"no media at {url}", code="20404") from None
