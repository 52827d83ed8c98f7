"""Topic classification in Finnish, Swedish and English, with inflected and
compound Finnish words, ties and the technical weighting."""

from __future__ import annotations

import pytest

from routing.topic import KEYWORDS, STEMS, TECHNICAL_FACTOR, score_topics
from routing.vocabulary import Audience, Topic

APPLICANT, STAFF = Audience.APPLICANT, Audience.STAFF

TOPIC_CASES = [
    # Finnish, inflected and compound
    ("Haluaisin hakea oppisopimuskoulutukseen", "apprenticeship"),
    ("Saako aikuiskoulutustuesta apua opintoihin", "funding"),
    ("Paljonko lukukausimaksu on?", "funding"),
    ("Onko koulutus maksuton?", "funding"),
    ("Milloin yhteishaussa on hakuaika?", "application"),
    ("Miten täytän hakulomakkeen?", "application"),
    ("Milloin valintojen tulokset tulevat? Olenko varasijalla?", "results"),
    ("Mitä tutkinnon osia koulutukseen kuuluu?", "content"),
    ("Kuinka kauan koulutus kestää?", "duration"),
    ("Voiko aiemmat opinnot hyväksilukea?", "recognition"),
    ("Olen 17-vuotias, onko ikäraja?", "suitability"),
    ("Voinko suorittaa näyttötutkinnon?", "competence_qualification"),
    ("Olen työtön, pääsenkö työvoimakoulutukseen?", "labour_market_training"),
    ("Onko etäopiskelu mahdollista työn ohella?", "study_modes"),
    ("Onko verkkokursseja tarjolla?", "content"),
    ("Tarvitaanko suomen kielen taitoa? Onko kielikoe?", "language_math"),
    ("Tarvitsenko omaa läppäriä ja tietotekniikan taitoja?", "it_skills"),
    ("Salasana ei toimi enkä pääse kirjautumaan", "technical"),
    # Swedish
    ("Hur ansöker jag till läroavtal?", "apprenticeship"),
    ("Får jag studiestöd under utbildningen?", "funding"),
    ("När är ansökningstiden?", "application"),
    ("När kommer resultaten och får jag en studieplats?", "results"),
    ("Vad är innehållet i kursen?", "content"),
    ("Hur länge pågår utbildningen?", "duration"),
    ("Kan tidigare studier tillgodoräknas?", "recognition"),
    ("Är jag behörig, vilken ålder krävs?", "suitability"),
    ("Kan jag avlägga en fristående examen?", "competence_qualification"),
    ("Jag är arbetslös, finns arbetskraftsutbildning?", "labour_market_training"),
    ("Kan man studera på distans eller på kvällar?", "study_modes"),
    ("Vilka språkkunskaper krävs?", "language_math"),
    ("Behöver jag en egen dator?", "it_skills"),
    ("Jag kan inte logga in, lösenordet fungerar inte", "technical"),
    # English
    ("Is there an apprenticeship option?", "apprenticeship"),
    ("How much is the tuition fee?", "funding"),
    ("How do I apply and what is the deadline?", "application"),
    ("When will the admission results come out? Am I on the waiting list?", "results"),
    ("What is the curriculum of this programme?", "content"),
    ("How long does the programme take?", "duration"),
    ("Can prior learning be recognised?", "recognition"),
    ("Am I eligible at my age?", "suitability"),
    ("Is there a competence-based qualification?", "competence_qualification"),
    ("I am unemployed, is there labour market training?", "labour_market_training"),
    ("Can I study online part-time?", "study_modes"),
    ("What are the language requirements? Is there a language test?", "language_math"),
    ("Do I need a laptop and computer skills?", "it_skills"),
    ("The login page shows an error and the password does not work", "technical"),
    # Nothing
    ("Hei!", "other"),
    ("Hej hej", "other"),
    ("Thanks!", "other"),
]


def best(text: str, audience: Audience = APPLICANT) -> str:
    scores = score_topics(
        " " + " ".join(text.lower().replace("?", " ").replace(",", " ").split()) + " ", audience
    ).scores
    return scores[0].topic.value if scores else "other"


@pytest.mark.parametrize(("text", "topic"), TOPIC_CASES, ids=[t for t, _ in TOPIC_CASES])
def test_topic(text: str, topic: str) -> None:
    assert best(text) == topic


def test_stems_do_not_match_inside_ordinary_words() -> None:
    # "ikä" (age) is inside "mikä" (what), "age" inside "language".
    assert best("mikä tämä on") == "other"
    assert best("which page") == "other"


def test_ties_follow_the_fixed_order() -> None:
    # One stem each for funding and application: funding comes first in Topic.
    assert best("maksu haku") == "funding"
    assert list(Topic).index(Topic.FUNDING) < list(Topic).index(Topic.APPLICATION)


def test_technical_counts_double_for_staff_and_half_for_applicants() -> None:
    text = "virhe sisällössä"  # one technical stem, one content stem
    assert best(text, STAFF) == "technical"
    assert best(text, APPLICANT) == "content"
    assert TECHNICAL_FACTOR == {STAFF: 2.0, APPLICANT: 0.5}


def test_every_topic_but_other_has_keywords_in_three_languages() -> None:
    for topic in Topic:
        if topic is Topic.OTHER:
            assert topic not in KEYWORDS
            continue
        assert {lang.value for lang in KEYWORDS[topic]} == {"fi", "sv", "en"}, topic


def test_stems_are_unique_and_lower_case() -> None:
    assert all(stem == stem.lower() for stem in STEMS)
