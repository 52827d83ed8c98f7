"""WSGI entry point of the baseline (``gunicorn hdproject.wsgi``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hdproject.settings")
application = get_wsgi_application()
