"""``email poll --once`` against a real Dovecot: new mail becomes tickets,
is marked seen and moved only once it is in the database, the sync state
survives, a changed UIDVALIDITY resyncs without duplicates, a mail that
cannot be parsed never blocks the mailbox, and each desk gets its tickets."""

from __future__ import annotations

import dataclasses

import pytest
from imapclient import DELETED, SEEN
from sqlalchemy import select

from channels.email import ImapMailbox, ImapSettings
from servicedesk.intake.pipeline import MAX_ATTEMPTS
from servicedesk.mail_sync import FETCH_BATCH, poll_once
from servicedesk.models import IntakeRecord, MailboxState, Ticket
from servicedesk.runtime import Runtime
from servicedesk.storage import StoredFile
from tests.integration.mail.conftest import (
    APPLICANTS,
    DESK,
    STAFF,
    STAFF_DESK,
    Imap,
    make_mail,
    outcome,
)
from tests.integration.mail.test_mail_cli import GARBAGE
from tests.ports import free_port

pytestmark = pytest.mark.imap


def tickets(rt: Runtime) -> dict[str, Ticket]:
    """Subject → ticket."""
    with rt.db.session() as session:
        return {t.subject: t for t in session.execute(select(Ticket)).scalars()}


def state(rt: Runtime, name: str = "desk") -> tuple[int | None, int]:
    with rt.db.session() as session:
        row = session.get(MailboxState, name)
        assert row is not None
        return row.uidvalidity, row.last_uid


def folder_uids(imap: Imap, folder: str, user: str = APPLICANTS) -> tuple[int, list[int]]:
    client = imap.client(user)
    try:
        info = client.select_folder(folder, readonly=True)
        return int(info[b"UIDVALIDITY"]), sorted(client.search("ALL"))
    finally:
        client.logout()


def test_new_mail_becomes_tickets_marked_seen_and_the_sync_state_is_kept(
    rt: Runtime, imap: Imap
) -> None:
    imap.append(
        *(make_mail(subject=f"Kysymys {n}", message_id=f"q{n}@example.org") for n in (1, 2))
    )
    report = poll_once(rt)
    assert report.errors == 0
    assert [outcome(line) for line in report.lines] == ["new ticket", "new ticket"]
    assert set(tickets(rt)) == {"Kysymys 1", "Kysymys 2"}
    assert all(SEEN in flags for flags in imap.flags().values())
    uidvalidity, uids = folder_uids(imap, "INBOX")
    assert state(rt) == (uidvalidity, max(uids))

    assert poll_once(rt).lines == [], "nothing new, nothing fetched"
    imap.append(make_mail(subject="Kysymys 3", message_id="q3@example.org"))
    (line,) = poll_once(rt).lines
    assert line.startswith(f"desk#{max(uids) + 1}: new ticket ")
    assert len(tickets(rt)) == 3
    # the sync keeps to UIDs: marking a message unseen again fetches nothing
    client = imap.client()
    client.select_folder("INBOX")
    client.remove_flags(client.search("ALL"), [SEEN])
    client.logout()
    assert poll_once(rt).lines == []


@pytest.mark.parametrize("prefer_move", [True, False], ids=["MOVE", "COPY+EXPUNGE"])
def test_processed_mail_is_moved_after_it_is_in_the_database(
    rt: Runtime, imap: Imap, prefer_move: bool
) -> None:
    rt.settings = rt.settings.with_changes(imap_processed_folder="Processed")
    imap.append(*(make_mail(subject=f"Siirto {n}") for n in range(3)))

    def connect(settings: ImapSettings) -> ImapMailbox:
        return ImapMailbox(settings, prefer_move=prefer_move)

    report = poll_once(rt, connect=connect)
    assert report.errors == 0 and len(report.lines) == 3
    assert folder_uids(imap, "INBOX")[1] == [], "nothing left behind, not even \\Deleted"
    moved = imap.flags(folder="Processed")
    assert len(moved) == 3
    assert all(SEEN in flags and DELETED not in flags for flags in moved.values())
    assert len(tickets(rt)) == 3
    # the next poll finds nothing (the INBOX is empty, the state kept)
    assert poll_once(rt, connect=connect).lines == []


