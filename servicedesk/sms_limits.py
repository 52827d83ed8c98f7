"""How long an SMS reply may be before the console warns.

A reply is counted as it will be sent: rendered through the ``reply`` SMS
template, in GSM-7 when every character fits (Finnish and Swedish ``å ä ö``
do) and in UCS-2 as soon as one does not (an emoji, ``õ``, ``š``), which
cuts a segment from 160 to 70 characters.  Above :data:`MAX_SEGMENTS`
segments the console shows :func:`reply_warning`; the reply may still be
sent (the applicant's phone joins the parts), but each part costs, and a
long answer reads better by email.
"""

from __future__ import annotations

from dataclasses import dataclass

from channels.sms import SmsEncoding, count_segments
from channels.sms_encoding import ucs2_characters
from servicedesk.message_templates import render

MAX_SEGMENTS = 3


@dataclass(frozen=True, slots=True)
class ReplyCost:
    """What an SMS reply costs: ``characters`` that force UCS-2, if any."""

    segments: int
    encoding: SmsEncoding
    units: int
    characters: tuple[str, ...] = ()

    @property
    def is_too_long(self) -> bool:
        return self.segments > MAX_SEGMENTS


def reply_cost(text: str, *, language: str = "fi") -> ReplyCost:
    """The cost of ``text`` as an SMS reply in ``language``."""
    return sent_cost(render("reply", language, sms=True, body=text.strip()).text)


def sent_cost(sent: str) -> ReplyCost:
    """The cost of ``sent``, the text exactly as it goes out (the reply
    template already applied)."""
    count = count_segments(sent)
    characters = ucs2_characters(sent) if count.encoding is SmsEncoding.UCS2 else ()
    return ReplyCost(count.segments, count.encoding, count.units, characters)


def reply_warning(text: str, *, language: str = "fi") -> str | None:
    """A sentence for the console when ``text`` needs more than
    :data:`MAX_SEGMENTS` SMS segments; ``None`` when it fits."""
    cost = reply_cost(text, language=language)
    if not cost.is_too_long:
        return None
    warning = (
        f"This reply needs {cost.segments} SMS messages (more than {MAX_SEGMENTS}); "
        "shorten it or answer by email."
    )
    if cost.characters:
        shown = " ".join(cost.characters[:5])
        warning += (
            f" It is sent as {cost.encoding} (70 characters per message) because of: {shown}."
        )
    return warning
