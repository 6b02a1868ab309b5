"""Builds the real app on real Services: a temporary SQLite file plus the emulated cluster.

Used by the UI tests (fixtures in ``conftest.py``) and by hand::

    .venv/bin/python -m tests.ui.harness [COUNT]    # run the app on COUNT seeded instances
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import aclosing, asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from claworc_emulator import EmulatorServer
from claworc_tui.config import Settings
from claworc_tui.services import Services, open_services
from tests._support.emulator import emulator_config
from tests._support.emulator import running_emulator as support_emulator
from tests._support.instances import make

NS = "claworc"
#: The fixed clock of the tests (before any record is written, so every age reads "0s").
FIXED_NOW = datetime(2025, 1, 15, 12, 0, 0, tzinfo=UTC)


def fixed_now() -> datetime:
    """The tests' clock."""
    return FIXED_NOW


@asynccontextmanager
async def running_emulator(latency: float = 0.0) -> AsyncIterator[EmulatorServer]:
    """An emulated API server on 127.0.0.1 (``latency``: seconds added to every request).

    Pods come up within tenths of a second, and a crash-looping pod restarts after 0.5 s,
    doubling to 2 s (the kubelet's back-off starts at 10 s)."""
    config = emulator_config(latency=latency, crash_backoff=0.5, crash_backoff_max=2.0)
    async with support_emulator(config) as emulator:
        yield emulator


def settings_for(folder: Path, emulator: EmulatorServer, **flags: object) -> Settings:
    """Settings pointing at a database in ``folder`` and at the emulator."""
    kubeconfig = emulator.write_kubeconfig(folder / "kubeconfig", namespace=NS)
    return settings_at(folder, kubeconfig, **flags)


def settings_at(folder: Path, kubeconfig: Path, **flags: object) -> Settings:
    """Settings pointing at a database in ``folder`` and at the cluster of ``kubeconfig``."""
    return Settings(
        db=folder / "data" / "claworc.db",
        kubeconfig=kubeconfig,
        namespace=NS,
        config_dir=folder / "config",
        state_dir=folder / "state",
        **flags,
    )


@asynccontextmanager
async def opened(settings: Settings) -> AsyncIterator[Services]:
    """Open real Services and close them after."""
    async with aclosing(await open_services(settings)) as services:
        yield services


async def seed(services: Services, *display_names: str) -> None:
    """Create instances through the service, step by step, as the UI would."""
    for display_name in display_names:
        await make(services, display_name)


@asynccontextmanager
async def seeded(
    folder: Path, *display_names: str
) -> AsyncIterator[tuple[EmulatorServer, Settings]]:
    """A running emulator and settings on it in ``folder``, where an earlier start (services
    opened, :func:`seed` with ``display_names``, closed) made the database and the instances: the
    start a launch test then looks at is not the first."""
    async with running_emulator() as emulator:
        settings = settings_for(folder, emulator)
        services = await open_services(settings)
        try:
            await seed(services, *display_names)
        finally:
            await services.aclose()
        yield emulator, settings


async def run_start_script(script: str, settings: Settings, folder: Path) -> Any:
    """Run ``script`` (``python -c``) in a fresh process, handing it the settings' places as JSON
    in ``argv[1]``; what it printed, parsed as JSON (it must exit 0)."""
    args = {
        "db": str(settings.db),
        "kubeconfig": str(settings.kubeconfig),
        "namespace": settings.namespace,
        "config_dir": str(folder / "config"),
        "state_dir": str(folder / "state"),
    }
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", script, json.dumps(args), stdout=asyncio.subprocess.PIPE
    )
    out, _ = await child.communicate()
    assert child.returncode == 0
    return json.loads(out)


async def _main(count: int) -> int:
    from claworc_tui.app import ClaworcApp

    names = ["Alpha", "Beta", "Gamma", "Delta"] + [f"Worker {i}" for i in range(count)]
    with tempfile.TemporaryDirectory() as folder:
        async with running_emulator() as emulator:
            settings = settings_for(Path(folder), emulator, demo=True)
            async with opened(settings) as services:
                await seed(services, *names[: max(count, 1)])
                result = await ClaworcApp(services).run_async()
    return result or 0


if __name__ == "__main__":
    sys.exit(asyncio.run(_main(int(sys.argv[1]) if len(sys.argv) > 1 else 4)))
