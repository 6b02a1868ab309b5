"""The shared pod watch: snapshot + changes, 410 re-list, reconnects, terminal errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import aclosing

import pytest

from claworc_emulator import EmulatorServer
from claworc_tui.k8s.backoff import Backoff
from claworc_tui.k8s.client import KubeClient
from claworc_tui.k8s.informer import Informer
from claworc_tui.models.pod import PodInfo
from claworc_tui.models.watch import Changed, StreamState, StreamStateChanged, Synced
from tests._support.wait import wait_for
from tests.k8s.factories import make_instance
from tests.k8s.helpers import NS, apply, throttle_pod_lists


class Collector:
    """A consumer keeping the pod map the way the UI would: snapshot, then apply changes."""

    def __init__(self, watcher: Informer[PodInfo]) -> None:
        self.watcher = watcher
        self.pods: dict[str, PodInfo] = {}
        self.types: list[str] = []
        self.states: list[StreamState] = []
        self.syncs = 0
        self.duplicates = 0
        self.unknown_deletes = 0
        self.reasons: list[str | None] = []

    async def run(self) -> None:
        async with aclosing(self.watcher.events()) as events:
            async for event in events:
                self.apply(event)

    def apply(self, event: Synced[PodInfo] | Changed[PodInfo] | StreamStateChanged) -> None:
        if isinstance(event, Synced):
            self.syncs += 1
            self.pods = dict(event.objects)
        elif isinstance(event, Changed):
            self.types.append(event.type)
            name = event.obj.name
            if event.type == "ADDED" and name in self.pods:
                self.duplicates += 1
            if event.type == "DELETED":
                if self.pods.pop(name, None) is None:
                    self.unknown_deletes += 1
            else:
                self.pods[name] = event.obj
        else:
            self.states.append(event.state)
            self.reasons.append(event.reason)

    @property
    def live(self) -> bool:
        return bool(self.states) and self.states[-1] is StreamState.LIVE


@pytest.fixture
async def collector(kube: KubeClient) -> AsyncIterator[Collector]:
    watcher = kube.pod_watcher(backoff=Backoff(base=0.05, cap=0.2), unreachable_after=3)
    collector = Collector(watcher)
    task = asyncio.create_task(collector.run())
    await wait_for(lambda: collector.live, what="watch live")
    try:
        yield collector
    finally:
        task.cancel()
        # Cancellation must come out of the watcher, not be swallowed by it.
        with pytest.raises(asyncio.CancelledError):
            await task


def server_pods(emulator: EmulatorServer) -> set[str]:
    return {str(p["metadata"]["name"]) for p in emulator.objects("pods", NS)}


def in_sync(collector: Collector, emulator: EmulatorServer) -> bool:
    return set(collector.pods) == server_pods(emulator)


async def test_added_modified_deleted(
    kube: KubeClient, emulator: EmulatorServer, collector: Collector
) -> None:
    assert collector.syncs == 1
    assert collector.pods == {}
    await apply(kube, make_instance())
    await wait_for(
        lambda: any(p.phase == "Running" for p in collector.pods.values()), what="pod running"
    )
    (pod,) = collector.pods.values()
    assert pod.instance == "bot-alpha"
    await kube.lifecycle.delete_instance_objects("bot-alpha", wait_timeout=10)
    await wait_for(lambda: not collector.pods, what="pod deleted")
    assert {"ADDED", "MODIFIED", "DELETED"} <= set(collector.types)
    assert collector.duplicates == collector.unknown_deletes == 0


async def test_410_relists_without_losing_or_duplicating(
    kube: KubeClient, emulator: EmulatorServer, collector: Collector
) -> None:
    await apply(kube, make_instance())
    await wait_for(lambda: in_sync(collector, emulator) and collector.pods, what="alpha")
    emulator.force_gone()
    await apply(kube, make_instance("bot-beta", port=30102))
    await kube.deployments.scale("bot-alpha", 0)
    await wait_for(
        lambda: (
            collector.watcher.relists >= 2
            and in_sync(collector, emulator)
            and {p.instance for p in collector.pods.values()} == {"bot-beta"}
        ),
        what="re-list after 410",
    )
    assert collector.syncs >= 2
    assert collector.duplicates == collector.unknown_deletes == 0


async def test_server_restart_is_survived(
    kube: KubeClient, emulator: EmulatorServer, collector: Collector
) -> None:
    await emulator.stop()
    await wait_for(lambda: StreamState.UNREACHABLE in collector.states, what="unreachable")
    assert collector.states[1] is StreamState.RECONNECTING
    await emulator.start()
    await wait_for(lambda: collector.live, what="live again")
    await apply(kube, make_instance())
    await wait_for(lambda: in_sync(collector, emulator) and collector.pods, what="new pod seen")
    assert collector.duplicates == collector.unknown_deletes == 0


async def test_forbidden_watch_is_failed_and_retried_slowly(
    kube: KubeClient, emulator: EmulatorServer
) -> None:
    emulator.forbid("watch", "pods")
    watcher = kube.pod_watcher()
    watcher.refused_retry = 0.3
    collector = Collector(watcher)
    task = asyncio.create_task(collector.run())
    try:
        await wait_for(lambda: collector.states.count(StreamState.FAILED) >= 1, what="failed")
        assert collector.syncs == 1  # list was allowed
        reason = collector.reasons[0] or ""
        assert "watch" in reason
        assert "RBAC" in reason
        # Still trying (slowly): once allowed, it goes live without a restart.
        emulator.allow_all()
        await wait_for(lambda: collector.live, what="live once allowed")
        assert not task.done()
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_429_waits_retry_after(kube: KubeClient, emulator: EmulatorServer) -> None:
    throttle_pod_lists(emulator, retry_after=1)
    watcher = kube.pod_watcher()
    async with aclosing(watcher.events()) as events:
        first = await anext(events)
        assert isinstance(first, StreamStateChanged)
        assert (first.state, first.retry_in) == (StreamState.RECONNECTING, 1.0)
        second = await anext(events)
        assert isinstance(second, Synced)
