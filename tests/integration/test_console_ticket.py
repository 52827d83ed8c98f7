"""The ticket page and its actions: the whole thread across channels, the
side panel, downloads served safely, and every action with its effects
(mail and SMS really queued and sent, audit events written) and its
refusals shown on the page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from channels.errors import PermanentDeliveryError
from servicedesk import sms_limits, template_store
from servicedesk.masking import MASK
from servicedesk.models import (
    Attachment,
    AuditEvent,
    CallRecord,
    Message,
    Ticket,
    TicketLink,
)
from tests.integration import console_kit
from tests.integration.console_kit import (
    contact_writes_again,
    fast_sign_in,
    make_contact,
    make_ticket,
    make_user,
    token,
)

app = console_kit.app  # the fixture, with compiled templates shared between tests


@pytest.fixture
def agent(session):  # type: ignore[no-untyped-def]
    user = make_user(session, "agent", name="Aki Agentti")
    session.commit()
    return user


@pytest.fixture
def contact(session):  # type: ignore[no-untyped-def]
    return make_contact(session, email="aino@example.org", phone="+358401234567")


@pytest.fixture
def ticket(rt, session, contact):  # type: ignore[no-untyped-def]
    made = make_ticket(
        session,
        rt.now(),
        queue="national-triage",
        organization="national-desk",
        contact=contact,
        subject="Hakuaika",
        body="Milloin haku alkaa?",
    )
    session.commit()
    return made


@pytest.fixture
def signed_in(client, agent):  # type: ignore[no-untyped-def]
    fast_sign_in(client, agent)
    return client


def page_of(client, ticket) -> str:  # type: ignore[no-untyped-def]
    response = client.get(f"/console/tickets/{ticket.number}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def post(client, ticket, action: str, data: dict):  # type: ignore[no-untyped-def]
    return client.post(
        f"/console/tickets/{ticket.number}/{action}", data={"csrf_token": token(client), **data}
    )


def events(session, ticket, kind: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    return list(
        session.execute(
            select(AuditEvent).where(AuditEvent.ticket_id == ticket.id, AuditEvent.kind == kind)
        ).scalars()
    )


def test_thread_shows_every_channel_in_time_order(signed_in, rt, session, ticket) -> None:
    start = ticket.created_at
    rows = [
        Message(
            ticket_id=ticket.id,
            direction="outbound",
            channel="sms",
            body_text="Tekstiviesti",
            recipient="+358401234567",
            delivery_status="delivered",
            created_at=start + timedelta(minutes=2),
        ),
        Message(
            ticket_id=ticket.id,
            direction="note",
            channel="web",
            body_text="Muistiinpano",
            is_public=False,
            created_at=start + timedelta(minutes=3),
        ),
        Message(
            ticket_id=ticket.id,
            direction="inbound",
            channel="email",
            body_text="Kiitos!\n\nOn Mon, 1 Jun 2026 at 10:00, Desk <d@desk.test> wrote:\n> vanha",
            sender="aino@example.org",
            created_at=start + timedelta(minutes=4),
        ),
        Message(
            ticket_id=ticket.id,
            direction="inbound",
            channel="phone",
            body_text="Soitti",
            created_at=start + timedelta(minutes=1),
        ),
    ]
    session.add_all(rows)
    session.flush()
    session.add(
        CallRecord(
            call_sid="CA1",
            ticket_id=ticket.id,
            message_id=rows[3].id,
            duration_seconds=125,
            recording_url="https://api.twilio.com/rec/RE1",
        )
    )
    session.commit()
    html = page_of(signed_in, ticket)
    order = [
        html.index(text)
        for text in ("Milloin haku alkaa?", "Soitti", "Tekstiviesti", "Muistiinpano", "Kiitos!")
    ]
    assert order == sorted(order)
    assert 'class="message message-note message-private"' in html
    assert "Delivered" in html and "SMS" in html and "Phone" in html
    assert '<details class="quoted">' in html
    folded = html[html.index('<details class="quoted">') :]
    assert "&gt; vanha" in folded
    assert "https://api.twilio.com/rec/RE1" in html and "2 min 5 s" in html


def test_a_stored_recording_is_offered_only_for_its_call(signed_in, session, ticket) -> None:
    kept = CallRecord(call_sid="CA2", ticket_id=ticket.id, recording_data=b"ID3fake-mp3")
    none = CallRecord(call_sid="CA3", ticket_id=ticket.id)
    session.add_all([kept, none])
    session.commit()
    html = page_of(signed_in, ticket)
    links = re.findall(r'href="/console/calls/(\d+)/recording"', html)
    assert links == [str(kept.id)]


def test_side_panel_shows_the_contact_and_the_history(client, rt, session, contact) -> None:
    contact.identities[1].sms_opted_out_at = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    contact.municipality_code = "564"
    mine = make_ticket(
        session,
        rt.now(),
        queue="osao-applicants",
        organization="osao",
        contact=contact,
        due_in=timedelta(hours=-2),
    )
    other_osao = make_ticket(
        session,
        rt.now(),
        queue="osao-staff",
        organization="osao",
        audience="staff",
        contact=contact,
    )
    elsewhere = make_ticket(
        session, rt.now(), queue="omnia-applicants", organization="omnia", contact=contact
    )
    expert = make_user(session, "expert")
    session.commit()
    fast_sign_in(client, expert)
    html = page_of(client, mine)
    assert "aino@example.org" in html and "+358401234567" in html
    assert "SMS refused (STOP) since" in html and "1.5.2026 12:00" in html
    assert "Oulu" in html
    assert other_osao.number in html  # their other ticket the expert may see
    assert elsewhere.number not in html  # …and not the one routed elsewhere
    assert "test: routed to osao-applicants" in html
    assert "badge-overdue" in html


def test_deadline_is_shown_in_finnish_local_time(signed_in, session, ticket) -> None:
    ticket.due_at = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    session.commit()
    assert '<time datetime="2026-06-01T09:00:00+00:00">1.6.2026 12:00</time>' in page_of(
        signed_in, ticket
    )


def test_reply_by_email_goes_out_and_waits_for_the_contact(signed_in, session, mail, ticket):  # type: ignore[no-untyped-def]
    response = post(
        signed_in,
        ticket,
        "reply",
        {"reply-body": "Haku alkaa maaliskuussa.", "reply-channel": "email", "reply-send": "1"},
    )
    assert response.status_code == 302
    sent = mail.to("aino@example.org")
    assert len(sent) == 1 and "Haku alkaa maaliskuussa." in sent[0].text
    session.expire_all()
    assert session.get(Ticket, ticket.id).status == "pending"
    assert events(session, ticket, "replied")
    html = page_of(signed_in, ticket)
    assert "The answer was sent by email." in html
    assert "Waiting for the contact" in html


def test_reply_by_sms_when_the_agent_chooses_it(signed_in, sms, mail, ticket) -> None:
    response = post(
        signed_in,
        ticket,
        "reply",
        {"reply-body": "Lyhyt vastaus", "reply-channel": "sms", "reply-send": "1"},
    )
    assert response.status_code == 302
    assert [m.to_address for m in sms.sent] == ["+358401234567"]
    assert not mail.to("aino@example.org")


def test_reply_to_an_opted_out_number_is_refused_with_the_reason(
    signed_in, session, sms, contact, ticket
) -> None:
    contact.identities[1].sms_opted_out_at = datetime(2026, 5, 1, tzinfo=UTC)
    session.commit()
    response = post(
        signed_in,
        ticket,
        "reply",
        {"reply-body": "Vastaus", "reply-channel": "sms", "reply-send": "1"},
    )
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "opted out of SMS" in html and 'role="alert"' in html
    assert "Vastaus</textarea>" in html  # the draft is kept
    assert not sms.sent


def test_sms_ticket_of_an_opted_out_number_defaults_to_email(signed_in, rt, session, contact):  # type: ignore[no-untyped-def]
    contact.identities[1].sms_opted_out_at = datetime(2026, 5, 1, tzinfo=UTC)
    by_sms = make_ticket(
        session,
        rt.now(),
        queue="national-triage",
        organization="national-desk",
        contact=contact,
        channel="sms",
    )
    session.commit()
    html = page_of(signed_in, by_sms)
    assert 'checked id="reply-channel-0" name="reply-channel" type="radio" value="email"' in html
    assert 'id="optout-notice"' in html


def test_long_sms_needs_a_second_yes(signed_in, sms, ticket) -> None:
    body = "Pitkä vastaus tekstiviestinä. " * 20
    first = post(
        signed_in, ticket, "reply", {"reply-body": body, "reply-channel": "sms", "reply-send": "1"}
    )
    assert first.status_code == 200
    assert 'id="reply-sms-warning"' in first.get_data(as_text=True)
    assert not sms.sent
    second = post(
        signed_in,
        ticket,
        "reply",
        {"reply-body": body, "reply-channel": "sms", "reply-send": "1", "reply-confirm_long": "y"},
    )
    assert second.status_code == 302
    assert len(sms.sent) == 1


def test_long_sms_warning_counts_an_identity_code_as_the_mask_it_goes_out_as(
    signed_in, sms, ticket
) -> None:
    """The answer is sent with the code masked, which is longer: an answer
    that fits with the code typed but not with the mask is warned about."""
    code = "131052-308T"
    body = f"Hakemuksesi tunnuksella {code} on perillä. "
    while not sms_limits.reply_cost(body + "x").is_too_long:
        body += "x"
    assert sms_limits.reply_cost(body.replace(code, MASK)).is_too_long
    first = post(
        signed_in, ticket, "reply", {"reply-body": body, "reply-channel": "sms", "reply-send": "1"}
    )
    assert first.status_code == 200
    assert 'id="reply-sms-warning"' in first.get_data(as_text=True)
    assert not sms.sent


def test_long_sms_warning_in_finnish_counts_the_regional_template(
    client, rt, session, contact
) -> None:
    agent = make_user(session, "agent", ui_language="fi")
    oulu = make_ticket(
        session,
        rt.now(),
        queue="pohjois-pohjanmaa-applicants",
        organization="national-desk",
        contact=contact,
        channel="sms",
        region_code="17",
        language="fi",
    )
    template_store.save(
        session,
        "reply",
        "fi",
        "Pohjois-Pohjanmaan neuvonta palvelee ma-pe 9-16, puhelin 08 123 4567. "
        "Tervetuloa kysymään lisää!",
        sms=True,
        region_code="17",
        user=None,
        now=rt.now(),
    )
    session.commit()
    fast_sign_in(client, agent)
    # three segments nationally; the region's part makes it four
    body = "Hakuaika päättyy 2.4. klo 15. Liitteet voi lähettää myöhemmin. " * 6
    assert sms_limits.reply_cost(body).segments == 3

    response = post(client, oulu, "reply", {"reply-body": body, "reply-send": "1"})

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Vastaus vie 4 tekstiviestiä" in page
    assert "SMS messages long" not in page
    emoji = post(client, oulu, "reply", {"reply-body": body + " 🙂", "reply-send": "1"})
    assert "Nämä merkit lyhentävät jokaista osaa: 🙂" in emoji.get_data(as_text=True)


def test_template_is_inserted_after_the_draft(signed_in, ticket) -> None:
    response = post(
        signed_in,
        ticket,
        "reply",
        {"reply-body": "Hei Aino,", "reply-snippet": "thanks", "reply-insert": "1"},
    )
    assert response.status_code == 200
    body = re.search(
        r'name="reply-body"[^>]*>\n?(.*?)</textarea>', response.get_data(as_text=True), re.S
    ).group(1)
    assert body.lstrip("\r\n").startswith("Hei Aino,\n\nHei,")
    assert ticket.number in body and "Aki Agentti" in body
    refused = post(signed_in, ticket, "reply", {"reply-body": "x", "reply-insert": "1"})
    assert refused.status_code == 400


def test_empty_reply_is_explained_not_crashed(signed_in, ticket) -> None:
    response = post(signed_in, ticket, "reply", {"reply-body": "  ", "reply-send": "1"})
    assert response.status_code == 400
    assert "Write the message first." in response.get_data(as_text=True)


def test_internal_note_stays_inside(signed_in, session, mail, sms, ticket) -> None:
    assert post(signed_in, ticket, "note", {"note-body": "Soitan huomenna"}).status_code == 302
    html = page_of(signed_in, ticket)
    assert "message-note" in html and "Soitan huomenna" in html
    assert not mail.to("aino@example.org") and not sms.sent
    assert events(session, ticket, "note_added")


def test_failed_delivery_is_visible_and_can_be_retried(signed_in, session, mail, ticket) -> None:
    mail.failure = PermanentDeliveryError("550 mailbox unavailable", code="550")
    post(signed_in, ticket, "reply", {"reply-body": "Vastaus", "reply-send": "1"})
    html = page_of(signed_in, ticket)
    assert "550 mailbox unavailable" in html and "Retry sending" in html
    message = session.execute(
        select(Message).where(
            Message.ticket_id == ticket.id,
            Message.direction == "outbound",
            Message.delivery_status == "failed",
        )
    ).scalar_one()
    mail.failure = None
    response = post(signed_in, ticket, f"messages/{message.id}/retry", {})
    assert response.status_code == 302
    assert len(mail.to("aino@example.org")) == 1
    assert events(session, ticket, "delivery_retried")
    assert "Retry sending" not in page_of(signed_in, ticket)


def test_html_mail_is_served_clean_and_sandboxed(signed_in, session, ticket) -> None:
    message = session.execute(select(Message).where(Message.ticket_id == ticket.id)).scalar_one()
    message.body_html = '<p onclick="steal()">Hei</p><script>alert(1)</script><img src=x onerror=y>'
    session.commit()
    html = page_of(signed_in, ticket)
    assert f'src="/console/messages/{message.id}/html"' in html and 'sandbox=""' in html
    response = signed_in.get(f"/console/messages/{message.id}/html")
    body = response.get_data(as_text=True)
    assert "<p>Hei</p>" in body
    assert "script" not in body and "onclick" not in body and "onerror" not in body
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"


@pytest.mark.parametrize(
    ("content_type", "served_as"),
    [
        ("application/pdf", "application/pdf"),
        ("text/html", "application/octet-stream"),
        ("bad type", "application/octet-stream"),
    ],
)
def test_attachment_is_a_download(signed_in, rt, session, ticket, content_type, served_as) -> None:
    stored = rt.storage.put(b"<html>data</html>")
    message = session.execute(select(Message).where(Message.ticket_id == ticket.id)).scalar_one()
    row = Attachment(
        message_id=message.id,
        filename="hakemus ä.pdf",
        content_type=content_type,
        size=stored.size,
        sha256=stored.sha256,
        storage_key=stored.key,
    )
    session.add(row)
    session.commit()
    assert f"/console/attachments/{row.id}" in page_of(signed_in, ticket)
    response = signed_in.get(f"/console/attachments/{row.id}")
    assert response.status_code == 200
    assert response.data == b"<html>data</html>"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''hakemus%20%C3%A4.pdf" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.mimetype == served_as
    row.deleted_at = rt.now()
    session.commit()
    assert signed_in.get(f"/console/attachments/{row.id}").status_code == 404


def test_forward_notifies_the_receiving_experts(signed_in, session, mail, ticket) -> None:
    response = post(
        signed_in,
        ticket,
        "forward",
        {"forward-queue": "osao-applicants", "forward-note": "Oppilaitoksen asia"},
    )
    assert response.status_code == 302
    session.expire_all()
    moved = session.get(Ticket, ticket.id)
    assert (moved.queue_id, moved.organization_id) == ("osao-applicants", "osao")
    assert mail.to("maria.virtanen@example.fi"), "the OSAO expert was told"
    event = events(session, ticket, "forwarded")[0]
    assert event.reason == "Oppilaitoksen asia" and event.data["to_queue"] == "osao-applicants"
    bad = post(signed_in, ticket, "forward", {"forward-queue": "osao-staff"})
    assert bad.status_code == 400 and "staff" in bad.get_data(as_text=True)


def test_expert_forwards_only_within_the_organisation_or_to_a_desk(client, rt, session) -> None:
    expert = make_user(session, "expert")
    mine = make_ticket(session, rt.now(), queue="osao-applicants", organization="osao")
    session.commit()
    fast_sign_in(client, expert)
    html = page_of(client, mine)
    assert 'value="omnia-applicants"' not in html
    assert 'value="pohjois-pohjanmaa-applicants"' in html
    refused = post(client, mine, "forward", {"forward-queue": "omnia-applicants"})
    assert refused.status_code == 400
    back = post(client, mine, "forward", {"forward-queue": "pohjois-pohjanmaa-applicants"})
    assert back.status_code == 302 and back.headers["Location"] == "/console/"
    assert client.get(f"/console/tickets/{mine.number}").status_code == 404


def test_refused_status_change_is_explained(signed_in, session, ticket) -> None:
    assert post(signed_in, ticket, "status", {"status-status": "closed"}).status_code == 302
    response = post(signed_in, ticket, "status", {"status-status": "open"})
    assert response.status_code == 409
    assert "A closed ticket cannot be reopened." in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Ticket, ticket.id).status == "closed"
    assert post(signed_in, ticket, "status", {"status-status": "nonsense"}).status_code == 409


def test_priority_and_topic(signed_in, session, ticket) -> None:
    response = post(
        signed_in, ticket, "fields", {"fields-priority": "high", "fields-topic": "results"}
    )
    assert response.status_code == 302
    event = events(session, ticket, "fields_changed")[0]
    assert event.data["priority"] == {"from": "normal", "to": "high"}
    assert post(signed_in, ticket, "fields", {"fields-priority": "urgent"}).status_code == 400


def test_assign_and_take(signed_in, session, agent, ticket) -> None:
    other = make_user(session, "agent", name="Toinen Agentti")
    session.commit()
    assert post(signed_in, ticket, "assign", {"assign-assignee": str(other.id)}).status_code == 302
    assert "Toinen Agentti" in page_of(signed_in, ticket)
    assert post(signed_in, ticket, "take", {}).status_code == 302
    session.expire_all()
    assert session.get(Ticket, ticket.id).assignee_id == agent.id
    assert events(session, ticket, "assigned")[-1].reason == "taken"
    expert_elsewhere = make_user(session, "expert", organization="omnia")
    session.commit()
    refused = post(signed_in, ticket, "assign", {"assign-assignee": str(expert_elsewhere.id)})
    assert refused.status_code == 400


def test_the_assignee_menus_offer_whoever_may_hold_the_ticket(signed_in, session, ticket) -> None:
    offered = {
        "agent": make_user(session, "agent", name="Aada Agentti"),
        "helpdesk": make_user(session, "helpdesk", name="Hanna Helpdesk"),
        "expert here": make_user(
            session, "expert", organization="national-desk", name="Eero Täältä"
        ),
    }
    not_offered = {
        "expert elsewhere": make_user(session, "expert", organization="omnia", name="Elli Muualta"),
        "inactive agent": make_user(session, "agent", name="Ilmari Poissa", is_active=False),
    }
    session.commit()
    menu = re.search(
        r'<select[^>]*id="assign-assignee"[^>]*>(.*?)</select>', page_of(signed_in, ticket), re.S
    )
    assert menu
    for who, user in offered.items():
        if who == "helpdesk":  # the national staff helpdesk sees the staff desk only
            assert f">{user.name}<" not in menu.group(1), who
        else:
            assert f'<option value="{user.id}">{user.name}</option>' in menu.group(1), who
    for who, user in not_offered.items():
        assert f">{user.name}<" not in menu.group(1), who

    desk = signed_in.get("/console/desks/applicants/").get_data(as_text=True)
    menu = re.search(r'<select[^>]*name="assignee"[^>]*>(.*?)</select>', desk, re.S)
    assert menu
    assert f'<option value="{offered["agent"].id}">Aada Agentti</option>' in menu.group(1)
    assert f'<option value="{offered["expert here"].id}">Eero Täältä</option>' in menu.group(1)
    assert ">Elli Muualta<" in menu.group(1), "an expert holds tickets of the applicant desk"
    for name in ("Hanna Helpdesk", "Ilmari Poissa"):
        assert f">{name}<" not in menu.group(1), name


def test_merge_moves_the_messages_and_closes_the_duplicate(signed_in, rt, session, contact, ticket):  # type: ignore[no-untyped-def]
    duplicate = make_ticket(
        session,
        rt.now(),
        queue="national-triage",
        organization="national-desk",
        contact=contact,
        body="Sama kysymys uudestaan",
    )
    session.commit()
    response = post(signed_in, ticket, "merge", {"merge-number": duplicate.number})
    assert response.status_code == 302
    assert "Sama kysymys uudestaan" in page_of(signed_in, ticket)
    session.expire_all()
    closed = session.get(Ticket, duplicate.id)
    assert closed.status == "closed" and closed.merged_into_id == ticket.id
    assert events(session, ticket, "merged_from") and events(session, closed, "merged_into")
    dup_page = page_of(signed_in, closed)
    assert "Merged into" in dup_page and ticket.number in dup_page


def test_merging_a_ticket_the_user_cannot_see_is_not_found(client, rt, session) -> None:
    expert = make_user(session, "expert")
    mine = make_ticket(session, rt.now(), queue="osao-applicants", organization="osao")
    hidden = make_ticket(session, rt.now(), queue="national-triage", organization="national-desk")
    session.commit()
    fast_sign_in(client, expert)
    for number in (hidden.number, "2099-999999"):
        response = post(client, mine, "merge", {"merge-number": number})
        assert response.status_code == 404
        assert "No ticket with that number was found." in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Ticket, hidden.id).merged_into_id is None


def test_link_shows_on_both_tickets(signed_in, rt, session, ticket) -> None:
    other = make_ticket(session, rt.now(), queue="national-triage", organization="national-desk")
    session.commit()
    assert post(signed_in, ticket, "link", {"link-number": other.number}).status_code == 302
    assert other.number in page_of(signed_in, ticket)
    assert ticket.number in page_of(signed_in, other)
    assert session.execute(select(TicketLink).where(TicketLink.kind == "related")).first()
    assert (
        len(events(session, ticket, "linked")) == 1 and len(events(session, other, "linked")) == 1
    )


def test_log_a_phone_call(signed_in, session, ticket) -> None:
    response = post(
        signed_in,
        ticket,
        "calls",
        {
            "call-direction": "outbound",
            "call-number": "+358401234567",
            "call-summary": "Kerroin hakuajoista",
            "call-minutes": "4",
        },
    )
    assert response.status_code == 302
    html = page_of(signed_in, ticket)
    assert "Kerroin hakuajoista" in html and "4 min 0 s" in html
    bad = post(
        signed_in,
        ticket,
        "calls",
        {"call-direction": "outbound", "call-summary": "x", "call-minutes": "9999"},
    )
    assert bad.status_code == 400


def test_unknown_ticket_is_a_console_404(signed_in) -> None:
    response = signed_in.get("/console/tickets/2099-000001")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Traceback" not in html and 'href="/console/"' in html


def test_every_delivery_status_has_a_label() -> None:
    from channels.sms import MessageStatus
    from servicedesk.console.labels import DELIVERY

    written = {s.value for s in MessageStatus} | {"pending", "retrying", "logged"}
    assert written <= set(DELIVERY), sorted(written - set(DELIVERY))


def test_audit_events_of_calls_mms_exports_and_opt_outs_have_labels() -> None:
    from servicedesk import sms_consent
    from servicedesk.console.labels import EVENTS

    kinds = {"callback_requested", "media_not_fetched", "contact_exported"}
    kinds |= {sms_consent.OPTED_OUT, sms_consent.OPTED_IN}
    assert kinds <= set(EVENTS), sorted(kinds - set(EVENTS))


def test_notification_to_staff_is_not_called_a_message_to_the_contact(
    client, session, ticket
) -> None:
    user = make_user(session, "agent", ui_language="fi")
    session.add_all(
        [
            Message(
                ticket_id=ticket.id,
                direction="outbound",
                channel="email",
                body_text="Uusi tiketti jonossanne",
                recipient="maria.virtanen@example.fi",
                is_public=False,
                delivery_status="logged",
                created_at=ticket.created_at + timedelta(minutes=1),
            ),
            Message(
                ticket_id=ticket.id,
                direction="outbound",
                channel="sms",
                body_text="Vastaus",
                recipient="+358401234567",
                delivery_status="read",
                created_at=ticket.created_at + timedelta(minutes=2),
            ),
        ]
    )
    session.add(
        AuditEvent(
            ticket_id=ticket.id,
            actor="intake",
            kind="callback_requested",
            reason="",
            data={},
            created_at=ticket.created_at,
        )
    )
    session.commit()
    fast_sign_in(client, user)
    html = page_of(client, ticket)
    heads = re.findall(r'<span class="direction">([^<]*)</span>', html)
    assert heads == ["Yhteydenottajalta", "Ilmoitus henkilöstölle", "Yhteydenottajalle"]
    assert "Kirjattu lokiin, ei lähetetty" in html and ">Luettu<" in html
    assert "<strong>Takaisinsoittoa pyydetty</strong>" in html


SEEN = re.compile(r'name="seen" value="(\d+)"')


def test_an_answer_written_while_the_contact_wrote_again_is_held_for_a_look(  # type: ignore[no-untyped-def]
    signed_in, rt, session, mail, ticket
) -> None:
    """The agent opened the ticket and wrote an answer; meanwhile the
    contact sent another question.  Sending it would set the ticket
    waiting for the contact with their question unread: the page comes
    back with the new message, the answer kept, nothing sent; sent again
    from that page, it goes."""
    seen = SEEN.search(page_of(signed_in, ticket)).group(1)  # type: ignore[union-attr]
    contact_writes_again(rt, ticket.number, "Ja tarvitaanko hakemukseen todistus?")
    answer = {"reply-body": "Haku alkaa maaliskuussa.", "reply-channel": "email", "reply-send": "1"}

    held = post(signed_in, ticket, "reply", {**answer, "seen": seen})
    html = held.get_data(as_text=True)
    assert held.status_code == 409
    assert "The contact wrote again while you were writing." in html
    assert "Ja tarvitaanko hakemukseen todistus?" in html
    assert "Haku alkaa maaliskuussa.</textarea>" in html
    assert not any("Haku alkaa" in m.text for m in mail.to("aino@example.org"))
    session.expire_all()
    assert session.get(Ticket, ticket.id).status != "pending"

    sent = post(signed_in, ticket, "reply", {**answer, "seen": SEEN.search(html).group(1)})  # type: ignore[union-attr]
    assert sent.status_code == 302
    assert any("Haku alkaa" in m.text for m in mail.to("aino@example.org"))


def test_a_ticket_is_not_resolved_over_a_message_nobody_saw(signed_in, rt, session, ticket) -> None:  # type: ignore[no-untyped-def]
    seen = SEEN.findall(page_of(signed_in, ticket))[-1]  # the status form's
    contact_writes_again(rt, ticket.number, "Vielä yksi kysymys: mihin liitteet lähetetään?")
    refused = post(signed_in, ticket, "status", {"status-status": "resolved", "seen": seen})
    assert refused.status_code == 409
    assert "Read their new message below before changing the status." in refused.get_data(
        as_text=True
    )
    session.expire_all()
    assert session.get(Ticket, ticket.id).status != "resolved"
    fresh = SEEN.findall(page_of(signed_in, ticket))[-1]
    done = post(signed_in, ticket, "status", {"status-status": "resolved", "seen": fresh})
    assert done.status_code == 302
