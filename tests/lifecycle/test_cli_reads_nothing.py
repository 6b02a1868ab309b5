"""Commands that only read write nothing anywhere: no ``-wal``/``-shm`` beside the database, no
file changed, in the database's folder (run as real subprocesses against the emulator)."""

from __future__ import annotations

import os
from pathlib import Path

from claworc_emulator import EmulatorServer
from claworc_tui.config import Settings
from tests.lifecycle.test_cli import cli

READ_ONLY_COMMANDS: list[list[str]] = [
    ["ls"],
    ["ls", "--json"],
    ["url", "bot-alpha"],
    ["url", "bot-alpha", "--terminal"],
    ["logs", "bot-alpha", "--tail", "5"],
    ["settings", "get"],
    ["settings", "get", "image"],
    ["export"],
    ["export", "bot-alpha"],
    ["repair", "--dry-run"],
    ["adopt", "--all", "--dry-run"],
]


def listing(folder: Path) -> dict[str, tuple[int, int]]:
    """Every entry of ``folder`` with its size and mtime, and the folder's own mtime."""
    found = {
        entry.name: (entry.stat().st_size, entry.stat().st_mtime_ns) for entry in folder.iterdir()
    }
    return {**found, ".": (0, folder.stat().st_mtime_ns)}


async def test_read_only_commands_leave_the_folder_as_it_was(
    config: Settings, emulator: EmulatorServer
) -> None:
    code, _, err = await cli(config, "create", "Bot Alpha")
    assert code == 0, err
    folder = config.db.parent
    # The writer closed: SQLite removed its side files, the database is in WAL mode.
    assert sorted(p.name for p in folder.iterdir()) == ["claworc.db"]
    with config.db.open("rb") as handle:
        assert handle.read(20)[18:20] == b"\x02\x02"  # WAL mode (file format 2)
    before = listing(folder)
    os.utime(folder, ns=(before["."][1], before["."][1]))
    for command in READ_ONLY_COMMANDS:
        code, _, err = await cli(config, *command)
        assert code in (0, 3), (command, err)  # 3: repair --dry-run found drift
        assert listing(folder) == before, (command, sorted(p.name for p in folder.iterdir()))


async def test_read_only_commands_write_no_log_file(
    config: Settings, emulator: EmulatorServer
) -> None:
    """Not even the app's log: the state folder (``$XDG_STATE_HOME/claworc-tui``) is not made."""
    code, _, err = await cli(config, "create", "Bot Alpha")
    assert code == 0, err
    state = config.state_dir
    assert config.log_file.exists()  # a command that writes logs what it did
    config.log_file.unlink()
    state.rmdir()
    for command in READ_ONLY_COMMANDS:
        code, _, err = await cli(config, *command)
        assert code in (0, 3), (command, err)
        assert not state.exists(), command
