"""The search and admin pages' catalog (templates/console_admin/translations):
the committed .mo files are exactly what the .po files compile to, the
.pot lists every text the pages use, Finnish and Swedish translate all of
them with their placeholders, a text shared with another catalog reads the
same in the console's catalogs (Flask-Babel merges them into one), and the pages speak the
user's language.

Run ``python -m tests.integration.test_admin_i18n`` to compile the .po files
after editing them (translations/babel.cfg says how to extract).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from tests.integration import console_kit
from tests.integration.console_kit import fast_sign_in, make_user

app = console_kit.app  # the fixture, with compiled templates shared between tests

REPO = Path(__file__).resolve().parents[2]
TRANSLATIONS = REPO / "templates" / "console_admin" / "translations"
LANGUAGES = ("fi", "sv", "en")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "tr": None, "tr_lazy": None}
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def catalog(language: str) -> Catalog:
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=language)


def compiled(language: str) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalog(language), use_fuzzy=False)
    return out.getvalue()


def compile_catalogs() -> None:
    for language in LANGUAGES:
        target = TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo"
        target.write_bytes(compiled(language))


def used_messages() -> set[str]:
    with (TRANSLATIONS / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    return {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(REPO), method_map, options_map, keywords=KEYWORDS
        )
    }


def text_of(value: str | tuple[str, ...] | None) -> str:
    return value if isinstance(value, str) else " ".join(value or ())


@pytest.mark.parametrize("language", LANGUAGES)
def test_committed_mo_is_the_compiled_po(language: str) -> None:
    committed = (TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo").read_bytes()
    assert committed == compiled(language), (
        f"{language}: recompile with `python -m tests.integration.test_admin_i18n`"
    )


def test_template_lists_every_message_in_use() -> None:
    with (TRANSLATIONS / "messages.pot").open("rb") as handle:
        listed = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    used = used_messages()
    assert used, "nothing extracted: check babel.cfg"
    assert used <= listed, sorted(used - listed)


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_every_message_is_translated_with_its_placeholders(language: str) -> None:
    for message in catalog(language):
        if not message.id:
            continue
        assert text_of(message.string).strip(), f"{language}: {message.id!r} untranslated"
        assert not message.fuzzy, message.id
        wanted = set(PLACEHOLDER.findall(text_of(message.id)))
        assert set(PLACEHOLDER.findall(text_of(message.string))) == wanted, message.id


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_texts_shared_with_the_other_console_catalogs_read_the_same(language: str) -> None:
    ours = {m.id: m.string for m in catalog(language) if m.id}
    pattern = f"templates/console*/translations/{language}/LC_MESSAGES/messages.po"
    for po in sorted(REPO.glob(pattern)):
        if po.is_relative_to(TRANSLATIONS):
            continue
        with po.open("rb") as handle:
            for message in read_po(handle, locale=language):
                if message.id in ours and message.string:
                    assert ours[message.id] == message.string, (po, message.id)


@pytest.mark.parametrize(
    ("ui_language", "expected"),
    [
        ("fi", ["Ylläpito", "Käyttäjät ja roolit", "Epäonnistunut vastaanotto"]),
        ("sv", ["Administration", "Användare och roller", "Misslyckad mottagning"]),
        ("en", ["Administration", "Users and roles", "Failed intake"]),
    ],
)
def test_the_admin_pages_speak_the_users_language(
    client, session, ui_language: str, expected: list[str]
) -> None:
    user = make_user(session, "admin", ui_language=ui_language)
    session.commit()
    fast_sign_in(client, user)
    page = client.get("/console/admin/").get_data(as_text=True)
    for text in expected:
        assert text in page, text
    search = client.get("/console/search?q=xyzzy").get_data(as_text=True)
    assert {"fi": "ei löytynyt", "sv": "Inga ärenden", "en": "No tickets match"}[
        ui_language
    ] in search


if __name__ == "__main__":
    compile_catalogs()
