"""Choosing the queue: the rules first (in order, the first that matches and
is allowed wins), then the default chain of DESIGN.md, and within one
organisation the queue whose topics, then languages, fit the enquiry.

Audiences never cross: an applicant enquiry never lands in a staff queue
and a staff enquiry never in an applicant queue, whatever a rule says; such
a rule is skipped with a reason.  Every step leaves a note saying what it
did or why it did not apply.
"""

from __future__ import annotations

from dataclasses import dataclass

from routing.directory import Directory
from routing.place import region_label
from routing.records import Condition, Organization, Queue, Rule
from routing.vocabulary import Audience, Language, Note, Params, RuleKey, Step, Topic

# Part of a sentence: its code, the values that fill it and its English words.
Clause = tuple[str, Params, str]

# How many non-matching rules a reason lists before summing up the rest.
_RULES_LISTED = 8

# Enum members as module constants (enum class attributes are slow in 3.11).
_APPLICANT, _STAFF = Audience.APPLICANT, Audience.STAFF
_TECHNICAL = Topic.TECHNICAL
_RULE, _CHAIN = Step.RULE.value, Step.CHAIN.value
_KEYS = (
    RuleKey.AUDIENCE,
    RuleKey.REGION,
    RuleKey.TOPIC,
    RuleKey.LANGUAGE,
    RuleKey.CHANNEL,
    RuleKey.INSTITUTION,
    RuleKey.MUNICIPALITY,
)


# Made for every decision: slotted but not frozen, because creating a frozen
# dataclass costs three times as much on this hot path.  Never mutated.
@dataclass(slots=True)
class Features:
    """What rules can test, as decided from the enquiry."""

    audience: Audience
    region: str | None
    topic: Topic
    language: Language
    channel: str
    institution: str | None
    municipality: str | None

    def by_key(self) -> dict[RuleKey, str | None]:
        values = (
            self.audience,
            self.region,
            self.topic,
            self.language,
            self.channel,
            self.institution,
            self.municipality,
        )
        return dict(zip(_KEYS, values, strict=True))


# Made for every decision: slotted but not frozen, because creating a frozen
# dataclass costs three times as much on this hot path.  Never mutated.
@dataclass(slots=True)
class Target:
    queue: Queue | None
    rule: Rule | None


def _an(audience: Audience) -> str:
    return "an applicant" if audience is _APPLICANT else "a staff"


def _describe(rule: Rule) -> str:
    return ", ".join(c.text for c in rule.when) or "any enquiry"


def apply_rules(features: Features, directory: Directory, notes: list[Note]) -> Target:
    if not directory.rules:
        notes.append(
            (
                _RULE,
                "rule.none_defined",
                (),
                "The directory has no routing rules; the default chain decides.",
            )
        )
        return Target(None, None)
    values = features.by_key()
    # (rule id, the condition it failed, the enquiry's value), formatted
    # only for the rules a reason lists.
    missed: list[tuple[str, Condition, str]] = []
    for rule in directory.rules:
        failed = None
        for condition in rule.when:
            if values[condition.key] not in condition.values:
                failed = condition
                break
        if failed is not None:
            have = values[failed.key] or "none"
            missed.append((rule.id, failed, have))
            continue
        queue = directory.queues.get(rule.route_to)
        active = queue is not None and queue in directory.queues_of.get(queue.organization, ())
        if queue is None or not active:
            notes.append(
                (
                    _RULE,
                    "rule.skipped_inactive",
                    (("rule", rule.id), ("queue", rule.route_to)),
                    f"Rule {rule.id} matched but was skipped: its queue "
                    f"{rule.route_to} is not active in the directory.",
                )
            )
            continue
        if queue.audience is not features.audience:
            notes.append(
                (
                    _RULE,
                    "rule.skipped_audience",
                    (
                        ("rule", rule.id),
                        ("queue", queue.id),
                        ("queue_audience", queue.audience),
                        ("audience", features.audience),
                    ),
                    f"Rule {rule.id} matched but was skipped: it routes to the "
                    f"{queue.audience!s} queue {queue.id}, and {_an(features.audience)} "
                    f"enquiry never goes to a {queue.audience!s} queue.",
                )
            )
            continue
        if missed:
            notes.append(_missed(missed, before=rule.id))
        notes.append(
            (
                _RULE,
                "rule.matched",
                (("rule", rule.id), ("conditions", _conditions(rule)), ("queue", queue.id)),
                f"Rule {rule.id} matched ({_describe(rule)}) and routes to queue {queue.id}.",
            )
        )
        return Target(queue, rule)
    if missed:
        notes.append(_missed(missed, before=None))
    return Target(None, None)


def _conditions(rule: Rule) -> str:
    """The rule's conditions without English words: "region=01|02, topic=funding"."""
    return ", ".join(c.formula for c in rule.when) or "*"


