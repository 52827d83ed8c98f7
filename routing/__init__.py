"""The routing engine: where an enquiry goes, and why.

Pure: the standard library only, the directory and the time passed in.

- ``build_directory(regions, municipalities, postcodes, aliases,
  organizations, queues, experts, rules) -> Directory`` indexes the
  directory once (records in ``routing.records``).
- ``decide(request, directory, now) -> RoutingDecision`` routes one
  enquiry, with ordered ``Reason`` sentences; total and deterministic.
  Each reason also has a code (``CODES``) and the values that fill it,
  for a console that explains in another language.
- ``choose_assignee(queue_id, topic, language, candidates) -> AssigneeChoice``
  picks a person within a queue.
- ``OpeningHours``, ``is_open``, ``add_business_hours`` and
  ``business_hours_between`` count response times in business hours.

Modules: ``vocabulary`` (the enums), ``records`` (directory values),
``directory`` (indexes), ``declension`` and ``lexicon`` (names in every
form), ``text`` and ``reading`` (one pass over an enquiry), ``language``,
``topic``, ``place``, ``chain`` (rules and the default chain),
``decision``, ``codes`` (the codes of reasons), ``assignment``, ``hours``.
"""

from __future__ import annotations

from routing.assignment import AssigneeChoice, Candidate, choose_assignee
from routing.codes import CLAUSES, CODES
from routing.decision import Reason, RoutingDecision, RoutingRequest, decide
from routing.directory import Directory, build_directory
from routing.hours import (
    DEFAULT_OPENING_HOURS,
    OpeningHours,
    add_business_hours,
    business_hours_between,
    is_open,
)
from routing.language import parse_language
from routing.records import (
    Condition,
    Expert,
    Municipality,
    Names,
    Organization,
    Queue,
    Region,
    Rule,
)
from routing.vocabulary import (
    LANGUAGES,
    TOPICS,
    Audience,
    Kind,
    Language,
    Priority,
    RuleKey,
    Step,
    Topic,
)

__all__ = [
    "CLAUSES",
    "CODES",
    "DEFAULT_OPENING_HOURS",
    "LANGUAGES",
    "TOPICS",
    "AssigneeChoice",
    "Audience",
    "Candidate",
    "Condition",
    "Directory",
    "Expert",
    "Kind",
    "Language",
    "Municipality",
    "Names",
    "OpeningHours",
    "Organization",
    "Priority",
    "Queue",
    "Reason",
    "Region",
    "RoutingDecision",
    "RoutingRequest",
    "Rule",
    "RuleKey",
    "Step",
    "Topic",
    "add_business_hours",
    "build_directory",
    "business_hours_between",
    "choose_assignee",
    "decide",
    "is_open",
    "parse_language",
]
