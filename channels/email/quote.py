"""Folding the quoted history of a reply away from what the sender just wrote.

:func:`split_quoted` cuts a plain-text body in two at the start of the quoted
history: an attribution line ("On … wrote:", "… kirjoitti:", "… skrev:",
"Am … schrieb …:"), an "Original Message" separator, an Outlook header block
(From/Sent/To/Subject in English, Finnish, Swedish or German), or a trailing
block of ``>`` lines.  Interleaved answers between ``>`` lines stay visible.
Nothing is dropped: ``visible + quoted == text`` always holds, so storage
keeps the whole text and only the display folds.
"""

from __future__ import annotations

import re

_ATTRIBUTION_END = re.compile(
    r"(?:\bwrote|\bkirjoitti(?:\s+[^:]{0,80})?|\bskrev(?:\s+[^:]{0,80})?|\bschrieb(?:\s+[^:]{0,80})?"
    r"|\ba écrit|\bschreef|\bskrev følgende)\s*:\s*$",
    re.IGNORECASE,
)
_ATTRIBUTION_START = re.compile(
    r"^\s*(?:(?:On|Le|Am|Den|Op|El|Il)\b|\d|\w{2,3}\.?,?\s+\d)", re.IGNORECASE
)
# "As I wrote:" is prose; an attribution names a date, a time or an address.
_ATTRIBUTION_DETAIL = re.compile(r"@|\d{1,2}[:.]\d{2}|\d{4}")
_SEPARATOR = re.compile(
    r"^\s*-{2,}\s*(?:Original Message|Alkuperäinen viesti|Ursprungligt meddelande"
    r"|Originalmeddelande|Ursprüngliche Nachricht|Original Nachricht|Message d'origine"
    r"|Oorspronkelijk bericht|Opprinnelig melding|Oprindelig meddelelse)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_FROM_FIELD = re.compile(r"^\s*\**\s*(?:From|Lähettäjä|Från|Von|De|Van|Fra)\s*:\s*\**\s*\S", re.I)
_OTHER_FIELD = re.compile(
    r"^\s*\**\s*(?:Sent|Date|To|Cc|Subject|Lähetetty|Päivämäärä|Vastaanottaja|Kopio|Aihe"
    r"|Skickat|Datum|Till|Kopia|Ämne|Gesendet|An|Betreff|Envoyé|À|Objet|Verzonden|Aan"
    r"|Onderwerp|Sendt|Til|Emne)\s*:",
    re.IGNORECASE,
)
_RULE = re.compile(r"^\s*_{10,}\s*$")
_QUOTE_PREFIX = re.compile(r"^\s*>")


def split_quoted(text: str) -> tuple[str, str]:
    """``(visible, quoted)``: the new text and the folded history, together the whole."""
    lines = text.splitlines(keepends=True)
    cut = _first_marker(lines)
    trailing = _trailing_quote(lines)
    if trailing is not None and (cut is None or trailing < cut):
        cut = trailing
    if cut is None:
        return text, ""
    offset = sum(len(line) for line in lines[:cut])
    return text[:offset], text[offset:]


def _first_marker(lines: list[str]) -> int | None:
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        if _SEPARATOR.match(stripped):
            return index
        if _is_header_block(lines, index):
            if index > 0 and _RULE.match(lines[index - 1]):
                return index - 1
            return index
        attribution = _attribution_start(lines, index)
        if attribution is not None:
            return attribution
    return None


def _attribution_start(lines: list[str], index: int) -> int | None:
    """The first line of an attribution ending on line ``index``, which may wrap."""
    if not _ATTRIBUTION_END.search(lines[index].rstrip()):
        return None
    # A wrapped attribution ("On …, Name <" / "addr> wrote:") starts with a
    # recognisable opening; look for the earliest such line just above.
    for start in range(max(0, index - 2), index):
        opening = lines[start].strip() and _ATTRIBUTION_START.match(lines[start])
        if opening and all(line.strip() for line in lines[start:index]):
            return start
    line = lines[index].strip()
    if len(line) <= 400 and (_ATTRIBUTION_START.match(line) or _ATTRIBUTION_DETAIL.search(line)):
        return index
    return None


def _is_header_block(lines: list[str], index: int) -> bool:
    if not _FROM_FIELD.match(lines[index]):
        return False
    following = [line for line in lines[index + 1 : index + 6] if line.strip()]
    return sum(1 for line in following[:4] if _OTHER_FIELD.match(line)) >= 2


def _trailing_quote(lines: list[str]) -> int | None:
    """Where the final run of ``>`` lines (and blanks) begins, with its attribution."""
    start: int | None = None
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index]
        if _QUOTE_PREFIX.match(line):
            start = index
        elif line.strip():
            break
    if start is None:
        return None
    previous = start - 1
    while previous >= 0 and not lines[previous].strip():
        previous -= 1
    if previous >= 0:
        attribution = _attribution_start(lines, previous)
        if attribution is not None:
            return attribution
    return start
