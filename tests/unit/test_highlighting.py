"""Every TextArea language the app asks for has its tree-sitter grammar installed.

We depend on ``tree-sitter-json`` and ``tree-sitter-yaml`` alone, not ``textual[syntax]``'s ~16
grammars. With tree-sitter installed but a grammar missing, Textual raises
``LanguageDoesNotExist`` when the TextArea mounts (the config editor crashed the app when
tree-sitter-json was uninstalled), so a TextArea with a new language needs its grammar added to
pyproject's dependencies; this test names the one that is missing.
"""

from __future__ import annotations

import re
from pathlib import Path

from textual._tree_sitter import TREE_SITTER, get_language

PACKAGE = Path(__file__).resolve().parents[2] / "claworc_tui"


def languages_used() -> set[str]:
    """The ``language="…"`` arguments anywhere in the product code."""
    found: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        found.update(re.findall(r'\blanguage="([a-z_]+)"', path.read_text(encoding="utf-8")))
    return found


def test_the_languages_are_found() -> None:
    assert {"json", "yaml"} <= languages_used()


def test_every_used_language_has_its_grammar() -> None:
    assert TREE_SITTER
    missing = sorted(name for name in languages_used() if get_language(name) is None)
    assert not missing, f"add tree-sitter-{missing[0]} to pyproject's dependencies"
