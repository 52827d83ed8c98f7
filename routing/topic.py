"""Topic classification: keyword stems in Finnish, Swedish and English.

A stem matches the start of a word, so one stem covers the inflected and
compound Finnish forms that begin with it ("oppisopimu" finds
"oppisopimuskoulutukseen", "aikuiskoulutustu" finds "aikuiskoulutustuesta").
Stem syntax in the table: a leading ``*`` lets the stem match inside a word
too (the second half of a compound: "kurssi" in "verkkokurssilla"), a
trailing ``$`` requires the word to end there, and each leading ``+`` adds
one to its weight (default 1).  All stems are compiled into one
trie-shaped regular expression run once over the enquiry's words joined by
single spaces (see ``_SCAN``), however many stems there are.  The best score wins,
ties go to the earlier topic in ``Topic``'s order, and a text with no stem
is ``other``.  Technical words count double for staff and half for
applicants (applicants ask about content far more often than about logins).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from routing.vocabulary import Audience, Language, Topic

_FI, _SV, _EN = Language.FI, Language.SV, Language.EN

KEYWORDS: dict[Topic, dict[Language, tuple[str, ...]]] = {
    Topic.FUNDING: {
        _FI: (
            "*maksu", "maksa", "hinta", "hinna", "*kustann", "*rahoit", "+opintotu",
            "+opintoraha", "+aikuiskoulutustu", "+koulutustu", "+lukukausimaksu", "ilmai",
            "+maksuton", "kela$", "kelan", "kelalta", "*apuraha", "opintolaina", "asumistu",
            "työttömyysetuu", "euro", "paljonko maksaa", "matkakorvau",
        ),
        _SV: (
            "*avgift", "kost", "pris", "+studiestöd", "+vuxenutbildningsstöd", "finansier",
            "gratis", "stipendi", "studielån", "fpa", "betala",
        ),
        _EN: (
            "fee", "cost", "price", "+tuition", "fund", "financ", "free of charge", "pay",
            "grant", "scholarship", "allowance", "loan", "afford", "student aid",
        ),
    },
    Topic.APPLICATION: {
        _FI: (
            "haku", "*yhteishau", "*yhteishaku", "hakuaika", "hake", "haen$", "hakemu",
            "hakulomak", "hakija", "ilmoittau", "määräai", "liite", "liitte", "pääsykoe",
            "pääsykoke", "valintakoe", "valintakoke", "opintopolku", "opintopolu",
            "jatkuva haku", "haussa", "hakuun",
        ),
        _SV: (
            "ansök", "söka", "söker", "anmäl", "urvalsprov", "inträdesprov", "studieinfo",
            "sista ansökningsdag", "gemensamma ansökan",
        ),
        _EN: (
            "apply", "applica", "enrol", "register", "admission", "entrance exam", "submit",
            "studyinfo", "how to apply", "how do i apply", "deadline",
        ),
    },
    Topic.RESULTS: {
        _FI: (
            "tulos", "tulokse", "valintatulo", "valittu", "valitu", "hyväksyt",
            "opiskelupaik", "vastaanot", "+varasij", "pisteraja", "pisteet", "pistei",
            "hylät", "pääsin", "päässyt", "pääsinkö",
        ),
        _SV: (
            "*resultat", "antagen", "antogs", "studieplats", "reservplats", "ta emot",
            "blev jag", "poäng",
        ),
        _EN: (
            "result", "accepted", "admitted", "offer of a place", "+waiting list", "+waitlist",
            "accept the", "rejected", "study place", "points$", "was i",
        ),
    },
    Topic.CONTENT: {
        _FI: (
            "sisäl", "opetussuunnit", "*kurss", "tutkinnon osa", "tutkinnon osi",
            "tutkinnonosa", "opintojakso", "opetettav", "opiskellaan", "työssäoppi",
            "harjoittel", "tarjolla", "koulutustarjon", "mitä voi opiskel", "mitä voin opiskel",
            "perustutkin",
        ),
        _SV: (
            "innehåll", "kursen", "kursern", "läroplan", "examensdel", "praktik", "vad lär",
            "vilka utbildningar", "grundexamen",
        ),
        _EN: (
            "content", "curriculum", "module", "subjects", "syllabus", "what will i learn",
            "internship", "what do you learn", "what is taught", "programme", "program$",
            "programs$", "courses", "vocational qualification",
        ),
    },
    Topic.DURATION: {
        _FI: (
            "kesto", "kestä", "kauan", "kuinka pitkä", "pituu", "aikataulu", "lukujärjest",
            "alkamis", "milloin alka", "päättyy", "päätty", "valmistu", "lukukau", "lomat",
        ),
        _SV: (
            "längd", "hur länge", "hur lång", "tidtabell", "schema", "börjar", "slutar",
            "pågår", "läsår", "termin",
        ),
        _EN: (
            "how long", "duration", "length", "schedule", "timetable", "start date",
            "when does", "when do", "starts", "finish", "semester", "term dates",
        ),
    },
    Topic.RECOGNITION: {
        _FI: (
            "+ahot", "osaamisen tunnist", "+tunnustami", "+hyväksilu", "aiemm", "aikaisemm",
            "korvaa", "tunnustetaan",
        ),
        _SV: (
            "tillgodoräkn", "erkänn", "tidigare studier", "tidigare utbildning",
            "+validering",
        ),
        _EN: (
            "recogni", "+prior learning", "credit transfer", "previous studies",
            "earlier studies", "accredit", "transfer credit", "rpl$",
        ),
    },
    Topic.SUITABILITY: {
        _FI: (
            "soveltu", "ikä", "iän$", "iässä", "*ikäraja", "*vuotias", "liian vanha",
            "pohjakoulutu", "terveydentila", "esteettömyy", "oppimisvaike", "lukihäiri",
            "vamma", "sopiiko", "*vaatimu", "edellytyk", "kelpoi",
        ),
        _SV: (
            "lämplig", "ålder", "år gammal", "behörig", "hälsa", "krav", "förkunskap",
            "inlärningssvårig", "dyslexi",
        ),
        _EN: (
            "suitab", "eligib", "age$", "ages$", "aged$", "years old", "too old",
            "requirement", "prerequisite", "disabilit", "health", "accessib",
        ),
    },
    Topic.COMPETENCE_QUALIFICATION: {
        _FI: (
            "+näyttötutk", "+näytö", "osaamisperust", "tutkintotilaisu", "ammattitutkin",
            "erikoisammattitutkin",
        ),
        _SV: (
            "+fristående examen", "yrkesexamen", "specialyrkesexamen", "yrkesprov",
            "examenstillfälle", "kompetensbaserad",
        ),
        _EN: (
            "+competence-based", "+competence based", "+competence qualification",
            "further vocational qualification", "specialist vocational qualification",
            "skills demonstration",
        ),
    },
    Topic.APPRENTICESHIP: {
        _FI: ("+++oppisopimu", "+koulutussopimu", "työnantaja"),
        _SV: ("+++läroavtal", "+utbildningsavtal", "arbetsgivar"),
        _EN: ("+++apprentice", "+training agreement", "employer"),
    },
    Topic.LABOUR_MARKET_TRAINING: {
        _FI: (
            "+++työvoimakoulutu", "te-toimisto", "te-palvelu", "te-keskus",
            "työvoimatoimisto", "työttö", "työnhakija", "työllisyyspalvelu",
            "työllisyysalue", "kotoutumiskoulutu",
        ),
        _SV: (
            "+++arbetskraftsutbildning", "te-byrå", "arbetslös", "*arbetssökande",
            "integrationsutbildning", "sysselsättningsområde",
        ),
        _EN: (
            "+++labour market training", "+++labor market training", "employment office",
            "te office", "te services", "unemployed", "jobseeker", "job seeker",
            "integration training",
        ),
    },
    Topic.STUDY_MODES: {
        _FI: (
            "+etäopi", "+etäopet", "etänä", "+verkko-opi", "verkkokoulutu", "verkossa",
            "+monimuoto", "+iltaopi", "iltaisin", "iltakoulu", "päiväopi", "päivisin",
            "työn ohe", "töiden ohe", "osa-aika", "kokopäiv", "lähiopetu", "lähipäiv",
            "*viikonlop",
        ),
        _SV: (
            "+distans", "nätstud", "nätkurs", "nätbaser", "kvällsstud", "kvällskurs",
            "kvällar", "dagstud", "deltid", "heltid", "vid sidan av arbet", "bredvid jobbet",
            "flerform", "närundervisning", "helger",
        ),
        _EN: (
            "+distance learning", "distance", "online", "remote", "evening", "part-time",
            "part time", "full-time", "full time", "while working", "alongside work",
            "alongside my job", "blended", "weekend", "in-person", "contact teaching",
            "self-paced",
        ),
    },
    Topic.LANGUAGE_MATH: {
        _FI: (
            "*kielitai", "kielikoe", "kielikoke", "suomen kiel", "ruotsin kiel",
            "englannin kiel", "kielitest", "kielitaso", "yki$", "yki-", "matematiik",
            "matikka", "matikan", "laskutai", "kirjoitustai", "lukutai", "kielivaatimu",
            "s2$", "s2-",
        ),
        _SV: (
            "*språkkunskap", "språkkrav", "språktest", "språkprov", "kunskaper i finska",
            "kunskaper i svenska", "matematik", "matte$",
        ),
        _EN: (
            "language skill", "language requirement", "language test",
            "language proficiency", "finnish language", "finnish skills", "speak finnish",
            "learn finnish", "math", "numeracy", "literacy", "ielts", "toefl",
        ),
    },
    Topic.IT_SKILLS: {
        _FI: (
            "tietotekni", "atk$", "atk-", "tietokonetai", "tietokoneen käy", "digitai",
            "tvt$", "it-tai", "läppäri", "kannettava", "oma tietokone",
        ),
        _SV: ("datakunskap", "it-kunskap", "digitala färdighet", "dator", "bärbar"),
        _EN: ("computer skill", "it skill", "digital skill", "laptop", "ict skill"),
    },
    Topic.TECHNICAL: {
        _FI: (
            "+kirjau", "+salasan", "*virhe", "+virheilmoitu", "+ei toimi", "jumi", "kaatu",
            "+bugi", "*järjestelmä", "+käyttöoikeu", "tunnukse", "+tunnistautu", "+selain",
            "latau", "tallennu", "tallenta", "integraati", "+rajapin", "virkailij",
            "+sisäänkirj",
        ),
        _SV: (
            "+logga in", "+inloggning", "+lösenord", "+fungerar inte", "+felmeddelande",
            "fel$", "+bugg", "systemet", "+användarrättighet", "+webbläsare",
            "identifiering",
        ),
        _EN: (
            "+login", "+log in", "+log-in", "+password", "error", "+not working",
            "+doesn't work", "+does not work", "+bug$", "+bugs$", "crash", "+browser",
            "+access right", "permission", "system", "api$", "timeout",
        ),
    },
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Stem:
    text: str
    topic: Topic
    language: Language
    weight: float
    inside: bool  # may match inside a word
    at_end: bool


# Made for every decision: slotted but not frozen, because creating a frozen
# dataclass costs three times as much on this hot path.  Never mutated.
@dataclass(slots=True)
class TopicScore:
    topic: Topic
    score: float
    stems: tuple[str, ...]  # in the order found


# Made for every decision: slotted but not frozen, because creating a frozen
# dataclass costs three times as much on this hot path.  Never mutated.
@dataclass(slots=True)
class TopicEvidence:
    scores: tuple[TopicScore, ...]  # the best two, best first
    votes: Mapping[Language, int]  # stems matched per language
    joined: str  # the words scanned, for ``words_of``
    technical: bool  # whether technical words were among them

    def words_of(self, score: TopicScore) -> list[tuple[str, str]]:
        """(word in the text, stem) for a score, for the reasons."""
        result = []
        for stem in dict.fromkeys(score.stems):
            at = self.joined.find(" " + stem)
            if at >= 0:
                start = at + 1
            else:
                at = self.joined.find(stem)
                start = self.joined.rfind(" ", 0, at) + 1
            end = self.joined.find(" ", max(start, at) + len(stem))
            result.append((self.joined[start:end], stem))
        return result


def parse_stems() -> dict[str, Stem]:
    stems: dict[str, Stem] = {}
    for topic, by_language in KEYWORDS.items():
        for language, entries in by_language.items():
            for entry in entries:
                core = entry.lstrip("+")
                weight = 1 + len(entry) - len(core)
                inside, at_end = core.startswith("*"), core.endswith("$")
                text = core.strip("*$")
                if text in stems:
                    raise ValueError(f"stem {text!r} is listed twice")
                stems[text] = Stem(text, topic, language, float(weight), inside, at_end)
    return stems


_Trie = dict[str, "_Trie"]


def _trie_pattern(words: Iterable[tuple[str, bool]]) -> str:
    """A regular expression matching the longest of the words (each with
    whether it must end a word), shaped as a trie so matching stays fast."""
    trie: _Trie = {}
    for word, at_end in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node["$" if at_end else ""] = {}
    return _node_pattern(trie)


def _node_pattern(node: _Trie) -> str:
    branches = [
        re.escape(char) + _node_pattern(child)
        for char, child in sorted(node.items())
        if char not in ("", "$")
    ]
    if "$" in node:
        branches.append("(?= )")
    if "" in node:
        branches.append("")
    if len(branches) == 1:
        return branches[0]
    return "(?:" + "|".join(branches) + ")"


STEMS = parse_stems()
_ORDER = {topic: index for index, topic in enumerate(Topic)}
TECHNICAL_FACTOR = {Audience.STAFF: 2.0, Audience.APPLICANT: 0.5}

_URGENT = re.compile(
    " (?:kiire|pikaisesti|pikainen|hätä|heti|tänään|urgent|asap|immediately|as soon as"
    "|brådsk|akut|omedelbart|i dag )"
)


_FI_VOTE, _SV_VOTE, _EN_VOTE = Language.FI, Language.SV, Language.EN
_TECHNICAL, _STAFF = Topic.TECHNICAL, Audience.STAFF
# Per stem: (topic, language, weight for applicants, weight for staff).
_WEIGHTS = {
    text: (
        stem.topic,
        stem.language,
        stem.weight * (TECHNICAL_FACTOR[Audience.APPLICANT] if stem.topic is _TECHNICAL else 1),
        stem.weight * (TECHNICAL_FACTOR[Audience.STAFF] if stem.topic is _TECHNICAL else 1),
    )
    for text, stem in STEMS.items()
}
# One pass: at a space, the longest stem starting the next word; anywhere
# else, a stem marked ``*`` inside a word.  After a word-start match the scan
# goes on inside the rest of that word, so "kielitaitovaatimus" counts both
# "kielitai" and "vaatimu", but "lukukausimaksu" does not count "maksu" twice.
_SCAN = re.compile(
    " ("
    + _trie_pattern((s.text, s.at_end) for s in STEMS.values())
    + ")|("
    + _trie_pattern((s.text, s.at_end) for s in STEMS.values() if s.inside)
    + ")"
)


def score_topics(joined: str, audience: Audience) -> TopicEvidence:
    """Scores of the topics found in the joined lower-case words (space at
    both ends), the best two first, and how many stems of each language
    matched."""
    staff = audience is _STAFF
    score: dict[Topic, float] = {}
    hits: dict[Topic, list[str]] = {}
    votes = {_FI_VOTE: 0, _SV_VOTE: 0, _EN_VOTE: 0}
    for at_start, inside in _SCAN.findall(joined):
        text = at_start or inside
        topic, language, for_applicant, for_staff = _WEIGHTS[text]
        score[topic] = score.get(topic, 0.0) + (for_staff if staff else for_applicant)
        if topic in hits:
            hits[topic].append(text)
        else:
            hits[topic] = [text]
        votes[language] += 1
    ranked = sorted(score, key=lambda t: (-score[t], _ORDER[t])) if len(score) > 1 else score
    scores = tuple([TopicScore(t, score[t], tuple(hits[t])) for t in list(ranked)[:2]])
    return TopicEvidence(scores, votes, joined, _TECHNICAL in score)


def is_urgent(joined: str) -> str | None:
    """The word that makes an enquiry urgent, if any."""
    match = _URGENT.search(joined)
    return match.group().strip() if match else None
