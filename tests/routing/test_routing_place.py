"""Places in free text: municipality names in any inflected Finnish form,
Swedish and English names, aliases, and the ordinary words and first names
that must not be taken for places."""

from __future__ import annotations

from datetime import datetime

import pytest

from routing import Directory, RoutingRequest, decide

INFLECTED = [
    # The forms DESIGN and the issue name, then the rest of the country.
    ("Asun Oulussa.", "564"),
    ("Muutin Oulusta pois.", "564"),
    ("Oulun keskustassa asun.", "564"),
    ("Muutan Ouluun syksyllä.", "564"),
    ("Asun Helsingissä.", "091"),
    ("Olen Turussa.", "853"),
    ("Asun Lahdessa.", "398"),
    ("Asun Seinäjoella.", "743"),
    ("Asun Rovaniemellä.", "698"),
    ("Asun Lappeenrannassa.", "405"),
    ("Asun Pietarsaaressa.", "598"),
    ("Asun Tampereella.", "837"),
    ("Asun Vantaalla.", "092"),
    ("Asun Jyväskylässä.", "179"),
    ("Tulen Espoosta.", "049"),
    ("Asun Porissa.", "609"),
    ("Muutan Kuopioon.", "297"),
    ("Muutan Joensuuhun.", "167"),
    ("Asun Hämeenlinnassa.", "109"),
    ("Asun Kouvolassa.", "286"),
    ("Asun Mikkelissä.", "491"),
    ("Asun Kajaanissa.", "205"),
    ("Muutan Kokkolaan.", "272"),
    ("Asun Savonlinnassa.", "740"),
    ("Asun Porvoossa.", "638"),
    ("Asun Lohjalla.", "444"),
    ("Asun Hyvinkäällä.", "106"),
    ("Asun Järvenpäässä.", "186"),
    ("Asun Keravalla.", "245"),
    ("Asun Kirkkonummella.", "257"),
    ("Asun Vihdissä.", "927"),
    ("Asun Raaseporissa.", "710"),
    ("Asun Kaarinassa.", "202"),
    ("Asun Naantalissa.", "529"),
    ("Asun Uudessakaupungissa.", "895"),
    ("Asun Raumalla.", "684"),
    ("Asun Harjavallassa.", "079"),
    ("Asun Ikaalisissa.", "143"),
    ("Asun Kauniaisissa.", "235"),
    ("Asun Nokialla.", "536"),
    ("Asun Ylöjärvellä.", "980"),
    ("Asun Kangasalla.", "211"),
    ("Asun Valkeakoskella.", "908"),
    ("Asun Varkaudessa.", "915"),
    ("Asun Iisalmessa.", "140"),
    ("Asun Kemissä.", "240"),
    ("Asun Torniossa.", "851"),
    ("Asun Kemijärvellä.", "320"),
    ("Asun Sodankylässä.", "758"),
    ("Asun Inarissa.", "148"),
    ("Asun Kuusamossa.", "305"),
    ("Asun Raahessa.", "678"),
    ("Asun Ylivieskassa.", "977"),
    ("Asun Kalajoella.", "208"),
    ("Asun Kurikassa.", "301"),
    ("Asun Lapualla.", "408"),
    ("Asun Alavudella.", "010"),
    ("Asun Ähtärissä.", "989"),
    ("Asun Närpiössä.", "545"),
    ("Asun Kristiinankaupungissa.", "287"),
    ("Asun Mustasaaressa.", "499"),
    ("Asun Uudessakaarlepyyssä.", "893"),
    ("Asun Kruunupyyssä.", "288"),
    ("Asun Maalahdella.", "475"),
    ("Asun Isossakyrössä.", "152"),
    ("Asun Virroilla.", "936"),
    ("Asun Punkalaitumella.", "619"),
    ("Asun Pihtiputaalla.", "601"),
    ("Asun Kannuksessa.", "217"),
    ("Asun Nurmeksessa.", "541"),
    ("Asun Muhoksella.", "494"),
    ("Asun Lopella.", "433"),
    ("Asun Juuassa.", "176"),
    ("Asun Liedossa.", "423"),
    ("Asun Pomarkussa.", "608"),
    ("Asun Outokummussa.", "309"),
    ("Asun Leppävirralla.", "420"),
    ("Asun Puolangalla.", "620"),
    ("Asun Limingassa.", "425"),
    ("Asun Pyhännällä.", "630"),
    ("Asun Hangossa.", "078"),
    ("Asun Mänttä-Vilppulassa.", "508"),
    ("Asun Pedersören kunnassa.", "599"),
    ("Asun Koski Tl:ssä.", "284"),
    ("Asun Finströmissä.", "060"),
    ("Asun Getassa.", "065"),
    # Swedish and English.
    ("Jag bor i Åbo.", "853"),
    ("Jag bor i Esbo.", "049"),
    ("Jag bor i Vanda.", "092"),
    ("Jag bor i Borgå.", "638"),
    ("Jag bor i Karleby.", "272"),
    ("Jag bor i Uleåborg.", "564"),
    ("Jag bor i Tammerfors.", "837"),
    ("Jag bor i Nykarleby.", "893"),
    ("Jag bor i Korsholm.", "499"),
    ("Jag bor i Närpes.", "545"),
    ("Jag bor i Pargas.", "445"),
    ("Jag bor i Lovisa.", "434"),
    ("Jag bor i Ingå.", "149"),
    ("Jag bor i Sibbo.", "753"),
    ("Jag bor i Ekenäs.", "710"),
    ("Vi flyttar till Vasa.", "905"),
    ("Jag kommer från Jakobstad.", "598"),
    ("I live in Helsinki.", "091"),
    ("Helsinki's schools", "091"),
    ("I moved from Oulu.", "564"),
]

