"""Signing in and out of the console: argon2 passwords, one error for
every failure, account lock and per-IP limit, session fixation and
session versions, safe redirects, CSRF, password change."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from argon2 import PasswordHasher

from servicedesk.app import create_app
from servicedesk.models import AuditEvent, User
from tests.integration import console_kit
from tests.integration.console_kit import (
    PASSWORD,
    csrf_of,
    fast_sign_in,
    make_user,
    post_form,
    sign_in,
    speak_english,
    token,
)

app = console_kit.app  # the fixture, with compiled templates shared between tests

LOGIN_ERROR = "The email address or password is wrong"


@pytest.fixture(autouse=True)
def _english(client):  # type: ignore[no-untyped-def]
    speak_english(client)


@pytest.fixture
def agent(session) -> User:  # type: ignore[no-untyped-def]
    user = make_user(session, "agent", email="aki.agent@console.test")
    session.commit()
    return user


@pytest.mark.parametrize("role", ["admin", "agent", "expert", "superuser", "helpdesk"])
def test_every_role_signs_in_with_the_form(client, session, role: str) -> None:
    user = make_user(session, role)
    session.commit()
    response = sign_in(client, user)
    assert response.status_code == 302
    assert response.headers["Location"] == "/console/"
    home = client.get("/console/")
    assert home.status_code == 200
    assert user.name in home.get_data(as_text=True)


def test_session_cookie_is_httponly_samesite_and_secure(client, rt, agent) -> None:
    # Secure outside the demo whatever the base URL says: behind a proxy
    # that ends TLS the application itself may be reached over http.
    assert not rt.settings.demo and rt.settings.base_url.startswith("http://")
    response = sign_in(client, agent)
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    attributes = {part.strip().split("=")[0] for part in cookie.split(";")}
    assert {"HttpOnly", "SameSite", "Secure"} <= attributes
    assert "SameSite=Lax" in cookie
    assert client.get("/console/").status_code == 200


def test_session_cookie_is_not_secure_in_the_demo(rt) -> None:  # type: ignore[no-untyped-def]
    settings = rt.settings.with_changes(demo=True)
    demo = create_app(settings, dataclasses.replace(rt, settings=settings))
    assert demo.config["SESSION_COOKIE_SECURE"] is False
    assert demo.config["REMEMBER_COOKIE_SECURE"] is False


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("aki.agent@console.test", "wrong-password-123"),
        ("nobody@console.test", PASSWORD),
        ("AKI.AGENT@console.test", "wrong-password-123"),
    ],
)
def test_unknown_user_and_wrong_password_get_the_same_answer(
    client, agent, email: str, password: str
) -> None:
    response = sign_in(client, email, password)
    assert response.status_code == 401
    assert LOGIN_ERROR in response.get_data(as_text=True)
    assert client.get("/console/").status_code == 302


def test_email_is_matched_without_case(client, agent) -> None:
    assert sign_in(client, "Aki.Agent@Console.TEST").status_code == 302


def test_five_failures_lock_the_account_for_fifteen_minutes(client, session, rt, agent) -> None:
    for _ in range(5):
        assert sign_in(client, agent, "wrong-password-123").status_code == 401
    session.expire_all()
    locked = session.get(User, agent.id)
    assert locked.locked_until is not None
    # Even the right password is refused while locked, with the same words.
    response = sign_in(client, agent)
    assert response.status_code == 401
    assert LOGIN_ERROR in response.get_data(as_text=True)
    assert session.query(AuditEvent).filter_by(kind="account_locked").count() == 1
    start = rt.now()
    rt.clock = lambda: start + timedelta(minutes=16)
    assert sign_in(client, agent).status_code == 302


def test_inactive_user_cannot_sign_in_and_loses_the_session(client, session, agent) -> None:
    fast_sign_in(client, agent)
    assert client.get("/console/").status_code == 200
    agent.is_active = False
    session.commit()
    assert client.get("/console/").status_code == 302  # the old session is gone
    response = sign_in(client, agent)
    assert response.status_code == 401
    assert LOGIN_ERROR in response.get_data(as_text=True)


def test_login_is_rate_limited_per_address(app, client, agent) -> None:
    app.config["CONSOLE_LOGIN_LIMIT"] = "3 per minute"
    codes = [sign_in(client, f"nobody{i}@console.test").status_code for i in range(4)]
    assert codes == [401, 401, 401, 429]
    assert client.get("/login").status_code == 200  # only POST is limited


def test_an_office_behind_one_address_signs_in_together(app, client, session) -> None:  # type: ignore[no-untyped-def]
    """Successful sign-ins do not count towards the per-address limit: a
    desk of agents behind one NAT address starts the day together; a
    failure after them is still counted and limited."""
    app.config["CONSOLE_LOGIN_LIMIT"] = "3 per minute"
    agents = [make_user(session, "agent", email=f"office{n}@console.test") for n in range(6)]
    session.commit()
    for agent in agents:
        assert sign_in(client, agent).status_code == 302
        client.post(
            "/logout", data={"csrf_token": csrf_of(client.get("/console/").get_data(as_text=True))}
        )
    codes = [sign_in(client, f"nobody{i}@console.test").status_code for i in range(4)]
    assert codes == [401, 401, 401, 429]


@pytest.mark.parametrize(
    "old_hasher",
    [PasswordHasher(time_cost=1, memory_cost=8192), PasswordHasher()],  # the library's 64 MiB
    ids=["weaker", "library-default"],
)
def test_outdated_hash_is_upgraded_on_sign_in(client, session, agent, old_hasher) -> None:
    agent.password_hash = old_hasher.hash(PASSWORD)
    session.commit()
    old = agent.password_hash
    assert sign_in(client, agent).status_code == 302
    session.expire_all()
    assert session.get(User, agent.id).password_hash != old


def test_signing_in_starts_a_fresh_session(client, agent) -> None:
    with client.session_transaction() as s:
        s["planted"] = "by an attacker"
    before = client.get_cookie("session").value
    sign_in(client, agent)
    with client.session_transaction() as s:
        assert "planted" not in s
        assert s["_user_id"] == f"{agent.id}:{agent.session_version}"
    assert client.get_cookie("session").value != before


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/console/tickets/2026-000001", "/console/tickets/2026-000001"),
        ("/console/desks/staff/?status=all", "/console/desks/staff/?status=all"),
        ("https://evil.example/console/", "/console/"),
        ("//evil.example/console/", "/console/"),
        ("/\\evil.example", "/console/"),
        ("/login", "/console/"),
        ("/console/../login", "/console/"),
        ("/console/%2e%2e/login", "/console/"),
        ("javascript:alert(1)", "/console/"),
        ("/consolex", "/console/"),
    ],
)
def test_next_is_followed_only_within_the_console(client, agent, next_url, expected) -> None:
    page = client.get("/login", query_string={"next": next_url})
    response = client.post(
        "/login",
        data={
            "csrf_token": csrf_of(page.get_data(as_text=True)),
            "email": agent.email,
            "password": PASSWORD,
            "next": next_url,
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_console_pages_send_anonymous_users_to_the_login(client) -> None:
    response = client.get("/console/desks/staff/?status=all")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert response.headers["Location"] == "/login?next=/console/desks/staff/?status%3Dall"


def test_forms_without_csrf_token_are_refused(client, agent) -> None:
    page = client.get("/login")
    assert 'name="csrf_token"' in page.get_data(as_text=True)
    response = client.post("/login", data={"email": agent.email, "password": PASSWORD})
    assert response.status_code == 400
    fast_sign_in(client, agent)
    assert client.post("/logout").status_code == 400
    assert client.get("/console/").status_code == 200  # still signed in


def test_logout_is_a_post_and_ends_the_session(client, agent) -> None:
    fast_sign_in(client, agent)
    assert client.get("/logout").status_code == 405
    response = client.post("/logout", data={"csrf_token": token(client)})
    assert response.status_code == 302
    assert client.get("/console/").status_code == 302


def _change(client, current: str, new: str, confirm: str | None = None):  # type: ignore[no-untyped-def]
    return post_form(
        client,
        "/console/password",
        "/console/password",
        {"current": current, "new": new, "confirm": new if confirm is None else confirm},
    )


@pytest.mark.parametrize(
    ("current", "new", "confirm", "message"),
    [
        ("wrong-password-123", "a-new-password-1", None, "The current password is wrong."),
        (PASSWORD, "a-new-password-1", "a-new-password-2", "The new passwords are not the same."),
        (PASSWORD, "short", None, "at least 10 characters"),
        (PASSWORD, PASSWORD, None, "must differ from the current one"),
    ],
)
def test_password_change_refusals(client, agent, current, new, confirm, message) -> None:
    fast_sign_in(client, agent)
    response = _change(client, current, new, confirm)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_password_change_ends_every_other_session(app, client, session, agent) -> None:
    other = app.test_client()
    fast_sign_in(other, agent)
    fast_sign_in(client, agent)
    response = _change(client, PASSWORD, "a-brand-new-password")
    assert response.status_code == 302
    assert client.get("/console/").status_code == 200  # this session lives on
    assert other.get("/console/").status_code == 302  # the other one is gone
    assert sign_in(other, agent, PASSWORD).status_code == 401
    assert sign_in(other, agent, "a-brand-new-password").status_code == 302
    assert session.query(AuditEvent).filter_by(kind="password_changed").count() == 1


def test_wrong_current_password_counts_towards_the_lock(client, session, agent) -> None:
    fast_sign_in(client, agent)
    for _ in range(5):
        _change(client, "wrong-password-123", "a-new-password-1")
    assert client.get("/console/").status_code == 302  # locked and signed out
    session.expire_all()
    assert session.get(User, agent.id).locked_until is not None


def test_sign_out_everywhere(app, client, agent) -> None:
    other = app.test_client()
    fast_sign_in(other, agent)
    fast_sign_in(client, agent)
    response = client.post("/console/sessions/end", data={"csrf_token": token(client)})
    assert response.status_code == 302
    assert client.get("/console/").status_code == 302
    assert other.get("/console/").status_code == 302


def test_language_setting_is_saved(client, session, agent) -> None:
    fast_sign_in(client, agent)
    response = client.post(
        "/console/language", data={"csrf_token": token(client), "language": "fi"}
    )
    assert response.status_code == 302
    assert "Palvelupisteet" in client.get("/console/").get_data(as_text=True)
