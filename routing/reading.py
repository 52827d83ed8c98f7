"""Reading an enquiry: one pass over its words collects the evidence for
its language and every mention of a municipality, region or institution,
and a second look finds its postal codes.

The text is scrubbed first (``text.scrub``), so an identity code is never
read.  Words are looked up lower-cased, one dictionary lookup each; only
when a name that is also an ordinary word turns up are the words looked at
as written (capital letters, start of a sentence), because that is rare
and costs a second pass.  The names that were not taken are kept, so the
decision can say why "pellon" did not mean Pello.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from routing.declension import Case
from routing.lexicon import Caution, Lexicon, MentionKind, Phrase, Term
from routing.text import postcodes, scrub, words, written_words
from routing.vocabulary import Language, Note, Step

# Words before a name that show it is a place ("i Salo", "from Salo").
PREPOSITIONS = frozenset({"i", "från", "till", "in", "from", "to", "at", "near", "around"})
_PLACE_CASES = frozenset({Case.LOCATIVE, Case.DIRECTIONAL})
_JOINERS = (":", "'", "’")
# Enum members as module constants (enum class attributes are slow in 3.11).
_NONE, _PERSON = Caution.NONE, Caution.PERSON_NAME
_MUNICIPALITY = MentionKind.MUNICIPALITY
_FI, _SV, _EN = Language.FI, Language.SV, Language.EN
_PLACE = Step.PLACE.value


# Made for every decision: slotted but not frozen, because creating a frozen
# dataclass costs three times as much on this hot path.  Never mutated.
@dataclass(slots=True)
class Mention:
    kind: MentionKind
    target: str
    label: str  # the directory's name for it
    written: str  # as the enquiry wrote it
    position: int  # word index; postal codes get the index of the next word
    by_postcode: bool = False


# Made for every decision: slotted but not frozen, because creating a frozen
# dataclass costs three times as much on this hot path.  Never mutated.
@dataclass(slots=True)
class Reading:
    text: str  # scrubbed subject and body
    joined: str  # its lower-case words joined by single spaces, space at both ends
    mentions: tuple[Mention, ...]
    votes: Mapping[Language, int]
    passed_over: tuple[Note, ...]  # names not taken, each with the reason
    identity_codes: int


def is_trusted(phrase: Phrase, written: str, sentence_start: bool, previous: str) -> bool:
    """Whether a cautioned name is meant as a place here.

    An ordinary word needs a capital letter (a shouted ALL-CAPS text proves
    nothing), and at the start of a sentence, where everything has a
    capital, also a place case ("Salossa") or a preposition before it.  A
    first name needs a capital and a place case or a preposition: "Simo"
    at the end of a letter is a signature, "Simossa" a place.
    """
    if phrase.caution is _NONE:
        return True
    capital = written[:1].isupper() and not (len(written) > 1 and written.isupper())
    if not capital:
        return False
    placed = phrase.case in _PLACE_CASES or previous in PREPOSITIONS
    if phrase.caution is _PERSON:
        return placed
    return placed or not sentence_start


def _lookup(lexicon: Lexicon, low: str) -> Term | None:
    """The term for the base of "osao:ssa" or "helsinki's", or for a part
    of a hyphenated word (so "Vaasa-Vasa" still names Vaasa)."""
    for joiner in _JOINERS:
        if joiner in low:
            return lexicon.get(low.split(joiner, 1)[0])
    if "-" in low:
        for part in reversed(low.split("-")):
            term = lexicon.get(part)
            if term is not None and term.phrases:
                return term
    return None


class _Written:
    """The words as written, computed on first use: a mention needs its
    word as written for the reasons, and only a name that is also an
    ordinary word needs the capital letters and sentence starts exactly."""

    __slots__ = ("lowered", "lows", "starts", "text", "words")

    def __init__(self, text: str, lowered: str, lows: list[str]) -> None:
        self.text = text
        self.lowered = lowered
        self.lows = lows
        self.words: list[str] | None = None
        self.starts: list[bool] | None = None

    def shown(self, index: int) -> str:
        """The word as written, for a reason: the first place the lower-case
        word occurs (cheap, and right unless it occurs with two spellings)."""
        low = self.lows[index]
        if len(self.lowered) == len(self.text):
            at = self.lowered.find(low)
            if at >= 0:
                return self.text[at : at + len(low)]
        return low

    def word(self, index: int) -> str:
        """The word exactly as written at this index."""
        if self.words is None:
            self.words = words(self.text)
            if len(self.words) != len(self.lows):
                # Lower-casing changed the words (rare Unicode): no capitals known.
                self.words = self.lows
        return self.words[index]

    def starts_sentence(self, index: int) -> bool:
        if self.starts is None:
            self.starts = [start for _, start in written_words(self.text)]
        return index >= len(self.starts) or self.starts[index]


def read(subject: str, body: str, lexicon: Lexicon, postcode_map: Mapping[str, str]) -> Reading:
    text, identity_codes, digits = scrub(f"{subject}\n{body}" if subject else body)
    lowered = text.lower()
    lows = words(lowered)
    terms = list(map(lexicon.get, lows))
    if ":" in text or "-" in text or "'" in text or "’" in text:
        for index, low in enumerate(lows):
            if terms[index] is None and not low.isalpha():
                terms[index] = _lookup(lexicon, low)
    votes = {_FI: 0, _SV: 0, _EN: 0}
    mentions: list[Mention] = []
    passed_over: list[Note] = []
    written = _Written(text, lowered, lows)
    skip_to = 0
    # Only the words the lexicon knows; filter() walks the rest in C.
    for index in filter(terms.__getitem__, range(len(terms))):
        term = terms[index]
        assert term is not None
        if term.language is not None:
            votes[term.language] += 1
        if index < skip_to or not term.phrases:
            continue
        for phrase in term.phrases:
            size = len(phrase.tail)
            if size and not _tail_matches(phrase, lows, index):
                continue
            if phrase.caution is not _NONE:
                shown = written.word(index)
                previous = lows[index - 1] if index else ""
                start = written.starts_sentence(index)
                if not is_trusted(phrase, shown, start, previous):
                    passed_over.append(_why_not(phrase, shown))
                    continue
            elif size:
                shown = " ".join(written.shown(i) for i in range(index, index + size + 1))
            else:
                shown = written.shown(index)
            mentions.append(Mention(phrase.kind, phrase.target, phrase.label, shown, index))
            if phrase.kind is _MUNICIPALITY and phrase.case in _PLACE_CASES:
                # "Oulussa", "Vaasaan": a Finnish place case is Finnish.
                votes[_FI] += 1
            skip_to = index + size + 1
            break
    if digits and postcode_map:
        mentions.extend(_postcode_mentions(text, postcode_map))
    return Reading(
        text=text,
        joined=" " + " ".join(lows) + " ",
        mentions=tuple(mentions),
        votes=votes,
        passed_over=tuple(passed_over),
        identity_codes=identity_codes,
    )


def _tail_matches(phrase: Phrase, lows: list[str], index: int) -> bool:
    size = len(phrase.tail)
    if index + size >= len(lows):
        return False
    for k, forms in enumerate(phrase.tail):
        word = lows[index + 1 + k]
        if word not in forms and _base(word) not in forms:
            return False
    return True


def _base(word: str) -> str:
    """ "ao:n" → "ao", "akk:sta" → "akk", "helsinki's" → "helsinki"."""
    for joiner in _JOINERS:
        if joiner in word:
            return word.split(joiner, 1)[0]
    return word


def _postcode_mentions(text: str, postcode_map: Mapping[str, str]) -> list[Mention]:
    found = []
    for offset, code in postcodes(text):
        municipality = postcode_map.get(code)
        if municipality is not None:
            position = len(words(text[:offset]))
            mention = Mention(_MUNICIPALITY, municipality, "", code, position, by_postcode=True)
            found.append(mention)
    return found


def _why_not(phrase: Phrase, written: str) -> Note:
    if phrase.caution is _PERSON:
        code = "place.passed_over_name"
        why = "it is also a first name or a company and was not in a place form"
    elif not written[:1].isupper() or written.isupper():
        code = "place.passed_over_lower_case"
        why = "it is also an ordinary word and was not written with a capital letter"
    else:
        code = "place.passed_over_sentence_start"
        why = "it is also an ordinary word and stood at the start of a sentence"
    params = (("written", written), ("name", phrase.label))
    return (_PLACE, code, params, f"'{written}' was not taken as {phrase.label}: {why}.")
