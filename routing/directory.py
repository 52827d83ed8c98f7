"""``Directory``: the records routing decides with (``records``), held
with the indexes ``decide`` needs, built once by ``build_directory`` and
then only read.

The inputs are whatever the application has (YAML via
``servicedesk.directory_source`` or database rows); nothing here reads a
file.  ``build_directory`` normalises codes and ids, refuses duplicates and
dangling references with ``ValueError``, and compiles the lexicon.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TypeVar

from routing.declension import fold
from routing.lexicon import REGION_NAMES_EN, Lexicon, MentionKind, Name, build_lexicon
from routing.records import (
    Condition,
    Expert,
    Municipality,
    Organization,
    Queue,
    Region,
    Rule,
)
from routing.vocabulary import (
    NAMEABLE_KINDS,
    SPECIALISED_KINDS,
    Audience,
    Kind,
    Language,
    Priority,
    RuleKey,
    Topic,
)

_SEPARATOR = re.compile(r"\s+[-–/]\s+|\s*/\s*")


def normal_key(text: str) -> str:
    """How free-form names are compared: case, spacing and diacritics aside."""
    return fold(" ".join(text.lower().replace("–", "-").split()))


@dataclass(frozen=True, slots=True)
class Directory:
    regions: Mapping[str, Region]
    municipalities: Mapping[str, Municipality]
    postcodes: Mapping[str, str]
    organizations: Mapping[str, Organization]
    queues: Mapping[str, Queue]
    experts: tuple[Expert, ...]
    rules: tuple[Rule, ...]
    lexicon: Lexicon = field(repr=False)
    queues_of: Mapping[str, tuple[Queue, ...]] = field(repr=False)  # active, in order
    regional_desks: Mapping[str, str] = field(repr=False)  # region -> org id
    national_desk: str | None = None
    staff_helpdesk: str | None = None
    specialised: Mapping[tuple[str, Topic], tuple[str, ...]] = field(
        repr=False, default_factory=dict
    )
    staff_domains: Mapping[str, str] = field(repr=False, default_factory=dict)
    organization_names: Mapping[str, str] = field(repr=False, default_factory=dict)
    municipality_names: Mapping[str, str] = field(repr=False, default_factory=dict)
    region_names: Mapping[str, str] = field(repr=False, default_factory=dict)

    def find_region(self, text: str | None) -> Region | None:
        """A region by code ("1", "01") or Finnish, Swedish or English name."""
        if not text or not text.strip():
            return None
        key = text.strip()
        if key.isdigit():
            return self.regions.get(key.zfill(2))
        code = self.region_names.get(normal_key(key))
        return self.regions.get(code) if code else None

    def find_municipality(self, text: str | None) -> Municipality | None:
        """A municipality by code ("91", "091"), name, alias or double name."""
        if not text or not text.strip():
            return None
        key = text.strip()
        if key.isdigit():
            return self.municipalities.get(key.zfill(3))
        code = self.municipality_names.get(normal_key(key))
        if code is None:
            parts = {self.municipality_names.get(normal_key(p)) for p in _SEPARATOR.split(key)}
            if len(parts) == 1:
                code = parts.pop()
        return self.municipalities.get(code) if code else None

    def find_organization(self, text: str | None) -> Organization | None:
        """An organisation by id, alias or name (active ones only)."""
        if not text or not text.strip():
            return None
        org_id = self.organization_names.get(normal_key(text))
        return self.organizations.get(org_id) if org_id else None

    def organization_by_email(self, email: str | None) -> Organization | None:
        """The organisation whose staff e-mail domain (or a parent) the address has."""
        if not email or "@" not in email:
            return None
        domain = email.rsplit("@", 1)[1].strip().lower().rstrip(".>")
        while domain:
            org_id = self.staff_domains.get(domain)
            if org_id is not None:
                return self.organizations[org_id]
            _, _, domain = domain.partition(".")
        return None


def build_directory(
    regions: Iterable[Region],
    municipalities: Iterable[Municipality],
    postcodes: Mapping[str, str],
    aliases: Mapping[str, str],
    organizations: Iterable[Organization],
    queues: Iterable[Queue],
    experts: Iterable[Expert],
    rules: Iterable[Rule],
) -> Directory:
    """Index everything once; raises ``ValueError`` naming every problem."""
    problems: list[str] = []
    region_map = _unique(
        (replace(r, code=r.code.zfill(2)) for r in regions), lambda r: r.code, "region", problems
    )
    municipality_map = _unique(
        (replace(m, code=m.code.zfill(3), region=m.region.zfill(2)) for m in municipalities),
        lambda m: m.code,
        "municipality",
        problems,
    )
    for m in municipality_map.values():
        if m.region not in region_map:
            problems.append(f"municipality {m.code}: unknown region {m.region}")
    postcode_map = {p.zfill(5): c.zfill(3) for p, c in postcodes.items()}
    alias_map = {a: c.zfill(3) for a, c in aliases.items()}
    for name, code in [*postcode_map.items(), *alias_map.items()]:
        if code not in municipality_map:
            problems.append(f"{name}: unknown municipality {code}")
    org_map = _unique(
        (_normal_org(o) for o in organizations), lambda o: o.id, "organization", problems
    )
    for org in org_map.values():
        if org.region is not None and org.region not in region_map:
            problems.append(f"organization {org.id}: unknown region {org.region}")
    queue_map = _unique((_normal_queue(q) for q in queues), lambda q: q.id, "queue", problems)
    for queue in queue_map.values():
        if queue.organization not in org_map:
            problems.append(f"queue {queue.id}: unknown organization {queue.organization}")
    expert_list = tuple(experts)
    _unique(expert_list, lambda e: e.email.lower(), "expert", problems)
    names = _municipality_names(municipality_map, alias_map)
    rule_list = tuple(_normal_rule(r, names) for r in rules)
    _unique(rule_list, lambda r: r.id, "rule", problems)
    for rule in rule_list:
        if rule.route_to not in queue_map:
            problems.append(f"rule {rule.id}: unknown queue {rule.route_to}")
    if problems:
        raise ValueError("; ".join(problems))
    return _index(
        region_map,
        municipality_map,
        postcode_map,
        alias_map,
        org_map,
        queue_map,
        expert_list,
        rule_list,
    )


T = TypeVar("T")


def _unique(
    items: Iterable[T], key_of: Callable[[T], str], what: str, problems: list[str]
) -> dict[str, T]:
    result: dict[str, T] = {}
    for item in items:
        key = key_of(item)
        if key in result:
            problems.append(f"duplicate {what} {key}")
        else:
            result[key] = item
    return result


def _normal_org(org: Organization) -> Organization:
    return replace(
        org,
        kind=Kind(org.kind),
        region=org.region.zfill(2) if org.region else None,
        aliases=tuple(org.aliases),
        staff_email_domains=tuple(d.strip().lower().lstrip("@") for d in org.staff_email_domains),
    )


def _normal_queue(queue: Queue) -> Queue:
    return replace(
        queue,
        audience=Audience(queue.audience),
        topics=tuple(Topic(t) for t in queue.topics),
        languages=tuple(Language(lang) for lang in queue.languages),
    )


def _normal_rule(rule: Rule, names: Mapping[str, str]) -> Rule:
    conditions = []
    for condition in rule.when:
        key = RuleKey(condition.key)
        values = set()
        for value in condition.values:
            text = value.strip()
            if key is RuleKey.REGION and text.isdigit():
                text = text.zfill(2)
            elif key is RuleKey.MUNICIPALITY:
                text = text.zfill(3) if text.isdigit() else names.get(normal_key(text), text)
            elif key is not RuleKey.INSTITUTION:
                text = text.lower()
            values.add(text)
        conditions.append(Condition(key, frozenset(values)))
    priority = Priority(rule.priority) if rule.priority else None
    return replace(rule, when=tuple(conditions), priority=priority)


def _municipality_names(
    municipalities: Mapping[str, Municipality], aliases: Mapping[str, str]
) -> dict[str, str]:
    names: dict[str, str] = {}
    for m in municipalities.values():
        for name in (m.name_fi, m.name_sv, *_SEPARATOR.split(m.name_fi)):
            names.setdefault(normal_key(name), m.code)
    for alias, code in aliases.items():
        names.setdefault(normal_key(alias), code)
    return names


def _index(
    regions: dict[str, Region],
    municipalities: dict[str, Municipality],
    postcodes: dict[str, str],
    aliases: dict[str, str],
    organizations: dict[str, Organization],
    queues: dict[str, Queue],
    experts: tuple[Expert, ...],
    rules: tuple[Rule, ...],
) -> Directory:
    active = {o.id: o for o in organizations.values() if o.active}
    queues_of: dict[str, list[Queue]] = {org_id: [] for org_id in active}
    for queue in queues.values():
        if queue.active and queue.organization in active:
            queues_of[queue.organization].append(queue)
    regional: dict[str, str] = {}
    national: list[str] = []
    helpdesk: list[str] = []
    specialised: dict[tuple[str, Topic], list[str]] = {}
    domains: dict[str, str] = {}
    org_names: dict[str, str] = {}
    for org in active.values():
        if org.kind is Kind.REGIONAL_DESK and org.region:
            regional.setdefault(org.region, org.id)
        elif org.kind is Kind.NATIONAL_DESK:
            national.append(org.id)
        elif org.kind is Kind.STAFF_HELPDESK:
            helpdesk.append(org.id)
        elif org.kind in SPECIALISED_KINDS and org.region:
            for queue in queues_of[org.id]:
                if queue.audience is Audience.APPLICANT:
                    for topic in queue.topics:
                        specialised.setdefault((org.region, topic), []).append(queue.id)
        for domain in org.staff_email_domains:
            domains.setdefault(domain, org.id)
        for name in (org.id, *org.aliases, org.name.fi, org.name.sv, org.name.en):
            if name:
                org_names.setdefault(normal_key(name), org.id)
    region_names: dict[str, str] = {}
    for region in regions.values():
        for name in (region.name_fi, region.name_sv, *REGION_NAMES_EN.get(region.code, ())):
            region_names.setdefault(normal_key(name), region.code)
    return Directory(
        regions=regions,
        municipalities=municipalities,
        postcodes=postcodes,
        organizations=organizations,
        queues=queues,
        experts=experts,
        rules=rules,
        lexicon=build_lexicon(_lexicon_names(regions, municipalities, aliases, active)),
        queues_of={org_id: tuple(qs) for org_id, qs in queues_of.items()},
        regional_desks=regional,
        national_desk=national[0] if national else None,
        staff_helpdesk=helpdesk[0] if helpdesk else None,
        specialised={key: tuple(ids) for key, ids in specialised.items()},
        staff_domains=domains,
        organization_names=org_names,
        municipality_names=_municipality_names(municipalities, aliases),
        region_names=region_names,
    )


def _lexicon_names(
    regions: Mapping[str, Region],
    municipalities: Mapping[str, Municipality],
    aliases: Mapping[str, str],
    organizations: Mapping[str, Organization],
) -> list[Name]:
    """Everything to find in free text, official names first (they win a
    form two names share)."""
    names = []
    for m in municipalities.values():
        for name in _SEPARATOR.split(m.name_fi):
            names.append(Name(MentionKind.MUNICIPALITY, m.code, name))
    for m in municipalities.values():
        names.append(Name(MentionKind.MUNICIPALITY, m.code, m.name_sv))
    for r in regions.values():
        for name in (r.name_fi, r.name_sv, *REGION_NAMES_EN.get(r.code, ())):
            names.append(Name(MentionKind.REGION, r.code, name))
    for alias, code in aliases.items():
        for name in _SEPARATOR.split(alias):
            names.append(Name(MentionKind.MUNICIPALITY, code, name))
    for org in organizations.values():
        if org.kind in NAMEABLE_KINDS:
            for name in (*org.aliases, org.name.fi, org.name.sv, org.name.en, org.id):
                if name:
                    names.append(Name(MentionKind.INSTITUTION, org.id, name))
    return names
