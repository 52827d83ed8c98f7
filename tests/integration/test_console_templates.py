"""The message-template editor: who may edit the national and regional
parts (404 for everyone else), the server-side preview (a page without
JavaScript, a fragment for the live preview), saving that refuses unknown
variables and texts that fail to render with the reason at the field, and
going back to the shipped default."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from servicedesk.models import AuditEvent, TemplateOverride
from tests.integration import console_kit
from tests.integration.console_kit import fast_sign_in, make_user, token

app = console_kit.app  # the fixture, with compiled templates shared between tests

NATIONAL = "/console/admin/templates/ticket_received/fi/email"
SMS = "/console/admin/templates/pending_reminder/fi/sms"
GOOD = "Subject: Saimme viestisi [#{{ number }}]\nHei {{ name }}, numero {{ number }}.\n"


def post(client, url: str, data: dict):  # type: ignore[no-untyped-def]
    return client.post(url, data={"csrf_token": token(client), **data})


def overrides(session) -> list[tuple[str, str, str, str]]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return [
        (o.event, o.language, o.variant, o.region)
        for o in session.execute(select(TemplateOverride)).scalars()
    ]


@pytest.fixture
def admin(client, session):  # type: ignore[no-untyped-def]
    user = make_user(session, "admin")
    session.commit()
    fast_sign_in(client, user)
    return client


@pytest.fixture
def regional(client, session):  # type: ignore[no-untyped-def]
    """An agent of Uusimaa's regional desk (region 01)."""
    user = make_user(session, "agent", organization="uusimaa-desk")
    session.commit()
    fast_sign_in(client, user)
    return client


def test_admin_lists_every_event_language_and_variant(admin) -> None:
    page = admin.get("/console/admin/templates").get_data(as_text=True)
    assert NATIONAL in page and SMS in page
    assert "/console/admin/templates/ticket_routed/sv/email" in page
    assert "/console/admin/templates/ticket_routed/sv/sms" not in page  # email only
    with_region = admin.get("/console/admin/templates?region=17").get_data(as_text=True)
    assert f"{NATIONAL}?region=17" in with_region


def test_the_editor_starts_from_the_shipped_text(admin) -> None:
    page = admin.get(NATIONAL).get_data(as_text=True)
    assert "Kysymyksesi on vastaanotettu [#{{ number }}]" in page
    assert "Kysymyksesi on vastaanotettu [#2026-001234]" in page  # the preview
    assert "the shipped default" in page


def test_unknown_variables_are_refused_with_the_reason_at_the_field(admin, session) -> None:
    text = "Subject: Hei {{ nimi }}\nNumero {{ number }} {{ salasana }}\n"
    response = post(admin, NATIONAL, {"text": text, "action": "save"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    error = page[page.index('id="tpl-text-error"') :]
    assert "Unknown variables: nimi, salasana" in error[: error.index("</ul>")]
    assert 'aria-invalid="true"' in page and "tpl-text-error" in page
    assert "{{ salasana }}" in page  # what was typed is kept
    assert overrides(session) == []


def test_a_template_that_fails_to_render_is_refused(admin, session) -> None:
    response = post(admin, SMS, {"text": "Numero {{ number }}: {{ days // 0 }}", "action": "save"})
    assert response.status_code == 400
    assert "The template does not render" in response.get_data(as_text=True)
    assert overrides(session) == []


def test_preview_page_and_live_fragment(admin, session) -> None:
    page = post(admin, NATIONAL, {"text": GOOD, "action": "preview"})
    assert page.status_code == 200
    assert "Hei Aino Virtanen, numero 2026-001234." in page.get_data(as_text=True)
    fragment = post(admin, NATIONAL + "/preview", {"text": GOOD}).get_data(as_text=True)
    assert "Saimme viestisi [#2026-001234]" in fragment and "<html" not in fragment
    bad = post(admin, NATIONAL + "/preview", {"text": "Subject: x\n{{ nope }}"})
    assert "Unknown variables: nope" in bad.get_data(as_text=True)
    sms = post(admin, SMS + "/preview", {"text": "Vastaa {{ number }}"}).get_data(as_text=True)
    assert "1 SMS segment" in sms
    assert overrides(session) == []


def test_save_then_reset_to_the_shipped_default(admin, session) -> None:
    saved = post(admin, NATIONAL, {"text": GOOD, "action": "save"})
    assert saved.status_code == 302
    assert overrides(session) == [("ticket_received", "fi", "email", "")]
    assert "edited" in admin.get(NATIONAL).get_data(as_text=True)
    assert post(admin, NATIONAL + "/reset", {}).status_code == 302
    assert overrides(session) == []
    kinds = session.execute(
        select(AuditEvent.kind).where(AuditEvent.kind.like("template_%"))
    ).scalars()
    assert sorted(kinds) == ["template_reset", "template_saved"]


def test_a_regional_desk_agent_edits_their_own_regions_part_only(regional, session) -> None:
    listing = regional.get("/console/admin/templates")
    assert listing.status_code == 200
    assert f"{NATIONAL}?region=01" in listing.get_data(as_text=True)
    assert regional.get(NATIONAL).status_code == 404
    assert regional.get(f"{NATIONAL}?region=17").status_code == 404
    page = regional.get(f"{NATIONAL}?region=01").get_data(as_text=True)
    assert "The national part this joins" in page
    refused = post(regional, NATIONAL, {"text": GOOD, "action": "save"})
    assert refused.status_code == 404
    part = "Uudenmaan neuvonta palvelee myös puhelimitse."
    saved = post(regional, NATIONAL, {"text": part, "region": "01", "action": "save"})
    assert saved.status_code == 302
    assert overrides(session) == [("ticket_received", "fi", "email", "01")]
    preview = regional.get(f"{NATIONAL}?region=01").get_data(as_text=True)
    assert "Voit seurata kysymyksesi tilannetta" in preview and part in preview


@pytest.mark.parametrize(
    ("role", "organization"),
    [
        ("agent", "national-desk"),
        ("expert", "osao"),
        ("superuser", "osao"),
        ("helpdesk", "staff-helpdesk"),
        ("expert", "uusimaa-desk"),  # a regional desk's expert is not its agent
    ],
)
def test_everyone_else_gets_404(client, session, role: str, organization: str) -> None:
    user = make_user(session, role, organization=organization)
    session.commit()
    fast_sign_in(client, user)
    assert client.get("/console/admin/templates").status_code == 404
    assert client.get(f"{NATIONAL}?region=01").status_code == 404
    assert post(client, NATIONAL, {"text": GOOD, "region": "01"}).status_code == 404
    assert "/console/admin/templates" not in client.get("/console/").get_data(as_text=True)
