"""The catalog of the console's knowledge base, template, announcement,
report and privacy pages (templates/console_kb/translations): the
committed .mo files are what the .po files compile to, the .pot lists
every text the code and templates use, Finnish and Swedish translate all
of them with their placeholders, a text shared with the console's own
catalog is translated the same way (Flask-Babel merges the catalogs and
this one is read after the console's), and the pages come out in the
user's language.

Run ``python -m tests.integration.test_console_kb_catalog`` to compile
the .po files after editing them (templates/console_kb/babel.cfg says how
to extract and update them).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from tests.integration import console_kit
from tests.integration.console_kit import fast_sign_in, make_user

app = console_kit.app  # the fixture, with compiled templates shared between tests

REPO = Path(__file__).resolve().parents[2]
AREA = REPO / "templates" / "console_kb"
TRANSLATIONS = AREA / "translations"
CONSOLE = REPO / "templates" / "console" / "translations"
LANGUAGES = ("fi", "sv", "en")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "tr": None, "tr_lazy": None}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\{ \w+ \}\}")


def po_path(root: Path, language: str) -> Path:
    return root / language / "LC_MESSAGES" / "messages.po"


def catalog(root: Path, language: str):  # type: ignore[no-untyped-def]
    with po_path(root, language).open("rb") as handle:
        return read_po(handle, locale=language)


def compiled(language: str) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalog(TRANSLATIONS, language), use_fuzzy=False)
    return out.getvalue()


def compile_catalogs() -> None:
    for language in LANGUAGES:
        po_path(TRANSLATIONS, language).with_suffix(".mo").write_bytes(compiled(language))


def used_messages() -> set[object]:
    with (AREA / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    return {
        message
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(REPO), method_map, options_map, keywords=KEYWORDS
        )
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_committed_mo_is_the_compiled_po(language: str) -> None:
    committed = po_path(TRANSLATIONS, language).with_suffix(".mo").read_bytes()
    assert committed == compiled(language), (
        f"{language}: recompile with `python -m tests.integration.test_console_kb_catalog`"
    )


def test_template_lists_every_message_in_use() -> None:
    with (TRANSLATIONS / "messages.pot").open("rb") as handle:
        listed = {m.id for m in read_po(handle) if m.id}
    missing = used_messages() - listed
    assert not missing, (
        f"extract again (templates/console_kb/babel.cfg): {sorted(map(str, missing))}"
    )


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_every_message_is_translated_with_its_placeholders(language: str) -> None:
    messages = [m for m in catalog(TRANSLATIONS, language) if m.id]
    assert not [m.id for m in messages if m.fuzzy]
    missing = [
        m.id for m in messages if not all(m.string if isinstance(m.string, tuple) else [m.string])
    ]
    assert not missing, missing
    for m in messages:
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        wanted = sorted(set(PLACEHOLDER.findall(ids[-1])))
        for text in strings:
            assert sorted(set(PLACEHOLDER.findall(text))) == wanted, (language, m.id, text)


@pytest.mark.parametrize("language", LANGUAGES)
def test_shared_texts_keep_the_consoles_words(language: str) -> None:
    console = {m.id: m.string for m in catalog(CONSOLE, language) if m.id}
    ours = {m.id: m.string for m in catalog(TRANSLATIONS, language) if m.id}
    differ = {k: (console[k], v) for k, v in ours.items() if k in console and console[k] != v}
    assert not differ, differ


@pytest.mark.parametrize(
    ("ui_language", "expected"),
    [
        ("fi", ["Tietopankki", "Raportit", "Viestipohjat", "Tiedotteet", "Artikkelit"]),
        ("sv", ["Kunskapsbank", "Rapporter", "Meddelandemallar", "Meddelanden", "Artiklar"]),
    ],
)
def test_pages_speak_the_users_language(client, session, ui_language, expected) -> None:  # type: ignore[no-untyped-def]
    user = make_user(session, "admin", ui_language=ui_language)
    session.commit()
    fast_sign_in(client, user)
    page = client.get("/console/kb/").get_data(as_text=True)
    for text in expected:
        assert text in page
    assert "Knowledge base" not in page
    report = client.get("/console/reports/contacts-weekday").get_data(as_text=True)
    assert (
        "Yhteydenotot viikonpäivittäin" if ui_language == "fi" else "Kontakter per veckodag"
    ) in (report)


if __name__ == "__main__":
    compile_catalogs()
