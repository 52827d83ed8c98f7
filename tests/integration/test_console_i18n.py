"""The console's catalogs: the committed .mo files are exactly what the
committed .po files compile to, the template (.pot) lists every message
the code and templates use, Finnish and Swedish translate all of them,
and the pages come out in the user's language.

Run ``python -m tests.integration.test_console_i18n`` to compile the .po
files after editing them (see translations/babel.cfg for extraction).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask_babel import force_locale

from servicedesk.console.labels import STATUSES, label
from tests.integration import console_kit
from tests.integration.console_kit import fast_sign_in, make_user

app = console_kit.app  # the fixture, with compiled templates shared between tests

REPO = Path(__file__).resolve().parents[2]
TRANSLATIONS = REPO / "templates" / "console" / "translations"
LANGUAGES = ("fi", "sv", "en")
METHODS = [("**.py", "python"), ("**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def compiled(language: str) -> bytes:
    po = TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def compile_catalogs() -> None:
    for language in LANGUAGES:
        target = TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo"
        target.write_bytes(compiled(language))


def used_messages() -> set[str]:
    found: set[str] = set()
    for folder in (REPO / "servicedesk" / "console", REPO / "templates" / "console"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(folder), METHODS, keywords=KEYWORDS
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_committed_mo_is_the_compiled_po(language: str) -> None:
    committed = (TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo").read_bytes()
    assert committed == compiled(language), (
        f"{language}: recompile with `python -m tests.integration.test_console_i18n`"
    )


def test_template_lists_every_message_in_use() -> None:
    with (TRANSLATIONS / "messages.pot").open("rb") as handle:
        listed = {m.id for m in read_po(handle) if m.id}
    assert used_messages() <= listed, sorted(used_messages() - listed)


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_every_message_is_translated(language: str) -> None:
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=language)
    missing = [m.id for m in catalog if m.id and not m.string]
    assert not missing, missing
    assert not [m.id for m in catalog if m.id and m.fuzzy]


@pytest.mark.parametrize(
    ("ui_language", "expected", "absent"),
    [
        ("fi", ["Palvelupisteet", "Hakijat", "Virkailijat", "Kirjaudu ulos"], "Sign out"),
        ("en", ["Desks", "Applicants", "Staff", "Sign out"], "Kirjaudu ulos"),
        ("sv", ["Servicediskar", "Sökande", "Tjänstemän", "Logga ut"], "Sign out"),
    ],
)
def test_console_speaks_the_users_language(
    client, session, ui_language: str, expected: list[str], absent: str
) -> None:
    user = make_user(session, "agent", ui_language=ui_language)
    session.commit()
    fast_sign_in(client, user)
    page = client.get("/console/").get_data(as_text=True)
    assert f'<html lang="{ui_language}">' in page
    for text in expected:
        assert text in page
    assert absent not in page


def test_login_page_follows_the_browser_then_the_lang_parameter(client) -> None:
    finnish = client.get("/login", headers={"Accept-Language": "fi-FI,fi;q=0.9"})
    assert "Kirjaudu palvelupisteeseen" in finnish.get_data(as_text=True)
    english = client.get("/login?lang=en", headers={"Accept-Language": "fi-FI"})
    assert "Sign in to the service desk" in english.get_data(as_text=True)


if __name__ == "__main__":
    compile_catalogs()


def test_names_follow_the_language_of_the_moment(app) -> None:  # type: ignore[no-untyped-def]
    """The console's names are translated once per language and kept: a
    page in one language never gets the names of another."""
    with app.test_request_context():
        seen = {}
        for language in ("sv", "fi", "en", "sv", "fi"):
            with force_locale(language):
                expected = {key: str(name) for key, name in STATUSES.items()}
                assert {key: label(STATUSES, key) for key in STATUSES} == expected, language
                seen[language] = expected["closed"]
                assert label(STATUSES, "no-such-status") == "no-such-status"
        assert len(set(seen.values())) == 3
