"""Attachment files: addressed by their content, written whole or not at
all, and only under the storage folder."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from servicedesk.storage import LocalStorage


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_a_file_is_stored_once_under_its_content_hash(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    data = b"%PDF-1.7 todistus"
    first = storage.put(data)
    again = storage.put(data)

    digest = hashlib.sha256(data).hexdigest()
    assert first == again
    assert (first.sha256, first.size) == (digest, len(data))
    assert storage.read(first.key) == data
    assert files_under(tmp_path) == [tmp_path / first.key], "one file, no temporary left over"


def test_deleting_a_file_twice_is_harmless(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    stored = storage.put(b"liite")
    storage.delete(stored.key)
    storage.delete(stored.key)
    assert files_under(tmp_path) == []


@pytest.mark.parametrize("key", ["../etc/passwd", "sha256/../../secret", "/etc/passwd", ""])
def test_a_key_outside_the_storage_folder_is_refused(tmp_path: Path, key: str) -> None:
    with pytest.raises(ValueError, match="not a storage key"):
        LocalStorage(tmp_path).read(key)
