"""Announcements: shown where and when they should be; sent to a target
group through the outbox in throttled batches, opted-out numbers skipped,
with a delivery report."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from servicedesk import announcement_delivery as delivery
from servicedesk import announcements
from servicedesk.announcement_delivery import Target
from servicedesk.errors import ConflictError, ValidationError
from servicedesk.models import AuditEvent, OutboxItem
from tests.integration.issue7_kit import at, make_contact, make_ticket, make_user

NOW = at("2026-08-10 06:00")
TEXTS = {
    "fi": {
        "title": "Ruuhkaa",
        "body": "Vastaamme tavallista hitaammin.",
        "sms": "Ruuhkaa: vastaamme hitaammin.",
    },
    "en": {"title": "Busy days", "body": "We answer more slowly than usual."},
}


@pytest.fixture
def clock(rt):
    moments = [NOW]
    rt.clock = lambda: moments[-1]
    return moments


def publish(session, **kw):
    values = {
        "kind": "congestion",
        "texts": TEXTS,
        "places": ["contact_form", "status_pages"],
        "starts_at": NOW,
        "ends_at": NOW + timedelta(days=7),
        "user": None,
        "now": NOW,
    }
    return announcements.publish(session, **{**values, **kw})


def test_shown_at_its_places_between_start_and_end(session) -> None:
    shown = publish(session)
    console_only = publish(session, kind="technical", places=["console"])
    later = publish(session, starts_at=NOW + timedelta(days=1), ends_at=None)
    [notice] = announcements.current(session, "contact_form", NOW, "en")
    assert (notice.id, notice.title, notice.language) == (shown.id, "Busy days", "en")
    assert announcements.current(session, "contact_form", NOW, "sv")[0].language == "fi"
    assert [n.id for n in announcements.current(session, "console", NOW, "fi")] == [console_only.id]
    week_later = announcements.current(session, "status_pages", NOW + timedelta(days=7), "fi")
    assert [n.id for n in week_later] == [later.id]  # the first one has ended
    announcements.withdraw(session, shown, None, NOW)
    assert announcements.current(session, "contact_form", NOW, "fi") == []


@pytest.mark.parametrize(
    ("kw", "problem"),
    [
        ({"kind": "panic"}, "kind"),
        ({"places": ["homepage"]}, "show it"),
        ({"texts": {"fi": {"title": "", "body": "x"}}}, "title"),
        ({"texts": {"fi": {"title": "x", "body": "y", "sms": "pitkä " * 100}}}, "segments"),
        ({"ends_at": NOW - timedelta(hours=1)}, "end must be after"),
    ],
)
def test_invalid_announcements_are_refused(session, kw, problem) -> None:
    with pytest.raises(ValidationError) as refused:
        publish(session, **kw)
    assert problem in refused.value.message


@pytest.fixture
def group(session):
    """Contacts with active tickets in Uusimaa and Pohjois-Pohjanmaa, one
    closed ticket, staff users of OSAO."""
    people = {
        "email": make_contact(session, email="aino@example.org", language="en"),
        "sms": make_contact(session, phone="+358401000001"),
        "both": make_contact(session, email="both@example.org", phone="+358401000002"),
        "stop": make_contact(session, phone="+358401000003", opted_out=NOW),
        "closed": make_contact(session, email="closed@example.org"),
        "north": make_contact(session, email="north@example.org"),
    }
    make_ticket(
        session,
        NOW,
        contact=people["email"],
        queue="uusimaa-applicants",
        organization="uusimaa-desk",
        region="01",
    )
    make_ticket(
        session,
        NOW,
        contact=people["sms"],
        queue="uusimaa-applicants",
        organization="uusimaa-desk",
        region="01",
        channel="sms",
    )
    make_ticket(
        session,
        NOW,
        contact=people["both"],
        queue="uusimaa-applicants",
        organization="uusimaa-desk",
        region="01",
        channel="sms",
    )
    make_ticket(
        session,
        NOW,
        contact=people["both"],
        queue="uusimaa-applicants",
        organization="uusimaa-desk",
        region="01",
        status="pending",
    )
    make_ticket(
        session,
        NOW,
        contact=people["stop"],
        queue="uusimaa-applicants",
        organization="uusimaa-desk",
        region="01",
        channel="sms",
    )
    make_ticket(
        session,
        NOW,
        contact=people["closed"],
        queue="uusimaa-applicants",
        organization="uusimaa-desk",
        region="01",
        status="closed",
    )
    make_ticket(
        session,
        NOW,
        contact=people["north"],
        queue="osao-applicants",
        organization="osao",
        region="17",
    )
    people["osao_user"] = make_user(
        session, organization="osao", email="tuki@osao.fi", phone="+358401000009"
    )
    people["osao_no_phone"] = make_user(session, organization="osao", email="toinen@osao.fi")
    return people


def test_targeting_by_queue_region_and_organisation(session, group) -> None:
    by_queue = delivery.recipients(session, Target(queues=("uusimaa-applicants",)))
    assert sorted((r.channel, r.address or "", r.skip_reason or "") for r in by_queue) == [
        ("email", "", "no email address"),  # the SMS-only contact
        ("email", "", "no email address"),  # the opted-out SMS contact
        ("email", "aino@example.org", ""),
        ("email", "both@example.org", ""),
    ]
    assert [r.language for r in by_queue if r.address == "aino@example.org"] == ["en"]
    by_sms = delivery.recipients(session, Target(regions=("01",), channel="sms"))
    assert {(r.address, r.skip_reason) for r in by_sms} == {
        (None, "no phone number"),
        ("+358401000001", None),
        ("+358401000002", None),
        ("+358401000003", "opted out of SMS"),
    }
    preferred = delivery.recipients(session, Target(regions=("01",), channel="preferred"))
    assert {(r.channel, r.address) for r in preferred if r.skip_reason is None} == {
        ("email", "aino@example.org"),
        ("sms", "+358401000001"),
        ("email", "both@example.org"),  # their latest ticket came by email
    }
    assert [r.skip_reason for r in preferred if r.address == "+358401000003"] == [
        "opted out of SMS"
    ]
    staff = delivery.recipients(session, Target(organizations=("osao",), channel="sms"))
    assert {(r.address, r.skip_reason) for r in staff} >= {
        ("+358401000009", None),
        (None, "no phone number"),
    }
    everyone = delivery.recipients(session, Target(regions=("01", "17"), organizations=("osao",)))
    addresses = [r.address for r in everyone if r.address]
    assert "north@example.org" in addresses and "tuki@osao.fi" in addresses
    assert "closed@example.org" not in addresses
    assert len(addresses) == len(set(addresses))


def test_sending_is_throttled_and_reported(session, rt, group, clock) -> None:
    announcement = publish(session)
    report = delivery.send_to(session, announcement, Target(regions=("01", "17")), None, NOW)
    assert report.counts == {"email": {"waiting": 3, "skipped": 2}}
    again = delivery.send_to(session, announcement, Target(regions=("01", "17")), None, NOW)
    assert again.total == 5  # nobody twice
    session.commit()
    assert delivery.run_batch(rt, limit=2) == 2
    assert delivery.delivery_report(session, announcement.id).counts == {
        "email": {"sent": 2, "waiting": 1, "skipped": 2}
    }
    assert delivery.run_batch(rt, limit=2) == 1
    assert delivery.run_batch(rt, limit=2) == 0
    final = delivery.delivery_report(session, announcement.id)
    assert final.counts == {"email": {"sent": 3, "skipped": 2}}
    assert sorted(why for _, _, why in final.skipped) == ["no email address", "no email address"]
    sent = (
        session.execute(select(OutboxItem).where(OutboxItem.kind == "announcement")).scalars().all()
    )
    by_address = {i.to_address: i for i in sent}
    assert by_address["aino@example.org"].payload["subject"] == "Busy days"
    assert by_address["north@example.org"].payload["subject"] == "Ruuhkaa"
    assert all(i.ticket_id is None and i.is_automatic for i in sent)
    assert (
        session.execute(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.kind == "announcement_targeted")
        ).scalar_one()
        == 2
    )


def test_sms_to_a_number_that_opted_out_meanwhile_is_skipped(session, rt, group, clock) -> None:
    announcement = publish(session)
    delivery.send_to(session, announcement, Target(regions=("01",), channel="sms"), None, NOW)
    group["sms"].identities[0].sms_opted_out_at = NOW
    session.commit()
    assert delivery.run_batch(rt) == 1
    report = delivery.delivery_report(session, announcement.id)
    assert report.counts == {"sms": {"sent": 1, "skipped": 3}}
    assert ("sms", "+358401000001", "opted out of SMS") in report.skipped
    [item] = session.execute(select(OutboxItem).where(OutboxItem.kind == "announcement")).scalars()
    assert item.payload["text"] == "Ruuhkaa: vastaamme hitaammin."


def test_withdrawing_stops_the_sending(session, rt, group, clock) -> None:
    announcement = publish(session)
    delivery.send_to(session, announcement, Target(queues=("uusimaa-applicants",)), None, NOW)
    announcements.withdraw(session, announcement, None, NOW)
    session.commit()
    assert delivery.run_batch(rt) == 0
    report = delivery.delivery_report(session, announcement.id)
    assert report.counts == {"email": {"cancelled": 2, "skipped": 2}}
    with pytest.raises(ConflictError):
        delivery.send_to(session, announcement, Target(regions=("17",)), None, NOW)


def test_failed_deliveries_are_listed(session, rt, group, clock, mail) -> None:
    from channels.errors import PermanentDeliveryError

    announcement = publish(session)
    delivery.send_to(session, announcement, Target(regions=("17",)), None, NOW)
    session.commit()
    mail.failure = PermanentDeliveryError("550 no such user")
    delivery.run_batch(rt)
    report = delivery.delivery_report(session, announcement.id)
    assert report.counts == {"email": {"failed": 1}}
    assert report.failed == [("email", "north@example.org", "550 no such user")]
