"""Masking of Finnish personal identity codes (henkilötunnus).

Any string shaped like one is replaced, valid checksum or not, because a
mistyped code is still personal data.  Century signs: ``+`` (1800s), ``-``
and, since 2023, ``Y X W V U`` (1900s), ``A`` and, since 2023,
``B C D E F`` (2000s).
"""

from __future__ import annotations

import re

MASK = "[henkilötunnus poistettu]"
URL_MASK = "%5Bhenkil%C3%B6tunnus%20poistettu%5D"  # the same, percent-encoded


def _code(century_sign: str) -> re.Pattern[str]:
    return re.compile(
        r"(?<![0-9A-Za-z])"
        r"(?:0[1-9]|[12]\d|3[01])(?:0[1-9]|1[0-2])\d\d" + century_sign + r"\d{3}[0-9A-FHJ-NPR-Y]"
        r"(?![0-9A-Za-z])",
        re.IGNORECASE,
    )


IDENTITY_CODE = _code(r"[-+ABCDEFUVWXY]")
#: The same in a percent-encoded address, where a ``+`` or ``-`` century
#: sign may also travel as ``%2B`` or ``%2D``.
IDENTITY_CODE_IN_URL = _code(r"(?:[-+ABCDEFUVWXY]|%2[BD])")


def mask_identity_codes_in_url(text: str) -> str:
    """Every identity code in an address (a request line, a referrer), as
    written or percent-encoded, replaced by the mask, itself encoded."""
    return IDENTITY_CODE_IN_URL.sub(URL_MASK, text)


def mask_identity_codes(text: str) -> tuple[str, int]:
    """The text with every identity-code-shaped string replaced, and how many."""
    if not text:
        return text, 0
    return IDENTITY_CODE.subn(MASK, text)
