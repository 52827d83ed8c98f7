"""Rate limits behind a reverse proxy: with ``SERVICEDESK_TRUSTED_PROXIES``
the client address comes from X-Forwarded-For, so each client has its own
limit; without it the header is anybody's to forge and is ignored."""

from __future__ import annotations

from flask import request

from servicedesk.app import create_app
from tests.integration.portal_client import make_portal

ALICE = {"X-Forwarded-For": "203.0.113.10"}
BOB = {"X-Forwarded-For": "198.51.100.20"}


def portal_behind(rt, proxies: int):  # type: ignore[no-untyped-def]
    app = create_app(rt.settings.with_changes(trusted_proxies=proxies), rt)
    app.config.update(TESTING=True, PORTAL_POST_LIMITS="2/minute")
    return make_portal(app, app.test_client())


def statuses(portal, headers: dict[str, str], times: int) -> list[int]:  # type: ignore[no-untyped-def]
    return [
        portal.post("/contact", {"message": ""}, headers=headers).status_code for _ in range(times)
    ]


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit(rt) -> None:
    portal = portal_behind(rt, 1)

    assert statuses(portal, ALICE, 3) == [422, 422, 429]
    assert statuses(portal, BOB, 2) == [422, 422]


def test_without_trusted_proxies_x_forwarded_for_is_ignored(rt) -> None:
    portal = portal_behind(rt, 0)

    assert statuses(portal, ALICE, 2) == [422, 422]
    # another forged address does not buy a fresh limit
    assert statuses(portal, BOB, 1) == [429]


def test_the_forwarded_scheme_and_host_are_used_behind_a_proxy(rt) -> None:
    app = create_app(rt.settings.with_changes(trusted_proxies=1), rt)
    seen: dict[str, str] = {}

    @app.get("/_where")
    def where() -> str:
        seen.update(remote=request.remote_addr or "", url=request.url)
        return ""

    app.test_client().get(
        "/_where",
        headers={
            "X-Forwarded-For": "203.0.113.10",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "desk.example.fi",
        },
    )
    assert seen == {"remote": "203.0.113.10", "url": "https://desk.example.fi/_where"}
