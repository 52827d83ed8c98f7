"""Public pages: the contact forms, the status page, the knowledge base."""

from __future__ import annotations

from flask import Blueprint

portal = Blueprint("portal", __name__)