def _missed(missed: list[tuple[str, Condition, str]], before: str | None) -> Note:
    said, coded = [], []
    for rule_id, failed, have in missed[:_RULES_LISTED]:
        said.append(f"{rule_id} needs {failed.text} (enquiry: {have!s})")
        coded.append(f"{rule_id}: {failed.formula} ≠ {have!s}")
    shown, rules = "; ".join(said), "; ".join(coded)
    if len(missed) > _RULES_LISTED:
        shown += f"; and {len(missed) - _RULES_LISTED} more"
        rules += f"; +{len(missed) - _RULES_LISTED}"
    lead = f"Rules before {before} did not match" if before else "No routing rule matched"
    params: Params = (("count", str(len(missed))), ("rules", rules))
    code = "rule.missed_before" if before else "rule.none_matched"
    if before:
        params = (("rule", before), *params)
    return (_RULE, code, params, f"{lead} ({len(missed)} checked): {shown}.")


def pick_queue(
    org: Organization,
    audience: Audience,
    topic: Topic,
    language: Language,
    directory: Directory,
) -> tuple[Queue | None, Clause]:
    """The organisation's queue for this audience whose topics, then
    languages, fit; else the first listed.  Returns also why, as a clause
    (``how``: its code, the values that fill it, the English words)."""
    best: Queue | None = None
    best_rank = (3, 3)
    count = 0
    for queue in directory.queues_of.get(org.id, ()):
        if queue.audience is not audience:
            continue
        count += 1
        topics, languages = queue.topics, queue.languages
        rank = (
            0 if topic in topics else 2 if topics else 1,
            0 if language in languages else 2 if languages else 1,
        )
        if rank < best_rank:
            best, best_rank = queue, rank
    if best is None:
        return None, (
            "queue.none_active",
            (
                ("organisation", org.name.fi),
                ("organisation_id", org.id),
                ("audience", audience),
            ),
            f"{org.name.fi} ({org.id}) has no active {audience!s} queue",
        )
    params: Params = (
        ("audience", audience),
        ("queue", best.id),
        ("topic", topic),
        ("language", language),
    )
    if count == 1:
        return best, ("queue.only", params, f"its only {audience!s} queue {best.id}")
    fits = []
    if best_rank[0] == 0:
        fits.append(f"lists topic {topic!s}")
    if best_rank[1] == 0:
        fits.append(f"lists language {language!s}")
    if fits:
        code = (
            "queue.fits_both"
            if len(fits) == 2
            else "queue.fits_topic"
            if best_rank[0] == 0
            else "queue.fits_language"
        )
        return best, (code, params, f"its {audience!s} queue {best.id}, which {' and '.join(fits)}")
    if best_rank == (1, 1):
        return best, (
            "queue.first_open",
            params,
            f"its {audience!s} queue {best.id}, the first listed that takes any topic and "
            f"language (none lists topic {topic!s} or language {language!s})",
        )
    return best, (
        "queue.best_fit",
        params,
        f"its best-fitting {audience!s} queue {best.id} (none lists topic {topic!s} "
        f"and language {language!s})",
    )


def _with(clause: Clause, *params: tuple[str, str]) -> Params:
    """A reason's values with a ``how`` clause's code and values after them.
    A clause saying an organisation has no queue names it: a reason using
    it does not name it again."""
    code, values, _text = clause
    return (*params, ("how", code), *values)


def follow_staff_chain(
    features: Features,
    own: Organization | None,
    directory: Directory,
    notes: list[Note],
) -> Queue | None:
    helpdesk_id = directory.staff_helpdesk
    helpdesk = directory.organizations.get(helpdesk_id) if helpdesk_id else None
    topic, language = features.topic, features.language

    def to_helpdesk(why: str, why_code: str) -> Queue | None:
        lead = (("why", why_code),)
        if helpdesk is None:
            notes.append(
                (
                    _CHAIN,
                    "chain.helpdesk_missing",
                    lead,
                    f"{why}, but the directory has no national staff helpdesk.",
                )
            )
            return None
        queue, clause = pick_queue(helpdesk, _STAFF, topic, language, directory)
        how = clause[2]
        if queue is None:
            notes.append(
                (_CHAIN, "chain.helpdesk_no_queue", _with(clause, *lead), f"{why}, but {how}.")
            )
        else:
            notes.append(
                (
                    _CHAIN,
                    "chain.helpdesk",
                    _with(clause, *lead, ("organisation", helpdesk.name.fi)),
                    f"{why}: the national staff helpdesk {helpdesk.name.fi}, {how}.",
                )
            )
        return queue

    if topic is _TECHNICAL:
        queue = to_helpdesk(
            "Staff enquiry about a technical problem (chain step 1)", "chain.why_technical"
        )
        if queue is not None or own is None:
            return queue
    if own is not None:
        queue, clause = pick_queue(own, _STAFF, topic, language, directory)
        how = clause[2]
        named = ("organisation", own.name.fi)
        if queue is not None:
            notes.append(
                (
                    _CHAIN,
                    "chain.own_desk",
                    _with(clause, named),
                    f"Staff enquiry from {own.name.fi} (chain step 1): its own staff "
                    f"desk answers first, {how}.",
                )
            )
            return queue
        notes.append(
            (
                _CHAIN,
                "chain.own_no_queue",
                _with(clause),
                f"Staff enquiry from {own.name.fi}, but {how}.",
            )
        )
        return to_helpdesk("So it goes to the second tier (chain step 1)", "chain.why_second_tier")
    return to_helpdesk(
        "Staff enquiry from an unknown institution (chain step 1)", "chain.why_unknown_staff"
    )


