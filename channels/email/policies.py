"""The ``email`` package's policies the desk reads and writes mail with.

They are the standard library's, with one difference: the header registry
remembers the class it makes for each header name.  The stock
``HeaderRegistry`` builds a new class with ``type()`` for every header of
every message, which was about a third of composing a mail.
"""

from __future__ import annotations

from email import policy
from email.headerregistry import BaseHeader, HeaderRegistry


class CachedHeaderRegistry(HeaderRegistry):
    """``HeaderRegistry`` making each header name's class once."""

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(name)
        return made


# Reading: policy.default's structured headers (the parser falls back to
# compat32 when they choke).
READ = policy.default.clone(header_factory=CachedHeaderRegistry())
# Writing: 7-bit clean, CRLF line ends, lines folded for SMTP.
OUTGOING = policy.SMTP.clone(cte_type="7bit", header_factory=CachedHeaderRegistry())
