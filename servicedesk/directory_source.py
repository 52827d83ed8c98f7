"""Reading the directory from files: regions, municipalities, postal codes
and aliases from the shipped CSVs (``config/regions/``), organisations,
queues, experts and rules from YAML (``config/directory/``, schema in
DESIGN.md), validated as a whole.

Every problem is collected before anything is returned, each naming the
file, the entry (``organizations[3] (id=osao)``), the field and, where
known, the line; ``DirectoryError`` carries them all and nothing is returned
partially.  What comes back are the plain records ``routing.build_directory``
takes (``DirectorySource.build()`` calls it).

Extensions to DESIGN.md's schema, all optional: organisation ``phone``,
``email``, ``opening_hours`` (``{mon: "08:00-16:00", ...}``, default
Mon–Fri 09:00–16:00), ``active``; queue ``name`` (``{fi, sv, en}`` or a
string), ``response_hours`` (business hours, default 8), ``phone``,
``active``; expert ``phone``, ``active``; rule ``id`` (default ``rule-N``,
numbered across all files in file-name order) and ``priority``.  Codes may
be written unquoted (``region: 1`` is ``"01"``).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from channels.message import Channel
from routing import (
    DEFAULT_OPENING_HOURS,
    Directory,
    Expert,
    Kind,
    Municipality,
    Names,
    OpeningHours,
    Organization,
    Queue,
    Region,
    Rule,
    build_directory,
)
from routing.directory import normal_key
from routing.vocabulary import LANGUAGES, TOPICS, Audience, Language, Priority, RuleKey, Topic
from servicedesk.errors import ServiceDeskError

_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)[a-z0-9-]+(?:\.[a-z0-9-]+)+$")
_PHONE = re.compile(r"^\+[1-9]\d{6,14}$")
_PHONE_WHAT = "a phone number in E.164 form like +358501234567"
_NATIONAL = frozenset({Kind.NATIONAL_DESK, Kind.STAFF_HELPDESK})
_KINDS = tuple(k.value for k in Kind)
_AUDIENCES = tuple(a.value for a in Audience)
_PRIORITIES = tuple(p.value for p in Priority)
_CHANNELS = tuple(c.value for c in Channel)
_RULE_KEYS = tuple(k.value for k in RuleKey)
_SECTIONS = frozenset({"organizations", "experts", "rules"})
_ORG_KEYS = frozenset(
    {"id", "kind", "region", "name", "aliases", "staff_email_domains", "phone", "email",
     "opening_hours", "queues", "active"}
)  # fmt: skip
_QUEUE_KEYS = frozenset(
    {"id", "audience", "topics", "languages", "name", "response_hours", "phone", "active"}
)
_EXPERT_KEYS = frozenset(
    {"email", "name", "organization", "queues", "topics", "languages", "phone", "active"}
)
_RULE_FIELDS = frozenset({"id", "when", "route_to", "priority"})


@dataclass(frozen=True, slots=True)
class Problem:
    file: str
    entry: str  # "organizations[3] (id=osao)", "row 12", or "" for the file itself
    field: str  # "region", "queues[0].audience", or ""
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return ": ".join(p for p in (where, self.entry, self.field, self.message) if p)


class DirectoryError(ServiceDeskError):
    """The directory files have problems; ``problems`` lists every one."""

    code = "directory_invalid"

    def __init__(self, problems: list[Problem]) -> None:
        count = len(problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the directory:\n"
        super().__init__(head + "\n".join(f"  {p}" for p in problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class RegionData:
    regions: tuple[Region, ...]
    municipalities: tuple[Municipality, ...]
    postcodes: Mapping[str, str]
    aliases: Mapping[str, str]

    def municipality_code(self, value: str) -> str | None:
        """A code from a code, a Finnish or Swedish name or an alias."""
        text = value.strip()
        if text.isdigit():
            code = text.zfill(3)
            return code if any(m.code == code for m in self.municipalities) else None
        key = normal_key(text)
        for m in self.municipalities:
            if key in (normal_key(m.name_fi), normal_key(m.name_sv)):
                return m.code
        return next((c for a, c in self.aliases.items() if normal_key(a) == key), None)


@dataclass(frozen=True, slots=True)
class DirectorySource:
    files: tuple[Path, ...]
    regions: RegionData
    organizations: tuple[Organization, ...]
    queues: tuple[Queue, ...]
    experts: tuple[Expert, ...]
    rules: tuple[Rule, ...]

    def build(self) -> Directory:
        r = self.regions
        return build_directory(
            r.regions, r.municipalities, r.postcodes, r.aliases,
            self.organizations, self.queues, self.experts, self.rules,
        )  # fmt: skip


# -- regions (CSV) ---------------------------------------------------------


def _csv_rows(
    path: Path, columns: tuple[str, ...], problems: list[Problem]
) -> Iterator[tuple[int, dict[str, str]]]:
    if not path.is_file():
        problems.append(Problem(str(path), "", "", "file not found"))
        return
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in columns if c not in (reader.fieldnames or ())]
        if missing:
            problems.append(Problem(str(path), "", "", f"missing columns {', '.join(missing)}", 1))
            return
        for number, row in enumerate(reader, start=2):
            yield number, {c: (row.get(c) or "").strip() for c in columns}


def load_regions(config_dir: Path) -> RegionData:
    """Regions, municipalities, postal codes and aliases from the CSVs in
    ``config_dir`` (normally ``config/regions``)."""
    problems: list[Problem] = []

    def bad(path: Path, number: int, column: str, message: str) -> None:
        problems.append(Problem(str(path), f"row {number}", column, message, number))

    regions: dict[str, Region] = {}
    path = config_dir / "regions.csv"
    for number, row in _csv_rows(path, ("code", "name_fi", "name_sv"), problems):
        code = row["code"].zfill(2)
        if not (code.isdigit() and len(code) == 2 and row["name_fi"]) or code in regions:
            bad(path, number, "code", f"bad or duplicate region {row['code']!r}")
        else:
            regions[code] = Region(code, row["name_fi"], row["name_sv"] or row["name_fi"])
    municipalities: dict[str, Municipality] = {}
    path = config_dir / "municipalities.csv"
    for number, row in _csv_rows(path, ("code", "name_fi", "name_sv", "region"), problems):
        code, region = row["code"].zfill(3), row["region"].zfill(2)
        if not (code.isdigit() and len(code) == 3 and row["name_fi"]) or code in municipalities:
            bad(path, number, "code", f"bad or duplicate municipality {row['code']!r}")
        elif region not in regions:
            bad(path, number, "region", f"unknown region {row['region']!r}")
        else:
            name_sv = row["name_sv"] or row["name_fi"]
            municipalities[code] = Municipality(code, row["name_fi"], name_sv, region)
    maps: dict[str, dict[str, str]] = {}
    for name, key in (("postcodes.csv", "postcode"), ("aliases.csv", "alias")):
        path, found = config_dir / name, maps.setdefault(key, {})
        for number, row in _csv_rows(path, (key, "municipality"), problems):
            code = row["municipality"].zfill(3)
            if not row[key] or code not in municipalities:
                bad(path, number, "municipality", f"unknown municipality {row['municipality']!r}")
            elif found.setdefault(row[key], code) != code:
                bad(path, number, key, f"{row[key]!r} is listed for two municipalities")
    if problems:
        raise DirectoryError(problems)
    return RegionData(
        tuple(regions.values()), tuple(municipalities.values()), maps["postcode"], maps["alias"]
    )


# -- YAML ------------------------------------------------------------------


class _Located(dict[Any, Any]):
    """A YAML mapping that remembers its line, its keys' lines and the keys
    given twice (which PyYAML would otherwise silently overwrite)."""

    line: int = 0
    key_lines: dict[Any, int]
    duplicates: list[tuple[Any, int]]


class _Loader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> _Located:
    loader.flatten_mapping(node)
    mapping = _Located()
    mapping.line, mapping.key_lines, mapping.duplicates = node.start_mark.line + 1, {}, []
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, str | int | float | bool) or key in mapping:
            mapping.duplicates.append((key, line))
            continue
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = line
    return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _kind(value: object) -> str:
    if isinstance(value, dict | list):
        return "a mapping" if isinstance(value, dict) else "a list"
    return "nothing" if value is None else f"{type(value).__name__} {value!r}"


def _scalar(value: object) -> str | None:
    """A YAML scalar as text (ids and codes may be written as numbers)."""
    if isinstance(value, str | int) and not isinstance(value, bool):
        return str(value).strip() or None
    return None


@dataclass(slots=True)
class _Entry:
    """One YAML entry being checked; every problem names file, entry, field."""

    problems: list[Problem]
    file: str
    label: str
    data: _Located
    prefix: str = ""

    def add(self, key: str, message: str, line: int | None = None) -> None:
        line = line or self.data.key_lines.get(key.split(".")[0].split("[")[0]) or self.data.line
        self.problems.append(Problem(self.file, self.label, self.prefix + key, message, line))

    def allow(self, allowed: frozenset[str]) -> None:
        for key in self.data:
            if key not in allowed:
                self.add(str(key), f"unknown field (known: {', '.join(sorted(allowed))})")
        for key, line in self.data.duplicates:
            self.add(str(key), "given twice (or not a valid key)", line)

    def nested(self, key: str, data: _Located) -> _Entry:
        return _Entry(self.problems, self.file, self.label, data, f"{self.prefix}{key}.")

    def text(self, key: str, required: bool = False, pattern: re.Pattern[str] | None = None,
             what: str = "", choices: tuple[str, ...] = ()) -> str | None:  # fmt: skip
        value = self.data.get(key)
        text = _scalar(value)
        if value is None:
            if required:
                self.add(key, "required", self.data.line)
        elif text is None:
            self.add(key, f"must be a non-empty string, not {_kind(value)}")
        elif pattern is not None and not pattern.match(text):
            self.add(key, f"{text!r} is not {what}")
        elif choices and text not in choices:
            self.add(key, f"unknown value {text!r} (one of {', '.join(choices)})")
        else:
            return text
        return None

    def strings(self, key: str, choices: tuple[str, ...] = (),
                check: Callable[[str], str | None] | None = None) -> tuple[str, ...]:  # fmt: skip
        value = self.data.get(key)
        items = [value] if isinstance(value, str | int) and not isinstance(value, bool) else value
        if value is None:
            return ()
        if not isinstance(items, list):
            self.add(key, f"must be a list, not {_kind(value)}")
            return ()
        result = []
        for index, item in enumerate(items):
            text = _scalar(item)
            problem = (
                f"must be a non-empty string, not {_kind(item)}" if text is None
                else f"unknown value {text!r} (one of {', '.join(choices)})"
                if choices and text not in choices
                else check(text) if check is not None else None
            )  # fmt: skip
            if problem:
                self.add(f"{key}[{index}]", problem)
            elif text is not None:
                result.append(text)
        return tuple(result)

    def flag(self, key: str) -> bool:
        value = self.data.get(key, True)
        if not isinstance(value, bool):
            self.add(key, f"must be true or false, not {_kind(value)}")
            return True
        return value

    def names(self, key: str, required: bool) -> Names | None:
        value = self.data.get(key)
        if isinstance(value, _Located):
            inner = self.nested(key, value)
            inner.allow(frozenset({"fi", "sv", "en"}))
            fi, sv, en = (inner.text(lang) for lang in ("fi", "sv", "en"))
            if fi or sv or en:
                return Names(fi or en or sv or "", sv or "", en or "")
            self.add(key, "needs at least one of fi, sv, en")
        elif _scalar(value) is not None:
            return Names(str(value).strip())
        elif value is not None or required:
            self.add(key, f"must be a name or {{fi, sv, en}}, not {_kind(value)}")
        return None


@dataclass(slots=True)
class _Collected:
    organizations: list[tuple[Organization, _Entry]] = field(default_factory=list)
    queues: list[tuple[Queue, _Entry]] = field(default_factory=list)
    experts: list[tuple[Expert, _Entry]] = field(default_factory=list)
    rules: list[_Entry] = field(default_factory=list)
    # Ids of every organisation and queue entry, valid or not, so a broken
    # entry gives one problem, not one more for each reference to it.
    seen: dict[str, list[_Entry]] = field(default_factory=dict)


def read_directory(path: Path, regions: RegionData) -> DirectorySource:
    """Read and validate one YAML file or every ``*.yaml``/``*.yml`` in a
    folder (in name order); raises ``DirectoryError`` with every problem."""
    if not path.exists():
        raise DirectoryError([Problem(str(path), "", "", "no such file or folder")])
    files = (
        sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
        if path.is_dir()
        else [path]
    )
    if not files:
        raise DirectoryError([Problem(str(path), "", "", "no *.yaml or *.yml files in the folder")])
    problems: list[Problem] = []
    collected = _Collected()
    for file in files:
        _read_file(file, regions, collected, problems)
    records = _cross_check(collected, regions, problems)
    if problems:
        raise DirectoryError(problems)
    return DirectorySource(tuple(files), regions, *records)


def _read_file(file: Path, regions: RegionData, into: _Collected, problems: list[Problem]) -> None:
    try:
        document = yaml.load(file.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problems.append(Problem(str(file), "", "", f"YAML syntax error: {exc.problem}", line))
        return
    except (yaml.YAMLError, OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(str(file), "", "", f"cannot be read: {exc}"))
        return
    if document is None:
        return
    if not isinstance(document, _Located):
        message = f"must be a mapping of organizations, experts and rules, not {_kind(document)}"
        problems.append(Problem(str(file), "", "", message, 1))
        return
    top = _Entry(problems, str(file), "", document)
    top.allow(_SECTIONS)
    codes = {r.code for r in regions.regions}
    for entry in _entries(top, "organizations"):
        _read_organization(entry, codes, into)
    for entry in _entries(top, "experts"):
        _read_expert(entry, into)
    for entry in _entries(top, "rules"):
        entry.allow(_RULE_FIELDS)
        into.rules.append(entry)


def _entries(top: _Entry, section: str) -> list[_Entry]:
    value = top.data.get(section)
    if not isinstance(value, list):
        if value is not None:
            top.add(section, f"must be a list, not {_kind(value)}")
        return []
    result = []
    for index, item in enumerate(value):
        if not isinstance(item, _Located):
            top.add(f"{section}[{index}]", f"must be a mapping, not {_kind(item)}")
            continue
        key = "email" if section == "experts" else "id"
        ident = _scalar(item.get(key))
        label = f"{section}[{index}]" + (f" ({key}={ident})" if ident else "")
        result.append(_Entry(top.problems, top.file, label, item))
    return result


def _read_organization(entry: _Entry, region_codes: set[str], into: _Collected) -> None:
    entry.allow(_ORG_KEYS)
    org_id = entry.text("id", required=True, pattern=_ID, what="an id (a-z, 0-9, . _ -)")
    if org_id:
        into.seen.setdefault(f"organization {org_id}", []).append(entry)
    kind = entry.text("kind", required=True, choices=_KINDS)
    region = entry.text("region", required=kind is not None and Kind(kind) not in _NATIONAL)
    if region is not None and region.zfill(2) not in region_codes:
        entry.add("region", f"unknown region {region!r}")
    name = entry.names("name", required=True)
    aliases = entry.strings("aliases")
    domains = entry.strings(
        "staff_email_domains",
        check=lambda d: None if _DOMAIN.match(d.lower().lstrip("@")) else f"{d!r} is not a domain",
    )
    phone = entry.text("phone", pattern=_PHONE, what=_PHONE_WHAT)
    email = entry.text("email", pattern=_EMAIL, what="an e-mail address")
    hours = _opening_hours(entry)
    active = entry.flag("active")
    queues = entry.data.get("queues")
    if queues is not None and not isinstance(queues, list):
        entry.add("queues", f"must be a list, not {_kind(queues)}")
    for index, data in enumerate(queues if isinstance(queues, list) else []):
        if isinstance(data, _Located):
            _read_queue(entry.nested(f"queues[{index}]", data), org_id, into)
        else:
            entry.add(f"queues[{index}]", f"must be a mapping, not {_kind(data)}")
    if org_id and kind and name and hours and (region is None or region.zfill(2) in region_codes):
        org = Organization(
            org_id, Kind(kind), region.zfill(2) if region else None, name, aliases,
            tuple(d.lower().lstrip("@") for d in domains), phone, email, hours, active,
        )  # fmt: skip
        into.organizations.append((org, entry))


def _opening_hours(entry: _Entry) -> OpeningHours | None:
    value = entry.data.get("opening_hours")
    if value is None:
        return DEFAULT_OPENING_HOURS
    days = value if isinstance(value, _Located) else None
    if days is None or any(v is not None and not isinstance(v, str) for v in days.values()):
        entry.add("opening_hours", "must be a mapping like {mon: '08:00-16:00', sat: closed}")
        return None
    try:
        return OpeningHours.parse({str(day): spec for day, spec in days.items()})
    except ValueError as exc:
        entry.add("opening_hours", str(exc))
        return None


def _read_queue(entry: _Entry, org_id: str | None, into: _Collected) -> None:
    entry.allow(_QUEUE_KEYS)
    queue_id = entry.text("id", required=True, pattern=_ID, what="an id (a-z, 0-9, . _ -)")
    if queue_id:
        into.seen.setdefault(f"queue {queue_id}", []).append(entry)
    audience = entry.text("audience", required=True, choices=_AUDIENCES)
    topics = entry.strings("topics", choices=TOPICS)
    languages = entry.strings("languages", choices=LANGUAGES)
    name = entry.names("name", required=False)
    phone = entry.text("phone", pattern=_PHONE, what=_PHONE_WHAT)
    hours = entry.data.get("response_hours", 8)
    if isinstance(hours, bool) or not isinstance(hours, int | float) or hours <= 0:
        entry.add("response_hours", f"must be a positive number of hours, not {_kind(hours)}")
    elif queue_id and audience and org_id:
        queue = Queue(
            queue_id, org_id, Audience(audience), tuple(Topic(t) for t in topics),
            tuple(Language(lang) for lang in languages), float(hours), phone, name,
            entry.flag("active"),
        )  # fmt: skip
        into.queues.append((queue, entry))


def _read_expert(entry: _Entry, into: _Collected) -> None:
    entry.allow(_EXPERT_KEYS)
    email = entry.text("email", required=True, pattern=_EMAIL, what="an e-mail address")
    name = entry.text("name", required=True)
    org = entry.text("organization", required=True)
    queues = entry.strings("queues")
    topics = entry.strings("topics", choices=TOPICS)
    languages = entry.strings("languages", choices=LANGUAGES)
    phone = entry.text("phone", pattern=_PHONE, what=_PHONE_WHAT)
    active = entry.flag("active")
    if email and name and org:
        expert = Expert(
            email.lower(), name, org, queues, tuple(Topic(t) for t in topics),
            tuple(Language(lang) for lang in languages), phone, active,
        )  # fmt: skip
        into.experts.append((expert, entry))


Records = tuple[tuple[Organization, ...], tuple[Queue, ...], tuple[Expert, ...], tuple[Rule, ...]]


def _cross_check(into: _Collected, regions: RegionData, problems: list[Problem]) -> Records:
    """What needs all files: duplicates, references, the rules."""
    for what, entries in into.seen.items():
        for entry in entries[1:]:
            entry.add("id", f"duplicate {what} (first: {entries[0].file} {entries[0].label})")
    broken = {key.split(" ", 1)[1] for key in into.seen}  # may be referred to without echo
    orgs: dict[str, Organization] = {}
    names: dict[str, str] = {}
    domains: dict[str, str] = {}
    singles: dict[tuple[Kind, str | None], str] = {}
    for org, entry in into.organizations:
        if orgs.setdefault(org.id, org) is not org:
            continue
        for name in {org.id, *org.aliases, org.name.fi, org.name.sv, org.name.en} - {""}:
            if names.setdefault(normal_key(name), org.id) != org.id:
                entry.add(
                    "aliases", f"{name!r} also names organization {names[normal_key(name)]!r}"
                )
        for domain in org.staff_email_domains:
            if domains.setdefault(domain, org.id) != org.id:
                entry.add("staff_email_domains", f"{domain!r} belongs to {domains[domain]!r}")
        if org.active and (org.kind is Kind.REGIONAL_DESK or org.kind in _NATIONAL):
            slot = (org.kind, org.region if org.kind is Kind.REGIONAL_DESK else None)
            if singles.setdefault(slot, org.id) != org.id:
                where = f" of region {org.region}" if slot[1] else ""
                entry.add("kind", f"a second active {org.kind}{where} (first: {singles[slot]!r})")
    queues: dict[str, Queue] = {}
    for queue, _ in into.queues:
        queues.setdefault(queue.id, queue)
    experts: dict[str, Expert] = {}
    for expert, entry in into.experts:
        if experts.setdefault(expert.email, expert) is not expert:
            entry.add("email", f"duplicate expert {expert.email!r}")
        elif expert.organization not in broken:
            entry.add("organization", f"unknown organization {expert.organization!r}")
        for index, queue_id in enumerate(expert.queues):
            member_of = queues.get(queue_id)
            if member_of is None:
                if queue_id not in broken:
                    entry.add(f"queues[{index}]", f"unknown queue {queue_id!r}")
            elif member_of.organization != expert.organization:
                owner = member_of.organization
                message = f"queue {queue_id!r} belongs to {owner!r}, not {expert.organization!r}"
                entry.add(f"queues[{index}]", message)
    rules: dict[str, Rule] = {}
    for number, entry in enumerate(into.rules, start=1):
        rule = _read_rule(entry, number, orgs, queues, regions, broken)
        if rule is not None and rules.setdefault(rule.id, rule) is not rule:
            entry.add("id", f"duplicate rule id {rule.id!r}")
    return (
        tuple(orgs.values()),
        tuple(queues.values()),
        tuple(experts.values()),
        tuple(rules.values()),
    )


def _read_rule(
    entry: _Entry, number: int, orgs: Mapping[str, Organization], queues: Mapping[str, Queue],
    regions: RegionData, broken: set[str],
) -> Rule | None:  # fmt: skip
    before = len(entry.problems)
    rule_id = entry.text("id", pattern=_ID, what="an id (a-z, 0-9, . _ -)") or f"rule-{number}"
    route_to = entry.text("route_to", required=True)
    queue = queues.get(route_to or "")
    if route_to and queue is None and route_to not in broken:
        entry.add("route_to", f"unknown queue {route_to!r}")
    priority = entry.text("priority", choices=_PRIORITIES)
    when = entry.data.get("when")
    conditions: dict[str, tuple[str, ...]] = {}
    if not isinstance(when, _Located):
        entry.add("when", f"must be a mapping of conditions ({{}} matches all), not {_kind(when)}")
    else:
        inner = entry.nested("when", when)
        inner.allow(frozenset(_RULE_KEYS))
        region_codes = {r.code for r in regions.regions}
        known: dict[str, Callable[[str], str | None]] = {
            "audience": lambda v: None if v in _AUDIENCES else f"unknown audience {v!r}",
            "region": lambda v: None if v.zfill(2) in region_codes else f"unknown region {v!r}",
            "topic": lambda v: None if v in TOPICS else f"unknown topic {v!r}",
            "language": lambda v: None if v in LANGUAGES else f"unknown language {v!r}",
            "channel": lambda v: None if v in _CHANNELS else f"unknown channel {v!r}",
            "institution": lambda v: None if v in orgs or v in broken
            else f"unknown organization {v!r}",
            "municipality": lambda v: None if regions.municipality_code(v)
            else f"unknown municipality {v!r}",
        }  # fmt: skip
        for key in _RULE_KEYS:
            if key in when:
                values = inner.strings(key, check=known[key])
                if key == "region":
                    values = tuple(v.zfill(2) for v in values)
                elif key == "municipality":
                    values = tuple(regions.municipality_code(v) or v for v in values)
                conditions[key] = values
                if not values:
                    inner.add(key, "needs at least one valid value")
        for audience in conditions.get("audience", ()):
            if queue is not None and audience != queue.audience:
                entry.add("route_to", f"the rule is for {audience} enquiries but routes to the "
                          f"{queue.audience} queue {queue.id!r}; {audience} enquiries never go "
                          f"to {queue.audience} queues")  # fmt: skip
    if len(entry.problems) > before or route_to is None:
        return None
    return Rule.of(rule_id, route_to, conditions, priority)
