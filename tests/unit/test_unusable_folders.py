"""A state, data or config folder that cannot be created: one clear line and exit 1 (the
convention of every other "the environment does not let us run" failure), never a traceback,
for a command and for the full-screen app's start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from claworc_tui.crypto.sealing import new_key


def _run(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "CLAWORC_FERNET_KEY": new_key().decode(), **env}
    kubeconfig = tmp_path / "no-kubeconfig"
    return subprocess.run(
        [sys.executable, "-m", "claworc_tui", "--kubeconfig", str(kubeconfig), *args],
        env=full,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("command", [["ls"], ["settings", "get"], []], ids=["ls", "get", "tui"])
@pytest.mark.parametrize("var", ["XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME"])
def test_a_folder_under_a_file_is_one_line_and_exit_1(
    tmp_path: Path, var: str, command: list[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = _run(tmp_path, {var: str(blocker / "sub")}, *command)
    assert "Traceback" not in result.stderr, result.stderr
    # (A read-only command on a database that cannot exist reads it as empty; with the key in
    # CLAWORC_FERNET_KEY no config folder is needed.)
    if var == "XDG_STATE_HOME" or (var == "XDG_DATA_HOME" and command == []):
        assert result.returncode == 1, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert str(blocker) in lines[0]
        assert lines[0].startswith("claworc-tui: ")
