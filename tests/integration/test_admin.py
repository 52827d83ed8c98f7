"""The admin pages: only administrators get them (everyone else signed in
gets 404 on every admin URL, GET or POST), and what each page does —
users and roles, the directory and its reload, API tokens, failed intake
records and their replay — each change audited."""

from __future__ import annotations

import re
from dataclasses import replace
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import pytest
from sqlalchemy import select

from servicedesk import users
from servicedesk.intake import pipeline
from servicedesk.models import (
    ApiToken,
    AuditEvent,
    IntakeRecord,
    Organization,
    Ticket,
    User,
)
from tests.integration import console_kit
from tests.integration.console_kit import PASSWORD, fast_sign_in, make_user, sign_in, token

app = console_kit.app  # the fixture, with compiled templates shared between tests

NON_ADMINS = ("agent", "expert", "superuser", "helpdesk")
SECRET = re.compile(r'<code class="secret">([^<]+)</code>')


def admin_rules(app) -> list[tuple[str, str, set[str]]]:  # type: ignore[no-untyped-def]
    return [
        (rule.endpoint, rule.rule, set(rule.methods or ()) - {"HEAD", "OPTIONS"})
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("console.admin_")
    ]


def fill(path: str, ids: dict[str, int]) -> str:
    return re.sub(r"<int:(\w+)>", lambda m: str(ids[m.group(1)]), path)


def audit_kinds(session) -> list[str]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return list(
        session.execute(
            select(AuditEvent.kind).where(AuditEvent.ticket_id.is_(None)).order_by(AuditEvent.id)
        ).scalars()
    )


@pytest.fixture
def admin(session):  # type: ignore[no-untyped-def]
    user = make_user(session, "admin", name="Ada Admin")
    session.commit()
    return user


@pytest.fixture
def signed_in(client, admin):  # type: ignore[no-untyped-def]
    fast_sign_in(client, admin)
    return client


# --- who may -----------------------------------------------------------------


def test_every_admin_page_is_registered(app) -> None:  # type: ignore[no-untyped-def]
    paths = {path for _endpoint, path, _methods in admin_rules(app)}
    assert {
        "/console/admin/",
        "/console/admin/users",
        "/console/admin/directory",
        "/console/admin/tokens",
        "/console/admin/intake",
    } <= paths


@pytest.mark.parametrize("role", NON_ADMINS)
def test_every_admin_url_is_404_for_everyone_else(app, client, session, admin, role: str) -> None:  # type: ignore[no-untyped-def]
    user = make_user(session, role)
    session.commit()
    fast_sign_in(client, user)
    csrf = token(client)
    ids = {"user_id": admin.id, "token_id": 1, "record_id": 1}
    checked = 0
    for endpoint, path, methods in admin_rules(app):
        url = fill(path, ids)
        if "GET" in methods:
            assert client.get(url).status_code == 404, (role, endpoint)
            checked += 1
        if "POST" in methods:
            response = client.post(url, data={"csrf_token": csrf, "name": "x", "active": "0"})
            assert response.status_code == 404, (role, endpoint)
            checked += 1
    assert checked >= 15
    session.expire_all()
    assert session.get(User, admin.id).is_active
    assert audit_kinds(session) == []


def test_signed_out_visitors_are_sent_to_sign_in(app, client) -> None:  # type: ignore[no-untyped-def]
    for _endpoint, path, methods in admin_rules(app):
        if "GET" in methods:
            response = client.get(fill(path, {"user_id": 1, "token_id": 1, "record_id": 1}))
            assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_post_without_the_csrf_token_is_refused(signed_in, admin) -> None:  # type: ignore[no-untyped-def]
    response = signed_in.post(f"/console/admin/users/{admin.id}/active", data={"active": "0"})
    assert response.status_code == 400


def test_the_admin_sees_every_page(signed_in, session) -> None:  # type: ignore[no-untyped-def]
    for url in (
        "/console/admin/",
        "/console/admin/users",
        "/console/admin/users/new",
        "/console/admin/directory",
        "/console/admin/tokens",
        "/console/admin/intake",
        "/console/admin/intake?status=all",
        "/console/admin/intake?status=bogus&before=x",
    ):
        response = signed_in.get(url)
        assert response.status_code == 200, url
        assert 'href="/console/admin/"' in response.get_data(as_text=True)
    assert signed_in.get("/console/admin/users/999999").status_code == 404
    assert signed_in.get("/console/admin/intake/999999").status_code == 404


