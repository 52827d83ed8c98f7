"""Realistic sample enquiries for the demo and the benchmarks: Finnish,
Swedish and English in proportion, every region (weighted by population,
Swedish speakers where they live), every channel, the questions applicants
and staff actually ask, the seasonal peaks of August–September and
December–January with quieter weekends, a few attachments, and the rest of
each conversation (``thread``: 1–6 messages in all, answers and the
applicant's follow-ups).  Deterministic for a seed."""

from __future__ import annotations

import itertools
import random
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from channels.message import Attachment, Channel, Hints, InboundMessage

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
# (region code, population in thousands, a town: name, "in", "from").
REGION_PLACES: list[tuple[str, int, str, str, str]] = [
    ("01", 1720, "Helsinki", "Helsingissä", "Helsingistä"),
    ("01", 0, "Espoo", "Espoossa", "Espoosta"),
    ("02", 480, "Turku", "Turussa", "Turusta"),
    ("04", 210, "Pori", "Porissa", "Porista"),
    ("05", 170, "Hämeenlinna", "Hämeenlinnassa", "Hämeenlinnasta"),
    ("06", 530, "Tampere", "Tampereella", "Tampereelta"),
    ("07", 200, "Lahti", "Lahdessa", "Lahdesta"),
    ("08", 160, "Kotka", "Kotkassa", "Kotkasta"),
    ("09", 130, "Lappeenranta", "Lappeenrannassa", "Lappeenrannasta"),
    ("10", 130, "Mikkeli", "Mikkelissä", "Mikkelistä"),
    ("11", 250, "Kuopio", "Kuopiossa", "Kuopiosta"),
    ("12", 160, "Joensuu", "Joensuussa", "Joensuusta"),
    ("13", 270, "Jyväskylä", "Jyväskylässä", "Jyväskylästä"),
    ("14", 190, "Seinäjoki", "Seinäjoella", "Seinäjoelta"),
    ("15", 180, "Vaasa", "Vaasassa", "Vaasasta"),
    ("15", 0, "Närpiö", "Närpiössä", "Närpiöstä"),
    ("16", 70, "Kokkola", "Kokkolassa", "Kokkolasta"),
    ("17", 410, "Oulu", "Oulussa", "Oulusta"),
    ("18", 70, "Kajaani", "Kajaanissa", "Kajaanista"),
    ("19", 180, "Rovaniemi", "Rovaniemellä", "Rovaniemeltä"),
    ("21", 30, "Maarianhamina", "Maarianhaminassa", "Maarianhaminasta"),
]
# Where Swedish speakers write from (region code, town, share).
SWEDISH_PLACES: list[tuple[str, str, int]] = [
    ("01", "Helsingfors", 25),
    ("01", "Esbo", 10),
    ("01", "Borgå", 8),
    ("02", "Åbo", 10),
    ("15", "Vasa", 15),
    ("15", "Jakobstad", 8),
    ("15", "Närpes", 6),
    ("15", "Kristinestad", 3),
    ("16", "Karleby", 4),
    ("21", "Mariehamn", 11),
]
# Kept for callers of the first version: (name, "in", "from").
PLACES = [(name, where, whence) for _r, _p, name, where, whence in REGION_PLACES]
STAFF_DOMAINS = ["osao.fi", "stadinao.fi", "vamia.fi", "omnia.fi"]

# Share of mails and form posts that carry a file (a certificate, a photo).
ATTACHMENT_SHARE = 0.03
# A tiny but well-formed PDF and JPEG, as an applicant's scan would start.
PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
ATTACHMENTS = [
    ("todistus.pdf", "application/pdf", PDF_BYTES),
    ("tutkintotodistus.pdf", "application/pdf", PDF_BYTES),
    ("kuva.jpg", "image/jpeg", JPEG_BYTES),
]

# How long a conversation is, in messages (the enquiry included): 1–6.
THREAD_LENGTHS = (1, 2, 3, 4, 5, 6)
THREAD_WEIGHTS = (10, 20, 25, 20, 15, 10)
ANSWERS = {
    "fi": [
        "Hei! Kiitos kysymyksestäsi. Hakuaika päättyy hakukohteen tiedoissa kerrottuna päivänä "
        "klo 15. Voit täydentää hakemustasi hakuaikana. Ystävällisin terveisin, neuvonta",
        "Hei, oppisopimuskoulutukseen haetaan ottamalla yhteyttä alueesi oppisopimustoimistoon. "
        "Tarvitset työpaikan, joka sitoutuu kouluttamaan sinua. Terveisin neuvonta",
        "Kiitos viestistä. Aiemmin hankittu osaaminen tunnustetaan henkilökohtaistamisen "
        "yhteydessä, kun opinnot alkavat. Ota todistukset mukaan aloitustapaamiseen.",
        "Hei! Ammatillinen koulutus on maksutonta. Opintotukea voit hakea Kelasta, kun "
        "opintosi ovat alkaneet. Ystävällisin terveisin",
    ],
    "sv": [
        "Hej! Tack för din fråga. Ansökningstiden går ut kl. 15 den dag som anges i "
        "ansökningsmålets uppgifter. Med vänliga hälsningar, rådgivningen",
        "Hej, du kan studera på distans vid flera läroanstalter i regionen. Kontakta "
        "läroanstaltens studiehandledare för mer information. Hälsningar",
    ],
    "en": [
        "Hello, thank you for your question. Vocational education is free of charge. The "
        "application period ends at 15:00 Finnish time on the date given. Best regards",
        "Hi! Degrees from abroad are recognised by the Finnish National Agency for Education. "
        "Please bring your certificates when your studies begin. Kind regards",
    ],
}
FOLLOW_UPS = {
    "fi": [
        "Kiitos vastauksesta! Vielä yksi kysymys: tarvitseeko minun liittää todistukset "
        "hakemukseen vai tuoda ne vasta myöhemmin?",
        "Kiitos, tämä auttoi. Entä jos en ehdi hakea määräaikaan mennessä?",
        "Hei, en vieläkään löydä hakulomaketta. Mistä sen löytää?",
    ],
    "sv": [
        "Tack för svaret! Behöver jag bifoga betygen redan nu?",
        "Tack, det hjälpte. Vad händer om jag inte hinner söka i tid?",
    ],
    "en": [
        "Thank you! One more question: do I need to attach my certificates to the application?",
        "Thanks, that helped. What if I miss the deadline?",
    ],
}