def follow_applicant_chain(
    features: Features,
    institution: Organization | None,
    directory: Directory,
    notes: list[Note],
) -> Queue | None:
    topic, language, region = features.topic, features.language, features.region
    applicant = _APPLICANT
    if institution is not None:
        queue, clause = pick_queue(institution, applicant, topic, language, directory)
        how = clause[2]
        named = ("organisation", institution.name.fi)
        if queue is not None:
            text = f"The enquiry names {institution.name.fi} (chain step 2): {how}."
            params = _with(clause, named)
            if institution.region and region and institution.region != region:
                there, here = (
                    region_label(directory, institution.region),
                    region_label(directory, region),
                )
                text += (
                    f" It is in region {there}, not in the enquiry's region {here}; the named "
                    "institution is preferred."
                )
                params += (
                    ("after", "chain.institution_elsewhere"),
                    ("institution_region", there),
                    ("region", here),
                )
            notes.append((_CHAIN, "chain.named_institution", params, text))
            return queue
        notes.append(
            (
                _CHAIN,
                "chain.named_no_queue",
                _with(clause),
                f"The enquiry names {institution.name.fi}, but {how}.",
            )
        )
    if region is not None:
        label = region_label(directory, region)
        for queue_id in directory.specialised.get((region, topic), ()):
            queue = directory.queues[queue_id]
            owner = directory.organizations[queue.organization]
            best, _clause = pick_queue(owner, applicant, topic, language, directory)
            chosen = best if best is not None and topic in best.topics else queue
            notes.append(
                (
                    _CHAIN,
                    "chain.specialised",
                    (
                        ("topic", topic),
                        ("region", label),
                        ("kind", owner.kind),
                        ("organisation", owner.name.fi),
                        ("queue", chosen.id),
                    ),
                    f"Topic {topic!s} in region {label} "
                    f"is handled by the specialised {str(owner.kind).replace('_', ' ')} "
                    f"{owner.name.fi} (chain step 3): queue {chosen.id} lists the topic.",
                )
            )
            return chosen
        desk_id = directory.regional_desks.get(region)
        if desk_id is not None:
            desk = directory.organizations[desk_id]
            queue, clause = pick_queue(desk, applicant, topic, language, directory)
            how = clause[2]
            if queue is not None:
                notes.append(
                    (
                        _CHAIN,
                        "chain.regional_desk",
                        _with(
                            clause,
                            ("region", label),
                            ("organisation", desk.name.fi),
                        ),
                        f"No institution named and no specialised office for topic "
                        f"{topic!s} in region {label}: the regional "
                        f"desk {desk.name.fi} (chain step 4), {how}.",
                    )
                )
                return queue
            notes.append(
                (
                    _CHAIN,
                    "chain.regional_desk_no_queue",
                    _with(clause, ("region", region)),
                    f"The regional desk of region {region}: {how}.",
                )
            )
        else:
            notes.append(
                (
                    _CHAIN,
                    "chain.no_regional_desk",
                    (("region", label),),
                    f"Region {label} has no regional desk in the directory.",
                )
            )
    national_id = directory.national_desk
    if national_id is None:
        notes.append(
            (
                _CHAIN,
                "chain.no_national_desk",
                (),
                "No queue found: the directory has no national desk, so the enquiry "
                "stays unrouted for an agent to place.",
            )
        )
        return None
    national = directory.organizations[national_id]
    queue, clause = pick_queue(national, applicant, topic, language, directory)
    how = clause[2]
    if queue is None:
        notes.append(
            (
                _CHAIN,
                "chain.national_no_queue",
                _with(clause),
                f"No queue found: {how}; the enquiry stays unrouted.",
            )
        )
        return None
    why = "the region is unknown" if region is None else "nothing in the region takes it"
    notes.append(
        (
            _CHAIN,
            "chain.national_region_unknown"
            if region is None
            else "chain.national_nothing_in_region",
            _with(clause, ("organisation", national.name.fi)),
            f"Triage at the national desk {national.name.fi} (chain step 5), because {why}: {how}.",
        )
    )
    return queue