# --- users and roles ---------------------------------------------------------


def new_user(client, **data):  # type: ignore[no-untyped-def]
    form = {
        "csrf_token": token(client),
        "email": "uusi.kayttaja@example.org",
        "name": "Uusi Käyttäjä",
        "role": "expert",
        "organization": "osao",
        "languages": ["fi", "sv"],
        "topics": ["apprenticeship"],
        "password": "",
        "confirm": "",
    }
    form.update(data)
    return client.post("/console/admin/users/new", data=form)


def test_create_a_user_with_a_typed_password(signed_in, session) -> None:  # type: ignore[no-untyped-def]
    response = new_user(signed_in, password="pitkä salasana 1", confirm="pitkä salasana 1")
    assert response.status_code == 302
    user = users.find_by_email(session, "uusi.kayttaja@example.org")
    assert user is not None
    assert (user.role, user.organization_id) == ("expert", "osao")
    assert (user.languages, user.topics) == (["fi", "sv"], ["apprenticeship"])
    assert users.check_password(user, "pitkä salasana 1")
    assert audit_kinds(session) == ["user_created"]
    event = session.execute(select(AuditEvent)).scalars().one()
    assert "pitkä" not in str(event.data)


def test_create_a_user_with_a_generated_password_shown_once(signed_in, client, session) -> None:  # type: ignore[no-untyped-def]
    response = new_user(signed_in, role="agent", organization="")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    (password,) = SECRET.findall(response.get_data(as_text=True))
    user = users.find_by_email(session, "uusi.kayttaja@example.org")
    assert users.check_password(user, password)
    page = signed_in.get(f"/console/admin/users/{user.id}").get_data(as_text=True)
    assert password not in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "agent-x@console.test"}, "exists already"),
        ({"organization": ""}, "Choose the organisation"),
        ({"password": "lyhyt", "confirm": "lyhyt"}, "at least 10 characters"),
        ({"password": "pitkä salasana 1", "confirm": "toinen salasana"}, "differ"),
        ({"email": "not-an-address"}, "email address"),
        ({"role": "wizard"}, "unknown role"),
        ({"languages": ["xx"]}, "not a valid choice"),
    ],
)
def test_a_new_user_is_refused_with_the_reason(signed_in, session, data, message: str) -> None:  # type: ignore[no-untyped-def]
    make_user(session, "agent", email="agent-x@console.test")
    session.commit()
    response = new_user(signed_in, **data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert audit_kinds(session) == []


def user_action(client, user: User, action: str, **data):  # type: ignore[no-untyped-def]
    return client.post(
        f"/console/admin/users/{user.id}/{action}", data={"csrf_token": token(client), **data}
    )


def profile(user: User, **changes):  # type: ignore[no-untyped-def]
    data = {
        "profile-name": user.name,
        "profile-role": user.role,
        "profile-organization": user.organization_id or "",
        "profile-languages": list(user.languages),
        "profile-topics": list(user.topics or []),
    }
    data.update({f"profile-{k}": v for k, v in changes.items()})
    return data


def test_change_a_role_ends_the_users_sessions(signed_in, app, session) -> None:  # type: ignore[no-untyped-def]
    expert = make_user(session, "expert")
    session.commit()
    other = app.test_client()
    fast_sign_in(other, expert)
    assert other.get("/console/").status_code == 200
    response = user_action(signed_in, expert, "profile", **profile(expert, role="agent"))
    assert response.status_code == 302
    session.expire_all()
    assert session.get(User, expert.id).role == "agent"
    assert other.get("/console/").status_code == 302, "signed out"
    assert audit_kinds(session) == ["user_role_changed"]
    event = session.execute(select(AuditEvent)).scalars().one()
    assert event.data["changes"]["role"] == {"from": "expert", "to": "agent"}
    unchanged = user_action(signed_in, expert, "profile", **profile(session.get(User, expert.id)))
    assert unchanged.status_code == 302
    assert audit_kinds(session) == ["user_role_changed"]


def test_deactivate_and_reactivate(signed_in, app, session) -> None:  # type: ignore[no-untyped-def]
    agent = make_user(session, "agent")
    session.commit()
    assert user_action(signed_in, agent, "active", active="0").status_code == 302
    session.expire_all()
    assert not session.get(User, agent.id).is_active
    other = app.test_client()
    assert sign_in(other, agent).status_code == 401
    assert user_action(signed_in, agent, "active", active="1").status_code == 302
    assert sign_in(app.test_client(), agent).status_code == 302
    assert audit_kinds(session)[:2] == ["user_deactivated", "user_reactivated"]


def test_an_admin_cannot_lock_themselves_out(signed_in, admin, session) -> None:  # type: ignore[no-untyped-def]
    response = user_action(signed_in, admin, "active", active="0")
    assert response.status_code == 409
    assert "cannot deactivate yourself" in response.get_data(as_text=True)
    demote = user_action(signed_in, admin, "profile", **profile(admin, role="agent"))
    assert demote.status_code == 409
    session.expire_all()
    assert session.get(User, admin.id).role == "admin" and session.get(User, admin.id).is_active
    assert audit_kinds(session) == []


def test_reset_a_password_typed_twice_or_generated(signed_in, app, session) -> None:  # type: ignore[no-untyped-def]
    agent = make_user(session, "agent", failed_logins=3)
    session.commit()
    mismatch = user_action(
        signed_in,
        agent,
        "password",
        **{"password-password": "a" * 12, "password-confirm": "b" * 12},
    )
    assert mismatch.status_code == 400 and "differ" in mismatch.get_data(as_text=True)
    typed = user_action(
        signed_in,
        agent,
        "password",
        **{"password-password": "uusi salasana 2", "password-confirm": "uusi salasana 2"},
    )
    assert typed.status_code == 302
    assert sign_in(app.test_client(), agent, "uusi salasana 2").status_code == 302
    generated = user_action(signed_in, agent, "password")
    (password,) = SECRET.findall(generated.get_data(as_text=True))
    assert sign_in(app.test_client(), agent, "uusi salasana 2").status_code == 401
    assert sign_in(app.test_client(), agent, password).status_code == 302
    assert [k for k in audit_kinds(session) if k == "password_reset"] == ["password_reset"] * 2


# --- the directory -----------------------------------------------------------


def test_the_directory_page_shows_organisations_queues_and_members(signed_in) -> None:  # type: ignore[no-untyped-def]
    html = signed_in.get("/console/admin/directory").get_data(as_text=True)
    for text in (
        "osao-applicants",
        "osao-staff",
        "Maria Virtanen",
        "08:00-16:00",
        "national-triage",
    ):
        assert text in html, text


def test_reloading_the_directory_shows_the_summary(signed_in, session) -> None:  # type: ignore[no-untyped-def]
    response = signed_in.post(
        "/console/admin/directory/reload", data={"csrf_token": token(signed_in)}
    )
    assert response.status_code == 200
    assert "nothing had changed" in response.get_data(as_text=True)
    assert audit_kinds(session) == ["directory_loaded"]


BROKEN = """\
organizations:
  - id: uusi-oppilaitos
    kind: institution
    region: "17"
    name: {fi: "Uusi oppilaitos"}
    queues:
      - id: uusi-applicants
        audience: applicantz
  - id: toinen
    kind: spaceport
    region: "99"
    name: {fi: "Toinen"}
"""


def test_a_broken_directory_loads_nothing_and_shows_every_problem(
    signed_in, rt, session, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "directory"
    folder.mkdir()
    (folder / "broken.yaml").write_text(BROKEN, encoding="utf-8")
    monkeypatch.setattr(rt, "settings", replace(rt.settings, directory_path=folder))
    response = signed_in.post(
        "/console/admin/directory/reload", data={"csrf_token": token(signed_in)}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "broken.yaml" in html and "Nothing was loaded" in html
    for text in ("queues[0].audience", "applicantz", "kind", "spaceport", "region"):
        assert text in html, text
    assert re.search(r'<td class="num">\d+</td>', html), "the lines are shown"
    session.expire_all()
    assert session.get(Organization, "uusi-oppilaitos") is None
    assert session.get(Organization, "osao").active
    assert audit_kinds(session) == ["directory_load_failed"]


# --- API tokens --------------------------------------------------------------


def test_create_use_and_revoke_a_token(signed_in, client, session) -> None:  # type: ignore[no-untyped-def]
    response = signed_in.post(
        "/console/admin/tokens", data={"csrf_token": token(signed_in), "name": "Omnia", "user": ""}
    )
    assert response.status_code == 200
    (secret,) = SECRET.findall(response.get_data(as_text=True))
    row = session.execute(select(ApiToken).where(ApiToken.name == "Omnia")).scalar_one()
    assert secret.startswith(row.prefix)
    api = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/tickets", headers=api).status_code == 200
    listed = signed_in.get("/console/admin/tokens").get_data(as_text=True)
    assert row.prefix in listed and secret not in listed
    revoked = signed_in.post(
        f"/console/admin/tokens/{row.id}/revoke", data={"csrf_token": token(signed_in)}
    )
    assert revoked.status_code == 302
    assert client.get("/api/v1/tickets", headers=api).status_code == 401
    assert audit_kinds(session) == ["api_token_created", "api_token_revoked"]
    assert secret not in str(session.execute(select(AuditEvent.data)).scalars().all())


def test_a_token_needs_a_name_and_a_real_user(signed_in, session) -> None:  # type: ignore[no-untyped-def]
    for data in ({"name": "", "user": ""}, {"name": "x", "user": "999999"}):
        response = signed_in.post(
            "/console/admin/tokens", data={"csrf_token": token(signed_in), **data}
        )
        assert response.status_code == 400
    assert session.execute(select(ApiToken)).first() is None
    assert (
        signed_in.post(
            "/console/admin/tokens/999999/revoke", data={"csrf_token": token(signed_in)}
        ).status_code
        == 404
    )


# --- failed intake -----------------------------------------------------------


def mail(subject: str, body: str) -> bytes:
    message = EmailMessage(policy=SMTP)
    message["From"] = "Aino Hakija <aino@example.org>"
    message["To"] = "neuvonta@desk.test"
    message["Subject"] = subject
    message["Message-ID"] = f"<{abs(hash(subject))}@example.org>"
    message.set_content(body)
    return message.as_bytes()


def failed_record(session, raw: bytes, error: str, now) -> IntakeRecord:  # type: ignore[no-untyped-def]
    record_id, _new = pipeline.store_raw(
        session, channel="email", raw=raw, external_id=None, format=pipeline.RFC822, now=now
    )
    record = session.get(IntakeRecord, record_id)
    assert record is not None
    record.status, record.error = "failed", error
    session.commit()
    return record


def test_failed_records_are_listed_and_shown_safely(signed_in, rt, session) -> None:  # type: ignore[no-untyped-def]
    raw = mail("<script>alert(1)</script>", "Hetu 131052-308T, kiitos.\n" + "x" * 70_000)
    record = failed_record(session, raw, "OperationalError: <b>gone</b>", rt.now())
    listed = signed_in.get("/console/admin/intake").get_data(as_text=True)
    assert f"/console/admin/intake/{record.id}" in listed
    assert "OperationalError: &lt;b&gt;gone&lt;/b&gt;" in listed
    shown = signed_in.get(f"/console/admin/intake/{record.id}")
    html = shown.get_data(as_text=True)
    assert shown.status_code == 200
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert "131052-308T" not in html and "[henkilötunnus poistettu]" in html
    assert "Only the first 65536 bytes are shown" in html
    assert len(html) < 90_000


def test_replay_one_record_and_every_failed_one(signed_in, rt, session) -> None:  # type: ignore[no-untyped-def]
    good = failed_record(
        session, mail("Haun aikataulu", "Milloin haku alkaa?"), "OperationalError: gone", rt.now()
    )
    junk = failed_record(session, bytes(range(1, 9)) * 40, "not a mail", rt.now())
    one = signed_in.post(
        f"/console/admin/intake/{good.id}/replay", data={"csrf_token": token(signed_in)}
    )
    assert one.status_code == 200
    assert re.search(rf"record {good.id}: new ticket 20\d\d-\d{{6}}", one.get_data(as_text=True))
    session.expire_all()
    assert session.get(IntakeRecord, good.id).status == "processed"
    assert session.execute(select(Ticket).where(Ticket.subject == "Haun aikataulu")).first()
    every = signed_in.post("/console/admin/intake/replay", data={"csrf_token": token(signed_in)})
    assert every.status_code == 200
    assert f"record {junk.id}: failed again" in every.get_data(as_text=True)
    assert audit_kinds(session) == ["intake_replayed", "intake_replayed"]


def test_signing_in_through_the_form_reaches_the_admin_pages(app, admin) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    assert sign_in(client, admin, PASSWORD).status_code == 302
    assert client.get("/console/admin/").status_code == 200
