"""Security headers on every response the application gives: every GET
route (walked from the URL map), signed in and not, pages, files, JSON,
errors.

- ``Content-Security-Policy`` on everything, with no ``unsafe-inline`` or
  ``unsafe-eval`` for scripts, ``object-src 'none'``, ``base-uri`` and
  ``frame-ancestors`` set.  The one exception is the frame that shows a
  mail's own HTML (``/console/messages/<id>/html``): its styles are the
  mail's inline styles, so ``style-src 'unsafe-inline'`` — in a
  ``sandbox``ed document with ``default-src 'none'`` (no script at all),
  framed only by the console itself.
- ``X-Content-Type-Options: nosniff``, ``Referrer-Policy``,
  ``X-Frame-Options``; ``Strict-Transport-Security`` when the desk is
  served over HTTPS outside the demo, never in the demo or over HTTP.
"""

from __future__ import annotations

import dataclasses

import pytest

from servicedesk.app import create_app
from tests.integration.console_kit import fast_sign_in
from tests.security.conftest import World, routes

MAIL_FRAME = "console.message_html"


def directives(policy: str) -> dict[str, list[str]]:
    found = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            found[words[0]] = words[1:]
    return found


def assert_headers(response, endpoint: str) -> None:  # type: ignore[no-untyped-def]
    headers = response.headers
    where = f"{endpoint} ({response.status_code})"
    policy = headers.get("Content-Security-Policy")
    assert policy, f"{where}: no Content-Security-Policy"
    csp = directives(policy)
    scripts = csp.get("script-src", csp.get("default-src"))
    assert scripts is not None, where
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, where
    if endpoint == MAIL_FRAME and response.status_code == 200:
        assert csp["default-src"] == ["'none'"] and "sandbox" in csp, where
        assert csp["frame-ancestors"] == ["'self'"], where
    elif "sandbox" not in csp:
        assert csp.get("object-src") == ["'none'"], where
        assert csp.get("base-uri") in (["'self'"], ["'none'"]), where
        assert csp.get("frame-ancestors") == ["'none'"], where
        assert "'unsafe-inline'" not in policy, where
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("Referrer-Policy") in {"same-origin", "no-referrer", "strict-origin"}, where
    assert headers.get("X-Frame-Options") in {"DENY", "SAMEORIGIN"}, where


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "admin"])
def test_every_get_route_sends_the_security_headers(
    app, client, world: World, signed_in: bool
) -> None:  # type: ignore[no-untyped-def]
    if signed_in:
        fast_sign_in(client, world.admin)
    walked = routes(app, world, "GET")
    assert len(walked) > 40
    for endpoint, path in walked:
        response = client.get(path)
        assert response.status_code < 500, (endpoint, path, response.status_code)
        assert_headers(response, endpoint)
    for path in ("/no/such/page", "/console/tickets/1999-999999"):
        assert_headers(client.get(path), "not found")
    assert_headers(client.delete("/contact"), "method not allowed")


def test_post_answers_and_json_carry_them_too(client, api) -> None:  # type: ignore[no-untyped-def]
    assert_headers(api.post("/enquiries", json={"body": "Hei"}), "api.create_enquiry")
    assert_headers(client.post("/webhooks/twilio/sms", data={}), "webhooks.sms_received")
    assert_headers(client.post("/contact", data={}), "portal.contact")


def test_hsts_outside_the_demo_over_https_only(rt) -> None:  # type: ignore[no-untyped-def]
    def hsts(**changes: object) -> str | None:
        settings = rt.settings.with_changes(**changes)
        app = create_app(settings, dataclasses.replace(rt, settings=settings))
        return app.test_client().get("/healthz").headers.get("Strict-Transport-Security")

    production = hsts(base_url="https://neuvonta.example.fi", demo=False)
    assert production is not None
    assert int(production.split("max-age=")[1].split(";")[0]) >= 31536000
    assert hsts(base_url="https://neuvonta.example.fi", demo=True) is None
    assert hsts(base_url="http://127.0.0.1:5000", demo=False) is None
