"""Signing in: open redirects, session fixation and brute force, beyond
what tests/integration/test_console_auth.py covers (its redirect table,
the planted-session test, the five-failure lock, the per-address limit):
more ways to spell another site, the redirect of a user who is already
signed in, the lock not dodged by writing the address differently, and
password spraying over many accounts from one address."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from servicedesk.models import User
from tests.integration.console_kit import PASSWORD, csrf_of, fast_sign_in, make_user, sign_in

ELSEWHERE = [
    "https:/evil.example",
    "https:evil.example",
    "http:\\\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "/ /evil.example",
    "/%2F%2Fevil.example",
    "%2F%2Fevil.example",
    "/console/\r\nLocation: https://evil.example",
    "／／evil.example",
    "//evil.example@console/",
    "/console@evil.example",
    "data:text/html,<script>alert(1)</script>",
    " https://evil.example",
]


@pytest.fixture
def agent(session):  # type: ignore[no-untyped-def]
    user = make_user(session, "agent", email="agent@login.test")
    session.commit()
    return user


def landing(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith(("//", "/\\")), location
    return location


@pytest.mark.parametrize("target", ELSEWHERE, ids=range(len(ELSEWHERE)))
def test_no_way_of_writing_another_site_leaves_the_console(client, agent, target: str) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/login", query_string={"next": target})
    answer = client.post(
        "/login",
        data={
            "csrf_token": csrf_of(page.get_data(as_text=True)),
            "email": agent.email,
            "password": PASSWORD,
            "next": target,
        },
    )
    assert landing(answer) == "/console/"
    # Signed in already: the login page sends on at once, by the same rule.
    assert landing(client.get("/login", query_string={"next": target})) == "/console/"


def test_the_lock_is_per_account_however_the_address_is_written(client, session, agent) -> None:  # type: ignore[no-untyped-def]
    for spelling in (
        "agent@login.test",
        "AGENT@login.test",
        " Agent@Login.Test ",
        "agent@LOGIN.TEST",
        "aGent@login.test",
    ):
        assert sign_in(client, spelling, "wrong-password").status_code == 401
    session.expire_all()
    locked = session.execute(select(User).where(User.id == agent.id)).scalar_one()
    assert locked.locked_until is not None
    assert sign_in(client, agent, PASSWORD).status_code == 401, "locked, even with the password"


def test_password_spraying_from_one_address_is_slowed_down(app, client, session) -> None:  # type: ignore[no-untyped-def]
    app.config["CONSOLE_LOGIN_LIMIT"] = "10 per minute"
    for n in range(12):
        make_user(session, "agent", email=f"sprayed{n}@login.test")
    session.commit()
    codes = [sign_in(client, f"sprayed{n}@login.test", "Kesä2026!").status_code for n in range(12)]
    assert codes[:10] == [401] * 10
    assert codes[10:] == [429, 429]


def test_a_session_made_before_signing_in_is_not_carried_over(client, agent) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/login")
    before = csrf_of(page.get_data(as_text=True))
    with client.session_transaction() as s:
        s["planted_by"] = "an attacker who made the victim's browser load this session"
    sign_in(client, agent)
    with client.session_transaction() as s:
        assert s["_user_id"] == f"{agent.id}:{agent.session_version}"
        assert "planted_by" not in s
    after = csrf_of(client.get("/console/password").get_data(as_text=True))
    assert after != before, "the CSRF token is renewed with the session"


def test_a_cookie_signed_with_another_key_is_nobody(app, client, agent) -> None:  # type: ignore[no-untyped-def]
    from flask.sessions import SecureCookieSessionInterface

    other = app.__class__("other")
    other.secret_key = "another-key-that-is-long-enough"
    serializer = SecureCookieSessionInterface().get_signing_serializer(other)
    assert serializer is not None
    forged = serializer.dumps({"_user_id": f"{agent.id}:{agent.session_version}", "_fresh": True})
    client.set_cookie("session", forged)
    assert client.get("/console/").status_code == 302
    fast_sign_in(client, agent)
    assert client.get("/console/").status_code == 200
