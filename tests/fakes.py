"""Fakes passed into the code under test in place of outside providers."""

from __future__ import annotations

import threading

from channels.errors import DeliveryError
from channels.message import DeliveryReceipt, OutboundMessage


class RecordingMailSender:
    """Keeps every message it is asked to send; can be told to fail."""

    def __init__(self) -> None:
        self.sent: list[OutboundMessage] = []
        self.failure: DeliveryError | None = None
        #: Address -> what sending to it raises (any exception).
        self.broken: dict[str, Exception] = {}
        self.lock = threading.Lock()

    def send(self, message: OutboundMessage) -> DeliveryReceipt:
        with self.lock:
            if self.failure is not None:
                raise self.failure
            if message.to_address in self.broken:
                raise self.broken[message.to_address]
            self.sent.append(message)
        return DeliveryReceipt(provider_id=message.message_id, status="sent")

    def to(self, address: str) -> list[OutboundMessage]:
        return [m for m in self.sent if m.to_address == address]
