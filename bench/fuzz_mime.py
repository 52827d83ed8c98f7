"""Coverage-guided fuzzing of the MIME parser (``channels.email.parse``)
with atheris (libFuzzer for Python).  Whatever bytes arrive, the parser
must give an ``InboundMessage`` or raise ``ParseError``; anything else is a
crash, which libFuzzer saves as ``crash-<sha1>`` and reports.  The
invariants checked on every parsed message: no NUL, no lone surrogate,
attachments with a name and bytes.

Runs in its own interpreter from ``bench/.work/tools-venv`` (atheris is a
benchmark tool, never a dependency of the desk), with the desk's sources
and packages on ``PYTHONPATH``; ``bench/run.py`` starts it like this:

    bench/.work/tools-venv/bin/python bench/fuzz_mime.py -max_total_time=60 \\
        bench/.work/fuzz-corpus tests/data/mail

The seed corpus is the golden mails of ``tests/data/mail``; new inputs
that reach new code go to the first folder and are kept between runs.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from channels.email import parse
    from channels.errors import ParseError
    from channels.message import InboundMessage

DESK = ("neuvonta@example.fi", "tuki@example.fi")


def test_one_input(data: bytes) -> None:
    try:
        message = parse(data, desk_addresses=DESK, max_attachment_bytes=1_000_000)
    except ParseError:
        return
    assert isinstance(message, InboundMessage)
    for text in (message.text, message.subject, message.sender_name, message.html or ""):
        assert "\x00" not in text
        text.encode("utf-8")  # raises on a lone surrogate
    for attachment in message.attachments:
        assert attachment.filename
        assert isinstance(attachment.data, bytes)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
