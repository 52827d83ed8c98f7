"""Public pages: the contact forms, the status page, the knowledge base.

Routes live in ``contact`` (the applicant and staff forms),
``status_page`` (``/status/<token>``), ``survey`` (``/survey/<token>``),
``kb`` (the public answers under ``/kb``) and ``suggestions`` (answers
that may help while an applicant writes, ``/kb/suggest``); ``pages`` holds
what they share (the page language, links that keep it, private-page
headers, the rate limits, announcements and the error pages in the page's
language) and ``content_policy`` widens the CSP of the article pages.
Importing this package registers them on the ``portal`` blueprint.
"""

from __future__ import annotations

from flask import Blueprint

portal = Blueprint("portal", __name__)

from servicedesk.portal import (  # noqa: E402,F401  (registers routes)
    contact,
    content_policy,
    kb,
    pages,
    status_page,
    suggestions,
    survey,
)
