"""TwiML of every step of the call flow, parsed as XML and asserted."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable

import pytest

from channels import voice

Parse = Callable[[str], ET.Element]

LOCALES = {"fi": "fi-FI", "sv": "sv-SE", "en": "en-GB"}
ACTION = "https://desk.example.fi/webhooks/twilio/voice/step?call=1"


def tags(root: ET.Element) -> list[str]:
    return [child.tag for child in root]


def assert_says_in(root: ET.Element, locale: str) -> None:
    says = list(root.iter("Say"))
    assert says
    for say in says:
        assert say.get("language") == locale
        assert say.get("voice")
        assert (say.text or "").strip()


# --- language menu -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("staff", "greetings"),
    [
        (False, ("koulutukseen hakevien", "söker till utbildning", "applying to education")),
        (True, ("henkilökunnan", "personal vid läroanstalter", "staff at educational")),
    ],
)
def test_language_menu(twiml: Parse, staff: bool, greetings: tuple[str, str, str]) -> None:
    root = twiml(voice.language_menu(ACTION, staff=staff))

    assert tags(root) == ["Pause", "Gather", "Redirect"]
    gather = root.find("Gather")
    assert gather is not None
    assert gather.attrib == {
        "input": "dtmf",
        "numDigits": "1",
        "action": ACTION,
        "method": "POST",
        "timeout": "6",
    }
    says = gather.findall("Say")
    assert [say.get("language") for say in says] == ["fi-FI", "sv-SE", "en-GB"]
    texts = [say.text or "" for say in says]
    for text, greeting, choice in zip(
        texts, greetings, ("paina 1", "tryck 2", "press 3"), strict=True
    ):
        assert greeting in text
        assert text.endswith(f"{choice}.")
    redirect = root.find("Redirect")
    assert redirect is not None
    assert redirect.text == ACTION
    assert redirect.get("method") == "POST"


@pytest.mark.parametrize(
    ("digits", "language"),
    [
        ("1", "fi"),
        ("2", "sv"),
        ("3", "en"),
        (" 2 ", "sv"),
        ("4", None),
        ("0", None),
        ("12", None),
        ("", None),
        (None, None),
        ("#", None),
    ],
)
def test_language_for_digits(digits: str | None, language: str | None) -> None:
    assert voice.language_for_digits(digits) == language


# --- municipality --------------------------------------------------------------------

MUNICIPALITIES = ["Oulu", "Helsinki", "Helsingfors", "Vaasa", "Vasa", "Pedersören kunta"]


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_ask_municipality(twiml: Parse, language: str) -> None:
    root = twiml(voice.ask_municipality(language, ACTION, MUNICIPALITIES))

    assert tags(root) == ["Gather", "Redirect"]
    gather = root.find("Gather")
    assert gather is not None
    assert gather.get("input") == "speech dtmf"
    assert gather.get("language") == LOCALES[language]
    assert gather.get("hints") == "Oulu,Helsinki,Helsingfors,Vaasa,Vasa,Pedersören kunta"
    assert gather.get("speechTimeout") == "auto"
    assert gather.get("numDigits") == "1"
    assert gather.get("action") == ACTION
    assert gather.get("method") == "POST"
    assert "transcribe" not in gather.attrib
    assert_says_in(root, LOCALES[language])
    assert tags(gather) == ["Say"]
    assert root.findtext("Redirect") == ACTION


def test_ask_municipality_prompt_mentions_the_keypad(twiml: Parse) -> None:
    root = twiml(voice.ask_municipality("fi", ACTION, ["Oulu"]))
    assert "kotikunta" in (root.findtext("Gather/Say") or "")
    assert "paina nolla" in (root.findtext("Gather/Say") or "")


def test_ask_municipality_without_hints(twiml: Parse) -> None:
    gather = twiml(voice.ask_municipality("sv", ACTION, [])).find("Gather")
    assert gather is not None
    assert "hints" not in gather.attrib


def test_speech_hints_are_capped_to_what_twilio_accepts() -> None:
    names = [f"Kunta {n}" for n in range(600)]
    hints = voice.speech_hints(names).split(",")
    assert len(hints) == voice.MAX_HINTS == 500
    assert hints[0] == "Kunta 0"
    assert hints[-1] == "Kunta 499"


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["Oulu", "oulu", "Oulu"], "Oulu,oulu"),
        (["Koski, Tl", "  Inari  ", ""], "Koski Tl,Inari"),
        (["x" * 100, "y" * 101, "Salo"], "x" * 100 + ",Salo"),
        (["Mustasaari   Korsholm"], "Mustasaari Korsholm"),
        ([], ""),
    ],
)
def test_speech_hints(names: list[str], expected: str) -> None:
    assert voice.speech_hints(names) == expected


# --- region menu ----------------------------------------------------------------------

REGIONS = [("17", "Pohjois-Pohjanmaa"), ("01", "Uusimaa"), ("15", "Pohjanmaa")]


def test_region_menu(twiml: Parse) -> None:
    root = twiml(voice.region_menu("fi", ACTION, REGIONS))

    assert tags(root) == ["Gather", "Redirect"]
    gather = root.find("Gather")
    assert gather is not None
    assert gather.get("input") == "dtmf"
    assert gather.get("numDigits") == "1"
    assert gather.get("action") == ACTION
    text = root.findtext("Gather/Say") or ""
    assert text.startswith("Valitse alue.")
    assert "Pohjois-Pohjanmaa, paina 1. Uusimaa, paina 2. Pohjanmaa, paina 3." in text
    assert text.endswith("et tiedä, paina nolla.")
    assert_says_in(root, "fi-FI")


@pytest.mark.parametrize(
    ("language", "choice", "other"),
    [("sv", "Nyland, tryck 2.", "tryck noll."), ("en", "Uusimaa, press 2.", "press zero.")],
)
def test_region_menu_languages(twiml: Parse, language: str, choice: str, other: str) -> None:
    regions = [("17", "Norra Österbotten"), ("01", "Nyland" if language == "sv" else "Uusimaa")]
    root = twiml(voice.region_menu(language, ACTION, regions))
    text = root.findtext("Gather/Say") or ""
    assert choice in text
    assert text.endswith(other)
    assert_says_in(root, LOCALES[language])


@pytest.mark.parametrize(
    ("digits", "region"),
    [
        ("1", "17"),
        ("2", "01"),
        ("3", "15"),
        ("0", None),
        ("4", None),
        ("", None),
        (None, None),
        ("*", None),
        ("11", None),
        ("²", None),  # str.isdigit() accepts it, int() does not
    ],
)
def test_region_for_digits(digits: str | None, region: str | None) -> None:
    assert voice.region_for_digits(digits, REGIONS) == region


@pytest.mark.parametrize("count", [0, 10])
def test_region_menu_needs_one_to_nine_regions(count: int) -> None:
    regions = [(f"{n:02}", f"Alue {n}") for n in range(count)]
    with pytest.raises(ValueError, match="region"):
        voice.region_menu("fi", ACTION, regions)


@pytest.mark.parametrize(
    ("language", "more"),
    [("fi", "Muut alueet, paina 9."), ("sv", "Fler regioner, tryck 9."), ("en", "press 9.")],
)
def test_a_region_menu_page_offers_more_on_nine(twiml: Parse, language: str, more: str) -> None:
    regions = [(f"{n:02}", f"Alue {n}") for n in range(1, 9)]
    root = twiml(voice.region_menu(language, ACTION, regions, more=True))
    text = root.findtext("Gather/Say") or ""
    assert more in text
    assert "Alue 8" in text and "Alue 9" not in text
    with pytest.raises(ValueError, match="1-8"):
        voice.region_menu(language, ACTION, [*regions, ("21", "Ahvenanmaa")], more=True)


# --- connecting ----------------------------------------------------------------------


def test_connect(twiml: Parse) -> None:
    root = twiml(
        voice.connect(
            "sv", "+358294501234", action_url=ACTION, timeout=25, caller_id="+358401234567"
        )
    )

    assert tags(root) == ["Say", "Dial"]
    assert "kopplar" in (root.findtext("Say") or "")
    dial = root.find("Dial")
    assert dial is not None
    assert dial.attrib == {
        "action": ACTION,
        "method": "POST",
        "timeout": "25",
        "callerId": "+358401234567",
        "answerOnBridge": "true",
    }
    assert [(n.tag, n.text) for n in dial] == [("Number", "+358294501234")]
    assert_says_in(root, "sv-SE")


def test_connect_keeps_the_callers_number_by_default(twiml: Parse) -> None:
    dial = twiml(voice.connect("fi", "+358294501234", action_url=ACTION)).find("Dial")
    assert dial is not None
    assert "callerId" not in dial.attrib
    assert dial.get("timeout") == "20"


@pytest.mark.parametrize("timeout", [0, 4, 601])
def test_connect_timeout_range(timeout: int) -> None:
    with pytest.raises(ValueError, match="timeout"):
        voice.connect("fi", "+358294501234", action_url=ACTION, timeout=timeout)


# --- voicemail and closed --------------------------------------------------------------

RECORDING_STATUS = "https://desk.example.fi/webhooks/twilio/voice/recording"


def assert_record(root: ET.Element, *, max_length: str = "120", callback: str | None) -> None:
    assert tags(root)[-4:] == ["Say", "Record", "Say", "Hangup"]
    record = root.find("Record")
    assert record is not None
    assert record.get("action") == ACTION
    assert record.get("method") == "POST"
    assert record.get("maxLength") == max_length
    assert record.get("playBeep") == "true"
    assert record.get("finishOnKey") == "#"
    assert record.get("transcribe") == "false"  # Twilio does not understand fi or sv
    assert record.get("recordingStatusCallback") == callback
    assert record.get("recordingStatusCallbackMethod") == ("POST" if callback else None)


@pytest.mark.parametrize(
    ("language", "nobody", "promise", "length"),
    [
        ("fi", "Kukaan ei ehdi", "Soitamme sinulle takaisin.", "enintään 2 minuuttia"),
        ("sv", "Ingen kan svara", "Vi ringer upp dig.", "högst 2 minuter"),
        ("en", "Nobody can answer", "We will call you back.", "up to 2 minutes long"),
    ],
)
def test_voicemail(twiml: Parse, language: str, nobody: str, promise: str, length: str) -> None:
    root = twiml(voice.voicemail(language, ACTION, recording_status_callback=RECORDING_STATUS))

    assert tags(root) == ["Say", "Say", "Record", "Say", "Hangup"]
    assert nobody in (root[0].text or "")
    instructions = root[1].text or ""
    assert promise in instructions
    assert length in instructions
    assert_record(root, callback=RECORDING_STATUS)
    assert_says_in(root, LOCALES[language])


@pytest.mark.parametrize(
    ("seconds", "spoken"),
    [(90, "90 sekuntia"), (60, "1 minuutti"), (1, "1 sekunti"), (300, "5 minuuttia")],
)
def test_voicemail_length_is_spoken(twiml: Parse, seconds: int, spoken: str) -> None:
    root = twiml(voice.voicemail("fi", ACTION, max_length=seconds))
    assert f"enintään {spoken}." in (root[1].text or "")
    assert_record(root, max_length=str(seconds), callback=None)


@pytest.mark.parametrize("seconds", [0, 14401])
def test_voicemail_length_range(seconds: int) -> None:
    with pytest.raises(ValueError, match="records"):
        voice.voicemail("fi", ACTION, max_length=seconds)


def test_closed(twiml: Parse) -> None:
    root = twiml(
        voice.closed(
            "fi",
            ACTION,
            opening_hours="Palvelemme arkisin kello 9–15.",
            recording_status_callback=RECORDING_STATUS,
        )
    )
    assert tags(root) == ["Say", "Say", "Record", "Say", "Hangup"]
    assert root[0].text == "Palvelu on nyt suljettu. Palvelemme arkisin kello 9–15."
    assert "Soitamme sinulle takaisin." in (root[1].text or "")
    assert_record(root, callback=RECORDING_STATUS)
    assert_says_in(root, "fi-FI")


def test_closed_without_opening_hours(twiml: Parse) -> None:
    root = twiml(voice.closed("en", ACTION))
    assert root[0].text == "We are closed at the moment."
    assert_record(root, callback=None)


# --- endings --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "words"),
    [("fi", "Näkemiin"), ("sv", "Hej då"), ("en", "Goodbye")],
)
def test_goodbye(twiml: Parse, language: str, words: str) -> None:
    root = twiml(voice.goodbye(language))
    assert tags(root) == ["Say", "Hangup"]
    assert words in (root.findtext("Say") or "")
    assert_says_in(root, LOCALES[language])


@pytest.mark.parametrize(
    ("language", "promise"),
    [("fi", "Soitamme sinulle takaisin"), ("sv", "Vi ringer upp dig"), ("en", "call you back")],
)
def test_recorded(twiml: Parse, language: str, promise: str) -> None:
    root = twiml(voice.recorded(language))
    assert tags(root) == ["Say", "Hangup"]
    assert promise in (root.findtext("Say") or "")
    assert_says_in(root, LOCALES[language])


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_not_understood(twiml: Parse, language: str) -> None:
    retry = "https://desk.example.fi/webhooks/twilio/voice/municipality?try=2"
    root = twiml(voice.not_understood(language, retry))
    assert tags(root) == ["Say", "Redirect"]
    assert root.findtext("Redirect") == retry
    assert_says_in(root, LOCALES[language])


@pytest.mark.parametrize(
    "build",
    [
        lambda: voice.ask_municipality("de", ACTION, []),
        lambda: voice.region_menu("FI", ACTION, REGIONS),
        lambda: voice.connect("", "+358294501234", action_url=ACTION),
        lambda: voice.voicemail("se", ACTION),
        lambda: voice.closed("en-GB", ACTION),
        lambda: voice.goodbye("ru"),
        lambda: voice.recorded("no"),
        lambda: voice.not_understood("et", ACTION),
    ],
)
def test_unknown_language(build: Callable[[], str]) -> None:
    with pytest.raises(ValueError, match="no phone prompts"):
        build()


def test_text_is_escaped(twiml: Parse) -> None:
    root = twiml(
        voice.closed("en", "https://x.example/a?b=1&c=2", opening_hours="Mon–Fri <9–15> & more")
    )
    assert root[0].text == "We are closed at the moment. Mon–Fri <9–15> & more"
    record = root.find("Record")
    assert record is not None
    assert record.get("action") == "https://x.example/a?b=1&c=2"
