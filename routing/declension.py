"""Inflected forms of place and institution names, so that "Oulussa",
"Helsingistä", "Seinäjoelle" and "från Jakobstad" all lead back to a name.

Finnish forms come from rules: the stem type is read off the word's ending
(``-joki`` → ``joe-/joke-``, ``-nen`` → ``-se-/-si-``, a long vowel, ``-e``
...), consonant gradation weakens the last syllable (``Turku`` → ``Turu-``,
``Helsinki`` → ``Helsingi-``, ``Lappeenranta`` → ``Lappeenranna-``), and
vowel harmony picks ``-ssa`` or ``-ssä``.  Where the rules fail (``Varkaus``
→ ``Varkaudessa``, ``Uusikaupunki`` → ``Uudessakaupungissa``) a curated
table gives the stems or the forms.  Both the inner (``-ssa``) and the outer
(``-lla``) local cases are produced for every name: the wrong one of the two
is never an ordinary word, and people do write "Porilla".  Swedish names get
the genitive ``-s``; Swedish prepositions ("i Vasa") need no inflection.

Only singular forms are produced, except for the ``-nen`` names that are
plural in use ("Kauniaisissa", "Ikaalisiin") and the curated plurals.
"""

from __future__ import annotations

from enum import StrEnum


class Case(StrEnum):
    """The grammatical role of a form, as far as place matching cares."""

    NOMINATIVE = "nominative"
    GENITIVE = "genitive"
    LOCATIVE = "locative"  # in, from, at: -ssa -sta -lla -lta
    DIRECTIONAL = "directional"  # to: illative and allative
    OTHER = "other"  # essive, translative


VOWELS = frozenset("aeiouyäö")
_BACK = frozenset("aou")
_FRONT = frozenset("äöy")

# Last components of compound names whose stem is not the nominative:
# (weak stem for most cases, strong stem for the illative and essive, back?)
_COMPONENTS: dict[str, tuple[str, str, bool]] = {
    "joki": ("joe", "joke", True),
    "järvi": ("järve", "järve", False),
    "lahti": ("lahde", "lahte", True),
    "niemi": ("nieme", "nieme", False),
    "saari": ("saare", "saare", True),
    "salmi": ("salme", "salme", True),
    "koski": ("koske", "koske", True),
    "vesi": ("vede", "vete", False),
    "mäki": ("mäe", "mäke", False),
    "lampi": ("lamme", "lampe", True),
    "nummi": ("numme", "numme", True),
    "suomi": ("suome", "suome", False),
    "kivi": ("kive", "kive", False),
}

# Names whose stems the rules get wrong: (weak stem, strong stem).
_STEMS: dict[str, tuple[str, str]] = {
    "varkaus": ("varkaude", "varkaute"),
    "alavus": ("alavude", "alavute"),
    "kannus": ("kannukse", "kannukse"),
    "nurmes": ("nurmekse", "nurmekse"),
    "muhos": ("muhokse", "muhokse"),
    "punkalaidun": ("punkalaitume", "punkalaitume"),
    "loppi": ("lope", "loppe"),
    "pihtipudas": ("pihtiputaa", "pihtiputaa"),
    "haukipudas": ("haukiputaa", "haukiputaa"),
    "tuulos": ("tuulokse", "tuulokse"),
    "kangas": ("kankaa", "kankaa"),
}

# Names where both parts inflect, or plurals: the forms people write.
_FORMS: dict[str, dict[str, Case]] = {
    "uusikaupunki": {
        "uudessakaupungissa": Case.LOCATIVE,
        "uudestakaupungista": Case.LOCATIVE,
        "uudenkaupungin": Case.GENITIVE,
        "uuteenkaupunkiin": Case.DIRECTIONAL,
        "uudellekaupungille": Case.DIRECTIONAL,
    },
    "uusikaarlepyy": {
        "uudessakaarlepyyssä": Case.LOCATIVE,
        "uudestakaarlepyystä": Case.LOCATIVE,
        "uudenkaarlepyyn": Case.GENITIVE,
        "uuteenkaarlepyyhyn": Case.DIRECTIONAL,
    },
    "isokyrö": {
        "isossakyrössä": Case.LOCATIVE,
        "isostakyröstä": Case.LOCATIVE,
        "isonkyrön": Case.GENITIVE,
        "isoonkyröön": Case.DIRECTIONAL,
    },
    "uusimaa": {
        "uudellamaalla": Case.LOCATIVE,
        "uudeltamaalta": Case.LOCATIVE,
        "uudenmaan": Case.GENITIVE,
        "uudellemaalle": Case.DIRECTIONAL,
    },
    "kangasala": {
        "kangasalla": Case.LOCATIVE,
        "kangasalta": Case.LOCATIVE,
        "kangasalle": Case.DIRECTIONAL,
    },
    "virrat": {
        "virroilla": Case.LOCATIVE,
        "virroilta": Case.LOCATIVE,
        "virroissa": Case.LOCATIVE,
        "virroista": Case.LOCATIVE,
        "virtain": Case.GENITIVE,
        "virtojen": Case.GENITIVE,
        "virroille": Case.DIRECTIONAL,
        "virtoihin": Case.DIRECTIONAL,
    },
}

# Strong → weak grade of the consonants before the last vowel; longest first.
_GRADATION: tuple[tuple[str, str], ...] = (
    ("kk", "k"),
    ("pp", "p"),
    ("tt", "t"),
    ("nk", "ng"),
    ("mp", "mm"),
    ("nt", "nn"),
    ("lt", "ll"),
    ("rt", "rr"),
    ("ht", "hd"),
    ("lk", "l"),
    ("rk", "r"),
    ("lp", "lv"),
    ("rp", "rv"),
)

