"""Attachment storage: files live outside the database, addressed by their
SHA-256, behind a small interface so every web and worker host can share an
S3-compatible store later; the local folder is the default."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True, slots=True)
class StoredFile:
    key: str
    sha256: str
    size: int


class Storage(Protocol):
    def put(self, data: bytes, sha256: str | None = None) -> StoredFile: ...

    def read(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...


def _sync_folder(folder: Path) -> None:
    """Make a file's new name in ``folder`` durable (the rename itself)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalStorage:
    """Content-addressed files under one folder; writing is atomic (a temp
    file synced and renamed into place), so neither a crash nor a power
    cut leaves half a file."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        if not key.startswith("sha256/") or ".." in key:
            raise ValueError(f"not a storage key: {key!r}")
        return self.root / key

    def put(self, data: bytes, sha256: str | None = None) -> StoredFile:
        """Keep ``data``; ``sha256``, its digest (hex) when the caller has
        already computed it, spares hashing a large file a second time."""
        digest = sha256 or hashlib.sha256(data).hexdigest()
        key = f"sha256/{digest[:2]}/{digest[2:4]}/{digest}"
        path = self._path(key)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                    # On disk before the row naming it commits (PostgreSQL
                    # syncs its commit): a power cut leaves no ticket whose
                    # attachment is empty.
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, path)
                _sync_folder(path.parent)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        return StoredFile(key=key, sha256=digest, size=len(data))

    def read(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)
