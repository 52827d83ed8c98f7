"""The agent console: sign-in, the applicant and staff desks, tickets, admin."""

from __future__ import annotations

from flask import Blueprint

console = Blueprint("console", __name__)


from servicedesk.extensions import login_manager  # noqa: E402


@login_manager.user_loader
def load_user(user_id: str) -> None:
    """Placeholder until console sign-in lands: nobody is signed in."""
    return None
