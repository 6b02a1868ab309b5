"""Fixtures: the emulated API server on 127.0.0.1, a kubeconfig for it, a started KubeClient."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from claworc_emulator import EmulatorServer
from claworc_tui.k8s.client import KubeClient
from tests._support.wait import wait_for
from tests.k8s.factories import make_instance
from tests.k8s.helpers import NS, apply, running_pod


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


@pytest.fixture
async def pod(kube: KubeClient, emulator: EmulatorServer) -> str:
    """The running pod of ``bot-alpha`` (applied through ``kube``), its start-up lines logged."""
    await apply(kube, make_instance())
    return await wait_for(lambda: running_pod(emulator, "bot-alpha"), what="pod running")
