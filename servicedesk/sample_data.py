"""Realistic sample enquiries for the demo and the benchmarks: Finnish,
Swedish and English in proportion, every region, every channel, the
questions applicants and staff actually ask.  Deterministic for a seed."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from channels.message import Channel, Hints, InboundMessage

FIRST_NAMES = {
    "fi": ["Aino", "Eetu", "Helmi", "Juho", "Laura", "Mikko", "Noora", "Otto", "Sanni", "Veeti"],
    "sv": ["Alva", "Elias", "Ida", "Linnea", "Oskar", "Wilma", "Anton", "Ebba"],
    "en": ["Amir", "Grace", "Liam", "Mei", "Olga", "Sara", "Tomás", "Yusuf"],
}
LAST_NAMES = ["Korhonen", "Virtanen", "Mäkinen", "Nieminen", "Lindqvist", "Björk", "Khan", "Novak"]

# (topic, language) -> (subject, body with {place} where a municipality fits)
ENQUIRIES: dict[str, list[tuple[str, str, str]]] = {
    "fi": [
        (
            "apprenticeship",
            "Oppisopimus",
            "Hei! Asun {place_in} ja haluaisin suorittaa lähihoitajan tutkinnon oppisopimuskoulutuksena. Miten pääsen alkuun?",
        ),
        (
            "funding",
            "Aikuiskoulutustuki",
            "Voinko saada aikuiskoulutustukea, jos opiskelen työn ohessa? Asun {place_in}.",
        ),
        (
            "application",
            "Haun aikataulu",
            "Milloin yhteishaku alkaa ja mihin mennessä hakemus pitää jättää?",
        ),
        (
            "results",
            "Opiskelupaikan vastaanotto",
            "Sain tiedon valinnasta. Miten otan opiskelupaikan vastaan ja mihin mennessä?",
        ),
        (
            "recognition",
            "Aiemman osaamisen tunnustaminen",
            "Minulla on aiempi tutkinto. Voiko aiemmin hankitun osaamisen tunnustaa ja lyhentää opintoja?",
        ),
        (
            "study_modes",
            "Monimuoto-opiskelu",
            "Onko {place_in} mahdollista opiskella iltaisin tai verkossa työn ohessa?",
        ),
        (
            "suitability",
            "Ikäraja",
            "Olen 52-vuotias. Voinko vielä hakea ammatilliseen koulutukseen?",
        ),
        (
            "language_math",
            "Kielitaitovaatimus",
            "Millainen suomen kielen taito vaaditaan ja onko pääsykokeessa matematiikkaa?",
        ),
        (
            "duration",
            "Koulutuksen kesto",
            "Kuinka kauan merkonomin tutkinto kestää ja milloin koulutus alkaa?",
        ),
        (
            "labour_market_training",
            "Työvoimakoulutus",
            "Olen työtön työnhakija {place_sta}. Miten haen työvoimakoulutukseen?",
        ),
        (
            "content",
            "Koulutuksen sisältö",
            "Mitä sähköalan perustutkinnossa opiskellaan ja onko koulutuksessa työssäoppimista?",
        ),
    ],
    "sv": [
        (
            "apprenticeship",
            "Läroavtal",
            "Hej! Jag bor i {place} och vill avlägga en examen som läroavtalsutbildning. Hur går jag till väga?",
        ),
        (
            "application",
            "Ansökningstid",
            "När börjar den gemensamma ansökan och när går ansökningstiden ut?",
        ),
        (
            "funding",
            "Vuxenutbildningsstöd",
            "Kan jag få vuxenutbildningsstöd om jag studerar vid sidan av arbetet?",
        ),
        ("results", "Ta emot studieplats", "Jag blev antagen. Hur tar jag emot studieplatsen?"),
        (
            "study_modes",
            "Distansstudier",
            "Går det att studera på distans eller på kvällar i {place}?",
        ),
    ],
    "en": [
        (
            "application",
            "How to apply",
            "Hello, I moved to {place} last year. How do I apply to vocational education and when is the deadline?",
        ),
        (
            "language_math",
            "Language requirements",
            "What level of Finnish is required? Can I study in English?",
        ),
        (
            "recognition",
            "Foreign degree",
            "I have a degree from abroad. Can my previous studies be recognised?",
        ),
        (
            "funding",
            "Study costs",
            "Is vocational education free of charge, and can I get financial aid?",
        ),
    ],
}
STAFF_ENQUIRIES = [
    (
        "technical",
        "Hakemusten käsittely ei aukea",
        "Hakemusten käsittelynäkymä antaa virheilmoituksen, kun yritän avata hakijan tiedot. Selain Firefox.",
    ),
    (
        "technical",
        "Kirjautuminen virkailijan työpöydälle",
        "En pääse kirjautumaan virkailijan työpöydälle, käyttöoikeudet puuttuvat?",
    ),
    (
        "content",
        "Valintaperusteiden kirjaaminen",
        "Miten kirjaamme harkintaan perustuvan valinnan perusteet hakukohteelle?",
    ),
]
PLACES = [
    ("Oulu", "Oulussa", "Oulusta"),
    ("Helsinki", "Helsingissä", "Helsingistä"),
    ("Turku", "Turussa", "Turusta"),
    ("Vaasa", "Vaasassa", "Vaasasta"),
    ("Espoo", "Espoossa", "Espoosta"),
    ("Tampere", "Tampereella", "Tampereelta"),
    ("Kuopio", "Kuopiossa", "Kuopiosta"),
    ("Rovaniemi", "Rovaniemellä", "Rovaniemeltä"),
    ("Jyväskylä", "Jyväskylässä", "Jyväskylästä"),
    ("Närpiö", "Närpiössä", "Närpiöstä"),
]
SWEDISH_PLACES = ["Vasa", "Jakobstad", "Närpes", "Helsingfors", "Åbo", "Esbo", "Kristinestad"]
STAFF_DOMAINS = ["osao.fi", "stadinao.fi", "vamia.fi", "omnia.fi"]


@dataclass(frozen=True, slots=True)
class Sample:
    message: InboundMessage
    received_at: datetime


def _season_weight(day: datetime) -> float:
    """Peaks in August–September and December–January; quieter weekends."""
    peak = {8: 2.5, 9: 2.0, 12: 1.6, 1: 2.2}.get(day.month, 1.0)
    return peak * (0.4 if day.weekday() >= 5 else 1.0)


def enquiries(
    count: int,
    *,
    seed: int = 7,
    start: datetime | None = None,
    days: int = 365,
    channels: Sequence[Channel] | None = None,
) -> Iterator[Sample]:
    rng = random.Random(seed)  # noqa: S311 - reproducible sample data, not secrets
    start = start or datetime(2026, 1, 1, tzinfo=UTC)
    channel_choices = list(
        channels or (Channel.EMAIL, Channel.EMAIL, Channel.WEB, Channel.SMS, Channel.API)
    )
    day_weights = [_season_weight(start + timedelta(days=d)) for d in range(days)]
    for n in range(count):
        day = rng.choices(range(days), weights=day_weights)[0]
        at = start + timedelta(
            days=day,
            hours=rng.choice([8, 9, 10, 11, 12, 13, 14, 15, 19, 21]),
            minutes=rng.randrange(60),
        )
        if rng.random() < 0.08:
            _topic, subject, body = rng.choice(STAFF_ENQUIRIES)
            domain = rng.choice(STAFF_DOMAINS)
            name = f"{rng.choice(FIRST_NAMES['fi'])} {rng.choice(LAST_NAMES)}"
            yield Sample(
                InboundMessage(
                    channel=Channel.EMAIL,
                    external_id=f"sample-{seed}-{n}@example.invalid",
                    sender_address=f"{name.split()[0].lower()}.{n}@{domain}",
                    sender_name=name,
                    recipient_address="tuki@example.fi",
                    subject=subject,
                    text=body,
                    hints=Hints(audience="staff"),
                ),
                at,
            )
            continue
        language = rng.choices(["fi", "sv", "en"], weights=[80, 12, 8])[0]
        _topic, subject, template = rng.choice(ENQUIRIES[language])
        place, place_in, place_sta = rng.choice(PLACES)
        if language == "sv":
            place = rng.choice(SWEDISH_PLACES)
        body = template.format(place=place, place_in=place_in, place_sta=place_sta)
        name = f"{rng.choice(FIRST_NAMES[language])} {rng.choice(LAST_NAMES)}"
        channel = rng.choice(channel_choices)
        phone = f"+35840{rng.randrange(10**6, 10**7)}"
        email = f"{name.split()[0].lower()}.{n}@example.org"
        if channel == Channel.SMS:
            message = InboundMessage(
                channel=channel,
                external_id=f"SM{seed:04d}{n:026d}",
                sender_address=phone,
                text=body,
            )
        else:
            message = InboundMessage(
                channel=channel,
                external_id=f"sample-{seed}-{n}@example.invalid"
                if channel == Channel.EMAIL
                else f"{channel.value}:sample-{seed}-{n}",
                sender_address=email,
                sender_name=name,
                subject=subject,
                text=body,
                sender_phone=phone if channel == Channel.WEB and rng.random() < 0.3 else "",
                recipient_address="neuvonta@example.fi",
                hints=Hints(
                    audience="applicant",
                    language=language if channel in (Channel.WEB, Channel.API) else None,
                ),
            )
        yield Sample(message, at)
