"""Exceptions raised by the channel adapters.

ChannelError
├── SignatureError          a webhook's signature did not verify
├── ParseError              input that cannot be understood at all
└── DeliveryError           sending failed
    ├── TemporaryDeliveryError   worth retrying (network, 5xx, 4xx SMTP)
    └── PermanentDeliveryError   never worth retrying (opted out, invalid number, 5xx SMTP)
"""

from __future__ import annotations


class ChannelError(Exception):
    """Base of every error a channel adapter raises."""


class SignatureError(ChannelError):
    pass


class ParseError(ChannelError):
    pass


class DeliveryError(ChannelError):
    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class TemporaryDeliveryError(DeliveryError):
    pass


class PermanentDeliveryError(DeliveryError):
    pass