NOT_PLACES = [
    "kotkan pesä on korkealla",  # eagle
    "lahden rannalla oli vene",  # bay
    "olin kosken partaalla",  # rapids
    "hänet tuomittiin varkaudesta",  # theft
    "somero rapisi kenkien alla",  # gravel
    "pellon laidalla kasvaa heinää",  # field
    "olin lopen uupunut",  # utterly
    "auran kärki oli tylsä",  # plough
    "en halua joutua kolariin",  # car crash
    "det är en sund livsstil",  # sv: healthy
    "kurserna ingår i priset",  # sv: are included
    "jag läser kurser i kemi",  # sv: chemistry
    "Terveisin Kaarina",  # a signature
    "Minulla on Nokia-puhelin.",  # a company
    "Salo on kaunis sana.",  # sentence start, nominative
    "Pello on kaukana.",
    "ASUN SALOSSA JA PELLOSSA",  # all capitals prove nothing
    "Vaihe II on kesken.",  # a Roman numeral
    "Tervo, Simo ja Salla tulevat.",  # people
]


@pytest.mark.parametrize(("text", "code"), INFLECTED, ids=[t for t, _ in INFLECTED])
def test_municipality_in_text(directory: Directory, now: datetime, text: str, code: str) -> None:
    decision = decide(RoutingRequest(text=text), directory, now)
    assert decision.municipality == code, [r.text for r in decision.reasons]
    assert decision.region == directory.municipalities[code].region


@pytest.mark.parametrize("text", NOT_PLACES)
def test_ordinary_words_are_not_places(directory: Directory, now: datetime, text: str) -> None:
    decision = decide(RoutingRequest(text=text), directory, now)
    assert decision.municipality is None, [r.text for r in decision.reasons]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Salossa on hyvä koulu.", "734"),  # a place form at a sentence start
        ("Pellossa asun.", "854"),
        ("Asun Salossa.", "734"),
        ("Olen muuttanut Pelloon.", "854"),
        ("Kaarinassa asun.", "202"),
        ("Jag bor i Salo.", "734"),  # a Swedish preposition
        ("I live in Kaarina.", "202"),
    ],
)
def test_cautious_names_with_evidence(
    directory: Directory, now: datetime, text: str, code: str
) -> None:
    assert decide(RoutingRequest(text=text), directory, now).municipality == code


def test_every_municipality_name_is_found_in_its_nominative(
    directory: Directory, now: datetime
) -> None:
    missed = []
    for m in directory.municipalities.values():
        for name in {m.name_fi.split(" - ")[0], m.name_sv}:
            # A first name needs a preposition: "i Simo", not "nimeltä Simo".
            text = f"Nyt asun paikassa i {name} nykyään."
            if decide(RoutingRequest(text=text), directory, now).municipality != m.code:
                missed.append(name)
    assert missed == []


def test_postal_codes_map_to_their_municipality(directory: Directory, now: datetime) -> None:
    sample = list(directory.postcodes.items())[::97]
    for postcode, code in sample:
        decision = decide(RoutingRequest(text=f"Osoite: Katu 1, {postcode}"), directory, now)
        assert decision.municipality == code, postcode
