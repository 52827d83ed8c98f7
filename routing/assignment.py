"""Assignment within a queue: who of the people working it gets the ticket.

Only available members of the queue are considered.  Someone who lists both
the ticket's language and its topic is preferred, then someone with the
language, then someone with the topic (an empty list means "any"); among
equals the fewest open tickets wins, and then the order the candidates were
given in, so the choice is stable.  Nobody available: the ticket stays
unassigned in the queue, and the reason says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Candidate:
    user_id: str
    queue_ids: tuple[str, ...]
    topics: tuple[str, ...] = ()  # empty: any topic
    languages: tuple[str, ...] = ()  # empty: any language
    open_tickets: int = 0
    available: bool = True


@dataclass(frozen=True, slots=True)
class AssigneeChoice:
    user_id: str | None
    reason: str


def choose_assignee(
    queue_id: str, topic: str, language: str, candidates: Sequence[Candidate]
) -> AssigneeChoice:
    members = [c for c in candidates if queue_id in c.queue_ids]
    if not members:
        return AssigneeChoice(None, f"Unassigned: nobody works queue {queue_id}.")
    present = [c for c in members if c.available]
    if not present:
        return AssigneeChoice(
            None, f"Unassigned: none of the {len(members)} people in queue {queue_id} is available."
        )

    def fit(c: Candidate) -> tuple[bool, bool]:
        speaks = not c.languages or language in c.languages
        knows = not c.topics or topic in c.topics
        return speaks, knows

    best = min(
        range(len(present)),
        key=lambda i: (
            fit(present[i]) != (True, True),
            not fit(present[i])[0],
            not fit(present[i])[1],
            present[i].open_tickets,
            i,
        ),
    )
    chosen = present[best]
    speaks, knows = fit(chosen)
    if speaks and knows:
        how = f"handles language {language} and topic {topic}"
    elif speaks:
        how = f"handles language {language} (nobody available handles both it and topic {topic})"
    elif knows:
        how = f"handles topic {topic} (nobody available handles language {language})"
    else:
        how = f"is available (nobody available handles language {language} or topic {topic})"
    equals = sum(1 for c in present if fit(c) == (speaks, knows))
    return AssigneeChoice(
        chosen.user_id,
        f"Assigned to {chosen.user_id}: {how}, with {chosen.open_tickets} open tickets, the "
        f"fewest of the {equals} who fit as well ({len(present)} available in queue {queue_id}).",
    )
