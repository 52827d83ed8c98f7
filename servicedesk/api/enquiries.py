"""POST /api/v1/enquiries: an enquiry from an integration, through the same
intake pipeline as every channel, answered with the ticket and the reasons
for its routing."""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

from flask import g, request

from channels.email import InvalidAddressError
from channels.email.compose import validate_address
from channels.message import Channel, Hints, InboundMessage
from servicedesk import places
from servicedesk.api import api, json_body, ok
from servicedesk.api.serialize import enquiry_result
from servicedesk.errors import KeyReusedError, ValidationError
from servicedesk.intake import pipeline
from servicedesk.intake.filters import normalise_email, normalise_phone
from servicedesk.masking import IDENTITY_CODE
from servicedesk.models import IntakeRecord, Ticket
from servicedesk.web import db, runtime

logger = logging.getLogger(__name__)

FIELDS = {
    "audience",
    "channel",
    "name",
    "email",
    "phone",
    "municipality",
    "institution",
    "language",
    "subject",
    "body",
}
LIMITS = {
    "name": 200,
    "email": 254,
    "phone": 40,
    "municipality": 100,
    "institution": 200,
    "subject": 500,
    "body": 100_000,
}
CHANNELS = {"api", "web", "email", "sms", "phone"}
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")


def _text(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{name} must be a string", field=name)
    value = value.strip()
    if len(value) > LIMITS[name]:
        raise ValidationError(f"{name} is longer than {LIMITS[name]} characters", field=name)
    return value or None


def _choice(data: dict[str, Any], name: str, allowed: set[str] | tuple[str, ...]) -> str | None:
    value = _text(data, name) if name in LIMITS else data.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or value not in allowed:
        raise ValidationError(f"{name} must be one of: {', '.join(sorted(allowed))}", field=name)
    return value


def parse_enquiry(data: dict[str, Any]) -> InboundMessage:
    unknown = sorted(set(data) - FIELDS)
    if unknown:
        raise ValidationError(f"unknown field: {unknown[0]}", field=unknown[0])
    audience = _choice(data, "audience", {"applicant", "staff"}) or "applicant"
    channel = _choice(data, "channel", CHANNELS) or "api"
    language = _choice(data, "language", ("fi", "sv", "en"))
    body = _text(data, "body")
    if body is None:
        raise ValidationError("body is required", field="body")
    email = _text(data, "email")
    if email is not None and normalise_email(email) is None:
        raise ValidationError("email is not an email address", field="email")
    if email is not None:
        try:
            validate_address(email)  # what the desk's mail can be sent to
        except InvalidAddressError:
            raise ValidationError(
                "email cannot receive the desk's answers (plain ASCII before the @)",
                field="email",
            ) from None
    phone = _text(data, "phone")
    if phone is not None and normalise_phone(phone) is None:
        raise ValidationError("phone is not a phone number", field="phone")
    if audience == "staff" and email is None:
        raise ValidationError("a staff enquiry needs the sender's institution email", field="email")
    session = db()
    municipality = _text(data, "municipality")
    if municipality is not None and places.municipality_code(session, municipality) is None:
        raise ValidationError(f"unknown municipality: {municipality}", field="municipality")
    institution = _text(data, "institution")
    if institution is not None and places.organization_id(session, institution) is None:
        raise ValidationError(f"unknown institution: {institution}", field="institution")
    key = request.headers.get("Idempotency-Key", "").strip()
    if key and not IDEMPOTENCY_KEY.match(key):
        raise ValidationError(
            "Idempotency-Key must be 8–128 letters, digits or . _ : -", field="Idempotency-Key"
        )
    if IDENTITY_CODE.search(key):
        # The key is kept as sent, to recognise the request when it comes again.
        raise ValidationError(
            "Idempotency-Key must not hold a personal identity code: use a random key (a UUID)",
            field="Idempotency-Key",
        )
    return InboundMessage(
        channel=Channel(channel),
        # A key is the integration's own: two tokens sending the same key
        # are two enquiries, and neither sees the other's ticket.
        external_id=f"api:{g.api_token.id}:{key}" if key else f"api:{uuid.uuid4()}",
        sender_address=(email or "").lower() if email else (phone or ""),
        sender_phone=phone or "",
        sender_name=_text(data, "name") or "",
        subject=_text(data, "subject") or "",
        text=body,
        hints=Hints(
            audience=audience, language=language, municipality=municipality, institution=institution
        ),
    )


def received(record_id: int) -> Any:
    """202: kept, its ticket not made yet; the desk's sweeper retries it."""
    return ok(
        {
            "received": {"id": record_id, "status": "received"},
            "message": "The enquiry is stored and becomes a ticket shortly; do not send it again. "
            "Sent with an Idempotency-Key, the same request answers with the ticket once made.",
        },
        202,
    )


@api.post("/enquiries")
def create_enquiry() -> Any:
    message = parse_enquiry(json_body())
    # The pipeline writes in its own transactions: the request's session
    # ends what it read first (on SQLite an open transaction holds the
    # only write lock, and the pipeline would wait for it).
    db().commit()
    rt = runtime()
    raw = pipeline.encode_inbound(message)
    record_id, is_new = pipeline.receive(
        rt, channel=message.channel.value, raw=raw, external_id=message.external_id, source="api"
    )
    if not is_new and not pipeline.is_stored_as_sent(rt, record_id, raw):
        # Answering with the first enquiry's ticket would lose this one.
        raise KeyReusedError(
            "this Idempotency-Key came before with a different enquiry: "
            "send a new enquiry with a new key",
            field="Idempotency-Key",
        )
    # From here on the enquiry is the desk's: whatever fails, the sweeper
    # makes the ticket.  An error answer would tell the integration to send
    # it again - a second ticket - so a failure is answered 202.
    try:
        if (is_new or pipeline.is_waiting(rt, record_id)) and not pipeline.process_or_queue(
            rt, record_id
        ):
            return received(record_id)  # the desk is busy: the workers make the ticket
        session = db()
        record = session.get(IntakeRecord, record_id, populate_existing=True)
        if record is not None and record.ticket_id is not None:
            ticket = session.get_one(Ticket, record.ticket_id)
            return ok(enquiry_result(session, ticket), 201 if is_new else 200)
    except Exception:
        logger.exception("API enquiry %s stored but not made a ticket yet", record_id)
        return received(record_id)
    if record is None or record.status == "received":
        return received(record_id)
    raise ValidationError(f"the enquiry was not accepted: {record.error}")
