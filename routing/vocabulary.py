"""The closed vocabularies of routing: audiences, organisation kinds,
languages, topics, priorities, rule keys and the names of decision steps.

Every value is a ``StrEnum``, so it compares equal to the plain string the
YAML, the database and the JSON API use (``Topic.FUNDING == "funding"``).
"""

from __future__ import annotations

from enum import StrEnum


class Audience(StrEnum):
    APPLICANT = "applicant"
    STAFF = "staff"


class Kind(StrEnum):
    """What an organisation is; decides its place in the default chain."""

    NATIONAL_DESK = "national_desk"
    REGIONAL_DESK = "regional_desk"
    INSTITUTION = "institution"
    APPRENTICESHIP_OFFICE = "apprenticeship_office"
    STAFF_HELPDESK = "staff_helpdesk"


# Organisations that take a topic for their whole region (chain step 3).
SPECIALISED_KINDS = frozenset({Kind.APPRENTICESHIP_OFFICE})

# Organisations an applicant can name in the text (chain step 2).
NAMEABLE_KINDS = frozenset({Kind.INSTITUTION, Kind.APPRENTICESHIP_OFFICE})


class Language(StrEnum):
    FI = "fi"
    SV = "sv"
    EN = "en"


class Topic(StrEnum):
    """Topic ids as DESIGN.md lists them; the order is the tie-break order
    of the classifier (the more specific a topic, the earlier)."""

    APPRENTICESHIP = "apprenticeship"
    LABOUR_MARKET_TRAINING = "labour_market_training"
    COMPETENCE_QUALIFICATION = "competence_qualification"
    RECOGNITION = "recognition"
    FUNDING = "funding"
    RESULTS = "results"
    APPLICATION = "application"
    SUITABILITY = "suitability"
    LANGUAGE_MATH = "language_math"
    IT_SKILLS = "it_skills"
    STUDY_MODES = "study_modes"
    DURATION = "duration"
    CONTENT = "content"
    TECHNICAL = "technical"
    OTHER = "other"


TOPICS: tuple[str, ...] = tuple(t.value for t in Topic)
LANGUAGES: tuple[str, ...] = tuple(lang.value for lang in Language)


class Priority(StrEnum):
    NORMAL = "normal"
    HIGH = "high"
    LOW = "low"


class RuleKey(StrEnum):
    """The keys a rule's ``when`` may test."""

    AUDIENCE = "audience"
    REGION = "region"
    TOPIC = "topic"
    LANGUAGE = "language"
    CHANNEL = "channel"
    INSTITUTION = "institution"
    MUNICIPALITY = "municipality"


class Step(StrEnum):
    """The ``step`` of a reason: which part of the decision it explains."""

    INPUT = "input"
    LANGUAGE = "language"
    TOPIC = "topic"
    PLACE = "place"
    INSTITUTION = "institution"
    REGION = "region"
    RULE = "rule"
    CHAIN = "chain"
    QUEUE = "queue"
    PRIORITY = "priority"
    ASSIGNMENT = "assignment"


# The values that fill a reason's sentence, by name, in order.
Params = tuple[tuple[str, str], ...]

# A reason before it becomes a ``Reason``: which step, its code (one of
# ``routing.codes.CODES``), the values that fill it, and the English sentence.
Note = tuple[str, str, Params, str]
