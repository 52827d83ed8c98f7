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

from sqlalchemy import text
from sqlalchemy.orm import Session

from servicedesk.storage import Storage, StoredFile


def lock_id(digest: str) -> int:
    """A content digest (hex) as PostgreSQL's 64-bit advisory lock key."""
    value = int(digest[:16], 16)
    return value - (1 << 64) if value >= 1 << 63 else value


def store(session: Session, storage: Storage, data: bytes) -> StoredFile:
    """Store ``data`` for a row this transaction is about to add."""
    if session.get_bind().dialect.name == "postgresql":
        digest = hashlib.sha256(data).hexdigest()
        session.execute(text("SELECT pg_advisory_xact_lock_shared(:id)"), {"id": lock_id(digest)})
    return storage.put(data)


def claim_for_deleting(session: Session, digest: str) -> None:
    """Wait for every transaction storing this content to end; held until
    this session's transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock_id(digest)})
