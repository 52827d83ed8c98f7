"""Preparing an enquiry's text for reading: what is removed before anything
looks at it, how it is cut into words, and where its postal codes are.

Finnish personal identity codes (``131052-308T``, ``010100A123D``) are
removed first, so no part of one is ever a word, a postal code or any other
feature.  E-mail addresses and web addresses go too: a signature's
``name@osao.fi`` is not the applicant naming OSAO.
"""

from __future__ import annotations

import re

# Identity codes by shape, valid checksum or not (a mistyped code is still
# personal data); century signs + - A-F U-Y.
_IDENTITY_CODE = re.compile(
    r"(?<![0-9A-Za-z])(?:0[1-9]|[12]\d|3[01])(?:0[1-9]|1[0-2])\d\d[-+A-FU-Ya-fu-y]"
    r"\d{3}[0-9A-FHJ-NPR-Ya-fhj-npr-y](?![0-9A-Za-z])"
)
_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\b(?:https?://|www\.)\S+")
# Fast first looks: the full patterns start with lookbehinds, which keep the
# regex engine from skipping ahead, so they run only where these match.
_CODE_START = re.compile(r"\d{6}[-+A-FU-Ya-fu-y]")
_DIGIT_RUN = re.compile(r"\d{5,}")

# A word: Latin letters and digits, joined by inner hyphens, colons ("S:t",
# "OSAO:ssa") or apostrophes.  An explicit class is three times faster than
# \w, and the names and keywords routing looks for are all Latin.
_LETTERS = "0-9A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
WORD = re.compile(f"[{_LETTERS}]+(?:[-:'’][{_LETTERS}]+)*")
_DIGIT = re.compile(r"[0-9]")
_SENTENCE_END = frozenset(".!?\n")

# Five digits standing alone: not part of a longer number, a date, a sum of
# money or a phone number ("040 12345", "+358 40 12345"); "FI-90100" is
# allowed.
POSTCODE = re.compile(
    r"(?:(?<=\bFI-)|(?<=\bfi-)|(?<![\w.,:/+€$-]))"
    r"(?<!\b0\d\s)(?<!\b0\d\d\s)(?<!\+358\s\d\s)(?<!\+358\s\d\d\s)"
    r"(\d{5})(?![\w.,/-]?\d)(?![^\S\n]*"
    r"(?:€|\$|e\b|eur|euro|op\b|opintopist|h\b|tuntia|km|kr\b|sek\b|usd\b|%))",
)


def scrub(text: str) -> tuple[str, int, bool]:
    """The text without identity codes, e-mail and web addresses; how many
    identity codes were removed; and whether any digits are left."""
    if not text:
        return "", 0, False
    # Cheap tests first: most enquiries have neither digits nor addresses.
    codes = 0
    digits = _DIGIT.search(text) is not None
    if digits and _CODE_START.search(text) is not None:
        text, codes = _IDENTITY_CODE.subn(" ", text)
        if codes:
            digits = _DIGIT.search(text) is not None
    if "@" in text or "://" in text or "www." in text:
        text = _ADDRESS.sub(" ", text)
    return text, codes, digits


def words(text: str) -> list[str]:
    return WORD.findall(text)


def written_words(text: str) -> list[tuple[str, bool]]:
    """The words as written, each with whether it starts a sentence (first
    in the text, or after ``.``, ``!``, ``?`` or a line break)."""
    result = []
    for match in WORD.finditer(text):
        i = match.start() - 1
        while i >= 0 and text[i] in " \t\"'(":
            i -= 1
        result.append((match.group(), i < 0 or text[i] in _SENTENCE_END))
    return result


def postcodes(text: str) -> list[tuple[int, str]]:
    """``(offset, code)`` of every candidate postal code in the text."""
    found = []
    for run in _DIGIT_RUN.finditer(text):
        if run.end() - run.start() == 5:
            match = POSTCODE.match(text, run.start())
            if match is not None:
                found.append((run.start(), match.group(1)))
    return found
