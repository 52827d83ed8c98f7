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
from routing.records import Organization, Queue, Rule
from routing.vocabulary import Audience, Language, Note, RuleKey, Step, Topic

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
        notes.append((_RULE, "The directory has no routing rules; the default chain decides."))
        return Target(None, None)
    values = features.by_key()
    missed: list[str] = []
    for rule in directory.rules:
        failed = None
        for condition in rule.when:
            if values[condition.key] not in condition.values:
                failed = condition
                break
        if failed is not None:
            have = values[failed.key] or "none"
            missed.append(f"{rule.id} needs {failed.text} (enquiry: {have!s})")
            continue
        queue = directory.queues.get(rule.route_to)
        active = queue is not None and queue in directory.queues_of.get(queue.organization, ())
        if queue is None or not active:
            notes.append(
                (
                    _RULE,
                    f"Rule {rule.id} matched but was skipped: its queue "
                    f"{rule.route_to} is not active in the directory.",
                )
            )
            continue
        if queue.audience is not features.audience:
            notes.append(
                (
                    _RULE,
                    f"Rule {rule.id} matched but was skipped: it routes to the "
                    f"{queue.audience!s} queue {queue.id}, and {_an(features.audience)} "
                    f"enquiry never goes to a {queue.audience!s} queue.",
                )
            )
            continue
        if missed:
            notes.append((_RULE, _missed_text(missed, before=rule.id)))
        notes.append(
            (_RULE, f"Rule {rule.id} matched ({_describe(rule)}) and routes to queue {queue.id}.")
        )
        return Target(queue, rule)
    if missed:
        notes.append((_RULE, _missed_text(missed, before=None)))
    return Target(None, None)


def _missed_text(missed: list[str], before: str | None) -> str:
    shown = "; ".join(missed[:_RULES_LISTED])
    if len(missed) > _RULES_LISTED:
        shown += f"; and {len(missed) - _RULES_LISTED} more"
    lead = f"Rules before {before} did not match" if before else "No routing rule matched"
    return f"{lead} ({len(missed)} checked): {shown}."


def pick_queue(
    org: Organization,
    audience: Audience,
    topic: Topic,
    language: Language,
    directory: Directory,
) -> tuple[Queue | None, str]:
    """The organisation's queue for this audience whose topics, then
    languages, fit; else the first listed.  Returns also why."""
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
        return None, f"{org.name.fi} ({org.id}) has no active {audience!s} queue"
    if count == 1:
        return best, f"its only {audience!s} queue {best.id}"
    fits = []
    if best_rank[0] == 0:
        fits.append(f"lists topic {topic!s}")
    if best_rank[1] == 0:
        fits.append(f"lists language {language!s}")
    if fits:
        return best, f"its {audience!s} queue {best.id}, which {' and '.join(fits)}"
    if best_rank == (1, 1):
        return best, (
            f"its {audience!s} queue {best.id}, the first listed that takes any topic and "
            f"language (none lists topic {topic!s} or language {language!s})"
        )
    return best, (
        f"its best-fitting {audience!s} queue {best.id} (none lists topic {topic!s} "
        f"and language {language!s})"
    )


def follow_staff_chain(
    features: Features,
    own: Organization | None,
    directory: Directory,
    notes: list[Note],
) -> Queue | None:
    helpdesk_id = directory.staff_helpdesk
    helpdesk = directory.organizations.get(helpdesk_id) if helpdesk_id else None
    topic, language = features.topic, features.language

    def to_helpdesk(why: str) -> Queue | None:
        if helpdesk is None:
            notes.append((_CHAIN, f"{why}, but the directory has no national staff helpdesk."))
            return None
        queue, how = pick_queue(helpdesk, _STAFF, topic, language, directory)
        if queue is None:
            notes.append((_CHAIN, f"{why}, but {how}."))
        else:
            notes.append((_CHAIN, f"{why}: the national staff helpdesk {helpdesk.name.fi}, {how}."))
        return queue

    if topic is _TECHNICAL:
        queue = to_helpdesk("Staff enquiry about a technical problem (chain step 1)")
        if queue is not None or own is None:
            return queue
    if own is not None:
        queue, how = pick_queue(own, _STAFF, topic, language, directory)
        if queue is not None:
            notes.append(
                (
                    _CHAIN,
                    f"Staff enquiry from {own.name.fi} (chain step 1): its own staff "
                    f"desk answers first, {how}.",
                )
            )
            return queue
        notes.append((_CHAIN, f"Staff enquiry from {own.name.fi}, but {how}."))
        return to_helpdesk("So it goes to the second tier (chain step 1)")
    return to_helpdesk("Staff enquiry from an unknown institution (chain step 1)")


def follow_applicant_chain(
    features: Features,
    institution: Organization | None,
    directory: Directory,
    notes: list[Note],
) -> Queue | None:
    topic, language, region = features.topic, features.language, features.region
    applicant = _APPLICANT
    if institution is not None:
        queue, how = pick_queue(institution, applicant, topic, language, directory)
        if queue is not None:
            text = f"The enquiry names {institution.name.fi} (chain step 2): {how}."
            if institution.region and region and institution.region != region:
                text += (
                    f" It is in region {region_label(directory, institution.region)}, not in the "
                    f"enquiry's region {region_label(directory, region)}; the named institution "
                    "is preferred."
                )
            notes.append((_CHAIN, text))
            return queue
        notes.append((_CHAIN, f"The enquiry names {institution.name.fi}, but {how}."))
    if region is not None:
        for queue_id in directory.specialised.get((region, topic), ()):
            queue = directory.queues[queue_id]
            owner = directory.organizations[queue.organization]
            best, how = pick_queue(owner, applicant, topic, language, directory)
            chosen = best if best is not None and topic in best.topics else queue
            notes.append(
                (
                    _CHAIN,
                    f"Topic {topic!s} in region {region_label(directory, region)} "
                    f"is handled by the specialised {str(owner.kind).replace('_', ' ')} "
                    f"{owner.name.fi} (chain step 3): queue {chosen.id} lists the topic.",
                )
            )
            return chosen
        desk_id = directory.regional_desks.get(region)
        if desk_id is not None:
            desk = directory.organizations[desk_id]
            queue, how = pick_queue(desk, applicant, topic, language, directory)
            if queue is not None:
                notes.append(
                    (
                        _CHAIN,
                        f"No institution named and no specialised office for topic "
                        f"{topic!s} in region {region_label(directory, region)}: the regional "
                        f"desk {desk.name.fi} (chain step 4), {how}.",
                    )
                )
                return queue
            notes.append((_CHAIN, f"The regional desk of region {region}: {how}."))
        else:
            notes.append(
                (
                    _CHAIN,
                    f"Region {region_label(directory, region)} has no regional desk "
                    "in the directory.",
                )
            )
    national_id = directory.national_desk
    if national_id is None:
        notes.append(
            (
                _CHAIN,
                "No queue found: the directory has no national desk, so the enquiry "
                "stays unrouted for an agent to place.",
            )
        )
        return None
    national = directory.organizations[national_id]
    queue, how = pick_queue(national, applicant, topic, language, directory)
    if queue is None:
        notes.append((_CHAIN, f"No queue found: {how}; the enquiry stays unrouted."))
        return None
    why = "the region is unknown" if region is None else "nothing in the region takes it"
    notes.append(
        (
            _CHAIN,
            f"Triage at the national desk {national.name.fi} (chain step 5), because {why}: {how}.",
        )
    )
    return queue
