"""Automatic-message templates: every event renders in every language, SMS
variants fit two segments, the regional part joins the national one, and
an administrator's edits are checked before they are saved and used by the
messages afterwards."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from channels.sms import SmsEncoding, count_segments
from servicedesk import notify, template_store
from servicedesk.message_events import EVENTS, SAMPLE_CONTEXT, allowed_variables
from servicedesk.message_templates import LANGUAGES, file_source, render
from servicedesk.models import AuditEvent, Message
from servicedesk.template_store import TemplateRejectedError, validate_template
from tests.integration.issue7_kit import at, make_contact, make_ticket

# The longest organisation name of the demo directory, and a real-length
# status link: what an SMS must still fit in.
LONG_CONTEXT = {
    **SAMPLE_CONTEXT,
    "organization": "Pohjois-Pohjanmaan oppisopimuspalvelut",
    "status_url": "https://neuvonta.example.fi/status/" + "x" * 32,
    "body": "Kiitos, saimme viestisi.",
}
EMAIL_CASES = [(e, lang) for e in EVENTS for lang in LANGUAGES]
SMS_CASES = [(e, lang) for e in EVENTS if EVENTS[e].has_sms for lang in LANGUAGES]


def sample(event: str, sms: bool = False) -> dict[str, object]:
    return {k: v for k, v in LONG_CONTEXT.items() if k in allowed_variables(event, sms=sms)}


@pytest.mark.parametrize(("event", "language"), EMAIL_CASES)
def test_every_event_renders_in_every_language(event: str, language: str) -> None:
    assert file_source(event, language) is not None, "each language has its own file"
    message = render(event, language, **sample(event))
    assert message.subject
    assert "{{" not in message.text and "{%" not in message.text
    if "number" in allowed_variables(event):
        assert "2026-001234" in message.subject + message.text
    assert validate_template(file_source(event, language) or "", event) == []


@pytest.mark.parametrize(("event", "language"), SMS_CASES)
def test_sms_variants_fit_two_segments(event: str, language: str) -> None:
    for context in (sample(event, sms=True), {**sample(event, sms=True), "survey_url": ""}):
        text = render(event, language, sms=True, **context).text.strip()
        segments = count_segments(text)
        assert 1 <= segments.segments <= 2, (text, segments)
        assert segments.encoding == SmsEncoding.GSM7, f"{text!r} would be sent as UCS-2"
    assert validate_template(file_source(event, language, sms=True) or "", event, sms=True) == []


def test_resolved_notice_has_the_survey_link_only_when_given() -> None:
    context = sample("resolved")
    with_link = render("resolved", "sv", **context)
    assert str(context["survey_url"]) in with_link.text
    without = render("resolved", "sv", **{**context, "survey_url": ""})
    assert "survey" not in without.text and "Hjälpte" not in without.text


def test_staff_desk_signs_its_notices_as_the_staff_desk() -> None:
    text = render("pending_reminder", "fi", **{**sample("pending_reminder"), "desk": "staff"}).text
    assert text.rstrip().endswith("Virkailijoiden tuki")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Subject: Hei {{ numero }}\nTeksti", "unknown variable numero"),
        (
            "Subject: Hei\n{{ number }} {{ password }} {{ config }}",
            "unknown variables config, password",
        ),
        ("Subject: Hei\n{% if number %}auki", "line 2"),
        ("Subject: Hei\n{{ number.__class__.__mro__ }}", "does not render"),
        ("Subject: Hei\n{{ number | nosuchfilter }}", "line 2"),
        ("Hei {{ number }}", "must start with a line 'Subject: ...'"),
        ("Subject: {{ name }}\nHei", "subject line is empty"),
        ("", "empty"),
        ("Subject: Hei\n{% include 'ticket_received.fi.txt' %}", "does not render"),
    ],
)
def test_bad_templates_are_refused_with_the_reason(text: str, problem: str) -> None:
    problems = validate_template(text, "ticket_received")
    assert problems and problem in " ".join(problems), problems


def test_sms_template_may_not_grow_past_two_segments() -> None:
    long_text = "Kysymyksesi {{ number }} " + "on vastaanotettu ja käsittelyssä. " * 9
    assert "segments" in " ".join(validate_template(long_text, "ticket_received", sms=True))
    assert validate_template("Hei", "ticket_routed", sms=True) == [
        "New ticket for an institution (to its experts) has no SMS variant"
    ]


def test_regional_part_is_appended_in_its_place(session) -> None:
    template_store.save(
        session,
        "ticket_received",
        "fi",
        "Pohjois-Pohjanmaalla palvelemme myös puhelimitse arkisin klo 9–15.",
        region_code="17",
        user=None,
        now=at("2026-03-02 10:00"),
    )
    northern = template_store.render(
        session, "ticket_received", "fi", region_code="17", **sample("ticket_received")
    )
    assert "palvelemme myös puhelimitse" in northern.text
    # before the signature, after the status link
    assert northern.text.index("puhelimitse") < northern.text.index("Ystävällisin terveisin")
    assert northern.text.index("/status/") < northern.text.index("puhelimitse")
    elsewhere = template_store.render(
        session, "ticket_received", "fi", region_code="01", **sample("ticket_received")
    )
    assert "puhelimitse" not in elsewhere.text
    swedish = template_store.render(
        session, "ticket_received", "sv", region_code="17", **sample("ticket_received")
    )
    assert "puhelimitse" not in swedish.text  # a regional part is per language
    national = template_store.render(session, "ticket_received", "fi", **sample("ticket_received"))
    assert national == render("ticket_received", "fi", **sample("ticket_received"))


def test_edited_national_template_is_used_and_can_be_reset(session) -> None:
    now = at("2026-03-02 10:00")
    edited = "Subject: Saimme viestisi [#{{ number }}]\nHei!\n\nNumero: {{ number }}."
    template_store.save(session, "ticket_received", "fi", edited, user=None, now=now)
    template_store.save(
        session,
        "ticket_received",
        "fi",
        "Oulun seudulla soita meille.",
        region_code="17",
        user=None,
        now=now,
    )
    message = template_store.render(
        session, "ticket_received", "fi", region_code="17", **sample("ticket_received")
    )
    assert message.subject == "Saimme viestisi [#2026-001234]"
    # the edited text does not place the regional part: it is appended
    assert message.text == "Hei!\n\nNumero: 2026-001234.\n\nOulun seudulla soita meille.\n"
    assert template_store.source(session, "ticket_received", "fi") == (edited, True)
    assert template_store.reset(session, "ticket_received", "fi", user=None, now=now)
    text, is_override = template_store.source(session, "ticket_received", "fi")
    assert not is_override and text == file_source("ticket_received", "fi")
    kinds = session.execute(
        select(AuditEvent.kind).where(AuditEvent.kind.like("template_%")).order_by(AuditEvent.id)
    ).scalars()
    assert list(kinds) == ["template_saved", "template_saved", "template_reset"]


def test_saving_refuses_with_every_reason(session) -> None:
    with pytest.raises(TemplateRejectedError) as refused:
        template_store.save(
            session, "reply", "en", "{{ body }} {{ secret }}", user=None, now=at("2026-03-02 10:00")
        )
    assert "unknown variable secret" in refused.value.problems[0]
    with pytest.raises(TemplateRejectedError):
        template_store.save(
            session,
            "resolved",
            "fi",
            "Subject: x\n{{ survey_url }}",
            region_code="17",  # a regional part has no subject
            user=None,
            now=at("2026-03-02 10:00"),
        )


def test_preview_shows_both_parts_and_sms_length(session) -> None:
    now = at("2026-03-02 10:00")
    template_store.save(
        session,
        "resolved",
        "fi",
        "Soita 040 123 4567.",
        sms=True,
        region_code="17",
        user=None,
        now=now,
    )
    # the region's editor sees their part with the national one
    shown = template_store.preview(
        session, "resolved", "fi", "Soita 040 765 4321.", sms=True, region_code="17"
    )
    assert shown.problems == [] and shown.segments is not None
    assert shown.text.startswith("Kysymyksesi 2026-001234 on ratkaistu.")
    assert shown.text.strip().endswith("Soita 040 765 4321.")
    # the national editor sees the national text alone
    national = file_source("resolved", "fi", sms=True) or ""
    alone = template_store.preview(session, "resolved", "fi", national, sms=True)
    assert "Soita" not in alone.text and alone.segments is not None
    regional = template_store.preview(
        session, "resolved", "fi", "Lisätietoa: " + "x" * 200, sms=True, region_code="17"
    )
    assert "segments" in " ".join(regional.problems)
    broken = template_store.preview(session, "resolved", "fi", "{{ nope }}", sms=True)
    assert broken.text == "" and broken.problems


def test_a_broken_stored_template_falls_back_to_the_shipped_file(session) -> None:
    from servicedesk.models import TemplateOverride

    session.add(
        TemplateOverride(
            event="ticket_received",
            language="fi",
            variant="email",
            region="",
            text="Subject: x\n{{ missing }}",
        )
    )
    session.flush()
    message = template_store.render(session, "ticket_received", "fi", **sample("ticket_received"))
    assert message == render("ticket_received", "fi", **sample("ticket_received"))


def test_acknowledgement_uses_the_edited_template_and_regional_part(session, rt) -> None:
    now = at("2026-03-02 10:00")
    template_store.save(
        session,
        "ticket_received",
        "fi",
        "Subject: Kiitos [#{{ number }}]\n{{ regional_part }}\nTerveisin neuvonta",
        user=None,
        now=now,
    )
    template_store.save(
        session,
        "ticket_received",
        "fi",
        "Uudellamaalla vastaamme 2 päivässä.",
        region_code="01",
        user=None,
        now=now,
    )
    contact = make_contact(session, email="aino@example.org")
    ticket = make_ticket(session, now, contact=contact, region="01")
    message = notify.acknowledge(session, rt, ticket)
    assert message is not None
    assert message.subject == f"Kiitos [#{ticket.number}]"
    assert message.body_text == "Uudellamaalla vastaamme 2 päivässä.\nTerveisin neuvonta\n"
    assert session.execute(select(Message).where(Message.id == message.id)).scalar_one()