def test_a_changed_uidvalidity_resyncs_without_duplicates(rt: Runtime, imap: Imap) -> None:
    rt.settings = rt.settings.with_changes(imap_folder="Desk")
    first = make_mail(subject="Ensimmäinen", message_id="first@example.org")
    second = make_mail(subject="Toinen", message_id="second@example.org")
    imap.append(first, second, folder="Desk")
    assert len(poll_once(rt).lines) == 2
    old_validity, _last = state(rt)

    # The folder is deleted and made again (a restore, a server migration):
    # new UIDVALIDITY, UIDs from 1 again, the old mail back among new mail.
    client = imap.client()
    client.delete_folder("Desk")
    client.logout()
    redelivered = second.replace(b"Subject:", b"X-Restored: yes\r\nSubject:", 1)
    third = make_mail(subject="Kolmas", message_id="third@example.org")
    imap.append(first, redelivered, third, folder="Desk")
    new_validity, uids = folder_uids(imap, "Desk")
    assert new_validity != old_validity

    lines = poll_once(rt).lines
    assert [outcome(line) for line in lines] == [
        "already",  # the very same bytes
        "duplicate",  # another copy of a Message-ID taken in before
        "new ticket",
    ]
    assert sorted(tickets(rt)) == ["Ensimmäinen", "Kolmas", "Toinen"]
    assert state(rt) == (new_validity, max(uids))


def test_a_mail_that_cannot_be_parsed_never_blocks_the_mailbox(rt: Runtime, imap: Imap) -> None:
    imap.append(make_mail(subject="Ennen"), GARBAGE, make_mail(subject="Jälkeen"))
    report = poll_once(rt)
    assert report.errors == 0
    assert [outcome(line) for line in report.lines] == ["new ticket", "failed", "new ticket"]
    assert set(tickets(rt)) == {"Ennen", "Jälkeen"}
    assert state(rt)[1] == max(folder_uids(imap, "INBOX")[1])
    with rt.db.session() as session:
        failed = session.execute(
            select(IntakeRecord).where(IntakeRecord.status == "failed")
        ).scalar_one()
        assert failed.raw == GARBAGE and failed.error
    assert poll_once(rt).lines == []


def test_the_desk_address_decides_the_audience_in_a_shared_mailbox(rt: Runtime, imap: Imap) -> None:
    imap.append(
        make_mail(to=DESK, subject="Hakemus", body="Milloin haku alkaa?"),
        make_mail(
            to=STAFF_DESK,
            sender="opo@osao.fi",
            subject="Virkailijan työpöytä",
            body="En pääse kirjautumaan virkailijan työpöydälle, tulee virhe 500.",
        ),
    )
    assert poll_once(rt).errors == 0
    found = tickets(rt)
    assert found["Hakemus"].audience == "applicant"
    assert found["Virkailijan työpöytä"].audience == "staff"


def test_a_separate_staff_mailbox_makes_staff_tickets(rt: Runtime, imap: Imap) -> None:
    rt.settings = rt.settings.with_changes(
        staff_imap_user=STAFF, staff_imap_password=imap.server.password(STAFF)
    )
    assert [m.name for m in rt.settings.mailboxes()] == ["applicants", "staff"]
    imap.append(make_mail(to=DESK, subject="Hakijan kysymys"))
    # A staff mailbox's mail is staff mail, whichever alias it was sent to.
    imap.append(
        make_mail(to="virkailijat@desk.test", sender="opo@osao.fi", subject="Tunnukset"),
        user=STAFF,
    )
    report = poll_once(rt)
    assert report.errors == 0
    assert sorted(line.split("#", 1)[0] for line in report.lines) == ["applicants", "staff"]
    found = tickets(rt)
    assert found["Hakijan kysymys"].audience == "applicant"
    assert found["Tunnukset"].audience == "staff"
    assert state(rt, "staff")[1] == max(folder_uids(imap, "INBOX", STAFF)[1])
    assert state(rt, "applicants")[1] == max(folder_uids(imap, "INBOX")[1])


def test_a_mailbox_that_cannot_be_reached_is_reported_and_the_others_still_polled(
    rt: Runtime, imap: Imap
) -> None:
    (desk,) = rt.settings.mailboxes()
    # (A closed port rather than a wrong password: Dovecot would slow down
    # every later login from this address.)
    gone = dataclasses.replace(desk, name="staff", port=free_port())
    imap.append(make_mail(subject="Silti perille"))
    report = poll_once(rt, [gone, desk])
    assert report.errors == 1
    assert report.lines[0].startswith("staff: not polled: ")
    assert outcome(report.lines[1]) == "new ticket"
    assert "Silti perille" in tickets(rt)


