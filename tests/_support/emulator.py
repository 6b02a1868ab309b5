"""The emulator as tests run it: one settings factory, one context manager."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from claworc_emulator import EmulatorConfig, EmulatorServer


def emulator_config(**changes: Any) -> EmulatorConfig:
    """Emulator settings for tests: pods start and stop in tenths of a second.

    Args:
        changes: Any other :class:`EmulatorConfig` field (``latency``, ``crash_backoff`` …).
    """
    return dataclasses.replace(
        EmulatorConfig(pod_start_delay=0.05, pod_grace_period=0.05), **changes
    )


@asynccontextmanager
async def running_emulator(config: EmulatorConfig | None = None) -> AsyncIterator[EmulatorServer]:
    """An emulated API server on 127.0.0.1 (``config``: default :func:`emulator_config`)."""
    server = EmulatorServer(config or emulator_config())
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
