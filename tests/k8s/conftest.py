"""Fixtures: the emulated API server on 127.0.0.1, a kubeconfig for it, a started KubeClient."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from claworc_emulator import EmulatorServer
from claworc_tui.k8s.client import KubeClient
from tests.k8s.helpers import NS


@pytest.fixture
def kubeconfig(emulator: EmulatorServer, tmp_path: Path) -> Path:
    return emulator.write_kubeconfig(tmp_path / "kubeconfig", namespace=NS, context="emulator")


@pytest.fixture
async def kube(kubeconfig: Path) -> AsyncIterator[KubeClient]:
    client = KubeClient(kubeconfig=kubeconfig)
    await client.start()
    try:
        yield client
    finally:
        await client.aclose()
