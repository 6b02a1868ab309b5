"""Shared fixtures: every test gets its own HOME/XDG dirs, so nothing touches the real ones."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing
from pathlib import Path

import pytest

from claworc_emulator import EmulatorServer
from claworc_tui.config import Settings
from claworc_tui.services.store import Store, open_store
from tests._support.emulator import running_emulator

DOCKER_TIER = Path(__file__).parent / "docker"


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups (--dist loadgroup)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the Docker tier on one worker, one test at a time, when the suite runs in parallel.

    Its tests share one engine, one network and fixed host port ranges (31600-31799), and its
    fixtures remove every leftover container with the tier's prefix, so two at once could take
    each other's ports or delete each other's instances. Everything else is isolated per test
    (own HOME/XDG dirs, tmp_path, emulator on port 0) and spreads over the workers freely.
    """
    for item in items:
        if item.path.is_relative_to(DOCKER_TIER):
            item.add_marker(pytest.mark.xdist_group("docker"))


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point HOME and the XDG dirs into tmp_path and drop CLAWORC_* from the environment."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for var, sub in (
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_STATE_HOME", ".local/state"),
    ):
        monkeypatch.setenv(var, str(home / sub))
    import os

    for var in list(os.environ):
        if var == "CLAWORC_REQUIRE_DOCKER":
            continue  # the test run's own setting (tests/docker/conftest.py), not the app's
        if var.startswith("CLAWORC_") or var in ("KUBECONFIG", "SSH_CONNECTION", "SSH_TTY"):
            monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A database path in a folder that does not exist yet."""
    return tmp_path / "data" / "claworc.db"


@pytest.fixture
def settings(db_path: Path, isolated_home: Path) -> Settings:
    """Settings pointing at the temporary database and config dir."""
    return Settings(db=db_path)


@pytest.fixture
async def store(settings: Settings) -> AsyncIterator[Store]:
    """An open store on a fresh database file."""
    async with aclosing(await open_store(settings)) as opened:
        yield opened


@pytest.fixture
async def emulator() -> AsyncIterator[EmulatorServer]:
    """The emulated API server on 127.0.0.1 with small delays, stopped after the test."""
    async with running_emulator() as server:
        yield server
