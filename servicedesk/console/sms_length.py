"""The warning shown before a long SMS answer goes out, in the agent's
language.  The segments are counted by ``servicedesk.sms_limits`` on the
text exactly as it will be sent: the reply SMS template the ticket's
answer goes out with (an administrator's edited text and the region's own
part included, ``template_store``), in the ticket's language."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from servicedesk import notify
from servicedesk.models import Ticket
from servicedesk.sms_limits import sent_cost

#: How many of the characters that force UCS-2 the warning names.
SHOWN_CHARACTERS = 10


def warning(session: Session, ticket: Ticket, body: str) -> str | None:
    """None when the answer fits in ``sms_limits.MAX_SEGMENTS`` segments."""
    cost = sent_cost(notify.answer_sms_text(session, ticket, body))
    if not cost.is_too_long:
        return None
    message = _(
        "This answer is %(segments)d SMS messages long; the contact may receive it in pieces, "
        "and each part is paid for.",
        segments=cost.segments,
    )
    if cost.characters:
        message += " " + _(
            "These characters make every part shorter: %(chars)s",
            chars=" ".join(cost.characters[:SHOWN_CHARACTERS]),
        )
    return message
