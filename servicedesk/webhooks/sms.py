"""The SMS webhooks: an incoming SMS or MMS, and delivery statuses.

Both answer within milliseconds: an incoming message is only stored (its
raw form, keyed by ``MessageSid`` so Twilio's retries are harmless) and a
job takes it through the intake pipeline; a status is one small update.
When the database cannot store the message the answer is 503, so Twilio
tries again later instead of the message being lost.
"""

from __future__ import annotations

import logging

from flask import Response, request
from sqlalchemy.exc import SQLAlchemyError

from channels.errors import ParseError
from channels.sms import parse_status_callback
from servicedesk import sms_intake, sms_status
from servicedesk.intake import pipeline
from servicedesk.web import db, runtime
from servicedesk.webhooks import webhooks
from servicedesk.webhooks.signature import EMPTY_TWIML, twilio_signed, twiml

logger = logging.getLogger(__name__)


def unavailable() -> Response:
    return Response(
        "The service desk cannot store messages right now; please retry.\n",
        503,
        mimetype="text/plain",
        headers={"Retry-After": "30"},
    )


@webhooks.post("/twilio/sms")
@twilio_signed
def sms_received() -> Response:
    rt = runtime()
    form = request.form.to_dict(flat=True)
    try:
        record_id, is_new = sms_intake.store_webhook(rt, form)
    except SQLAlchemyError:
        logger.exception("incoming SMS %s could not be stored", sms_intake.message_sid(form))
        return unavailable()
    if is_new:
        pipeline.hand_over(rt, [record_id])
    else:
        logger.info("SMS %s was already received", sms_intake.message_sid(form))
    return twiml(EMPTY_TWIML)


@webhooks.post("/twilio/sms/status")
@twilio_signed
def sms_status_changed() -> Response:
    try:
        update = parse_status_callback(request.form)
    except ParseError as exc:
        # Twilio would only send the same thing again.
        logger.warning("unreadable SMS status callback: %s", exc)
        return twiml(EMPTY_TWIML)
    session = db()
    now = runtime().now()
    try:
        result = sms_status.record_status(session, update, now)
        if result is sms_status.StatusResult.UNKNOWN:
            # Perhaps the outbox has not stored the sid yet: kept, and
            # looked at again once kept (see sms_status).
            sms_status.keep_for_later(session, update, now)
            session.commit()
            if sms_status.apply_waiting(session, update.message_sid, now):
                result = sms_status.StatusResult.RECORDED
        session.commit()
    except SQLAlchemyError:
        session.rollback()
        logger.exception("status of SMS %s could not be stored", update.message_sid)
        return unavailable()
    logger.info("SMS %s status %s: %s", update.message_sid, update.status, result)
    return twiml(EMPTY_TWIML)
