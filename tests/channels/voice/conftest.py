"""Fixtures of the voice channel tests: TwiML parsed as XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable

import pytest


def _parse(document: str) -> ET.Element:
    assert document.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(document.encode("utf-8"))
    assert root.tag == "Response"
    return root


@pytest.fixture
def twiml() -> Callable[[str], ET.Element]:
    """Parse a TwiML document and return its ``<Response>`` element."""
    return _parse
