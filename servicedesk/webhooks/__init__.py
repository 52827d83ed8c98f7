"""Twilio webhooks: SMS in, delivery status, the voice flow."""

from __future__ import annotations

from flask import Blueprint

from servicedesk.extensions import csrf

webhooks = Blueprint("webhooks", __name__, url_prefix="/webhooks")
csrf.exempt(webhooks)

from servicedesk.webhooks import sms, voice  # noqa: E402,F401  (registers the routes)
