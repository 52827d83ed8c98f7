"""Public pages: the contact forms, the status page, the knowledge base.

Routes live in ``contact`` (the applicant and staff forms) and
``status_page`` (``/status/<token>``); ``pages`` holds what they share
(the page language, links that keep it, private-page headers, the rate
limits and the error pages in the page's language).  Importing this
package registers them on the ``portal`` blueprint.
"""

from __future__ import annotations

from flask import Blueprint

portal = Blueprint("portal", __name__)

from servicedesk.portal import contact, pages, status_page, survey  # noqa: E402,F401  (registers routes)
