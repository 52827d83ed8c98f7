"""Where the shipped ``templates/`` and ``config/`` folders are.

In a source checkout (and an editable install) they sit beside the
package; an installed wheel carries them inside it as
``servicedesk/templates`` and ``servicedesk/config`` (see setup.cfg).
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    for candidate in (PACKAGE / name, PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"the shipped folder {name}/ is missing from the installation")


def templates_dir() -> Path:
    return _find("templates")


def config_dir() -> Path:
    return _find("config")
