"""Saving logs: new private files only, links never followed, replacing only when asked."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from claworc_tui.services.savefile import default_logs_dir, save_text


def test_a_new_file_is_private(tmp_path: Path) -> None:
    target = tmp_path / "x.log"
    save_text(target, "a\nb\n")
    assert target.read_text() == "a\nb\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_a_link_is_not_followed_and_its_target_not_truncated(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    victim.chmod(0o600)
    link = tmp_path / "saved.log"
    link.symlink_to(victim)
    with pytest.raises(FileExistsError):
        save_text(link, "log lines\n")
    assert victim.read_text() == "precious\n"
    save_text(link, "log lines\n", replace=True)
    assert victim.read_text() == "precious\n"
    assert not link.is_symlink()
    assert link.read_text() == "log lines\n"
    assert stat.S_IMODE(link.stat().st_mode) == 0o600


def test_an_existing_file_is_kept_unless_replacing(tmp_path: Path) -> None:
    target = tmp_path / "x.log"
    target.write_text("old\n")
    with pytest.raises(FileExistsError):
        save_text(target, "new\n")
    assert target.read_text() == "old\n"
    save_text(target, "new\n", replace=True)
    assert target.read_text() == "new\n"
    assert not list(tmp_path.glob(".x.log.*"))


def test_a_dangling_link_is_not_followed(tmp_path: Path) -> None:
    link = tmp_path / "saved.log"
    link.symlink_to(tmp_path / "created-through-the-link")
    with pytest.raises(FileExistsError):
        save_text(link, "x\n")
    assert not (tmp_path / "created-through-the-link").exists()


def test_the_default_folder_is_the_state_dir_and_private(isolated_home: Path) -> None:
    folder = default_logs_dir()
    assert folder == isolated_home / ".local/state/claworc-tui/logs"
    save_text(folder / "bot.log", "x\n")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
