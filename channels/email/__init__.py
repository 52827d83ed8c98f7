"""The email channel: raw mail in (IMAP, files), composed mail out (SMTP).

``parse(raw)`` turns RFC 5322 bytes into an ``InboundMessage``;
``split_quoted(text)`` folds quoted history for display; ``compose(message)``
builds the bytes of an ``OutboundMessage``; ``SmtpSender``/``LogMailSender``
deliver them; ``ImapMailbox`` reads a mailbox folder by UID.
"""

from __future__ import annotations

from channels.email.compose import (
    ComposeError,
    InvalidAddressError,
    compose,
    make_message_id,
    with_message_id,
)
from channels.email.imap import (
    IDLE_CHECK_SECONDS,
    IDLE_RENEW_SECONDS,
    ImapAuthenticationError,
    ImapConnectionError,
    ImapError,
    ImapMailbox,
    ImapSettings,
)
from channels.email.parser import has_own_message_id, parse
from channels.email.quote import split_quoted
from channels.email.smtp import LogMailSender, MailSender, SmtpSender

__all__ = [
    "IDLE_CHECK_SECONDS",
    "IDLE_RENEW_SECONDS",
    "ComposeError",
    "ImapAuthenticationError",
    "ImapConnectionError",
    "ImapError",
    "ImapMailbox",
    "ImapSettings",
    "InvalidAddressError",
    "LogMailSender",
    "MailSender",
    "SmtpSender",
    "compose",
    "has_own_message_id",
    "make_message_id",
    "parse",
    "split_quoted",
    "with_message_id",
]
