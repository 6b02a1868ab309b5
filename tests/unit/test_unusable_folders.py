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


def _run(
    tmp_path: Path, env: dict[str, str], *args: str, loads: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run the CLI; the kubeconfig is missing (the start ends there at the latest), or with
    ``loads`` one that loads (its server refuses at once), so the folder is what fails first."""
    full = {**os.environ, "CLAWORC_FERNET_KEY": new_key().decode(), **env}
    kubeconfig = tmp_path / "no-kubeconfig"
    if loads:
        kubeconfig = tmp_path / "kubeconfig"
        kubeconfig.write_text(
            "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
            "clusters: [{name: k, cluster: {server: 'http://127.0.0.1:9'}}]\n"
            "users: [{name: u, user: {token: t}}]\n"
            "contexts: [{name: c, context: {cluster: k, user: u, namespace: claworc}}]\n"
        )
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
    # The app checks the kubeconfig's file before the records: give it one that loads where
    # the data folder is what must be reported.
    data_first = var == "XDG_DATA_HOME" and command == []
    result = _run(tmp_path, {var: str(blocker / "sub")}, *command, loads=data_first)
    assert "Traceback" not in result.stderr, result.stderr
    # (A read-only command on a database that cannot exist reads it as empty; with the key in
    # CLAWORC_FERNET_KEY no config folder is needed.)
    lines = result.stderr.strip().splitlines()
    if var == "XDG_STATE_HOME" and command:
        # A command that only reads writes no log, so it needs no state folder: it goes on
        # and ends where the kubeconfig is missing, saying that alone.
        assert result.returncode == 1, result.stderr
        assert len(lines) == 1, result.stderr
        assert "no-kubeconfig" in lines[0]
        assert blocker.read_text() == "not a folder"
    elif var == "XDG_STATE_HOME" or (var == "XDG_DATA_HOME" and command == []):
        assert result.returncode == 1, result.stderr
        assert len(lines) == 1, result.stderr
        assert str(blocker) in lines[0]
        assert lines[0].startswith("claworc-tui: ")


def test_a_command_that_writes_needs_its_log_folder(tmp_path: Path) -> None:
    """A command that changes something logs what it did: no log folder, nothing is done."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = _run(tmp_path, {"XDG_STATE_HOME": str(blocker / "sub")}, "stop", "bot-alpha")
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "cannot write the log file" in lines[0]
    assert str(blocker) in lines[0]


@pytest.mark.parametrize("command", [["ls"], ["stop", "bot-alpha"]], ids=["ls", "stop"])
def test_a_kubeconfig_that_is_not_there_says_so(tmp_path: Path, command: list[str]) -> None:
    """As the full-screen app says it; not the loader's "Expected key current-context"."""
    result = _run(tmp_path, {}, *command)
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip().splitlines() == [
        f"claworc-tui: cannot load Kubernetes config from {tmp_path / 'no-kubeconfig'}: "
        "No such file or directory"
    ]
