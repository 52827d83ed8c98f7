"""The phone line step by step: each TwiML answer parsed as XML, the next
request made to the action URL it names, signed as Twilio signs it."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from routing import OpeningHours
from servicedesk import directory_store, voice_flow
from servicedesk.models import AuditEvent, CallRecord, Contact, ContactIdentity, Message, Ticket
from servicedesk.phone_hours import describe_opening_hours
from tests.integration.twilio_requests import CALLER, Twilio, twiml

VOICE = "/webhooks/twilio/voice"
LINE = "+358291110000"
STAFF_LINE = "+358291110001"
CALL_SID = "CA" + "1" * 32
OPEN = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)  # Tuesday 12:00 in Helsinki
EVENING = datetime(2026, 3, 10, 17, 0, tzinfo=UTC)  # Tuesday 19:00
CHRISTMAS_EVE = datetime(2026, 12, 24, 10, 0, tzinfo=UTC)  # Thursday 12:00, a holiday
OULU_DESK = "+358501000117"


@pytest.fixture
def twilio(client, settings) -> Twilio:  # type: ignore[no-untyped-def]
    return Twilio(client, settings)


@pytest.fixture
def at(rt):  # type: ignore[no-untyped-def]
    """Set the clock: ``at(OPEN)``."""

    def set_clock(moment: datetime) -> None:
        rt.clock = lambda: moment

    set_clock(OPEN)
    return set_clock


class Call:
    """One caller's side of a call: every request carries the call's fields."""

    def __init__(self, twilio: Twilio, caller: str = CALLER, line: str = LINE) -> None:
        self.twilio = twilio
        self.fields = {
            "CallSid": CALL_SID,
            "AccountSid": "AC" + "0" * 32,
            "From": caller,
            "To": line,
            "Direction": "inbound",
            "CallStatus": "in-progress",
        }

    def start(self) -> ET.Element:
        return twiml(self.twilio.post(VOICE, {**self.fields, "CallStatus": "ringing"}))

    def post(self, url: str, **form: str) -> ET.Element:
        return twiml(self.twilio.follow(url, {**self.fields, **form}))

    def status(self, path: str, **form: str) -> ET.Element:
        return twiml(self.twilio.post(f"{VOICE}/{path}", {**self.fields, **form}))


def gather(root: ET.Element) -> ET.Element:
    found = root.find("Gather")
    assert found is not None, ET.tostring(root)
    return found


def redirect(root: ET.Element) -> str:
    found = root.find("Redirect")
    assert found is not None, ET.tostring(root)
    return found.text or ""


def spoken(root: ET.Element) -> str:
    return " ".join((say.text or "") for say in root.iter("Say"))


def record_of(session) -> CallRecord:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.execute(select(CallRecord).where(CallRecord.call_sid == CALL_SID)).scalar_one()


def call_ticket(session) -> Ticket:  # type: ignore[no-untyped-def]
    return session.get(Ticket, record_of(session).ticket_id)


def kinds(session, ticket: Ticket) -> list[str]:  # type: ignore[no-untyped-def]
    return list(
        session.execute(
            select(AuditEvent.kind).where(AuditEvent.ticket_id == ticket.id).order_by(AuditEvent.id)
        ).scalars()
    )


def notes(session, ticket: Ticket) -> list[str]:  # type: ignore[no-untyped-def]
    return list(
        session.execute(
            select(Message.body_text).where(
                Message.ticket_id == ticket.id, Message.direction == "note"
            )
        ).scalars()
    )


# --- flows ------------------------------------------------------------------------------


def test_unknown_caller_says_the_municipality_and_the_regional_desk_answers(
    twilio, session, at
) -> None:
    call = Call(twilio)

    menu = gather(call.start())
    assert menu.get("input") == "dtmf"
    assert menu.get("action") == "http://desk.test/webhooks/twilio/voice/language"

    ask = gather(call.post(menu.get("action"), Digits="1"))
    assert (ask.get("input"), ask.get("language")) == ("speech dtmf", "fi-FI")
    hints = ask.get("hints").split(",")
    assert "Oulu" in hints and "Vaasa" in hints and hints.index("Vaasa") < hints.index("Vasa")

    connect = call.post(ask.get("action"), SpeechResult="Asun Oulussa.", Confidence="0.87")
    dial = connect.find("Dial")
    assert dial is not None, ET.tostring(connect)
    assert dial.findtext("Number") == OULU_DESK
    assert dial.get("action") == "http://desk.test/webhooks/twilio/voice/dialed"
    assert dial.get("timeout") == "20"
    record = record_of(session)
    assert (record.language, record.municipality_heard) == ("fi", "Asun Oulussa.")
    assert (record.municipality_code, record.region_code) == ("564", "17")
    assert (record.queue_id, record.dialed) == ("pohjois-pohjanmaa-applicants", OULU_DESK)
    assert record.ticket_id is None  # no ticket while the call runs

    bye = call.post(dial.get("action"), DialCallStatus="completed", DialCallDuration="95")
    assert [child.tag for child in bye] == ["Say", "Hangup"]
    ticket = call_ticket(session)
    assert (ticket.channel, ticket.region_code, ticket.municipality_code) == ("phone", "17", "564")
    assert ticket.queue_id == "pohjois-pohjanmaa-applicants"
    record = record_of(session)
    assert record.outcome == "answered"
    assert "Pohjois-Pohjanmaan hakeutumisneuvonta" in record.answered_by
    assert record.duration_seconds == 95
    assert "callback_requested" not in kinds(session, ticket)

    call.status("status", CallStatus="completed", CallDuration="131")
    record = record_of(session)
    assert record.duration_seconds == 131 and record.ended_at is not None
    assert session.execute(select(func.count(Ticket.id))).scalar_one() == 1


@pytest.mark.parametrize(
    ("key", "line", "heading"),
    [
        ("1", "Puhelu 10.3. klo 12.00", "Soitit"),
        ("2", "Samtal 10.3. kl. 12.00", "Du ringde"),
        ("3", "Phone call on", "You called"),
    ],
)
def test_the_status_page_of_a_call_shows_that_it_happened_and_nothing_internal(
    twilio, client, session, at, key, line, heading
) -> None:
    call = Call(twilio)
    ask = gather(call.post(gather(call.start()).get("action"), Digits=key))
    dial = call.post(ask.get("action"), SpeechResult="Oulu").find("Dial")
    call.post(dial.get("action"), DialCallStatus="completed", DialCallDuration="95")
    ticket = call_ticket(session)

    lang = {"1": "fi", "2": "sv", "3": "en"}[key]
    page = client.get(f"/status/{ticket.status_token}?lang={lang}").get_data(as_text=True)

    assert line in page and heading in page
    for internal in (OULU_DESK, "answered by", "hakeutumisneuvonta (", "Oulu", CALLER):
        assert internal not in page
    summary = session.execute(
        select(Message).where(Message.id == record_of(session).message_id)
    ).scalar_one()
    assert not summary.is_public and OULU_DESK in summary.body_text  # the agent still sees it


def test_speech_not_understood_falls_back_to_the_keypad_menu(twilio, session, at) -> None:
    call = Call(twilio)
    ask = gather(call.post(gather(call.start()).get("action"), Digits="2"))
    assert ask.get("language") == "sv-SE"

    sorry = call.post(ask.get("action"), SpeechResult="Atlantis", Confidence="0.3")
    assert sorry.find("Gather") is None
    menu_url = redirect(sorry)
    assert menu_url == "http://desk.test/webhooks/twilio/voice/region-menu"

    menu = gather(call.post(menu_url))
    assert menu.get("input") == "dtmf"
    text = spoken(menu)
    assert "Nyland, tryck 1" in text and "Österbotten, tryck 4" in text

    connect = call.post(menu.get("action"), Digits="4")
    # a Swedish-speaking caller in Ostrobothnia: the rule for the Swedish desk
    assert connect.find("Dial").findtext("Number") == "+358501000115"
    record = record_of(session)
    assert (record.municipality_heard, record.municipality_code) == ("Atlantis", None)
    assert (record.region_code, record.queue_id) == ("15", "pohjanmaa-applicants-sv")


def test_zero_goes_to_the_keypad_menu_and_zero_there_to_the_national_desk(
    twilio, session, at
) -> None:
    call = Call(twilio)
    ask = gather(call.post(gather(call.start()).get("action"), Digits="3"))
    menu = gather(call.post(ask.get("action"), Digits="0"))
    assert "North Ostrobothnia, press 5" in spoken(menu)

    connect = call.post(menu.get("action"), Digits="0")

    assert connect.find("Dial").findtext("Number") == "+358501000100"
    record = record_of(session)
    assert record.region_code is None
    assert record.queue_id == "national-international"  # English: the international team


def test_a_known_caller_is_not_asked_and_the_call_joins_their_open_ticket(
    twilio, session, at
) -> None:
    sms = {
        "MessageSid": "SMfeed" + "1" * 28,
        "From": CALLER,
        "To": "+358401110000",
        "Body": "Asun Turussa. Miten haen ammattikouluun?",
        "NumMedia": "0",
    }
    twilio.post("/webhooks/twilio/sms", sms)
    [earlier] = session.execute(select(Ticket)).scalars()
    assert earlier.region_code == "02"

    call = Call(twilio)
    connect = call.post(gather(call.start()).get("action"), Digits="1")

    dial = connect.find("Dial")
    assert dial is not None, "a known caller is connected without questions"
    assert dial.findtext("Number") == "+358501000102"

    # nobody answers: a voicemail, then the call joins the open SMS ticket
    offer = call.post(dial.get("action"), DialCallStatus="no-answer")
    record_tag = offer.find("Record")
    assert record_tag is not None
    assert record_tag.get("maxLength") == "120"
    assert record_tag.get("transcribe") == "false"
    recording = "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE" + "7" * 32
    thanks = call.post(
        record_tag.get("action"), RecordingUrl=recording, RecordingDuration="42", RecordingSid="RE7"
    )
    assert thanks.find("Hangup") is not None

    session.expire_all()
    assert session.execute(select(func.count(Ticket.id))).scalar_one() == 1
    ticket = call_ticket(session)
    assert ticket.id == earlier.id
    assert "callback_requested" in kinds(session, ticket)
    assert any(note.startswith(f"Call back {CALLER}") for note in notes(session, ticket))
    record = record_of(session)
    assert (record.outcome, record.recording_url) == ("voicemail", recording)


@pytest.mark.parametrize("outcome", ["busy", "failed", "no-answer"])
def test_a_busy_or_failed_desk_offers_a_voicemail_and_a_call_back(
    twilio, session, at, outcome
) -> None:
    call = Call(twilio)
    ask = gather(call.post(gather(call.start()).get("action"), Digits="1"))
    dial = call.post(ask.get("action"), SpeechResult="Oulu").find("Dial")

    offer = call.post(dial.get("action"), DialCallStatus=outcome)

    record_tag = offer.find("Record")
    assert record_tag is not None, ET.tostring(offer)
    assert offer.find("Dial") is None
    assert record_of(session).ticket_id is None  # the call goes on
    recording = "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE" + "6" * 32
    call.post(record_tag.get("action"), RecordingUrl=recording, RecordingDuration="20")
    ticket = call_ticket(session)
    assert record_of(session).outcome == "voicemail"
    assert "callback_requested" in kinds(session, ticket)
    assert notes(session, ticket) == [
        f"Call back {CALLER}: the caller left a voicemail.\nRecording: {recording}"
    ]


@pytest.mark.parametrize("moment", [EVENING, CHRISTMAS_EVE], ids=["evening", "christmas_eve"])
def test_outside_opening_hours_a_voicemail_makes_a_call_back_task(
    twilio, session, at, api, moment
) -> None:
    at(moment)
    call = Call(twilio)
    ask = gather(call.post(gather(call.start()).get("action"), Digits="1"))

    closed = call.post(ask.get("action"), SpeechResult="Oulu")

    assert closed.find("Dial") is None
    text = spoken(closed)
    assert "suljettu" in text
    assert "Palvelemme maanantaista perjantaihin kello 9–16." in text
    record_tag = closed.find("Record")
    assert record_tag.get("maxLength") == "120"
    assert record_tag.get("recordingStatusCallback") == (
        "http://desk.test/webhooks/twilio/voice/recording"
    )
    recording = "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE" + "8" * 32
    call.post(record_tag.get("action"), RecordingUrl=recording, RecordingDuration="37")

    ticket = call_ticket(session)
    assert ticket.queue_id == "pohjois-pohjanmaa-applicants"
    assert ticket.assignee_id is None  # for whoever in the queue is free first
    assert ticket.status == "new"
    assert "callback_requested" in kinds(session, ticket)
    [note] = notes(session, ticket)
    assert note.startswith(f"Call back {CALLER}: the caller left a voicemail.")
    listed = api.get("/tickets?queue=pohjois-pohjanmaa-applicants").get_json()["tickets"]
    assert ticket.number in [t["number"] for t in listed]

    # Twilio's recording callback, then the end of the call
    call.status(
        "recording",
        RecordingUrl=recording + "x",
        RecordingStatus="completed",
        RecordingDuration="37",
    )
    call.status("status", CallStatus="completed", CallDuration="70")
    record = record_of(session)
    assert record.recording_url == recording + "x"
    assert (record.outcome, record.duration_seconds) == ("voicemail", 70)


def test_a_caller_who_hangs_up_in_the_menu_is_a_missed_call(twilio, session, at) -> None:
    call = Call(twilio)
    call.start()

    call.status("status", CallStatus="completed", CallDuration="9")

    ticket = call_ticket(session)
    assert ticket.channel == "phone" and ticket.queue_id == "national-triage"
    assert record_of(session).outcome == "missed"
    assert "callback_requested" in kinds(session, ticket)
    assert notes(session, ticket) == [f"Call back {CALLER}: the caller called and nobody answered."]
    call.status("status", CallStatus="completed", CallDuration="9")  # a repeat
    assert session.execute(select(func.count(Ticket.id))).scalar_one() == 1


def test_the_staff_line_goes_to_the_staff_helpdesk(twilio, session, at) -> None:
    call = Call(twilio, line=STAFF_LINE)
    menu = gather(call.start())
    assert "henkilökunnan" in spoken(menu)

    connect = call.post(menu.get("action"), Digits="1")

    assert connect.find("Dial").findtext("Number") == "+358501000200"
    call.post(connect.find("Dial").get("action"), DialCallStatus="completed", DialCallDuration="60")
    ticket = call_ticket(session)
    assert ticket.audience == "staff"
    assert ticket.queue_id in {"helpdesk-content", "helpdesk-technical"}


def test_no_language_key_twice_means_finnish(twilio, session, at) -> None:
    call = Call(twilio)
    menu = gather(call.start())

    sorry = call.post(menu.get("action"))
    again_url = redirect(sorry)
    assert again_url == "http://desk.test/webhooks/twilio/voice?attempt=2"
    again = gather(call.post(again_url))
    assert again.get("action") == "http://desk.test/webhooks/twilio/voice/language?attempt=2"

    ask = gather(call.post(again.get("action")))
    assert ask.get("language") == "fi-FI"
    assert record_of(session).language == "fi"


def test_voice_signatures(twilio, session, at) -> None:
    fields = {"CallSid": CALL_SID, "From": CALLER, "To": LINE, "CallStatus": "ringing"}

    assert twilio.post(VOICE, fields, signature="Zm9yZ2Vk").status_code == 403
    assert (
        twilio.post(
            f"{VOICE}/status", {**fields, "CallStatus": "completed"}, signature=""
        ).status_code
        == 403
    )
    assert session.execute(select(func.count(CallRecord.id))).scalar_one() == 0

    proxied = twilio.post(VOICE, fields, app_base_url="https://10.0.0.5:8443")
    assert proxied.status_code == 200
    # a query string is part of what is signed
    signed = twilio.sign("http://desk.test/webhooks/twilio/voice/language?attempt=2", fields)
    moved = twilio.post(f"{VOICE}/language", fields, query="attempt=3", signature=signed)
    assert moved.status_code == 403


def test_a_known_caller_without_a_region_is_asked(twilio, session, at) -> None:
    contact = Contact(name="Pekka", region_code=None)
    session.add(contact)
    session.flush()
    session.add(ContactIdentity(contact_id=contact.id, kind="phone", value=CALLER))
    session.commit()
    call = Call(twilio)

    ask = call.post(gather(call.start()).get("action"), Digits="1")

    assert gather(ask).get("input") == "speech dtmf"  # known, but no region: asked


# --- matching what was said, and saying the hours ---------------------------------------


@pytest.mark.parametrize(
    ("speech", "code"),
    [
        ("Oulu", "564"),
        ("Uleåborg.", "564"),
        ("Asun Helsingissä", "091"),
        ("Jag bor i Vasa", "905"),
        ("Kristiinan", "287"),  # the unique start of Kristiinankaupunki
        ("Hämeen", None),  # Hämeenlinna or Hämeenkyrö: not a guess
        ("En tiedä", None),
        ("", None),
    ],
)
def test_match_municipality(session, speech: str, code: str | None) -> None:
    directory = directory_store.current(session)
    found = voice_flow.match_municipality(directory, speech, OPEN)
    assert (found.code if found else None) == code


@pytest.mark.parametrize(
    ("language", "days", "expected"),
    [
        (
            "fi",
            {"mon": "09:00-16:00", "tue": "09:00-16:00"},
            "Palvelemme maanantaista tiistaihin kello 9–16.",
        ),
        (
            "sv",
            {"mon": "08:00-15:30", "tue": "08:00-15:30", "fri": "08:00-14:00"},
            "Vi har öppet måndag till tisdag klockan 8–15.30 och på fredagar klockan 8–14.",
        ),
        (
            "en",
            {"sat": "10:00-12:00, 13:00-14:00"},
            "We are open on Saturdays 10:00–12:00 and 13:00–14:00.",
        ),
        ("fi", {}, None),
    ],
)
def test_opening_hours_as_said_on_the_line(
    language: str, days: dict[str, str], expected: str | None
) -> None:
    assert describe_opening_hours(OpeningHours.parse(days), language) == expected
