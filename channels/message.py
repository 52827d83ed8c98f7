"""Values that cross the boundary between the outside world and the desk.

Every channel adapter turns what it receives (raw mail bytes, a Twilio
webhook form, a web form post) into one frozen :class:`InboundMessage`, and
delivers one frozen :class:`OutboundMessage`.  Nothing here knows about
tickets, queues or the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    PHONE = "phone"
    WEB = "web"
    API = "api"


class AutoKind(StrEnum):
    """What kind of machine wrote an inbound message, if any (RFC 3834 and practice)."""

    NONE = "none"
    AUTO_REPLY = "auto_reply"
    OUT_OF_OFFICE = "out_of_office"
    BULK = "bulk"
    BOUNCE = "bounce"


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes
    content_id: str | None = None
    is_inline: bool = False


@dataclass(frozen=True, slots=True)
class RemoteMedia:
    """Media the provider holds (an MMS image); fetched later by a job."""

    url: str
    content_type: str


@dataclass(frozen=True, slots=True)
class Hints:
    """What a structured channel (form, API, IVR) was told directly by the sender."""

    audience: str | None = None
    language: str | None = None
    municipality: str | None = None
    institution: str | None = None
    topic: str | None = None
    region: str | None = None


@dataclass(frozen=True, slots=True)
class CallDetails:
    call_sid: str
    language: str | None = None
    municipality_heard: str | None = None
    duration_seconds: int | None = None
    outcome: str = "missed"
    answered_by: str | None = None
    recording_url: str | None = None


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """One contact from outside, as the channel understood it.

    ``external_id`` is the channel's own id (Message-ID, MessageSid, CallSid,
    form submission id) and is what makes a retry harmless.  A form or the
    API may give both an email address (``sender_address``) and a phone
    number (``sender_phone``).  ``text`` is the
    whole plain text, quoted history included; ``html`` is already sanitised.
    """

    channel: Channel
    external_id: str
    sender_address: str
    sender_name: str = ""
    sender_phone: str = ""
    recipient_address: str = ""
    subject: str = ""
    text: str = ""
    html: str | None = None
    sent_at: datetime | None = None
    attachments: tuple[Attachment, ...] = ()
    remote_media: tuple[RemoteMedia, ...] = ()
    references: tuple[str, ...] = ()
    auto_kind: AutoKind = AutoKind.NONE
    bounced_message_ids: tuple[str, ...] = ()
    hints: Hints = field(default_factory=Hints)
    call: CallDetails | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """One message to deliver.  ``message_id`` is chosen before sending so a
    retry re-sends the same mail and replies thread onto it."""

    channel: Channel
    to_address: str
    from_address: str
    subject: str = ""
    text: str = ""
    html: str | None = None
    to_name: str = ""
    from_name: str = ""
    message_id: str | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    is_automatic: bool = False
    language: str = "fi"
    attachments: tuple[Attachment, ...] = ()
    status_callback: str | None = None


@dataclass(frozen=True, slots=True)
class DeliveryReceipt:
    """What the provider said when it accepted a message."""

    provider_id: str | None
    status: str = "sent"
