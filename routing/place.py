"""Where an enquiry belongs: the named institution, the municipality and
the region, each with the sentence that says where it came from.

The region comes, in this order (DESIGN.md), from the enquiry itself (the
region chosen in the form or the phone menu, the municipality given in the
form, a municipality or postal code in the text, a region named in the
text), then the contact's profile, then the contact's previous tickets,
then the named institution (for staff: their own institution).  When the
text names several municipalities, the one named most often wins, then the
one named first; the reason names them all.
"""

from __future__ import annotations

from collections.abc import Sequence

from routing.directory import Directory
from routing.lexicon import MentionKind
from routing.reading import Mention, Reading
from routing.records import Municipality, Organization
from routing.vocabulary import Note, Params, Step

_INSTITUTION, _PLACE, _REGION = Step.INSTITUTION.value, Step.PLACE.value, Step.REGION.value
_MUNICIPALITY, _REGION_KIND = MentionKind.MUNICIPALITY, MentionKind.REGION
_INSTITUTION_KIND = MentionKind.INSTITUTION


def region_label(directory: Directory, code: str) -> str:
    region = directory.regions.get(code)
    return f"{code} {region.name_fi}" if region else code


def municipality_label(m: Municipality) -> str:
    if m.name_sv and m.name_sv != m.name_fi:
        return f"{m.name_fi} / {m.name_sv} ({m.code})"
    return f"{m.name_fi} ({m.code})"


