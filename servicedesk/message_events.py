"""The automatic messages there are (the events), the variables each may
use, and the sample values the template editor validates and previews
with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from servicedesk.errors import ValidationError

REGIONAL_PART = "regional_part"


@dataclass(frozen=True, slots=True)
class Event:
    """An automatic message: what it is for, and the variables it may use."""

    name: str
    label: str
    variables: frozenset[str]
    has_sms: bool = True


_CONTACT = frozenset({"number", "name", "status_url", "desk"})
# The survey's page, and one link per answer (it opens with that answer
# chosen, to be confirmed with one press); all "" when the answer is final.
SURVEY_LINKS = frozenset({"survey_url", "survey_yes_url", "survey_partly_url", "survey_no_url"})
EVENTS: dict[str, Event] = {
    e.name: e
    for e in (
        Event(
            "ticket_received",
            "Ticket received (applicant desk)",
            frozenset({"number", "name", "status_url", "organization"}),
        ),
        Event(
            "staff_ticket_received",
            "Ticket received (staff desk)",
            frozenset({"number", "name", "status_url", "organization"}),
        ),
        Event("ticket_forwarded", "Forwarded to an institution", _CONTACT | {"organization"}),
        Event("reply", "Answer sent", frozenset({"subject", "number", "body", "status_url"})),
        Event("pending_reminder", "Waiting for your reply (reminder)", _CONTACT | {"days"}),
        Event("resolved", "Resolved (with the survey link)", _CONTACT | SURVEY_LINKS),
        Event("closed_automatically", "Closed automatically", _CONTACT | {"days"}),
        Event(
            "ticket_routed",
            "New ticket for an institution (to its experts)",
            frozenset(
                {
                    "number",
                    "queue",
                    "organization",
                    "subject",
                    "channel",
                    "region",
                    "reasons",
                    "body",
                    "console_url",
                }
            ),
            has_sms=False,
        ),
    )
}
# SMS replies carry the agent's words alone.
SMS_VARIABLES = {"reply": frozenset({"body"})}

SAMPLE_CONTEXT: dict[str, Any] = {
    "number": "2026-001234",
    "name": "Aino Virtanen",
    "status_url": "https://neuvonta.example.fi/status/" + "x" * 32,
    "survey_url": "https://neuvonta.example.fi/survey/" + "y" * 32,
    "survey_yes_url": "https://neuvonta.example.fi/survey/" + "y" * 32 + "?score=3",
    "survey_partly_url": "https://neuvonta.example.fi/survey/" + "y" * 32 + "?score=2",
    "survey_no_url": "https://neuvonta.example.fi/survey/" + "y" * 32 + "?score=1",
    "organization": "Oulun seudun ammattiopisto",
    "desk": "applicant",
    "days": 7,
    "subject": "Re: Haun aikataulu",
    "body": "Yhteishaku alkaa maaliskuussa. Hakuaika päättyy 1.4. klo 15.",
    "queue": "OSAO: hakijat",
    "channel": "email",
    "region": "Pohjois-Pohjanmaa",
    "reasons": ["the applicant named OSAO"],
    "console_url": "https://neuvonta.example.fi/console/tickets/2026-001234",
}


def allowed_variables(event: str, *, sms: bool = False) -> frozenset[str]:
    spec = event_spec(event)
    names = SMS_VARIABLES.get(event, spec.variables) if sms else spec.variables
    return names | {REGIONAL_PART}


def event_spec(event: str) -> Event:
    spec = EVENTS.get(event)
    if spec is None:
        raise ValidationError(f"unknown message event {event!r}", field="event")
    return spec
