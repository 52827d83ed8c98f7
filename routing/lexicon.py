"""The lexicon: one dictionary from a lower-case word to everything routing
knows about it, so reading an enquiry costs one lookup per word.

A word may be a function word of a language ("och", "että", "the") and may
start phrases naming a municipality, a region or an institution, in any of
the inflected forms ``declension`` produces, with and without diacritics.
Names that are also ordinary words ("Salo", "Pello", "Ii", Swedish "kemi")
or people's first names ("Simo", "Kaarina") carry a ``Caution``: reading
accepts them only with stronger evidence (see ``reading.is_trusted``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from routing.declension import Case, finnish_forms, fold, swedish_forms
from routing.text import WORD
from routing.vocabulary import Language


class MentionKind(StrEnum):
    MUNICIPALITY = "municipality"
    REGION = "region"
    INSTITUTION = "institution"


class Caution(StrEnum):
    NONE = "none"
    COMMON_WORD = "common_word"  # needs a capital letter (and more at a sentence start)
    PERSON_NAME = "person_name"  # needs a capital and a place form or "i/från/in"


# Municipality names and aliases that are also ordinary words in Finnish,
# Swedish or English, or whose inflected forms are ("pellon" = of a field,
# "saloon", "lopen uupunut", Swedish "kemi" = chemistry, "ingå" = be part of).
COMMON_WORDS = frozenset(
    {
        "aura", "eno", "geta", "hamina", "hanko", "hyvinkää", "ii", "ingå", "kaavi", "kannus",
        "kemi", "kisko", "kolari", "koski", "kotka", "kuhmo", "lahti", "laukaa", "lieto",
        "loppi", "luoto", "masku", "pello", "perho", "rusko", "rääkkylä", "salo", "sauvo",
        "somero", "sund", "vaala", "valtimo", "varkaus", "virrat"
    }
)  # fmt: skip

# Municipality names that are people's first names or a company's name.
PERSON_NAMES = frozenset(
    {
        "gustav adolfs", "gustavs", "kaarina", "lovisa", "nokia", "pertteli", "ristiina",
        "salla", "simo", "soini", "tervo", "vanda"
    }
)  # fmt: skip

# English names of the regions (the Swedish and Finnish ones come with the data).
REGION_NAMES_EN: dict[str, tuple[str, ...]] = {
    "01": ("Uusimaa",),
    "02": ("Southwest Finland", "Finland Proper"),
    "04": ("Satakunta",),
    "05": ("Tavastia Proper", "Kanta-Häme"),
    "06": ("Pirkanmaa",),
    "07": ("Päijät-Häme", "Päijänne Tavastia"),
    "08": ("Kymenlaakso",),
    "09": ("South Karelia",),
    "10": ("South Savo",),
    "11": ("North Savo",),
    "12": ("North Karelia",),
    "13": ("Central Finland",),
    "14": ("South Ostrobothnia",),
    "15": ("Ostrobothnia",),
    "16": ("Central Ostrobothnia",),
    "17": ("North Ostrobothnia",),
    "18": ("Kainuu",),
    "19": ("Lapland", "Lappi"),
    "21": ("Åland", "Aland Islands", "Åland Islands"),
}

# Function words: frequent, and not words of the other two languages
# ("on", "en", "i", "me", "se", "men" are left out for that reason).
_FUNCTION_WORDS: dict[Language, str] = {
    Language.FI: """
        ja että olen olisin ole oli olla olisi ovat ei emme eivät voiko voinko voin
        voisin voisinko miten kuinka mitä mikä missä milloin mihin mistä millä onko
        onkin minä minun minulla minulle minua mä mulla mun sinä te hän tämä tämän
        tässä nyt kun jos mutta tai myös vai vielä jo sekä koska jotta haluan
        haluaisin halusin pitää pitäisi täytyy saa saako saisinko tietoa kysymys
        kysyä kysyisin kysyn apua hei moi moikka kiitos kiitoksia terveisin
        ystävällisin kyllä siis vain sitten paljon mitään kaikki kiinnostaa
        kiinnostaisi tarvitsen hyvää päivää huomenta opiskella koulutukseen
        koulutuksen koulutus hakea haen pääsee pääsenkö olenko onkohan mahdollista
        mahdollisuus""",
    Language.SV: """
        och är jag att det inte hur vad var när kan vill ska skulle kunde måste har
        hade för med till från på om som eller också mitt mina mig du ni vi hej
        tack hälsningar vänliga utbildning utbildningen studera söka ansöka
        fråga frågan undrar vilken vilka finns får ett den av så bara nu här där
        redan mycket gäller angående hjälp behöver intresserad år jobba arbetar
        möjligt möjlighet""",
    Language.EN: """
        the and is are was were be been am i'm my you your we our they it this
        that these what when where which who how why can could would should will
        do does did have has had not for of with about from to in at an a there
        any some if or but so please thanks thank hello hi dear regards best want
        like apply applying study studies course question information need help
        know get also just only into than then""",
}


@dataclass(frozen=True, slots=True)
class Phrase:
    """A name that starts with the word it is filed under."""

    kind: MentionKind
    target: str  # municipality code, region code or organisation id
    label: str  # the name as the directory has it
    tail: tuple[frozenset[str], ...]  # accepted forms of each following word
    case: Case
    caution: Caution


@dataclass(frozen=True, slots=True)
class Term:
    language: Language | None
    phrases: tuple[Phrase, ...]


Lexicon = Mapping[str, Term]


@dataclass(frozen=True, slots=True)
class Name:
    """One name to index: its target, the label to show and its languages."""

    kind: MentionKind
    target: str
    text: str
    finnish: bool = True
    swedish: bool = True


def tokens_of(name: str) -> list[str]:
    return WORD.findall(name.lower())


def caution_of(name: str) -> Caution:
    key = " ".join(tokens_of(name))
    if key in COMMON_WORDS:
        return Caution.COMMON_WORD
    if key in PERSON_NAMES:
        return Caution.PERSON_NAME
    return Caution.NONE


def _forms(name: Name) -> dict[str, Case]:
    """Every written form of the name (words joined by one space)."""
    plain = " ".join(tokens_of(name.text))
    forms: dict[str, Case] = {}
    if name.swedish:
        forms.update(swedish_forms(plain))
    if name.finnish:
        forms.update(finnish_forms(plain))
    forms[plain] = Case.NOMINATIVE
    return forms


def build_lexicon(names: Iterable[Name]) -> dict[str, Term]:
    """Index names (in priority order: the first name to claim a form keeps
    it) and the function words of the three languages."""
    # (first word, tail) -> phrase; the exact spelling outranks a folded one.
    claimed: dict[tuple[str, tuple[frozenset[str], ...], MentionKind], tuple[int, Phrase]] = {}
    contested: set[tuple[str, tuple[frozenset[str], ...], MentionKind]] = set()
    for name in names:
        caution = caution_of(name.text)
        by_head: dict[tuple[str, ...], dict[str, Case]] = {}
        for form, case in _forms(name).items():
            words = form.split(" ")
            by_head.setdefault(tuple(words[:-1]), {})[words[-1]] = case
        for head, lasts in by_head.items():
            for folded in (False, True):
                variants = _variants(head, lasts, folded)
                for first, tail, case in variants:
                    key = (first, tail, name.kind)
                    phrase = Phrase(name.kind, name.target, name.text, tail, case, caution)
                    rank = 1 if folded else 0
                    held = claimed.get(key)
                    if held is None or rank < held[0]:
                        claimed[key] = (rank, phrase)
                        contested.discard(key)
                    elif rank == held[0] == 1 and held[1].target != name.target:
                        # Two names that differ only in diacritics: the
                        # undecorated spelling proves neither.
                        contested.add(key)
    by_word: dict[str, list[Phrase]] = {}
    for key, (_, phrase) in claimed.items():
        if key not in contested:
            by_word.setdefault(key[0], []).append(phrase)
    languages: dict[str, Language] = {}
    for language, text in _FUNCTION_WORDS.items():
        for word in text.split():
            languages.setdefault(word, language)
    lexicon: dict[str, Term] = {}
    for word in sorted(set(by_word) | set(languages)):
        # Longer phrases first, so "oulun seudun ammattiopisto" beats "oulun".
        phrases = sorted(by_word.get(word, []), key=lambda p: -len(p.tail))
        lexicon[word] = Term(languages.get(word), tuple(phrases))
    return lexicon


def _variants(
    head: tuple[str, ...], lasts: Mapping[str, Case], folded: bool
) -> list[tuple[str, tuple[frozenset[str], ...], Case]]:
    """(first word, tail, case) entries for one head of a name."""
    change = fold if folded else str
    if not head:
        return [(change(word), (), case) for word, case in lasts.items()]
    tail_words = [frozenset({change(word)}) for word in head[1:]]
    last_forms = frozenset(change(word) for word in lasts)
    # The case of a multi-word name does not matter for its caution rules.
    return [(change(head[0]), (*tail_words, last_forms), Case.NOMINATIVE)]
