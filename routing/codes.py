"""The codes of routing reasons: every ``Reason.code`` the engine can give,
and every clause code a reason's params can hold (see ``Reason``).

An interface that explains decisions in its own language translates these
codes; the English sentences stay in ``Reason.text``.  A code, once given,
keeps its meaning and its params: tickets store them.
"""

from __future__ import annotations

# Params whose value is one or more codes (space-separated) rather than a
# value: ``how`` and ``why`` are parts of the sentence, ``before`` and
# ``after`` whole sentences put around it.
CLAUSES: tuple[str, ...] = ("before", "how", "why", "after")

CODES: frozenset[str] = frozenset(
    {
        # input
        "input.audience_applicant",
        "input.audience_staff",
        "input.audience_unknown",
        "input.identity_codes_ignored",
        # language
        "language.assumed",
        "language.counted",
        "language.finnish_forms",
        "language.given",
        "language.hint_ignored",
        "language.swedish_letter",
        # topic
        "topic.given",
        "topic.hint_unknown",
        "topic.next",
        "topic.next_tied",
        "topic.no_keywords",
        "topic.scored",
        "topic.technical_applicant",
        "topic.technical_staff",
        # institution
        "institution.also_named",
        "institution.domain_unknown",
        "institution.given",
        "institution.named",
        "institution.own_by_domain",
        "institution.own_inactive",
        "institution.own_registered",
        "institution.unknown_hint",
        # place
        "place.municipality_given",
        "place.municipality_mentions",
        "place.municipality_named",
        "place.municipality_postcode",
        "place.municipality_unknown_hint",
        "place.passed_over_lower_case",
        "place.passed_over_name",
        "place.passed_over_sentence_start",
        "place.several_named_first",
        "place.several_named_most",
        # region
        "region.chosen",
        "region.from_previous",
        "region.from_profile",
        "region.municipality_elsewhere",
        "region.named",
        "region.of_municipality",
        "region.of_named_institution",
        "region.of_own_institution",
        "region.previous_unknown",
        "region.profile_unknown",
        "region.unknown",
        "region.unknown_hint",
        # rule
        "rule.matched",
        "rule.missed_before",
        "rule.none_defined",
        "rule.none_matched",
        "rule.skipped_audience",
        "rule.skipped_inactive",
        # queue
        "queue.best_fit",
        "queue.first_open",
        "queue.fits_both",
        "queue.fits_language",
        "queue.fits_topic",
        "queue.none_active",
        "queue.only",
        # chain
        "chain.helpdesk",
        "chain.helpdesk_missing",
        "chain.helpdesk_no_queue",
        "chain.institution_elsewhere",
        "chain.named_institution",
        "chain.named_no_queue",
        "chain.national_no_queue",
        "chain.national_nothing_in_region",
        "chain.national_region_unknown",
        "chain.no_national_desk",
        "chain.no_regional_desk",
        "chain.own_desk",
        "chain.own_no_queue",
        "chain.regional_desk",
        "chain.regional_desk_no_queue",
        "chain.specialised",
        "chain.why_second_tier",
        "chain.why_technical",
        "chain.why_unknown_staff",
        # priority
        "priority.by_rule",
        "priority.normal",
        "priority.urgent",
    }
)