def _quote(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def name_institution(
    hint: str | None, reading: Reading, directory: Directory, notes: list[Note]
) -> Organization | None:
    named = [m for m in reading.mentions if m.kind is _INSTITUTION_KIND]
    if hint and hint.strip():
        org = directory.find_organization(hint)
        if org is not None:
            notes.append(
                (
                    _INSTITUTION,
                    "institution.given",
                    (("organisation", org.name.fi), ("organisation_id", org.id), ("hint", hint)),
                    f"Institution {org.name.fi} ({org.id}): given with the enquiry ('{hint}').",
                )
            )
            return org
        notes.append(
            (
                _INSTITUTION,
                "institution.unknown_hint",
                (("hint", hint),),
                f"The institution '{hint}' given with the enquiry is not in the directory.",
            )
        )
    if not named:
        return None
    first = named[0]
    org = directory.organizations[first.target]
    others = sorted({m.target for m in named} - {first.target})
    text = f"Institution {org.name.fi} ({org.id}): named in the text as '{first.written}'."
    params: Params = (
        ("organisation", org.name.fi),
        ("organisation_id", org.id),
        ("written", first.written),
    )
    if others:
        text += f" The text also names {_quote(others)}; the first named was taken."
        params += (("after", "institution.also_named"), ("others", ", ".join(others)))
    notes.append((_INSTITUTION, "institution.named", params, text))
    return org


def _choose_municipality(
    mentions: Sequence[Mention], directory: Directory, notes: list[Note]
) -> Municipality | None:
    if not mentions:
        return None
    if len(mentions) == 1:
        mention = mentions[0]
        chosen = directory.municipalities[mention.target]
        how = f"postal code {mention.written}" if mention.by_postcode else f"'{mention.written}'"
        code = "place.municipality_postcode" if mention.by_postcode else "place.municipality_named"
        label = municipality_label(chosen)
        notes.append(
            (
                _PLACE,
                code,
                (("municipality", label), ("written", mention.written)),
                f"Municipality {label}: named in the text ({how}).",
            )
        )
        return chosen
    counts: dict[str, int] = {}
    first: dict[str, Mention] = {}
    for mention in sorted(mentions, key=lambda m: m.position):
        counts[mention.target] = counts.get(mention.target, 0) + 1
        first.setdefault(mention.target, mention)
    code = min(counts, key=lambda c: (-counts[c], first[c].position))
    chosen = directory.municipalities[code]
    evidence = []
    written = []
    for mention in mentions:
        if mention.target == code:
            evidence.append(
                f"postal code {mention.written}" if mention.by_postcode else f"'{mention.written}'"
            )
            written.append(mention.written if mention.by_postcode else f"'{mention.written}'")
    how = "named in the text (" + ", ".join(list(dict.fromkeys(evidence))[:4]) + ")"
    label = municipality_label(chosen)
    text = f"Municipality {label}: {how}."
    params: Params = (
        ("municipality", label),
        ("written", ", ".join(list(dict.fromkeys(written))[:4])),
    )
    if len(counts) > 1:
        labels = [municipality_label(directory.municipalities[c]) for c in first]
        tied = sum(1 for n in counts.values() if n == counts[code]) > 1
        why = "named first" if tied else "named most often"
        text += f" The text names {len(counts)} municipalities, {_quote(labels)}; "
        text += f"{chosen.name_fi} was taken as the one {why}."
        params += (
            ("after", "place.several_named_first" if tied else "place.several_named_most"),
            ("count", str(len(counts))),
            ("municipalities", "; ".join(labels)),
            ("chosen", chosen.name_fi),
        )
    notes.append((_PLACE, "place.municipality_mentions", params, text))
    return chosen


def locate(
    region_hint: str | None,
    municipality_hint: str | None,
    contact_region: str | None,
    previous_region: str | None,
    fallback_organization: Organization | None,
    fallback_role: str,
    fallback_code: str,
    reading: Reading,
    directory: Directory,
    notes: list[Note],
) -> tuple[Municipality | None, str | None]:
    """The municipality and the region, with a note for each finding.

    ``fallback_organization`` is the last source of a region: the named
    institution (``fallback_role`` "the named institution", ``fallback_code``
    "region.of_named_institution") or a staff member's own institution."""
    municipality: Municipality | None = None
    if municipality_hint and municipality_hint.strip():
        municipality = directory.find_municipality(municipality_hint)
        if municipality is not None:
            label = municipality_label(municipality)
            notes.append(
                (
                    _PLACE,
                    "place.municipality_given",
                    (("municipality", label), ("hint", municipality_hint)),
                    f"Municipality {label}: given with the enquiry ('{municipality_hint}').",
                )
            )
        else:
            notes.append(
                (
                    _PLACE,
                    "place.municipality_unknown_hint",
                    (("hint", municipality_hint),),
                    f"The municipality '{municipality_hint}' given with the enquiry "
                    "is not a known municipality, alias or code.",
                )
            )
    if municipality is None:
        named = [m for m in reading.mentions if m.kind is _MUNICIPALITY]
        municipality = _choose_municipality(named, directory, notes)
    notes.extend(reading.passed_over[:3])

    if region_hint and region_hint.strip():
        region = directory.find_region(region_hint)
        if region is not None:
            label = region_label(directory, region.code)
            text = f"Region {label}: chosen in the enquiry ('{region_hint}', form or phone menu)."
            params: Params = (("region", label), ("hint", region_hint))
            if municipality is not None and municipality.region != region.code:
                elsewhere = region_label(directory, municipality.region)
                text += (
                    f" {municipality.name_fi} is in region {elsewhere}, "
                    "but the region choice comes first."
                )
                params += (
                    ("after", "region.municipality_elsewhere"),
                    ("municipality", municipality.name_fi),
                    ("municipality_region", elsewhere),
                )
            notes.append((_REGION, "region.chosen", params, text))
            return municipality, region.code
        notes.append(
            (
                _REGION,
                "region.unknown_hint",
                (("hint", region_hint),),
                f"The region '{region_hint}' given with the enquiry is not a known region.",
            )
        )
    if municipality is not None:
        label = region_label(directory, municipality.region)
        notes.append(
            (
                _REGION,
                "region.of_municipality",
                (("region", label), ("municipality", municipality.name_fi)),
                f"Region {label}: where {municipality.name_fi} is.",
            )
        )
        return municipality, municipality.region
    regions_named = [m for m in reading.mentions if m.kind is _REGION_KIND]
    if regions_named:
        mention = regions_named[0]
        label = region_label(directory, mention.target)
        notes.append(
            (
                _REGION,
                "region.named",
                (("region", label), ("written", mention.written)),
                f"Region {label}: named in the text as '{mention.written}'.",
            )
        )
        return None, mention.target
    for source, found, unknown, value in (
        ("the contact's profile", "region.from_profile", "region.profile_unknown", contact_region),
        (
            "the contact's previous tickets",
            "region.from_previous",
            "region.previous_unknown",
            previous_region,
        ),
    ):
        if value and value.strip():
            region = directory.find_region(value)
            if region is not None:
                label = region_label(directory, region.code)
                notes.append(
                    (
                        _REGION,
                        found,
                        (("region", label),),
                        f"Region {label}: from {source} (the enquiry itself names no place).",
                    )
                )
                return None, region.code
            notes.append(
                (
                    _REGION,
                    unknown,
                    (("value", value),),
                    f"The region '{value}' from {source} is not a known region.",
                )
            )
    if fallback_organization is not None and fallback_organization.region:
        label = region_label(directory, fallback_organization.region)
        notes.append(
            (
                _REGION,
                fallback_code,
                (("region", label), ("organisation", fallback_organization.name.fi)),
                f"Region {label}: "
                f"where {fallback_role} {fallback_organization.name.fi} is (no other source).",
            )
        )
        return None, fallback_organization.region
    notes.append(
        (
            _REGION,
            "region.unknown",
            (),
            "Region unknown: the enquiry names no place, and there is no profile, "
            "earlier ticket or institution to take it from.",
        )
    )
    return None, None
