"""Routing reasons in the console user's language.

The engine explains a decision in English sentences and, beside each, a
code with the values that fill it (``routing.codes``); the intake stores
both on the ticket (``routing["reasons"]`` and ``routing["details"]``).
Here each code becomes a sentence of the console's catalog, filled with
its values: names of municipalities and organisations as given, topics,
languages, priorities, audiences and kinds of organisation through their
labels.  English readers get the engine's own sentences, which say a
little more (the conditions of rules, word by word); so do tickets routed
before codes were stored, and any reason whose code this module does not
know.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from routing.codes import CLAUSES
from servicedesk.console.labels import LANGUAGES, PRIORITIES, TOPICS, label

# One sentence, or one part of a sentence (the ``how`` and ``why`` clauses),
# per code of ``routing.codes.CODES``.
REASONS: dict[str, Any] = {
    "input.audience_applicant": _l("Audience: applicant; the enquiry came to the applicant desk."),
    "input.audience_staff": _l("Audience: staff; the enquiry came to the staff desk."),
    "input.audience_unknown": _l(
        "Audience '%(audience)s' is neither applicant nor staff; the enquiry is treated as an "
        "applicant's."
    ),
    "input.identity_codes_ignored": _l(
        "%(count)s personal identity code(s) in the text were ignored."
    ),
    "language.given": _l("Language %(language)s: given with the enquiry ('%(hint)s')."),
    "language.hint_ignored": _l(
        "The language hint '%(hint)s' is not fi, sv or en and was ignored."
    ),
    "language.counted": _l(
        "Language %(language)s: the most words typical of it in the text (fi %(fi)s, sv "
        "%(sv)s, en %(en)s)."
    ),
    "language.swedish_letter": _l(
        "Language Swedish: no common words, but the letter å is Swedish."
    ),
    "language.finnish_forms": _l(
        "Language Finnish: no common words, but Finnish endings or vowels in the text."
    ),
    "language.assumed": _l("Language Finnish: the text gives no evidence, so Finnish is assumed."),
    "topic.given": _l('Topic "%(topic)s": given with the enquiry.'),
    "topic.hint_unknown": _l("The topic '%(hint)s' given with the enquiry is not a known topic."),
    "topic.no_keywords": _l('Topic "Other": no topic keywords in the text.'),
    "topic.scored": _l('Topic "%(topic)s" (score %(score)s): %(words)s.'),
    "topic.next": _l('Next: "%(next_topic)s" (score %(next_score)s).'),
    "topic.next_tied": _l(
        'Next: "%(next_topic)s" (score %(next_score)s), a tie broken by the fixed topic order.'
    ),
    "topic.technical_staff": _l("Technical words count double for staff."),
    "topic.technical_applicant": _l("Technical words count half for applicants."),
    "institution.given": _l(
        "Institution %(organisation)s (%(organisation_id)s): given with the enquiry ('%(hint)s')."
    ),
    "institution.unknown_hint": _l(
        "The institution '%(hint)s' given with the enquiry is not in the directory."
    ),
    "institution.named": _l(
        "Institution %(organisation)s (%(organisation_id)s): named in the text as '%(written)s'."
    ),
    "institution.also_named": _l("The text also names %(others)s; the first named was taken."),
    "institution.own_registered": _l(
        "Sender's institution %(organisation)s (%(organisation_id)s): a registered staff contact."
    ),
    "institution.own_inactive": _l(
        "The staff contact's organisation '%(organisation_id)s' is not active in the directory."
    ),
    "institution.own_by_domain": _l(
        "Sender's institution %(organisation)s (%(organisation_id)s): known by the e-mail "
        "domain %(domain)s."
    ),
    "institution.domain_unknown": _l(
        "The sender's e-mail domain %(domain)s belongs to no institution in the directory."
    ),
    "place.municipality_given": _l(
        "Municipality %(municipality)s: given with the enquiry ('%(hint)s')."
    ),
    "place.municipality_unknown_hint": _l(
        "The municipality '%(hint)s' given with the enquiry is not a known municipality, "
        "alias or code."
    ),
    "place.municipality_named": _l(
        "Municipality %(municipality)s: named in the text ('%(written)s')."
    ),
    "place.municipality_postcode": _l(
        "Municipality %(municipality)s: named in the text (postal code %(written)s)."
    ),
    "place.municipality_mentions": _l(
        "Municipality %(municipality)s: named in the text (%(written)s)."
    ),
    "place.several_named_first": _l(
        "The text names %(count)s municipalities, %(municipalities)s; %(chosen)s was taken as "
        "the one named first."
    ),
    "place.several_named_most": _l(
        "The text names %(count)s municipalities, %(municipalities)s; %(chosen)s was taken as "
        "the one named most often."
    ),
    "place.passed_over_name": _l(
        "'%(written)s' was not taken as %(name)s: it is also a first name or a company and "
        "was not in a place form."
    ),
    "place.passed_over_lower_case": _l(
        "'%(written)s' was not taken as %(name)s: it is also an ordinary word and was not "
        "written with a capital letter."
    ),
    "place.passed_over_sentence_start": _l(
        "'%(written)s' was not taken as %(name)s: it is also an ordinary word and stood at "
        "the start of a sentence."
    ),
    "region.chosen": _l(
        "Region %(region)s: chosen in the enquiry ('%(hint)s', form or phone menu)."
    ),
    "region.municipality_elsewhere": _l(
        "%(municipality)s is in region %(municipality_region)s, but the region choice comes first."
    ),
    "region.unknown_hint": _l(
        "The region '%(hint)s' given with the enquiry is not a known region."
    ),
    "region.of_municipality": _l("Region %(region)s: where %(municipality)s is."),
    "region.named": _l("Region %(region)s: named in the text as '%(written)s'."),
    "region.from_profile": _l(
        "Region %(region)s: from the contact's profile (the enquiry itself names no place)."
    ),
    "region.from_previous": _l(
        "Region %(region)s: from the contact's previous tickets (the enquiry itself names no "
        "place)."
    ),
    "region.profile_unknown": _l(
        "The region '%(value)s' from the contact's profile is not a known region."
    ),
    "region.previous_unknown": _l(
        "The region '%(value)s' from the contact's previous tickets is not a known region."
    ),
    "region.of_named_institution": _l(
        "Region %(region)s: where the named institution %(organisation)s is (no other source)."
    ),
    "region.of_own_institution": _l(
        "Region %(region)s: where the sender's institution %(organisation)s is (no other source)."
    ),
    "region.unknown": _l(
        "Region unknown: the enquiry names no place, and there is no profile, earlier ticket "
        "or institution to take it from."
    ),
    "rule.none_defined": _l("The directory has no routing rules; the default chain decides."),
    "rule.skipped_inactive": _l(
        "Rule %(rule)s matched but was skipped: its queue %(queue)s is not active in the directory."
    ),
    "rule.skipped_audience": _l(
        "Rule %(rule)s matched but was skipped: it routes to the queue %(queue)s "
        "%(queue_audience)s, and an enquiry %(audience)s never goes there."
    ),
    "rule.missed_before": _l("Rules before %(rule)s did not match (%(count)s checked): %(rules)s."),
    "rule.none_matched": _l("No routing rule matched (%(count)s checked): %(rules)s."),
    "rule.matched": _l("Rule %(rule)s matched (%(conditions)s) and routes to queue %(queue)s."),
    "queue.none_active": _l(
        "%(organisation)s (%(organisation_id)s) has no active queue %(audience)s"
    ),
    "queue.only": _l("its only queue %(audience)s, %(queue)s"),
    "queue.fits_topic": _l('its queue %(queue)s %(audience)s, which lists the topic "%(topic)s"'),
    "queue.fits_language": _l(
        "its queue %(queue)s %(audience)s, which lists the language %(language)s"
    ),
    "queue.fits_both": _l(
        'its queue %(queue)s %(audience)s, which lists the topic "%(topic)s" and the language '
        "%(language)s"
    ),
    "queue.first_open": _l(
        "its queue %(queue)s %(audience)s, the first listed that takes any topic and language "
        '(none lists the topic "%(topic)s" or the language %(language)s)'
    ),
    "queue.best_fit": _l(
        'its best-fitting queue %(queue)s %(audience)s (none lists both the topic "%(topic)s" '
        "and the language %(language)s)"
    ),
    "chain.why_technical": _l("Staff enquiry about a technical problem (chain step 1)"),
    "chain.why_second_tier": _l("So it goes to the second tier (chain step 1)"),
    "chain.why_unknown_staff": _l("Staff enquiry from an unknown institution (chain step 1)"),
    "chain.helpdesk_missing": _l("%(why)s, but the directory has no national staff helpdesk."),
    "chain.helpdesk_no_queue": _l("%(why)s, but %(how)s."),
    "chain.helpdesk": _l("%(why)s: the national staff helpdesk %(organisation)s, %(how)s."),
    "chain.own_desk": _l(
        "Staff enquiry from %(organisation)s (chain step 1): its own staff desk answers "
        "first, %(how)s."
    ),
    "chain.own_no_queue": _l("Staff enquiry from %(organisation)s, but %(how)s."),
    "chain.named_institution": _l("The enquiry names %(organisation)s (chain step 2): %(how)s."),
    "chain.institution_elsewhere": _l(
        "It is in region %(institution_region)s, not in the enquiry's region %(region)s; the "
        "named institution is preferred."
    ),
    "chain.named_no_queue": _l("The enquiry names %(organisation)s, but %(how)s."),
    "chain.specialised": _l(
        'Topic "%(topic)s" in region %(region)s is handled by the specialised %(kind)s '
        "%(organisation)s (chain step 3): queue %(queue)s lists the topic."
    ),
    "chain.regional_desk": _l(
        'No institution named and no specialised office for the topic "%(topic)s" in region '
        "%(region)s: the regional desk %(organisation)s (chain step 4), %(how)s."
    ),
    "chain.regional_desk_no_queue": _l("The regional desk of region %(region)s: %(how)s."),
    "chain.no_regional_desk": _l("Region %(region)s has no regional desk in the directory."),
    "chain.no_national_desk": _l(
        "No queue found: the directory has no national desk, so the enquiry stays unrouted "
        "for an agent to place."
    ),
    "chain.national_no_queue": _l("No queue found: %(how)s; the enquiry stays unrouted."),
    "chain.national_region_unknown": _l(
        "Triage at the national desk %(organisation)s (chain step 5), because the region is "
        "unknown: %(how)s."
    ),
    "chain.national_nothing_in_region": _l(
        "Triage at the national desk %(organisation)s (chain step 5), because nothing in the "
        "region takes it: %(how)s."
    ),
    "priority.by_rule": _l("Priority %(priority)s: set by rule %(rule)s."),
    "priority.urgent": _l("Priority high: the text says '%(words)s'."),
    "priority.normal": _l("Priority normal."),
}
AUDIENCES: dict[str, Any] = {
    "applicant": _l("for applicants"),
    "staff": _l("for staff"),
}
KINDS: dict[str, Any] = {
    "apprenticeship_office": _l("apprenticeship office"),
    "institution": _l("educational institution"),
    "regional_desk": _l("regional desk"),
    "national_desk": _l("national desk"),
    "staff_helpdesk": _l("staff helpdesk"),
}

# How a value is shown, by the name of its param; any other value as given.
_VALUES: dict[str, Callable[[str], str]] = {
    "topic": lambda v: label(TOPICS, v),
    "next_topic": lambda v: label(TOPICS, v),
    "language": lambda v: label(LANGUAGES, v),
    "priority": lambda v: label(PRIORITIES, v).lower(),
    "audience": lambda v: label(AUDIENCES, v),
    "queue_audience": lambda v: label(AUDIENCES, v),
    "kind": lambda v: label(KINDS, v),
}


def reason_texts(routing: Mapping[str, Any] | None) -> list[str]:
    """The ticket's routing reasons as the console shows them."""
    routing = routing or {}
    texts = [str(text) for text in routing.get("reasons", [])]
    details = routing.get("details")
    if str(get_locale() or "fi")[:2] == "en":
        return texts
    if not isinstance(details, list) or len(details) != len(texts):
        return texts
    return [translate(detail, text) for detail, text in zip(details, texts, strict=True)]


def translate(detail: Any, english: str) -> str:
    """One stored reason (``{"code": ..., "params": {...}}``) in the user's
    language; ``english`` when it cannot be said from its code."""
    try:
        code, params = detail["code"], detail["params"]
        values = {str(k): _show(str(k), str(v)) for k, v in params.items()}
        for clause in ("how", "why"):
            if clause in params:
                values[clause] = _sentence(str(params[clause]), values)
        before = [_sentence(c, values) for c in str(params.get("before", "")).split()]
        after = [_sentence(c, values) for c in str(params.get("after", "")).split()]
        return " ".join([*before, _sentence(str(code), values), *after])
    except (KeyError, TypeError, ValueError, AttributeError):
        return english


def _show(name: str, value: str) -> str:
    if name in CLAUSES:
        return value
    show = _VALUES.get(name)
    return show(value) if show is not None else value


def _sentence(code: str, values: Mapping[str, str]) -> str:
    return str(REASONS[code]) % values
