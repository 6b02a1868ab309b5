"""Helpers for the k8s tests against the emulator: config, waiting by predicate, pod lookups."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable

import pytest

from claworc_emulator import EmulatorConfig, EmulatorServer
from claworc_tui.k8s.client import KubeClient
from claworc_tui.k8s.manifests import effective_keys
from claworc_tui.models.instance import Instance
from tests.k8s.factories import GLOBAL_KEYS, make_settings

NS = "claworc"


def emulator_config(**changes: object) -> EmulatorConfig:
    """Small delays so lifecycle tests take tenths of a second."""
    config = EmulatorConfig(
        pod_start_delay=0.05,
        pod_grace_period=0.05,
        history_limit=2000,
        latency=0.0,
        pvc_expandable=True,
    )
    for key, value in changes.items():
        setattr(config, key, value)
    return config


async def wait_for(
    predicate: Callable[[], object | Awaitable[object]],
    *,
    within: float = 5.0,
    interval: float = 0.02,
    what: str = "condition",
) -> None:
    """Poll ``predicate`` (sync or async) until it is true; fail after ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        result = predicate()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {within}s waiting for {what}")
        await asyncio.sleep(interval)


def pods_of(emulator: EmulatorServer, instance: str) -> list[dict[str, object]]:
    """The emulator's pods of one instance (by the ``app`` label)."""
    return [
        p
        for p in emulator.objects("pods", NS)
        if (p.get("metadata") or {}).get("labels", {}).get("app") == instance  # type: ignore[union-attr]
    ]


def running_pod(emulator: EmulatorServer, instance: str) -> str | None:
    """Name of the instance's Running, not-deleting pod, if any."""
    for p in pods_of(emulator, instance):
        meta, status = p["metadata"], p.get("status") or {}
        assert isinstance(meta, dict)
        assert isinstance(status, dict)
        if status.get("phase") == "Running" and not meta.get("deletionTimestamp"):
            return str(meta["name"])
    return None


async def apply(kube: KubeClient, instance: Instance) -> None:
    """Create every object of ``instance`` with the default settings and global keys."""
    await kube.apply_instance_objects(instance, make_settings(), effective_keys({}, GLOBAL_KEYS))
