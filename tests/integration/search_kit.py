"""The tickets the search tests look for (both databases), an agent to
look, and the hostile strings every search must take as plain text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from servicedesk.models import Message, Ticket
from tests.integration.console_kit import make_contact, make_ticket, make_user


@dataclass
class Corpus:
    osao: Ticket  # applicant ticket of osao, Finnish
    triage: Ticket  # national desk, English, SMS
    staff: Ticket  # osao's staff desk
    omnia: Ticket  # another institution's applicant ticket
    closed: Ticket


@pytest.fixture
def corpus(rt, session) -> Corpus:  # type: ignore[no-untyped-def]
    now = rt.now()
    aino = make_contact(
        session, name="Aino Hakija", email="aino.hakija@example.org", phone="+358401234567"
    )
    bob = make_contact(session, name="Bob Smith", phone="+358501112222")
    staffer = make_contact(session, name="Sanna Opettaja", email="sanna@osao.fi")
    other = make_contact(session, name="Olli Muu", email="olli@omnia.example")
    corpus = Corpus(
        osao=make_ticket(
            session,
            now,
            queue="osao-applicants",
            organization="osao",
            contact=aino,
            subject="Opiskelijan hakemus myöhässä",
            body="Hei, lähetin hakemuksen eilen mutta järjestelmä antoi virheen.",
            language="fi",
            region_code="17",
            topic="application",
            created_at=now - timedelta(days=3),
        ),
        triage=make_ticket(
            session,
            now,
            queue="national-triage",
            organization="national-desk",
            contact=bob,
            channel="sms",
            subject="Question about apprenticeship",
            body="I would like to know about oppisopimus in Oulu",
            language="en",
            topic="apprenticeship",
            status="open",
            created_at=now - timedelta(days=2),
        ),
        staff=make_ticket(
            session,
            now,
            queue="osao-staff",
            organization="osao",
            audience="staff",
            contact=staffer,
            subject="Virkailijan tunnukset lukittu",
            body="Tunnukseni lukittuivat, en pääse valintapalveluun.",
            topic="technical",
        ),
        omnia=make_ticket(
            session,
            now,
            queue="omnia-applicants",
            organization="omnia",
            contact=other,
            subject="Hakemus Omniaan",
            body="Salainen: toisen oppilaitoksen hakemus ja opiskelijan tiedot.",
            created_at=now - timedelta(days=1),
        ),
        closed=make_ticket(
            session,
            now,
            queue="national-triage",
            organization="national-desk",
            subject="Valintakoe peruttu",
            body="Kiitos tiedosta.",
            status="closed",
            created_at=now - timedelta(days=10),
        ),
    )
    session.add(
        Message(
            ticket_id=corpus.triage.id,
            direction="note",
            channel="email",
            body_text="Sisäinen muistiinpano: soitettu takaisin, asia ratkeaa huomenna.",
            is_public=False,
        )
    )
    session.commit()
    return corpus


@pytest.fixture
def agent(session):  # type: ignore[no-untyped-def]
    user = make_user(session, "agent")
    session.commit()
    return user


HOSTILE = [
    "'",
    '"',
    '""',
    "'; DROP TABLE tickets; --",
    '"; DROP TABLE messages; --',
    "hakemus' OR '1'='1",
    "*",
    "hake*",
    "NEAR(hakemus opiskelija)",
    "NEAR(",
    "subject:hakemus",
    "body_text:x",
    "a:b:c",
    "hakemus AND OR NOT",
    "NOT",
    "-hakemus",
    "- - -",
    "(",
    ")",
    "^hakemus",
    "hakemus & !opiskelija | <->",
    "'a':* & 'b'",
    "\\",
    "%",
    "_",
    "@",
    "@@",
    "+",
    "--",
    "ä" * 500,
    "x " * 300,
    "\u200b\ufeff",
    "tunnus\x01\x02",
    "\ue000\ue001",
    "'\"*:()^-+NEAR{}[]",
]