class BrokenStorage:
    """The attachment store is down: every write fails."""

    def put(self, data: bytes, sha256: str | None = None) -> StoredFile:
        raise OSError("attachment storage unavailable")

    def read(self, key: str) -> bytes:
        raise OSError("attachment storage unavailable")

    def delete(self, key: str) -> None:
        raise OSError("attachment storage unavailable")


def test_a_mail_that_cannot_be_processed_stays_unseen_until_it_can(rt: Runtime, imap: Imap) -> None:
    working = rt.storage
    rt.storage = BrokenStorage()
    imap.append(
        make_mail(
            subject="Liite",
            message_id="with-file@example.org",
            attachments=[("todistus.pdf", "application/pdf", b"%PDF-1.4")],
        ),
        make_mail(subject="Perässä", message_id="after@example.org"),
    )
    (line,) = poll_once(rt).lines  # stops at the mail it could not take in
    assert outcome(line) == "pending" and "attachment storage unavailable" in line
    assert not any(SEEN in flags for flags in imap.flags().values()), "seen only once committed"
    assert tickets(rt) == {}
    assert state(rt)[1] == 0

    rt.storage = working
    assert [outcome(line) for line in poll_once(rt).lines] == ["new ticket", "new ticket"]
    assert all(SEEN in flags for flags in imap.flags().values())


def test_mail_before_one_that_cannot_be_processed_is_settled_and_counted(
    rt: Runtime, imap: Imap
) -> None:
    working = rt.storage
    rt.storage = BrokenStorage()
    imap.append(
        make_mail(subject="Ensin", message_id="first@example.org"),
        make_mail(subject="Toinen", message_id="second@example.org"),
        make_mail(
            subject="Liite",
            message_id="with-file@example.org",
            attachments=[("todistus.pdf", "application/pdf", b"%PDF-1.4")],
        ),
        make_mail(subject="Perässä", message_id="after@example.org"),
    )
    report = poll_once(rt)
    assert [outcome(line) for line in report.lines] == ["new ticket", "new ticket", "pending"]
    flags = imap.flags()
    seen = [SEEN in flags[f"<{name}@example.org>".encode()] for name in ("first", "second")]
    unseen = [SEEN in flags[f"<{name}@example.org>".encode()] for name in ("with-file", "after")]
    assert seen == [True, True] and unseen == [False, False]
    uids = folder_uids(imap, "INBOX")[1]
    assert state(rt)[1] == uids[1], "counted up to the last mail settled, no further"

    rt.storage = working
    assert [outcome(line) for line in poll_once(rt).lines] == ["new ticket", "new ticket"]
    assert state(rt)[1] == uids[-1]


def test_more_mail_than_one_fetch_batch_is_all_moved_and_counted(rt: Runtime, imap: Imap) -> None:
    rt.settings = rt.settings.with_changes(imap_processed_folder="Processed")
    count = 2 * FETCH_BATCH + 3
    imap.append(
        *(make_mail(subject=f"Erä {n}", message_id=f"batch{n}@example.org") for n in range(count))
    )
    highest = max(folder_uids(imap, "INBOX")[1])
    report = poll_once(rt)
    assert [outcome(line) for line in report.lines] == ["new ticket"] * count
    assert folder_uids(imap, "INBOX")[1] == []
    assert len(imap.flags(folder="Processed")) == count
    assert state(rt)[1] == highest
    assert len(tickets(rt)) == count


def test_a_mail_that_keeps_crashing_is_failed_and_passed_after_the_last_attempt(
    rt: Runtime, imap: Imap
) -> None:
    rt.storage = BrokenStorage()
    imap.append(
        make_mail(subject="Liite", attachments=[("a.pdf", "application/pdf", b"%PDF-1.4")]),
        make_mail(subject="Perässä"),
    )
    outcomes = [[outcome(line) for line in poll_once(rt).lines] for _ in range(MAX_ATTEMPTS)]
    assert outcomes[:-1] == [["pending"]] * (MAX_ATTEMPTS - 1)
    assert outcomes[-1] == ["failed", "new ticket"], "the mailbox is never blocked for good"
    with rt.db.session() as session:
        failed = session.execute(
            select(IntakeRecord).where(IntakeRecord.status == "failed")
        ).scalar_one()
        assert failed.attempts == MAX_ATTEMPTS and "attachment storage" in (failed.error or "")
