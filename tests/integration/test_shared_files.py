"""Attachment files are shared by content: one person's erasure and
another person's enquiry with a file of the very same content, at the
same moment, on PostgreSQL with sessions of their own.  Whichever comes
first, the enquiry's attachment can be opened afterwards."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Callable

import pytest
from sqlalchemy import select

from channels.message import Attachment, InboundMessage
from channels.sms import RecordingSmsGateway
from servicedesk import audit, file_holds, jobs, retention, sms_intake
from servicedesk.intake import pipeline
from servicedesk.models import Attachment as AttachmentRow
from servicedesk.models import Message
from tests.integration.test_intake_concurrency import (
    ADDRESS,
    Desk,
    desk,
    enquiry,
    in_thread_as,
    wait_until_blocked,
)

pytestmark = pytest.mark.postgres
__all__ = ["desk"]  # the fixture
ERASED = "poistettava@example.fi"
CERTIFICATE = b"%PDF-1.4\n% the same school certificate, sent by two people\n"


CERTIFICATE_FILE = Attachment("todistus.pdf", "application/pdf", CERTIFICATE)


def with_certificate(number: int, address: str, text: str) -> InboundMessage:
    return dataclasses.replace(
        enquiry(number, text), sender_address=address, attachments=(CERTIFICATE_FILE,)
    )


def erased_with_their_files(
    desk: Desk, number: int, files: tuple[Attachment, ...] = (CERTIFICATE_FILE,)
) -> list[str]:
    """Someone's enquiry with ``files`` (the certificate), then their
    erasure (committed); the file keys it leaves to delete."""
    desk.taken_in(
        dataclasses.replace(enquiry(number, "Liitteet."), sender_address=ERASED, attachments=files)
    )
    with desk.runtime.db.transaction() as session:
        erased = retention.erase_contact(
            session, ERASED, actor=audit.Actor("tietosuoja"), now=desk.runtime.now()
        )
    assert len(erased.storage_keys) == len(files)
    return erased.storage_keys


def attachment_of(desk: Desk, record_id: int) -> bytes:
    (only,) = attachments_of(desk, record_id)
    return only


def test_an_erasure_keeps_a_file_an_enquiry_being_taken_in_shares(desk: Desk) -> None:
    """The erasure deletes its files while the other enquiry, with the
    same file, is written and not committed: the erasure waits for it,
    and keeps the file."""
    keys = erased_with_their_files(desk, 40)
    message = with_certificate(41, ADDRESS, "Liitteenä todistus.")
    later = desk.store(message)
    deleted: list[int] = []

    def delete_files() -> None:
        with desk.runtime.db.session() as session:
            deleted.append(retention.delete_files(session, desk.runtime.storage, keys))
            session.commit()

    desk.meanwhile(message, later, delete_files)

    assert deleted == [0]
    assert attachment_of(desk, later) == CERTIFICATE


def test_an_enquiry_after_an_erasure_stores_the_shared_file_anew(desk: Desk) -> None:
    """The other way round: the erasure has deleted the file and not
    committed when the enquiry stores the same content; the enquiry waits
    for it, and then stores the file again."""
    keys = erased_with_their_files(desk, 42)
    later = desk.store(with_certificate(43, ADDRESS, "Liitteenä todistus."))
    deleted = desk.holding(
        lambda session: retention.delete_files(session, desk.runtime.storage, keys),
        lambda: pipeline.process_record(desk.runtime, later),
    )
    assert deleted == 1
    assert attachment_of(desk, later) == CERTIFICATE


def test_an_enquiry_with_two_shared_files_and_their_erasure_do_not_wait_on_each_other(
    desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    """An erasure takes its files' locks in the order of their digests.
    An enquiry with the same two files, listed the other way round, takes
    them in that order too: otherwise each would hold one and wait for the
    other, until PostgreSQL broke the deadlock a second later by failing
    one of them."""
    files = sorted(
        (b"%PDF-1.4\n% a certificate\n", b"%PDF-1.4\n% a transcript\n"),
        key=lambda data: hashlib.sha256(data).hexdigest(),
    )
    both = tuple(Attachment(f"liite{n}.pdf", "application/pdf", d) for n, d in enumerate(files))
    keys = erased_with_their_files(desk, 44, both)
    later = desk.store(dataclasses.replace(enquiry(45, "Liitteet taas."), attachments=both[::-1]))
    caplog.set_level(logging.INFO, logger="servicedesk.intake.pipeline")
    deleted = deleted_while_taken_in(
        desk, files[0], keys, lambda: pipeline.process_record(desk.runtime, later)
    )

    assert deleted == 2
    assert "met a concurrent transaction" not in caplog.text
    assert desk.records([later])[0].ticket_id is not None
    assert sorted(attachments_of(desk, later)) == files


def test_an_mms_with_two_shared_files_and_their_erasure_do_not_wait_on_each_other(
    desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    """The same for an MMS, whose pictures are fetched from Twilio by a
    job after the message is taken in: it stores them all at once, their
    locks in the order of their digests, not one by one as it fetches
    them in the order Twilio lists them."""
    files = sorted(
        (b"\xff\xd8\xff a photo of the certificate", b"\xff\xd8\xff a photo of the transcript"),
        key=lambda data: hashlib.sha256(data).hexdigest(),
    )
    both = tuple(Attachment(f"ME{n}.jpg", "image/jpeg", d) for n, d in enumerate(files))
    keys = erased_with_their_files(desk, 46, both)
    gateway = desk.runtime.sms = RecordingSmsGateway()
    base = "https://api.twilio.com/2010-04-01/Accounts/AC" + "0" * 32 + "/Messages/MM1/Media/"
    urls = [f"{base}ME{n:032x}" for n in range(2)]
    for url, file in zip(urls, both[::-1], strict=True):
        gateway.add_media(url, file)
    form = {
        "MessageSid": "MM" + "1" * 32,
        "AccountSid": "AC" + "0" * 32,
        "From": "+358401234567",
        "To": "+358401110000",
        "Body": "Kuvat todistuksesta",
        "NumMedia": "2",
        **{f"MediaUrl{n}": url for n, url in enumerate(urls)},
        **{f"MediaContentType{n}": "image/jpeg" for n in range(2)},
    }
    later, _ = sms_intake.store_webhook(desk.runtime, form)
    caplog.set_level(logging.INFO)
    deleted = deleted_while_taken_in(desk, files[0], keys, lambda: jobs.process_intake(later))

    assert deleted == 2
    assert "deadlock" not in caplog.text
    assert gateway.fetched == urls
    assert sorted(attachments_of(desk, later)) == sorted(files)


def deleted_while_taken_in(
    desk: Desk, first: bytes, keys: list[str], intake: Callable[[], object]
) -> int:
    """The erasure holds the ``first`` file, as delete_files does before
    the second, when ``intake`` runs on a thread of its own; once it waits
    for a lock, the erasure deletes ``keys`` and commits.  How many it
    deleted."""
    erasing = desk.runtime.db.sessions()
    file_holds.claim_for_deleting(erasing, hashlib.sha256(first).hexdigest())
    taking_in = in_thread_as(desk.runtime, intake)
    taking_in.start()
    try:
        wait_until_blocked(desk.engine, taking_in)
        deleted = retention.delete_files(erasing, desk.runtime.storage, keys)
        erasing.commit()
    finally:
        erasing.close()
    taking_in.join(timeout=60)
    assert not taking_in.is_alive()
    return deleted


def attachments_of(desk: Desk, record_id: int) -> list[bytes]:
    ticket_id = desk.records([record_id])[0].ticket_id
    with desk.runtime.db.session() as session:
        keys = session.execute(
            select(AttachmentRow.storage_key)
            .join(Message, Message.id == AttachmentRow.message_id)
            .where(Message.ticket_id == ticket_id)
        ).scalars()
        return [desk.runtime.storage.read(key) for key in keys]
