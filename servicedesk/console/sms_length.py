"""The warning shown before a long SMS answer goes out.  The SMS channel's
own ``servicedesk.sms_limits.reply_warning`` decides when it exists;
until then the segments are counted here with the channel's counter, on
the text exactly as it will be sent (the reply template applied)."""

from __future__ import annotations

import importlib
from typing import Any

from flask_babel import gettext as _

from channels.sms import count_segments
from channels.sms_encoding import ucs2_characters
from servicedesk.message_templates import render

MAX_SEGMENTS = 3


def _channel_rule() -> Any:
    try:
        module = importlib.import_module("servicedesk.sms_limits")
    except ImportError:
        return None
    return getattr(module, "reply_warning", None)


def outgoing_text(body: str, language: str) -> str:
    return render("reply", language, sms=True, body=body.strip()).text


def warning(body: str, language: str) -> str | None:
    """None when the answer fits in three SMS segments."""
    text = outgoing_text(body, language)
    rule = _channel_rule()
    if rule is not None:
        found = rule(text)
        return str(found) if found else None
    count = count_segments(text)
    if count.segments <= MAX_SEGMENTS:
        return None
    message = _(
        "This answer is %(segments)d SMS messages long; the contact may receive it in pieces, "
        "and each part is paid for.",
        segments=count.segments,
    )
    wide = ucs2_characters(text)
    if wide:
        message += " " + _(
            "These characters make every part shorter: %(chars)s",
            chars=" ".join(wide[:10]),
        )
    return message
