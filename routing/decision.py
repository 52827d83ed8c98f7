"""``decide``: where one enquiry goes, and why.

The decision is total and deterministic: whatever the request and however
empty the directory, it returns a ``RoutingDecision`` whose ``reasons``
explain, in order, the audience, the language, the topic, the places found,
the region, the rules and the chain step that chose the queue (or why no
queue could be chosen), and the priority.  ``now`` is the moment of the
decision; nothing in the current rules depends on it, but it is part of the
contract so time-dependent routing needs no new signature.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from routing.chain import Features, apply_rules, follow_applicant_chain, follow_staff_chain
from routing.directory import Directory
from routing.language import choose_language
from routing.place import locate, name_institution
from routing.reading import read
from routing.records import Organization
from routing.topic import TopicEvidence, is_urgent, score_topics
from routing.vocabulary import Audience, Language, Note, Params, Priority, Step, Topic

# Enum members as module constants: attribute access on an enum class costs
# about ten times a global lookup in Python 3.11, and this is the hot path.
_APPLICANT, _STAFF = Audience.APPLICANT, Audience.STAFF
_AUDIENCES = {"applicant": _APPLICANT, "staff": _STAFF}
_TOPICS = {topic.value: topic for topic in Topic}
_OTHER, _TECHNICAL = Topic.OTHER, Topic.TECHNICAL
_NORMAL, _HIGH = Priority.NORMAL, Priority.HIGH
_INPUT, _LANGUAGE, _TOPIC = Step.INPUT.value, Step.LANGUAGE.value, Step.TOPIC.value
_INSTITUTION, _PRIORITY = Step.INSTITUTION.value, Step.PRIORITY.value


@dataclass(frozen=True, slots=True)
class RoutingRequest:
    """One enquiry as the intake pipeline sees it: its text, the hints the
    channel gave (form fields, phone menu choices) and what is known about
    the contact.  Every hint may be missing or wrong; ``decide`` says which
    it used and which it ignored."""

    audience: str = "applicant"  # "applicant" or "staff": which desk it came to
    channel: str = "web"
    subject: str = ""
    text: str = ""
    language: str | None = None  # hint: "fi", "sv", "en" (or "sv-FI", "svenska"...)
    municipality: str | None = None  # hint: code, Finnish or Swedish name, alias
    institution: str | None = None  # hint: organisation id or alias
    region: str | None = None  # hint, e.g. the phone menu choice
    topic: str | None = None  # hint: a topic id
    sender_email: str | None = None
    staff_organization: str | None = None  # org id of a registered staff contact
    contact_region: str | None = None  # from the contact's profile
    previous_region: str | None = None  # from the contact's previous tickets


@dataclass(frozen=True, slots=True)
class Reason:
    """One English sentence of the explanation; ``step`` is a ``Step`` value
    ("language", "topic", "place", "region", "rule", "chain"...).

    ``code`` (one of ``routing.codes.CODES``) and ``params`` say the same
    without words, for an interface that speaks another language: the
    sentence ``code`` names, filled with ``params``.  Values are strings
    (topics, languages, audiences and priorities as their ``StrEnum``
    members, which are strings: ``.value`` costs time on this hot path).
    A param named in ``routing.codes.CLAUSES`` holds codes instead of a
    value: ``how`` and ``why`` a part of the sentence, ``before`` and
    ``after`` whole sentences around it (``after`` may hold several,
    separated by spaces), all filled from the same ``params``."""

    step: str
    text: str
    code: str = ""
    params: Params = ()


@dataclass(frozen=True, slots=True)
class RoutingDecision:
    """Where the enquiry goes (``queue_id`` and its ``organization_id``, both
    None only when the directory has nowhere for it), what was decided about
    it, the rule that chose the queue (None: the default chain did), and the
    reasons in order."""

    queue_id: str | None
    organization_id: str | None
    region: str | None
    municipality: str | None
    topic: Topic
    language: Language
    priority: Priority
    rule_id: str | None
    reasons: tuple[Reason, ...]
    audience: Audience = Audience.APPLICANT
    institution_id: str | None = None  # the institution the enquiry named


def _audience(value: str, notes: list[Note]) -> Audience:
    audience = _AUDIENCES.get((value or "").strip().lower())
    if audience is _STAFF:
        notes.append(
            (
                _INPUT,
                "input.audience_staff",
                (),
                "Audience staff: the enquiry came to the staff desk.",
            )
        )
        return audience
    if audience is _APPLICANT:
        notes.append(
            (
                _INPUT,
                "input.audience_applicant",
                (),
                "Audience applicant: the enquiry came to the applicant desk.",
            )
        )
        return audience
    notes.append(
        (
            _INPUT,
            "input.audience_unknown",
            (("audience", value),),
            f"Audience '{value}' is neither applicant nor staff; the enquiry is "
            "treated as an applicant's.",
        )
    )
    return _APPLICANT


def _topic(
    hint: str | None, evidence: TopicEvidence, audience: Audience, notes: list[Note]
) -> Topic:
    if hint:
        given = _TOPICS.get(hint.strip().lower())
        if given is not None:
            notes.append(
                (
                    _TOPIC,
                    "topic.given",
                    (("topic", given),),
                    f"Topic {given!s}: given with the enquiry.",
                )
            )
            return given
    lead = f"The topic '{hint}' given with the enquiry is not a known topic. " if hint else ""
    before: Params = (("before", "topic.hint_unknown"), ("hint", hint)) if hint else ()
    if not evidence.scores:
        notes.append(
            (
                _TOPIC,
                "topic.no_keywords",
                before,
                f"{lead}Topic other: no topic keywords in the text.",
            )
        )
        return _OTHER
    best = evidence.scores[0]
    shown = ", ".join(
        f"'{word}'" if word == stem else f"'{word}' ({stem})"
        for word, stem in evidence.words_of(best)[:5]
    )
    text = f"{lead}Topic {best.topic!s} (score {best.score:g}): {shown}."
    params: Params = (
        ("topic", best.topic),
        ("score", f"{best.score:g}"),
        ("words", shown),
        *before,
    )
    after = []
    if len(evidence.scores) > 1:
        runner = evidence.scores[1]
        tied = runner.score == best.score
        tie = " (a tie, broken by the fixed topic order)" if tied else ""
        text += f" Next: {runner.topic!s} (score {runner.score:g}){tie}."
        after.append("topic.next_tied" if tied else "topic.next")
        params += (("next_topic", runner.topic), ("next_score", f"{runner.score:g}"))
    if evidence.technical:
        factor = "double for staff" if audience is _STAFF else "half for applicants"
        text += f" Technical words count {factor}."
        after.append("topic.technical_staff" if audience is _STAFF else "topic.technical_applicant")
    if after:
        params += (("after", " ".join(after)),)
    notes.append((_TOPIC, "topic.scored", params, text))
    return best.topic


def _own_organization(
    staff_organization: str | None,
    sender_email: str | None,
    directory: Directory,
    notes: list[Note],
) -> Organization | None:
    if staff_organization:
        org = directory.organizations.get(staff_organization)
        if org is not None and org.active:
            notes.append(
                (
                    _INSTITUTION,
                    "institution.own_registered",
                    (("organisation", org.name.fi), ("organisation_id", org.id)),
                    f"Sender's institution {org.name.fi} ({org.id}): a registered staff contact.",
                )
            )
            return org
        notes.append(
            (
                _INSTITUTION,
                "institution.own_inactive",
                (("organisation_id", staff_organization),),
                f"The staff contact's organisation '{staff_organization}' is "
                "not active in the directory.",
            )
        )
    org = directory.organization_by_email(sender_email)
    if org is not None and sender_email:
        domain = sender_email.rsplit("@", 1)[1].lower()
        notes.append(
            (
                _INSTITUTION,
                "institution.own_by_domain",
                (("organisation", org.name.fi), ("organisation_id", org.id), ("domain", domain)),
                f"Sender's institution {org.name.fi} ({org.id}): known by the "
                f"e-mail domain {domain}.",
            )
        )
        return org
    if sender_email and "@" in sender_email:
        domain = sender_email.rsplit("@", 1)[1].lower()
        notes.append(
            (
                _INSTITUTION,
                "institution.domain_unknown",
                (("domain", domain),),
                f"The sender's e-mail domain {domain} belongs to no institution in the directory.",
            )
        )
    return None


def decide(request: RoutingRequest, directory: Directory, now: datetime) -> RoutingDecision:
    """Where the enquiry goes, with the reasons; see the module docstring."""
    notes: list[Note] = []
    audience = _audience(request.audience, notes)
    reading = read(
        request.subject or "", request.text or "", directory.lexicon, directory.postcodes
    )
    if reading.identity_codes:
        notes.append(
            (
                _INPUT,
                "input.identity_codes_ignored",
                (("count", str(reading.identity_codes)),),
                f"{reading.identity_codes} personal identity code(s) in the text were ignored.",
            )
        )
    evidence = score_topics(reading.joined, audience)
    votes = dict(reading.votes)
    for lang, count in evidence.votes.items():
        votes[lang] += count
    language = choose_language(request.language, votes, reading.joined)
    notes.append((_LANGUAGE, language.code, language.params, language.explanation))
    topic = _topic(request.topic, evidence, audience, notes)

    institution = name_institution(request.institution, reading, directory, notes)
    own = None
    if audience is _STAFF:
        own = _own_organization(request.staff_organization, request.sender_email, directory, notes)
    fallback = own if audience is _STAFF else institution
    role = "the sender's institution" if audience is _STAFF else "the named institution"
    role_code = "region.of_own_institution" if audience is _STAFF else "region.of_named_institution"
    municipality, region = locate(
        request.region,
        request.municipality,
        request.contact_region,
        request.previous_region,
        fallback,
        role,
        role_code,
        reading,
        directory,
        notes,
    )

    features = Features(
        audience=audience,
        region=region,
        topic=topic,
        language=language.language,
        channel=(request.channel or "").strip().lower(),
        institution=institution.id if institution else None,
        municipality=municipality.code if municipality else None,
    )
    target = apply_rules(features, directory, notes)
    queue = target.queue
    if queue is None:
        if audience is _STAFF:
            queue = follow_staff_chain(features, own, directory, notes)
        else:
            queue = follow_applicant_chain(features, institution, directory, notes)

    priority = _NORMAL
    if target.rule is not None and target.rule.priority is not None:
        priority = target.rule.priority
        notes.append(
            (
                _PRIORITY,
                "priority.by_rule",
                (("priority", priority), ("rule", target.rule.id)),
                f"Priority {priority!s}: set by rule {target.rule.id}.",
            )
        )
    else:
        urgent = is_urgent(reading.joined)
        if urgent:
            priority = _HIGH
            notes.append(
                (
                    _PRIORITY,
                    "priority.urgent",
                    (("words", urgent),),
                    f"Priority high: the text says '{urgent}'.",
                )
            )
        else:
            notes.append((_PRIORITY, "priority.normal", (), "Priority normal."))
    return RoutingDecision(
        queue_id=queue.id if queue else None,
        organization_id=queue.organization if queue else None,
        region=region,
        municipality=municipality.code if municipality else None,
        topic=topic,
        language=language.language,
        priority=priority,
        rule_id=target.rule.id if target.rule else None,
        reasons=tuple([Reason(step, text, code, params) for step, code, params, text in notes]),
        audience=audience,
        institution_id=institution.id if institution else None,
    )
