"""The agent console: sign-in, the applicant and staff desks, tickets, admin."""

from __future__ import annotations

from flask import Blueprint

console = Blueprint("console", __name__)
