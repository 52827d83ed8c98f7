"""Stored files and erasures that must not cross.

Files are content-addressed: an attachment taken in today shares its file
with any earlier attachment of the same content.  An erasure deletes a
file once no attachment in use names it; an intake storing the same
content at that moment, its row not yet committed, would be left naming
a deleted file.  On PostgreSQL the two meet on an advisory lock on the
content's digest: an intake holds it shared from storing the file until
its transaction ends, an erasure takes it alone before it looks again
and deletes.  So the erasure either sees the intake's row, or deletes
first and the intake stores the file anew.  On SQLite every write
transaction holds the database's lock from its start, which already puts
one after the other.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.orm import Session

from servicedesk.storage import Storage, StoredFile


def lock_id(digest: str) -> int:
    """A content digest (hex) as PostgreSQL's 64-bit advisory lock key."""
    value = int(digest[:16], 16)
    return value - (1 << 64) if value >= 1 << 63 else value


def store_all(session: Session, storage: Storage, contents: Sequence[bytes]) -> list[StoredFile]:
    """Store ``contents`` (in their order) for rows this transaction is
    about to add.  The locks are taken in the order of the digests, as an
    erasure takes its own: otherwise an enquiry and an erasure sharing two
    files could each hold one and wait for the other."""
    digests = [hashlib.sha256(data).hexdigest() for data in contents]
    if session.get_bind().dialect.name == "postgresql":
        for digest in sorted(set(digests)):
            session.execute(
                text("SELECT pg_advisory_xact_lock_shared(:id)"), {"id": lock_id(digest)}
            )
    return [storage.put(data, digest) for data, digest in zip(contents, digests, strict=True)]


def claim_for_deleting(session: Session, digest: str) -> None:
    """Wait for every transaction storing this content to end; held until
    this session's transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock_id(digest)})
