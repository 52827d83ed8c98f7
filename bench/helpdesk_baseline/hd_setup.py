"""Runs inside django-helpdesk's venv: one public queue (reading mail from
the benchmark's IMAP mailbox when given) and a staff user.

    python hd_setup.py [IMAP_HOST IMAP_PORT IMAP_USER IMAP_PASSWORD]
"""

import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hdproject.settings")
import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from helpdesk.models import Queue  # noqa: E402

queue, _ = Queue.objects.update_or_create(
    slug="neuvonta",
    defaults={
        "title": "Neuvonta",
        "email_address": "neuvonta@example.fi",
        "allow_public_submission": True,
        "allow_email_submission": True,
        "escalate_days": None,
    },
)
if len(sys.argv) == 5:
    host, port, user, password = sys.argv[1:]
    queue.email_box_type = "imap"
    queue.email_box_host = host
    queue.email_box_port = int(port)
    queue.email_box_ssl = False
    queue.email_box_user = user
    queue.email_box_pass = password
    queue.email_box_imap_folder = "INBOX"
    queue.email_box_interval = 0
    queue.save()
User = get_user_model()
if not User.objects.filter(username="admin").exists():
    User.objects.create_superuser("admin", "admin@example.fi", "benchmark-password")
print(queue.id)
