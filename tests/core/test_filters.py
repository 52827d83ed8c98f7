"""The intake filters one by one, with a small fake of the lookups: no
database, no Flask (the pure lane)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import pytest

from channels.message import AutoKind, CallDetails, Channel, Hints, InboundMessage
from routing import Candidate, Directory
from servicedesk.intake import filters
from servicedesk.intake.envelope import ContactRef, Envelope, TicketRef, UserRef
from servicedesk.masking import MASK

NOW = datetime(2026, 9, 1, 10, 0, tzinfo=UTC)


def ticket(
    number: str = "2026-000001",
    *,
    status: str = "open",
    contact_id: int | None = 1,
    audience: str = "applicant",
    organization: str | None = "osao",
    updated: datetime = NOW - timedelta(days=1),
) -> TicketRef:
    return TicketRef(
        id=int(number[-6:]),
        number=number,
        status=status,
        audience=audience,
        contact_id=contact_id,
        organization_id=organization,
        queue_id="q",
        region="17",
        updated_at=updated,
    )


@dataclass
class FakeLookups:
    contacts: dict[tuple[str, str], ContactRef] = field(default_factory=dict)
    users: dict[str, UserRef] = field(default_factory=dict)
    tickets: dict[str, TicketRef] = field(default_factory=dict)
    by_message_id: dict[str, TicketRef] = field(default_factory=dict)
    latest: dict[int, TicketRef] = field(default_factory=dict)
    seen: set[tuple[str, str]] = field(default_factory=set)
    prints: dict[tuple[str, str], str] = field(default_factory=dict)
    # (ticket id, address, Message-ID) of each mail sent
    sent: set[tuple[int, str, str]] = field(default_factory=set)

    def directory(self) -> Directory:
        raise AssertionError("not used in these tests")

    def desk_audience(self, channel: str, recipient: str) -> str | None:
        return {"tuki@desk.test": "staff", "+358401110001": "staff"}.get(recipient)

    def own_message_domain(self) -> str:
        return "desk.test"

    def has_message(self, channel: str, external_id: str) -> bool:
        return (channel, external_id) in self.seen

    def fingerprint_of(self, channel: str, external_id: str) -> str | None:
        return self.prints.get((channel, external_id))

    def contact_by_identity(self, kind: str, value: str) -> ContactRef | None:
        return self.contacts.get((kind, value))

    def user_by_email(self, email: str) -> UserRef | None:
        return self.users.get(email)

    def ticket_by_number(self, number: str) -> TicketRef | None:
        return self.tickets.get(number)

    def ticket_by_email_message_id(self, message_ids: Sequence[str]) -> TicketRef | None:
        return next((self.by_message_id[m] for m in message_ids if m in self.by_message_id), None)

    def was_sent_to(self, ticket_id: int, address: str, message_ids: Sequence[str]) -> bool:
        return any((ticket_id, address, m) in self.sent for m in message_ids)

    def latest_ticket_of_contact(
        self, contact_id: int, *, audience: str | None = None
    ) -> TicketRef | None:
        found = self.latest.get(contact_id)
        return found if found is None or audience in {None, found.audience} else None

    def previous_region(self, contact_id: int) -> str | None:
        return None

    def ticket_by_call_sid(self, call_sid: str) -> TicketRef | None:
        return None

    def assignment_candidates(self, queue_id: str) -> Sequence[Candidate]:
        return []

    def sms_thread_days(self) -> int:
        return 14


def envelope(**message: object) -> Envelope:
    defaults: dict[str, object] = {
        "channel": Channel.EMAIL,
        "external_id": "m1@example.org",
        "sender_address": "Aino@Example.org",
    }
    return Envelope(message=InboundMessage(**{**defaults, **message}), received_at=NOW)  # type: ignore[arg-type]


ANNA = ContactRef(id=1, region="17", municipality="564", staff_organization_id=None, language="fi")


def test_identify_sender_normalises_email_and_finds_the_contact() -> None:
    ctx = FakeLookups(contacts={("email", "aino@example.org"): ANNA})
    env = filters.identify_sender(envelope(), ctx)
    assert (env.sender_kind, env.sender) == ("email", "aino@example.org")
    assert env.contact == ANNA
    assert env.audience == "applicant"


@pytest.mark.parametrize(
    ("given", "e164"),
    [
        ("040 123 4567", "+358401234567"),
        ("+358 40 1234567", "+358401234567"),
        ("00358401234567", "+358401234567"),
        ("+46 70 123 45 67", "+46701234567"),
    ],
)
def test_identify_sender_normalises_phone_numbers(given: str, e164: str) -> None:
    env = filters.identify_sender(
        envelope(channel=Channel.SMS, sender_address=given), FakeLookups()
    )
    assert (env.sender_kind, env.sender) == ("phone", e164)


def test_audience_follows_the_desk_address_or_number() -> None:
    ctx = FakeLookups()
    assert (
        filters.identify_sender(envelope(recipient_address="tuki@desk.test"), ctx).audience
        == "staff"
    )
    sms = envelope(
        channel=Channel.SMS, sender_address="0401234567", recipient_address="+358401110001"
    )
    assert filters.identify_sender(sms, ctx).audience == "staff"
    form = envelope(channel=Channel.WEB, hints=Hints(audience="staff"))
    assert filters.identify_sender(form, ctx).audience == "staff"


@pytest.mark.parametrize("kind", [AutoKind.AUTO_REPLY, AutoKind.OUT_OF_OFFICE, AutoKind.BULK])
def test_automatic_mail_is_never_answered(kind: AutoKind) -> None:
    env = filters.screen_automatic(envelope(auto_kind=kind), FakeLookups())
    assert env.suppress_auto_replies
    assert env.loop_reasons
    assert not env.is_stopped


def test_out_of_office_keeps_the_ticket_status() -> None:
    env = filters.screen_automatic(envelope(auto_kind=AutoKind.OUT_OF_OFFICE), FakeLookups())
    assert env.keeps_status


def test_our_own_mail_coming_back_is_dropped() -> None:
    env = filters.screen_automatic(envelope(external_id="abc@desk.test"), FakeLookups())
    assert env.stop_reason and "loop" in env.stop_reason


def test_bounce_joins_the_ticket_of_the_bounced_message() -> None:
    bounced = ticket()
    ctx = FakeLookups(by_message_id={"ours-1@desk.test": bounced})
    env = filters.screen_automatic(
        envelope(auto_kind=AutoKind.BOUNCE, bounced_message_ids=("ours-1@desk.test",)), ctx
    )
    assert env.ticket == bounced and env.keeps_status and env.suppress_auto_replies
    unknown = filters.screen_automatic(
        envelope(auto_kind=AutoKind.BOUNCE, bounced_message_ids=("x@y",)), ctx
    )
    # not about our mail: kept (a ticket of its own), never answered
    assert not unknown.is_stopped and unknown.ticket is None and unknown.suppress_auto_replies


def test_duplicates_stop_the_pipeline() -> None:
    ctx = FakeLookups(seen={("email", "m1@example.org")})
    assert filters.drop_duplicates(envelope(), ctx).stop_reason
    assert not filters.drop_duplicates(envelope(external_id="m2@example.org"), ctx).is_stopped


def test_a_reused_message_id_with_other_content_is_a_new_message() -> None:
    first = envelope()
    key = ("email", "m1@example.org")
    same = FakeLookups(seen={key}, prints={key: filters.fingerprint(first.message)})
    assert filters.drop_duplicates(first, same).is_stopped
    other = envelope(subject="Something else entirely")
    kept = filters.drop_duplicates(other, same)
    assert not kept.is_stopped
    assert kept.message_key and kept.message_key.startswith("m1@example.org#")
    again = FakeLookups(seen={key, ("email", kept.message_key)}, prints=same.prints)
    assert filters.drop_duplicates(other, again).is_stopped
    sms = envelope(channel=Channel.SMS, external_id="SM1", sender_address="+358401234567")
    assert filters.drop_duplicates(
        sms, FakeLookups(seen={("sms", "SM1")}, prints={("sms", "SM1"): "x"})
    ).is_stopped


def test_thread_by_ticket_tag_only_for_the_contact() -> None:
    own = ticket("2026-000123")
    ctx = FakeLookups(tickets={own.number: own})
    env = replace(envelope(subject="Re: Haku [#2026-000123]"), contact=ANNA)
    assert filters.find_thread(env, ctx).ticket == own
    stranger = replace(env, contact=replace(ANNA, id=99))
    assert filters.find_thread(stranger, ctx).ticket is None


def test_thread_by_references() -> None:
    own = ticket()
    ctx = FakeLookups(by_message_id={"ack-1@desk.test": own})
    env = replace(envelope(references=("other@x", "ack-1@desk.test")), contact=ANNA)
    assert filters.find_thread(env, ctx).ticket == own


def test_reply_to_a_closed_ticket_becomes_a_follow_up() -> None:
    closed = ticket(status="closed")
    ctx = FakeLookups(tickets={closed.number: closed})
    env = filters.find_thread(replace(envelope(subject=f"[#{closed.number}]"), contact=ANNA), ctx)
    assert env.ticket is None and env.follow_up_of == closed


@pytest.mark.parametrize(
    ("age_days", "status", "joins"),
    [
        (3, "open", True),
        (13, "pending", True),
        (15, "open", False),
        (2, "closed", False),
    ],
)
def test_sms_joins_the_recent_open_ticket(age_days: int, status: str, joins: bool) -> None:
    latest = ticket(status=status, updated=NOW - timedelta(days=age_days))
    ctx = FakeLookups(latest={1: latest})
    env = replace(envelope(channel=Channel.SMS, sender_address="+358401234567"), contact=ANNA)
    found = filters.find_thread(env, ctx)
    assert (found.ticket == latest) is joins


@pytest.mark.parametrize(("desk", "joins"), [("+358401110001", False), ("+358401110000", True)])
def test_sms_joins_only_a_ticket_of_the_desk_written_to(desk: str, joins: bool) -> None:
    latest = ticket(audience="applicant")
    ctx = FakeLookups(latest={1: latest})
    message = envelope(channel=Channel.SMS, sender_address="+358401234567", recipient_address=desk)
    env = filters.identify_sender(message, ctx)
    found = filters.find_thread(replace(env, contact=ANNA), ctx)
    assert (found.ticket == latest) is joins
    assert found.audience == ("applicant" if joins else "staff")


def test_an_expert_of_the_organisation_answers_others_need_review() -> None:
    own = ticket(organization="osao")
    ctx = FakeLookups(
        users={
            "eeva@osao.fi": UserRef(id=5, role="expert", organization_id="osao"),
            "olli@omnia.fi": UserRef(id=6, role="expert", organization_id="omnia"),
        },
        sent={(own.id, "eeva@osao.fi", "n1@desk.test"), (own.id, "olli@omnia.fi", "n2@desk.test")},
    )
    base = replace(envelope(references=("n1@desk.test", "n2@desk.test")), ticket=own)
    base = replace(base, sender_kind="email")
    answered = filters.identify_author(replace(base, sender="eeva@osao.fi"), ctx)
    assert answered.author and not answered.needs_review
    outsider = filters.identify_author(replace(base, sender="olli@omnia.fi"), ctx)
    assert outsider.author and outsider.needs_review


@pytest.mark.parametrize(
    ("role", "organization", "audience", "answers"),
    [
        ("expert", "osao", "applicant", True),
        ("superuser", "osao", "staff", True),
        ("superuser", "osao", "applicant", False),  # tier 1 works staff tickets only
        ("agent", None, "applicant", True),  # the desk's agents work every ticket
        ("helpdesk", None, "staff", True),  # the national staff helpdesk: staff tickets
        ("helpdesk", None, "applicant", False),
        ("admin", None, "applicant", False),  # administers; answers in the console
        ("expert", "omnia", "applicant", False),
    ],
)
def test_who_may_answer_by_email(
    role: str, organization: str | None, audience: str, answers: bool
) -> None:
    own = ticket(organization="osao", audience=audience)
    ctx = FakeLookups(
        users={"u@x.fi": UserRef(id=5, role=role, organization_id=organization)},
        sent={(own.id, "u@x.fi", "n1@desk.test")},
    )
    env = replace(envelope(references=("n1@desk.test",)), ticket=own, sender_kind="email")
    found = filters.identify_author(replace(env, sender="u@x.fi"), ctx)
    assert found.author is not None and found.needs_review is not answers


@pytest.mark.parametrize(
    "references",
    [
        (),  # the tag in the subject alone: tags are sequential, From is forged at will
        ("ack-1@desk.test",),  # our mail, but sent to the applicant
        ("n1@desk.test",),  # our mail to this expert, on another ticket
    ],
    ids=["tag-only", "someone-elses-mail", "other-ticket"],
)
def test_an_answer_must_reply_to_our_mail_to_that_address_on_that_ticket(
    references: tuple[str, ...],
) -> None:
    own, other = ticket("2026-000001"), ticket("2026-000002")
    ctx = FakeLookups(
        users={"eeva@osao.fi": UserRef(id=5, role="expert", organization_id="osao")},
        sent={
            (own.id, "aino@example.org", "ack-1@desk.test"),
            (other.id, "eeva@osao.fi", "n1@desk.test"),
        },
    )
    env = replace(
        envelope(subject=f"Re: [#{own.number}]", references=references),
        ticket=own,
        sender_kind="email",
        sender="eeva@osao.fi",
        thread_reason=f"ticket number [#{own.number}] in the subject",
    )
    found = filters.identify_author(env, ctx)
    assert found.author is not None and found.needs_review
    assert found.thread_reason.endswith("kept as an internal note for review")


def test_the_tickets_own_contact_is_never_taken_for_its_expert() -> None:
    own = ticket(audience="staff", contact_id=1)
    ctx = FakeLookups(
        users={"aino@example.org": UserRef(id=5, role="superuser", organization_id="osao")},
        sent={(own.id, "aino@example.org", "ack-1@desk.test")},
    )
    env = replace(
        envelope(references=("ack-1@desk.test",)),
        ticket=own,
        contact=ANNA,
        sender_kind="email",
        sender="aino@example.org",
    )
    found = filters.identify_author(env, ctx)
    assert found.author is None and not found.needs_review


def test_identity_codes_are_masked_before_routing() -> None:
    env = filters.mask_codes(
        envelope(subject="Hetu 131052-308T", text="Minun hetu on 131052-308T."), FakeLookups()
    )
    assert env.masked_codes == 2
    assert "131052-308T" not in env.message.subject + env.message.text
    assert MASK in env.message.text


def test_the_pipeline_stops_at_the_first_stop() -> None:
    ctx = FakeLookups(seen={("email", "m1@example.org")})
    env = filters.run(envelope(), ctx)
    assert env.is_stopped and env.decision is None


def test_call_details_travel_with_the_message() -> None:
    call = CallDetails(call_sid="CA1", outcome="voicemail")
    env = filters.identify_sender(
        envelope(channel=Channel.PHONE, sender_address="0401234567", call=call), FakeLookups()
    )
    assert env.sender == "+358401234567" and env.message.call == call