@dataclass(frozen=True, slots=True)
class Sample:
    """One enquiry, when it arrived, and what the generator knows about it
    (the region of the place it names, its language and topic)."""

    message: InboundMessage
    received_at: datetime
    region: str | None = None
    language: str = "fi"
    topic: str = "other"
    audience: str = "applicant"


@dataclass(frozen=True, slots=True)
class ThreadMessage:
    """A message after the enquiry: an answer (outbound) or the applicant's
    follow-up (inbound), ``after`` the enquiry arrived."""

    direction: str
    text: str
    after: timedelta


def mailbox_name(name: str) -> str:
    """ "Tomás Virtanen" → "tomas": the first name as a plain ASCII mailbox."""
    first = unicodedata.normalize("NFKD", name.split()[0].lower())
    return "".join(c for c in first if c.isascii() and c.isalnum()) or "hakija"


def _season_weight(day: datetime) -> float:
    """Peaks in August–September and December–January; quieter weekends."""
    peak = {8: 2.5, 9: 2.0, 12: 1.6, 1: 2.2}.get(day.month, 1.0)
    return peak * (0.4 if day.weekday() >= 5 else 1.0)


def day_weights(start: datetime, days: int) -> list[float]:
    """The relative number of enquiries on each day from ``start``."""
    return [_season_weight(start + timedelta(days=d)) for d in range(days)]


def _finnish_place(rng: random.Random) -> tuple[str, str, str, str]:
    """(region, name, "in", "from"), Uusimaa's second town sharing its weight."""
    weights = [p if p else 300 for _r, p, *_rest in REGION_PLACES]
    region, _p, name, where, whence = rng.choices(REGION_PLACES, weights=weights)[0]
    return region, name, where, whence


def _attachments(rng: random.Random, channel: Channel) -> tuple[Attachment, ...]:
    if channel not in (Channel.EMAIL, Channel.WEB) or rng.random() >= ATTACHMENT_SHARE:
        return ()
    filename, content_type, data = rng.choice(ATTACHMENTS)
    return (Attachment(filename=filename, content_type=content_type, data=data),)


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
    cumulative = list(itertools.accumulate(day_weights(start, days)))
    for n in range(count):
        day = rng.choices(range(days), cum_weights=cumulative)[0]
        at = start + timedelta(
            days=day,
            hours=rng.choice([8, 9, 10, 11, 12, 13, 14, 15, 19, 21]),
            minutes=rng.randrange(60),
        )
        if rng.random() < 0.08:
            topic, subject, body = rng.choice(STAFF_ENQUIRIES)
            domain = rng.choice(STAFF_DOMAINS)
            name = f"{rng.choice(FIRST_NAMES['fi'])} {rng.choice(LAST_NAMES)}"
            yield Sample(
                InboundMessage(
                    channel=Channel.EMAIL,
                    external_id=f"sample-{seed}-{n}@example.invalid",
                    sender_address=f"{mailbox_name(name)}.{n}@{domain}",
                    sender_name=name,
                    recipient_address="tuki@example.fi",
                    subject=subject,
                    text=body,
                    hints=Hints(audience="staff"),
                ),
                at,
                topic=topic,
                audience="staff",
            )
            continue
        language = rng.choices(["fi", "sv", "en"], weights=[80, 12, 8])[0]
        topic, subject, template = rng.choice(ENQUIRIES[language])
        region, place, place_in, place_sta = _finnish_place(rng)
        if language == "sv":
            region, place, _share = rng.choices(
                SWEDISH_PLACES, weights=[s for *_x, s in SWEDISH_PLACES]
            )[0]
        named = "{place" in template
        body = template.format(place=place, place_in=place_in, place_sta=place_sta)
        name = f"{rng.choice(FIRST_NAMES[language])} {rng.choice(LAST_NAMES)}"
        channel = rng.choice(channel_choices)
        phone = f"+35840{rng.randrange(10**6, 10**7)}"
        email = f"{mailbox_name(name)}.{n}@example.org"
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
                attachments=_attachments(rng, channel),
                hints=Hints(
                    audience="applicant",
                    language=language if channel in (Channel.WEB, Channel.API) else None,
                ),
            )
        yield Sample(message, at, region=region if named else None, language=language, topic=topic)


def thread(sample: Sample, rng: random.Random) -> list[ThreadMessage]:
    """The rest of the conversation an enquiry starts (0–5 more messages):
    an answer within a working day or two, sometimes a follow-up question
    and its answer, alternating."""
    length = rng.choices(THREAD_LENGTHS, weights=THREAD_WEIGHTS)[0]
    language = sample.language if sample.language in ANSWERS else "fi"
    after = timedelta(0)
    found: list[ThreadMessage] = []
    for position in range(1, length):
        after += timedelta(hours=rng.choice([1, 2, 4, 6, 20, 26, 48]), minutes=rng.randrange(60))
        if position % 2 == 1:
            found.append(ThreadMessage("outbound", rng.choice(ANSWERS[language]), after))
        else:
            found.append(ThreadMessage("inbound", rng.choice(FOLLOW_UPS[language]), after))
    return found
