"""Building the RFC 5322 bytes of an outbound mail.

:func:`compose` turns an :class:`~channels.message.OutboundMessage` into a
7-bit-clean mail (``policy.SMTP``): From with the desk's name, To, Subject,
Date, the Message-ID chosen before sending, In-Reply-To and References for
threading, ``Auto-Submitted: auto-replied`` on automatic mail, text and HTML
alternatives, attachments (inline ``cid:`` images beside the HTML), and
Content-Language.

Header injection is impossible by construction: control characters in
subjects and display names are replaced by spaces, addresses are validated
and rejected with :class:`InvalidAddressError`, and message ids that are not
plain ``local@domain`` tokens are left out of threading headers.

Message ids are handled without angle brackets everywhere in the desk (as the
parser returns them); this module adds the brackets.
"""

from __future__ import annotations

import dataclasses
import re
import secrets
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart
from email.utils import format_datetime

from channels.email.policies import OUTGOING
from channels.message import Attachment, OutboundMessage

MAX_REFERENCES = 20

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_LOCAL_PART = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
_ID_TOKEN = re.compile(r"[!-;=?-~]{1,250}@[!-;=?-~]{1,250}")
_LANGUAGE = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")


class ComposeError(ValueError):
    """A message that must not be sent as it is."""


class InvalidAddressError(ComposeError):
    """An address that is not a plain ``local@domain`` (or tries to smuggle headers)."""


def make_message_id(domain: str) -> str:
    """A fresh, globally unique Message-ID for ``domain``, without angle brackets."""
    host = _domain(domain)
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    return f"{stamp}.{secrets.token_hex(12)}@{host}"


def with_message_id(message: OutboundMessage) -> OutboundMessage:
    """The message with its Message-ID set, made from the From domain if it had none."""
    if message.message_id:
        return message
    domain = validate_address(message.from_address).rpartition("@")[2]
    return dataclasses.replace(message, message_id=make_message_id(domain))


def validate_address(address: str) -> str:
    """The address, normalised (IDNA domain), or :class:`InvalidAddressError`."""
    if not isinstance(address, str) or _CONTROL.search(address):
        raise InvalidAddressError("address contains control characters")
    local, at, domain = address.strip().rpartition("@")
    if not at or not _LOCAL_PART.fullmatch(local) or len(local) > 64:
        raise InvalidAddressError(f"not a valid mail address: {address!r}")
    return f"{local}@{_domain(domain)}"


def neutralise(value: str) -> str:
    """A header text with line breaks and other control characters made spaces."""
    return " ".join(_CONTROL.sub(" ", value).split())


def compose(message: OutboundMessage) -> bytes:
    """The mail as bytes ready for SMTP ``DATA``.  Raises :class:`ComposeError`."""
    message = with_message_id(message)
    mail = EmailMessage(policy=OUTGOING)
    mail["From"] = _mailbox(message.from_name, message.from_address)
    mail["To"] = _mailbox(message.to_name, message.to_address)
    mail["Subject"] = neutralise(message.subject)
    mail["Date"] = format_datetime(datetime.now(UTC))
    mail["Message-ID"] = f"<{_message_id(message.message_id or '')}>"
    references = _references(message)
    if message.in_reply_to and _is_id(message.in_reply_to):
        mail["In-Reply-To"] = f"<{_bare(message.in_reply_to)}>"
    if references:
        mail["References"] = " ".join(f"<{ref}>" for ref in references)
    if message.is_automatic:
        mail["Auto-Submitted"] = "auto-replied"
        mail["X-Auto-Response-Suppress"] = "All"
    mail.set_content(message.text or "", subtype="plain", charset="utf-8")
    if message.html:
        mail.add_alternative(message.html, subtype="html", charset="utf-8")
        html_part = list(mail.iter_parts())[-1]
        for attachment in message.attachments:
            if attachment.is_inline and attachment.content_id:
                _add(html_part, attachment, related=True)
    for attachment in message.attachments:
        if not (message.html and attachment.is_inline and attachment.content_id):
            _add(mail, attachment, related=False)
    language = message.language.strip()
    if _LANGUAGE.fullmatch(language):
        # after the content: set_content() clears every Content-* header
        mail["Content-Language"] = language
    try:
        return mail.as_bytes(policy=OUTGOING)
    except (ValueError, TypeError) as exc:  # HeaderWriteError is a ValueError
        raise ComposeError(f"cannot serialise message: {exc}") from exc


def _mailbox(name: str, address: str) -> Address:
    local, _at, domain = validate_address(address).rpartition("@")
    return Address(display_name=neutralise(name), username=local, domain=domain)


def _domain(domain: str) -> str:
    domain = domain.strip().rstrip(".")
    if not domain or _CONTROL.search(domain):
        raise InvalidAddressError(f"not a valid domain: {domain!r}")
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise InvalidAddressError(f"not a valid domain: {domain!r}") from exc
    labels = ascii_domain.split(".")
    if len(ascii_domain) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise InvalidAddressError(f"not a valid domain: {domain!r}")
    return ascii_domain.lower()


def _bare(message_id: str) -> str:
    return message_id.strip().removeprefix("<").removesuffix(">")


def _is_id(message_id: str) -> bool:
    return bool(_ID_TOKEN.fullmatch(_bare(message_id)))


def _message_id(message_id: str) -> str:
    if not _is_id(message_id):
        raise ComposeError(f"not a valid Message-ID: {message_id!r}")
    return _bare(message_id)


def _references(message: OutboundMessage) -> list[str]:
    ids = [_bare(ref) for ref in message.references if _is_id(ref)]
    if message.in_reply_to and _is_id(message.in_reply_to):
        ids.append(_bare(message.in_reply_to))
    unique = list(dict.fromkeys(ids))
    if len(unique) > MAX_REFERENCES:
        # RFC 5322: keep the thread's first message and the most recent ones
        unique = unique[:1] + unique[-(MAX_REFERENCES - 1) :]
    return unique


def _add(target: MIMEPart, attachment: Attachment, *, related: bool) -> None:
    maintype, _slash, subtype = attachment.content_type.lower().partition("/")
    if not maintype or not subtype or _CONTROL.search(attachment.content_type):
        maintype, subtype = "application", "octet-stream"
    filename = neutralise(attachment.filename).replace("/", "_").replace("\\", "_") or "attachment"
    cid = neutralise(attachment.content_id or "").strip("<>")
    if related:
        target.add_related(
            attachment.data,
            maintype,
            subtype,
            cid=f"<{cid}>",
            filename=filename,
            disposition="inline",
        )
    else:
        target.add_attachment(
            attachment.data,
            maintype,
            subtype,
            filename=filename,
            disposition="inline" if attachment.is_inline else "attachment",
            cid=f"<{cid}>" if cid else None,
        )
