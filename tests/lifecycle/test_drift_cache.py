"""Drift and repair read the informers' cache, not one GET per object (issue #10).

The requests are counted where they arrive: the emulator records every request it answers.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import pytest

from claworc_emulator import EmulatorServer, RequestRecord
from claworc_tui.services import Services
from claworc_tui.services.views import DriftKind
from tests._support.instances import make
from tests._support.kube import kube_of
from tests._support.wait import wait_for
from tests.k8s.helpers import NS

NAMES = ("bot-a", "bot-b", "bot-c")
#: A read of one object of the namespace (``…/namespaces/NS/deployments/bot-a``).
ONE_OBJECT = re.compile(rf"/namespaces/{NS}/[a-z]+/[^/]+$")


def reads_of_one_object(calls: list[RequestRecord]) -> list[str]:
    return [c.path for c in calls if c.method == "GET" and ONE_OBJECT.search(c.path)]


def described(calls: list[RequestRecord]) -> list[str]:
    """The requests, watches left out (an informer may renew its watch at any time)."""
    return sorted(f"{c.method} {c.path}" for c in calls if "watch=" not in c.query)


@pytest.fixture
async def watching(services: Services) -> AsyncIterator[Services]:
    """The services with a subscriber on the hub (as the TUI is), its caches synced."""
    for display in ("A", "B", "C"):
        await make(services, f"Bot {display}")

    async def consume() -> None:
        async for _ in services.instances.fleet_events():
            pass

    task = asyncio.create_task(consume())

    def synced() -> bool:
        docs = services.instances.hub.cached_docs()
        return docs is not None and set(NAMES) <= set(docs["Deployment"])

    try:
        await wait_for(synced, timeout=20, what="the object informers' first list")
        yield services
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def clean_drift_requests(services: Services, emulator: EmulatorServer) -> list[str]:
    """Check drift, which must find none and read no single object; the requests it made."""
    before = len(emulator.requests)
    report = await services.instances.drift()
    calls = emulator.requests[before:]
    assert report.clean, report.items
    assert reads_of_one_object(calls) == []
    return described(calls)


async def test_drift_with_synced_informers_reads_no_object(
    watching: Services, emulator: EmulatorServer
) -> None:
    services = watching
    calls = await clean_drift_requests(services, emulator)
    # Only what no watch carries: the Secrets and ConfigMaps (one list each) and the nodePorts
    # of the whole cluster (for port conflicts) — three requests, whatever the fleet's size.
    assert calls == [
        "GET /api/v1/namespaces/claworc/configmaps",
        "GET /api/v1/namespaces/claworc/secrets",
        "GET /api/v1/services",
    ]


async def test_cached_drift_still_sees_a_deleted_deployment_and_a_changed_service(
    watching: Services, emulator: EmulatorServer
) -> None:
    services, kube = watching, kube_of(watching)
    await kube.transport.call(
        "delete",
        "deployments",
        "delete_namespaced_deployment",
        api="apps",
        name="bot-a",
        namespace=NS,
    )
    await kube.transport.call(
        "patch",
        "services",
        "patch_namespaced_service",
        name="bot-b-vnc",
        namespace=NS,
        body={"spec": {"ports": [{"port": 6081, "nodePort": 30190}]}},
    )

    def seen() -> bool:
        docs = services.instances.hub.cached_docs() or {}
        ports = (docs.get("Service") or {}).get("bot-b-vnc", {}).get("spec", {}).get("ports")
        return "bot-a" not in docs.get("Deployment", {"bot-a": 0}) and any(
            p.get("nodePort") == 30190 for p in ports or []
        )

    await wait_for(seen, timeout=10, what="the watch to deliver both changes")
    before = len(emulator.requests)
    report = await services.instances.drift()
    assert reads_of_one_object(emulator.requests[before:]) == []
    found = {(i.kind, i.instance, i.object) for i in report.items}
    assert (DriftKind.MISSING, "bot-a", "deployment") in found
    assert (DriftKind.DIFFERS, "bot-b", "nodeport_chrome") in found

    await services.instances.repair(report.items)
    # Checked at once, as the drift view does: the cache may not have our writes yet, so this
    # one check lists (one request per kind) and sees the repair.
    before = len(emulator.requests)
    after = await services.instances.drift()
    assert after.clean, after.items
    assert len(described(emulator.requests[before:])) == 6
    assert reads_of_one_object(emulator.requests[before:]) == []


async def test_without_informers_drift_lists_each_kind_once(
    services: Services, emulator: EmulatorServer
) -> None:
    """The CLI runs no object informers: one list per kind, never a read per instance."""
    for display in ("A", "B", "C"):
        await make(services, f"Bot {display}")
    assert services.instances.hub.cached_docs() is None
    calls = await clean_drift_requests(services, emulator)
    assert calls == [
        "GET /api/v1/namespaces/claworc/configmaps",
        "GET /api/v1/namespaces/claworc/persistentvolumeclaims",
        "GET /api/v1/namespaces/claworc/secrets",
        "GET /api/v1/namespaces/claworc/services",
        "GET /api/v1/services",
        "GET /apis/apps/v1/namespaces/claworc/deployments",
    ]
