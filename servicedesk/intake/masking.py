"""Masking of Finnish personal identity codes (henkilötunnus).

Any string shaped like one is replaced, valid checksum or not, because a
mistyped code is still personal data.  Century signs: ``+`` (1800s), ``-``
and, since 2023, ``Y X W V U`` (1900s), ``A`` and, since 2023,
``B C D E F`` (2000s).
"""

from __future__ import annotations

import re

MASK = "[henkilötunnus poistettu]"

IDENTITY_CODE = re.compile(
    r"(?<![0-9A-Za-z])"
    r"(?:0[1-9]|[12]\d|3[01])(?:0[1-9]|1[0-2])\d\d"
    r"[-+ABCDEFUVWXY]"
    r"\d{3}[0-9A-FHJ-NPR-Y]"
    r"(?![0-9A-Za-z])",
    re.IGNORECASE,
)


def mask_identity_codes(text: str) -> tuple[str, int]:
    """The text with every identity-code-shaped string replaced, and how many."""
    if not text:
        return text, 0
    return IDENTITY_CODE.subn(MASK, text)
