"""Fixtures of the routing tests: the shipped regions, the test directory
(``data/directory.yaml``) and a fixed moment.  Pure: files are read, no
database, no network."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from routing import Directory
from servicedesk.directory_source import RegionData, load_regions, read_directory

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def regions() -> RegionData:
    return load_regions(ROOT / "config" / "regions")


@pytest.fixture(scope="session")
def directory(regions: RegionData) -> Directory:
    return read_directory(DATA / "directory.yaml", regions).build()


@pytest.fixture(scope="session")
def demo_directory(regions: RegionData) -> Directory:
    return read_directory(ROOT / "config" / "directory", regions).build()


@pytest.fixture
def now() -> datetime:
    return datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
