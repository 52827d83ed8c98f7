"""Reply templates: plain-text snippets an agent inserts into an answer.

They live as files, ``templates/console/snippets/<name>.<language>.txt``;
the first line is the title shown in the list, the rest is the text.  A
snippet missing in the ticket's language falls back to Finnish.  (The
knowledge base, when it lands, is another source of the same shape.)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from servicedesk.resources import templates_dir

FALLBACK = "fi"


@dataclass(frozen=True, slots=True)
class Snippet:
    name: str
    title: str
    text: str


def folder() -> Path:
    return templates_dir() / "console" / "snippets"


def _read(path: Path) -> tuple[str, str]:
    title, _, text = path.read_text(encoding="utf-8").partition("\n")
    return title.strip(), text.strip() + "\n"


def available(language: str) -> list[Snippet]:
    """Every snippet, in ``language`` where there is one, sorted by title."""
    found: dict[str, Path] = {}
    for path in sorted(folder().glob("*.txt")):
        name, _, rest = path.name.partition(".")
        lang = rest.removesuffix(".txt")
        if lang == language or (lang == FALLBACK and name not in found):
            found[name] = path
    snippets = [Snippet(name, *_read(path)) for name, path in found.items()]
    return sorted(snippets, key=lambda s: s.title.lower())


def find(name: str, language: str) -> Snippet | None:
    return next((s for s in available(language) if s.name == name), None)


def fill(snippet: Snippet, *, number: str, agent: str) -> str:
    """The snippet's text with its two placeholders filled in."""
    return snippet.text.replace("{number}", number).replace("{agent}", agent)