_LOCAL: tuple[tuple[str, Case], ...] = (
    ("ssa", Case.LOCATIVE),
    ("sta", Case.LOCATIVE),
    ("lla", Case.LOCATIVE),
    ("lta", Case.LOCATIVE),
    ("lle", Case.DIRECTIONAL),
    ("ksi", Case.OTHER),
)

_TO_FRONT = str.maketrans("aou", "äöy")
_FOLD = str.maketrans("äöåéèüáà", "aoaeeuaa")


def fold(text: str) -> str:
    """Letters without their diacritics, for people typing on other keyboards."""
    return text.translate(_FOLD)


def is_back(word: str) -> bool:
    """Vowel harmony: back when the last harmonic vowel is a, o or u."""
    for char in reversed(word):
        if char in _BACK:
            return True
        if char in _FRONT:
            return False
    return False


def _harmonise(ending: str, back: bool) -> str:
    return ending if back else ending.translate(_TO_FRONT)


def weaken(word: str) -> str:
    """The weak grade of a word ending in one vowel (``turku`` → ``turu``)."""
    if len(word) < 3 or word[-1] not in VOWELS or word[-2] in VOWELS:
        return word
    body, last = word[:-1], word[-1]
    for strong, weak in _GRADATION:
        if not body.endswith(strong) or len(body) <= len(strong):
            continue
        # A double consonant weakens after anything (pomarkku → pomarku);
        # a cluster only after a vowel (helsinki → helsingi).
        if strong[0] == strong[1] or body[-len(strong) - 1] in VOWELS:
            return body[: -len(strong)] + weak + last
    if len(body) >= 2 and body[-2] in VOWELS:
        if body[-1] == "t":
            return body[:-1] + "d" + last
        if body[-1] == "p":
            return body[:-1] + "v" + last
        if body[-1] == "k" and len(body) >= 3 and body[-2] == body[-3]:
            # A lone k after a long vowel disappears (juuka → juua).
            return body[:-1] + last
    return word


def _stem_forms(weak: str, strong: str, back: bool, *, long_vowel: bool) -> dict[str, Case]:
    forms: dict[str, Case] = {weak + "n": Case.GENITIVE}
    for ending, case in _LOCAL:
        forms[weak + _harmonise(ending, back)] = case
    forms[strong + _harmonise("na", back)] = Case.OTHER
    if long_vowel:
        forms[strong + "seen"] = Case.DIRECTIONAL
        forms[strong + "h" + strong[-1] + "n"] = Case.DIRECTIONAL
    else:
        forms[strong + strong[-1] + "n"] = Case.DIRECTIONAL
    return forms


def _nen_forms(word: str, back: bool) -> dict[str, Case]:
    base = word[:-3]
    forms = _stem_forms(base + "se", base + "se", back, long_vowel=False)
    for ending, case in _LOCAL:
        forms[base + "si" + _harmonise(ending, back)] = case
    forms[base + "siin"] = Case.DIRECTIONAL
    forms[base + "sten"] = Case.GENITIVE
    forms[base + "sien"] = Case.GENITIVE
    return forms


def _word_forms(word: str) -> dict[str, Case]:
    """Finnish forms of one lower-case word (the last word of a name)."""
    forms: dict[str, Case] = {word: Case.NOMINATIVE}
    if word in _STEMS:
        weak, strong = _STEMS[word]
        long_vowel = weak[-1] == weak[-2]
        forms.update(_stem_forms(weak, strong, is_back(weak), long_vowel=long_vowel))
    elif any(word.endswith(c) for c in _COMPONENTS):
        component = next(c for c in _COMPONENTS if word.endswith(c))
        weak_end, strong_end, back = _COMPONENTS[component]
        head = word[: -len(component)]
        forms.update(_stem_forms(head + weak_end, head + strong_end, back, long_vowel=False))
    elif word.endswith("nen") and len(word) > 4:
        forms.update(_nen_forms(word, is_back(word)))
    elif word[-1] not in VOWELS:
        # Swedish and other foreign names take an -i- in Finnish (Finströmissä).
        stem = word + "i"
        forms.update(_stem_forms(stem, stem, is_back(word), long_vowel=False))
    elif len(word) >= 2 and word[-1] == word[-2]:
        forms.update(_stem_forms(word, word, is_back(word), long_vowel=True))
    elif word[-1] == "e":
        back = is_back(word)
        # Both "Raahessa" and "Tampereella"; the long stem's cases win a
        # clash ("tampereen" is a genitive, not "into Tampere").
        forms.update(_stem_forms(word, word, back, long_vowel=False))
        forms.update(_stem_forms(word + "e", word + "e", back, long_vowel=True))
    else:
        back = is_back(word)
        weak = weaken(word)
        if weak != word:
            # The ungraded forms too: loan names do not gradate (Getassa),
            # and for the rest they are harmless misspellings (Turkussa).
            forms.update(_stem_forms(word, word, back, long_vowel=False))
        forms.update(_stem_forms(weak, word, back, long_vowel=False))
    forms[word] = Case.NOMINATIVE
    return forms


def finnish_forms(name: str) -> dict[str, Case]:
    """Lower-case forms of a name (one or more words, the last inflected)."""
    name = " ".join(name.lower().split())
    if not name:
        return {}
    head, _, last = name.rpartition(" ")
    prefix = head + " " if head else ""
    forms = {prefix + form: case for form, case in _word_forms(last).items()}
    forms.update(_FORMS.get(name, {}))
    return forms


def swedish_forms(name: str) -> dict[str, Case]:
    """Lower-case nominative and genitive of a Swedish name."""
    name = " ".join(name.lower().split())
    if not name:
        return {}
    forms = {name: Case.NOMINATIVE}
    if name[-1] not in "sxz":
        forms[name + "s"] = Case.GENITIVE
    return forms
