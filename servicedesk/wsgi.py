"""WSGI entry point: ``gunicorn servicedesk.wsgi:app``.

The environment is read here, once, when the server imports this module."""

from __future__ import annotations

import logging
import os

from servicedesk import runtime
from servicedesk.app import create_app
from servicedesk.settings import Settings

logging.basicConfig(level=os.environ.get("SERVICEDESK_LOG_LEVEL", "INFO"))
settings = Settings.from_env(os.environ).require_valid()
app = create_app(settings, runtime.install(runtime.Runtime.from_settings(settings)))
