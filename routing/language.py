"""The language of an enquiry: Finnish, Swedish or English.

A hint (the form's language, the IVR menu choice, the contact's profile)
wins when it names one of the three.  Otherwise the words counted while
reading decide: function words ("och", "että", "the"), topic keywords of
each language and Finnish place forms ("Oulussa").  A text with none of
them is judged by its letters and endings, and a text with no evidence at
all is taken as Finnish, the language most enquiries are in.  Ties go to Finnish, then
Swedish.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from routing.vocabulary import Language, Params

_NAMES: dict[str, Language] = {
    "fi": Language.FI,
    "fin": Language.FI,
    "suomi": Language.FI,
    "finnish": Language.FI,
    "finska": Language.FI,
    "sv": Language.SV,
    "swe": Language.SV,
    "se": Language.SV,
    "svenska": Language.SV,
    "ruotsi": Language.SV,
    "swedish": Language.SV,
    "en": Language.EN,
    "eng": Language.EN,
    "english": Language.EN,
    "englanti": Language.EN,
    "engelska": Language.EN,
}
_FINNISH_ENDINGS = re.compile(
    r"\w(?:ssa|ssä|sta|stä|lla|llä|lta|ltä|lle|ksi|aan|ään|ssani|ssäni|nko|nkö|ko|kö)\b"
)
_FINNISH_LETTERS = re.compile(r"(?:aa|ää|uu|yy|ii|oo|öö|ei|äi|ui)\w*(?:a|ä|i|n)\b")


# Made for every decision: slotted but not frozen, because creating a frozen
# dataclass costs three times as much on this hot path.  Never mutated.
@dataclass(slots=True)
class LanguageChoice:
    language: Language
    explanation: str
    code: str
    params: Params


def parse_language(hint: str | None) -> Language | None:
    """``"fi"``, ``"sv-FI"``, ``"Svenska"``... as a language, or None."""
    if not hint:
        return None
    key = hint.strip().lower().replace("_", "-")
    return _NAMES.get(key) or _NAMES.get(key.split("-", 1)[0])


_FI, _SV, _EN = Language.FI, Language.SV, Language.EN


def choose_language(hint: str | None, votes: Mapping[Language, int], joined: str) -> LanguageChoice:
    """The language and the sentence explaining it; ``joined`` is the
    enquiry's lower-case words joined by spaces."""
    given = parse_language(hint)
    if given is not None:
        return LanguageChoice(
            given,
            f"Language {given!s}: given with the enquiry ('{hint}').",
            "language.given",
            (("language", given), ("hint", hint or "")),
        )
    ignored = f"The language hint '{hint}' is not fi, sv or en and was ignored. " if hint else ""
    lead: Params = (("before", "language.hint_ignored"), ("hint", hint)) if hint else ()
    fi, sv, en = votes[_FI], votes[_SV], votes[_EN]
    if fi or sv or en:
        best = _FI if fi >= sv and fi >= en else _SV if sv >= en else _EN
        return LanguageChoice(
            best,
            f"{ignored}Language {best!s}: the most words typical of it in the text "
            f"(fi {fi}, sv {sv}, en {en}).",
            "language.counted",
            (("language", best), ("fi", str(fi)), ("sv", str(sv)), ("en", str(en)), *lead),
        )
    if "å" in joined:
        return LanguageChoice(
            _SV,
            f"{ignored}Language sv: no common words, but the letter å is Swedish.",
            "language.swedish_letter",
            lead,
        )
    if _FINNISH_ENDINGS.search(joined) or _FINNISH_LETTERS.search(joined):
        return LanguageChoice(
            _FI,
            f"{ignored}Language fi: no common words, but Finnish endings or vowels in the text.",
            "language.finnish_forms",
            lead,
        )
    return LanguageChoice(
        _FI,
        f"{ignored}Language fi: the text gives no evidence, so Finnish is assumed.",
        "language.assumed",
        lead,
    )
