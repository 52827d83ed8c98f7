"""What the phone line says, in Finnish, Swedish and English.

Plain language: short sentences, one instruction each, the key to press last
(callers act on the last thing they hear).  Texts are read by Twilio's
text-to-speech; the voices are chosen here and nowhere else.  Nothing in this
module depends on Twilio: it is wording only.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

__all__ = ["LANGUAGES", "PROMPTS", "Prompts", "prompts_for"]

#: Menu order: the caller presses 1, 2 or 3.
LANGUAGES: Final = ("fi", "sv", "en")


@dataclass(frozen=True, slots=True)
class Prompts:
    """Every sentence of the call flow in one language.  ``{name}``,
    ``{digit}`` and ``{length}`` are filled in by ``channels.voice``."""

    locale: str
    voice: str
    welcome_applicant: str
    welcome_staff: str
    choose_language: str
    ask_municipality: str
    choose_region: str
    region_choice: str
    region_other: str
    region_more: str
    connecting: str
    nobody_answers: str
    closed: str
    leave_message: str
    message_length: str
    finish_message: str
    recorded: str
    goodbye: str
    not_understood: str
    minute: tuple[str, str]
    second: tuple[str, str]

    def duration(self, seconds: int) -> str:
        """``seconds`` spoken in whole minutes when it is whole minutes."""
        if seconds >= 60 and seconds % 60 == 0:
            amount, (one, many) = seconds // 60, self.minute
        else:
            amount, (one, many) = seconds, self.second
        return f"{amount} {one if amount == 1 else many}"


_FI = Prompts(
    locale="fi-FI",
    voice="Google.fi-FI-Standard-A",
    welcome_applicant="Tervetuloa koulutukseen hakevien neuvontaan.",
    welcome_staff="Tervetuloa oppilaitosten henkilökunnan tukeen.",
    choose_language="Suomeksi, paina 1.",
    ask_municipality=("Sano kotikuntasi nimi. Jos haluat valita alueen näppäimillä, paina nolla."),
    choose_region="Valitse alue.",
    region_choice="{name}, paina {digit}.",
    region_other="Jos alue puuttuu tai et tiedä, paina nolla.",
    region_more="Muut alueet, paina {digit}.",
    connecting="Yhdistän puhelun neuvojalle. Odota hetki.",
    nobody_answers="Kukaan ei ehdi vastata juuri nyt.",
    closed="Palvelu on nyt suljettu.",
    leave_message=(
        "Jätä viesti äänimerkin jälkeen. Kerro nimesi ja asiasi. Soitamme sinulle takaisin."
    ),
    message_length="Viesti voi olla enintään {length}.",
    finish_message="Kun olet valmis, paina risuaitaa tai sulje puhelin.",
    recorded="Kiitos viestistä. Soitamme sinulle takaisin mahdollisimman pian. Näkemiin.",
    goodbye="Kiitos soitosta. Näkemiin.",
    not_understood="Valitettavasti en saanut selvää.",
    minute=("minuutti", "minuuttia"),
    second=("sekunti", "sekuntia"),
)

_SV = Prompts(
    locale="sv-SE",
    voice="Google.sv-SE-Standard-A",
    welcome_applicant="Välkommen till rådgivningen för dig som söker till utbildning.",
    welcome_staff="Välkommen till stödet för personal vid läroanstalter.",
    choose_language="På svenska, tryck 2.",
    ask_municipality=(
        "Säg namnet på din hemkommun. Om du vill välja region med knapparna, tryck noll."
    ),
    choose_region="Välj region.",
    region_choice="{name}, tryck {digit}.",
    region_other="Om din region saknas eller om du inte vet, tryck noll.",
    region_more="Fler regioner, tryck {digit}.",
    connecting="Jag kopplar dig till en rådgivare. Vänta ett ögonblick.",
    nobody_answers="Ingen kan svara just nu.",
    closed="Tjänsten är stängd just nu.",
    leave_message=(
        "Lämna ett meddelande efter tonen. Säg ditt namn och ditt ärende. Vi ringer upp dig."
    ),
    message_length="Meddelandet kan vara högst {length}.",
    finish_message="När du är klar, tryck fyrkant eller lägg på.",
    recorded="Tack för ditt meddelande. Vi ringer upp dig så snart vi kan. Hej då.",
    goodbye="Tack för att du ringde. Hej då.",
    not_understood="Tyvärr uppfattade jag inte det.",
    minute=("minut", "minuter"),
    second=("sekund", "sekunder"),
)

_EN = Prompts(
    locale="en-GB",
    voice="Google.en-GB-Standard-A",
    welcome_applicant="Welcome to the advice line for people applying to education.",
    welcome_staff="Welcome to the support line for staff at educational institutions.",
    choose_language="For English, press 3.",
    ask_municipality=(
        "Please say the name of your home municipality. "
        "To choose your region with the keypad instead, press zero."
    ),
    choose_region="Choose your region.",
    region_choice="{name}, press {digit}.",
    region_other="If your region is not listed, or you don't know, press zero.",
    region_more="For more regions, press {digit}.",
    connecting="I'm connecting you to an adviser. Please wait a moment.",
    nobody_answers="Nobody can answer right now.",
    closed="We are closed at the moment.",
    leave_message=(
        "Please leave a message after the tone. Say your name and what your question "
        "is about. We will call you back."
    ),
    message_length="Your message can be up to {length} long.",
    finish_message="When you have finished, press the hash key or hang up.",
    recorded="Thank you for your message. We will call you back as soon as we can. Goodbye.",
    goodbye="Thank you for calling. Goodbye.",
    not_understood="Sorry, I didn't catch that.",
    minute=("minute", "minutes"),
    second=("second", "seconds"),
)

PROMPTS = MappingProxyType({"fi": _FI, "sv": _SV, "en": _EN})


def prompts_for(language: str) -> Prompts:
    """The prompts for ``fi``, ``sv`` or ``en``; ``ValueError`` otherwise."""
    try:
        return PROMPTS[language]
    except KeyError:
        raise ValueError(f"no phone prompts in {language!r}; expected one of {LANGUAGES}") from None
