"""The layers hold at run time too: importing the service layer never loads Textual."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    ("module", "forbidden"),
    [
        ("claworc_tui.services", "textual"),
        ("claworc_tui.cli.commands", "textual"),
        ("claworc_tui.db.instances", "kubernetes_asyncio"),
        ("claworc_tui.models.instance", "aiosqlite"),
        ("claworc_emulator", "kubernetes_asyncio"),
        ("claworc_emulator", "claworc_tui"),
        ("claworc_tui.cli.main", "claworc_emulator"),
    ],
)
def test_import_does_not_load(module: str, forbidden: str) -> None:
    code = f"import sys, {module}; print({forbidden!r} in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
