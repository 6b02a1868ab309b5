"""Fixtures: a real SQLite file plus the emulated API server, composed into real Services."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing
from pathlib import Path

import pytest

from claworc_emulator import EmulatorServer
from claworc_tui.config import Settings
from claworc_tui.services import Services, open_services
from tests.k8s.helpers import NS


@pytest.fixture
def config(emulator: EmulatorServer, tmp_path: Path) -> Settings:
    kubeconfig = emulator.write_kubeconfig(tmp_path / "kubeconfig", namespace=NS)
    return Settings(db=tmp_path / "data" / "claworc.db", kubeconfig=kubeconfig, namespace=NS)


@pytest.fixture
async def services(config: Settings) -> AsyncIterator[Services]:
    async with aclosing(await open_services(config)) as opened:
        yield opened
