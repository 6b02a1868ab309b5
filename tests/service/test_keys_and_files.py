"""Keys and files: never a second key for a database, private files and folders, safe saves.

Real parts: a real SQLite file, the real key file, the real CLI in a subprocess.
"""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr

from claworc_tui.config import Settings
from claworc_tui.models.errors import DatabaseError
from claworc_tui.models.instance import Provider
from claworc_tui.services.store import open_store

ANTHROPIC = "sk-ant-api03.FAKEFAKE.FAKEFAKE.FAKE-0000-9f2c"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_a_database_with_a_check_row_never_gets_a_new_key(settings: Settings) -> None:
    first = await open_store(settings)  # stores the check row, creates the key file
    await first.aclose()
    settings.key_file.unlink()
    before = hashlib.sha256(settings.db.read_bytes()).hexdigest()
    for _ in range(2):
        with pytest.raises(DatabaseError) as info:
            await open_store(settings)
        message = str(info.value)
        assert str(settings.key_file) in message
        assert "CLAWORC_FERNET_KEY" in message
        assert not settings.key_file.exists()
    assert hashlib.sha256(settings.db.read_bytes()).hexdigest() == before


async def test_a_database_with_sealed_keys_never_gets_a_new_key(settings: Settings) -> None:
    first = await open_store(settings)
    await first.settings.set_key(Provider.ANTHROPIC, SecretStr(ANTHROPIC))
    await first.aclose()
    settings.key_file.unlink()
    with pytest.raises(DatabaseError, match="CLAWORC_FERNET_KEY"):
        await open_store(settings)
    assert not settings.key_file.exists()


async def test_a_group_readable_key_file_is_fixed_and_said(settings: Settings) -> None:
    first = await open_store(settings)
    await first.aclose()
    settings.key_file.chmod(0o644)
    opened = await open_store(settings)
    await opened.aclose()
    assert mode(settings.key_file) == 0o600
    assert any("0644" in w and "0600" in w for w in opened.warnings), opened.warnings


async def test_a_key_file_of_another_user_is_refused(settings: Settings) -> None:
    first = await open_store(settings)
    await first.aclose()
    if os.getuid() != 0:
        pytest.skip("only root can give a file to another user")
    os.chown(settings.key_file, 65534, 65534)
    with pytest.raises(DatabaseError, match="owned by uid 65534"):
        await open_store(settings)


def test_umask_000_creates_private_folders(tmp_path: Path) -> None:
    home = tmp_path / "fresh-home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAWORC_", "XDG_"))}
    env["HOME"] = str(home)
    # settings set writes: it creates the database, the key file and the log first.
    script = f"umask 000; exec {sys.executable} -m claworc_tui settings set image nginx:1"
    done = subprocess.run(
        ["sh", "-c", script], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode in (0, 1), done.stderr
    created = [p for p in home.rglob("*") if p.is_dir()]
    assert {p.relative_to(home).as_posix() for p in created} >= {
        ".config",
        ".config/claworc-tui",
        ".local",
        ".local/share",
        ".local/share/claworc-tui",
        ".local/state",
        ".local/state/claworc-tui",
    }
    for folder in created:
        assert mode(folder) == 0o700, folder
    for file in (p for p in home.rglob("*") if p.is_file()):
        assert not mode(file) & 0o077, (file, oct(mode(file)))
