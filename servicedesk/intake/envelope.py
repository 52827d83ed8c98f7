"""The value that travels through the intake filters, and the read-only
lookups the filters may use.  Filters never write; ``apply`` does."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from channels.message import InboundMessage
from routing import Candidate, Directory, RoutingDecision


@dataclass(frozen=True, slots=True)
class TicketRef:
    """What the filters need to know about an existing ticket."""

    id: int
    number: str
    status: str
    audience: str
    contact_id: int | None
    organization_id: str | None
    queue_id: str | None
    region: str | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class UserRef:
    id: int
    role: str
    organization_id: str | None


@dataclass(frozen=True, slots=True)
class ContactRef:
    id: int
    region: str | None
    municipality: str | None
    staff_organization_id: str | None
    language: str | None


class Lookups(Protocol):
    """Everything the filters may read.  ``SqlLookups`` implements it on a
    session; tests of single filters pass a small fake."""

    def directory(self) -> Directory: ...

    def desk_audience(self, channel: str, recipient: str) -> str | None: ...

    def own_message_domain(self) -> str: ...

    def has_message(self, channel: str, external_id: str) -> bool: ...

    def fingerprint_of(self, channel: str, external_id: str) -> str | None: ...

    def contact_by_identity(self, kind: str, value: str) -> ContactRef | None: ...

    def user_by_email(self, email: str) -> UserRef | None: ...

    def ticket_by_number(self, number: str) -> TicketRef | None: ...

    def ticket_by_email_message_id(self, message_ids: Sequence[str]) -> TicketRef | None: ...

    def was_sent_to(self, ticket_id: int, address: str, message_ids: Sequence[str]) -> bool:
        """Whether one of ``message_ids`` is the Message-ID of a mail we sent
        on the ticket to ``address``."""
        ...

    def latest_ticket_of_contact(
        self, contact_id: int, *, audience: str | None = None
    ) -> TicketRef | None:
        """The contact's latest unmerged ticket (of ``audience``'s desk, if given)."""
        ...

    def previous_region(self, contact_id: int) -> str | None: ...

    def ticket_by_call_sid(self, call_sid: str) -> TicketRef | None: ...

    def assignment_candidates(self, queue_id: str) -> Sequence[Candidate]: ...

    def sms_thread_days(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Envelope:
    message: InboundMessage
    received_at: datetime
    intake_record_id: int | None = None
    audience: str = "applicant"
    sender_kind: str | None = None
    sender: str | None = None
    contact: ContactRef | None = None
    stop_reason: str | None = None
    fingerprint: str = ""
    message_key: str | None = None  # the channel id to store, when it differs from the message's
    # "stop" or "start": an SMS that was only Twilio's opt keyword.
    sms_opt: str | None = None
    ticket: TicketRef | None = None
    follow_up_of: TicketRef | None = None
    thread_reason: str = ""
    masked_codes: int = 0
    suppress_auto_replies: bool = False
    loop_reasons: tuple[str, ...] = ()
    keeps_status: bool = False
    author: UserRef | None = None
    needs_review: bool = False
    decision: RoutingDecision | None = None
    assignee_id: int | None = None
    assignment_reason: str = ""
    notes: tuple[str, ...] = field(default=())

    @property
    def is_stopped(self) -> bool:
        return self.stop_reason is not None

    @property
    def is_new_ticket(self) -> bool:
        return self.ticket is None
