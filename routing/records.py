"""The directory's records: regions, municipalities, organisations, queues,
experts and rules as plain frozen values.

They are what the application hands to ``routing.build_directory``, from
YAML (``servicedesk.directory_source``) or database rows; the string fields
that name a vocabulary (``kind``, ``audience``, ``topics``...) accept the
plain strings too and are normalised to the enums when the directory is
built.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from routing.hours import DEFAULT_OPENING_HOURS, OpeningHours
from routing.vocabulary import Audience, Kind, Language, Priority, RuleKey, Topic


@dataclass(frozen=True, slots=True)
class Names:
    fi: str
    sv: str = ""
    en: str = ""

    def pick(self, language: str) -> str:
        chosen = {"fi": self.fi, "sv": self.sv, "en": self.en}.get(language, "")
        return chosen or self.en or self.fi


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    name_fi: str
    name_sv: str


@dataclass(frozen=True, slots=True)
class Municipality:
    code: str
    name_fi: str
    name_sv: str
    region: str


@dataclass(frozen=True, slots=True)
class Organization:
    id: str
    kind: Kind
    region: str | None
    name: Names
    aliases: tuple[str, ...] = ()
    staff_email_domains: tuple[str, ...] = ()
    phone: str | None = None
    email: str | None = None
    opening_hours: OpeningHours = DEFAULT_OPENING_HOURS
    active: bool = True


@dataclass(frozen=True, slots=True)
class Queue:
    id: str
    organization: str
    audience: Audience
    topics: tuple[Topic, ...] = ()  # empty: any topic
    languages: tuple[Language, ...] = ()  # empty: any language
    response_hours: float = 8.0
    phone: str | None = None
    name: Names | None = None
    active: bool = True


@dataclass(frozen=True, slots=True)
class Expert:
    email: str
    name: str
    organization: str
    queues: tuple[str, ...] = ()
    topics: tuple[Topic, ...] = ()
    languages: tuple[Language, ...] = ()
    phone: str | None = None
    active: bool = True


@dataclass(frozen=True, slots=True)
class Condition:
    key: RuleKey
    values: frozenset[str]
    # "region 01 or 02", made once: reasons quote it for every enquiry.
    text: str = field(init=False, repr=False, compare=False)
    # "region=01|02", the same without English words, for a reason's params.
    formula: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        values = sorted(self.values)
        object.__setattr__(self, "text", f"{self.key!s} {' or '.join(values)}")
        object.__setattr__(self, "formula", f"{self.key!s}={'|'.join(values)}")


@dataclass(frozen=True, slots=True)
class Rule:
    """``when`` every condition holds, route to the queue ``route_to``."""

    id: str
    route_to: str
    when: tuple[Condition, ...] = ()
    priority: Priority | None = None

    @classmethod
    def of(
        cls,
        id: str,
        route_to: str,
        when: Mapping[str, str | Sequence[str]],
        priority: str | None = None,
    ) -> Rule:
        """From YAML-shaped data: ``Rule.of("r1", "q", {"region": ["01", "02"]})``."""
        conditions = []
        for key, value in when.items():
            values = [value] if isinstance(value, str) else list(value)
            conditions.append(Condition(RuleKey(key), frozenset(str(v) for v in values)))
        return cls(id, route_to, tuple(conditions), Priority(priority) if priority else None)
