"""The public pages' catalogs (templates/portal/translations): the
committed .mo files are what the .po files compile to, every text the
portal shows is translated into Finnish and Swedish, and the placeholders
survive translation.  templates/portal/babel.cfg says how to update them."""

from __future__ import annotations

import gettext
import io
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from routing import TOPICS
from servicedesk.portal.labels import TOPIC_LABELS

REPO = Path(__file__).resolve().parents[2]
CATALOGS = REPO / "templates" / "portal" / "translations"
LANGUAGES = ("fi", "sv", "en")
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def po_path(language: str) -> Path:
    return CATALOGS / language / "LC_MESSAGES" / "messages.po"


def messages_of(mo: bytes) -> dict[object, str]:
    """What gettext itself reads from a .mo (the header entry aside)."""
    catalog = dict(gettext.GNUTranslations(io.BytesIO(mo))._catalog)  # type: ignore[attr-defined]
    catalog.pop("", None)
    return catalog


def extracted_ids() -> set[str]:
    with (REPO / "templates" / "portal" / "babel.cfg").open(encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    keywords = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None}
    return {
        message
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(REPO), method_map, options_map, keywords=keywords
        )
        if isinstance(message, str)
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_committed_mo_is_the_compiled_po(language: str) -> None:
    with po_path(language).open("rb") as fh:
        catalog = read_po(fh, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    committed = po_path(language).with_suffix(".mo").read_bytes()
    assert messages_of(committed) == messages_of(compiled.getvalue()), (
        f"{language}: the .mo is stale; run pybabel compile -d templates/portal/translations"
    )


@pytest.mark.parametrize("language", ("fi", "sv"))
def test_every_shown_text_is_translated(language: str) -> None:
    with po_path(language).open("rb") as fh:
        catalog = read_po(fh, locale=language)
    translated = {m.id: m.string for m in catalog if m.id and not m.fuzzy and m.string}
    missing = sorted(extracted_ids() - set(translated))
    assert not missing, f"{language}: untranslated (see templates/portal/babel.cfg): {missing}"
    for msgid, text in translated.items():
        assert sorted(PLACEHOLDER.findall(str(msgid))) == sorted(PLACEHOLDER.findall(str(text))), (
            f"{language}: placeholders differ in {msgid!r}"
        )


def test_english_catalog_lists_every_text() -> None:
    with po_path("en").open("rb") as fh:
        catalog = read_po(fh, locale="en")
    assert extracted_ids() <= {m.id for m in catalog if m.id}


def test_every_topic_has_a_plain_language_label() -> None:
    assert set(TOPIC_LABELS) == set(TOPICS)
