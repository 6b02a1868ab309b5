"""The live status stream: pod reasons from the emulator's hooks, and the connection state."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from claworc_emulator import EmulatorServer
from claworc_tui.services import Services
from claworc_tui.services.views import (
    ConnectionChanged,
    ConnectionState,
    FleetChanged,
    FleetEvent,
    FleetSnapshot,
    InstanceView,
)
from tests._support.instances import make
from tests._support.wait import wait_for
from tests.k8s.helpers import NS


class Fleet:
    """Consumes fleet events in the background, keeping the latest view of each instance."""

    def __init__(self, events: AsyncIterator[FleetEvent]) -> None:
        self.views: dict[str, InstanceView] = {}
        self.connection: list[ConnectionState] = []
        self.seen: dict[str, list[str]] = {}
        self._task = asyncio.create_task(self._run(events))

    async def _run(self, events: AsyncIterator[FleetEvent]) -> None:
        async for event in events:
            if isinstance(event, FleetSnapshot):
                self.views = {v.name: v for v in event.views}
            elif isinstance(event, FleetChanged):
                for v in event.changed:
                    self.views[v.name] = v
                for name in event.removed:
                    self.views.pop(name, None)
            elif isinstance(event, ConnectionChanged):
                self.connection.append(event.connection.state)
            for v in self.views.values():
                self.seen.setdefault(v.name, []).append(v.status)

    def status(self, name: str) -> str | None:
        view = self.views.get(name)
        return view.status if view else None

    async def aclose(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


async def test_reasons_from_the_cluster(services: Services, emulator: EmulatorServer) -> None:
    fleet = Fleet(services.instances.fleet_events())
    try:
        for display in ("Healthy", "Crashy", "Hungry", "Pully"):
            await make(services, display)
        emulator.crash_loop(NS, "bot-crashy")
        emulator.oom_kill(NS, "bot-hungry")
        emulator.image_pull_backoff(NS, "bot-pully")
        await wait_for(lambda: fleet.status("bot-healthy") == "Running", timeout=10, what="running")
        await wait_for(
            lambda: (fleet.status("bot-crashy") or "").startswith("CrashLoopBackOff"),
            timeout=10,
            what="crash loop",
        )
        await wait_for(
            lambda: fleet.status("bot-hungry") == "CrashLoopBackOff (OOMKilled)",
            timeout=10,
            what="oom",
        )
        await wait_for(
            lambda: fleet.status("bot-pully") in ("ImagePullBackOff", "ErrImagePull"),
            timeout=10,
            what="image pull",
        )
        hungry = fleet.views["bot-hungry"]
        assert hungry.last_termination == "OOMKilled"
        assert hungry.restarts >= 1
        assert hungry.tone.value == "error"
        details = await services.instances.details("bot-hungry")
        assert [a.code for a in details.advice][:1] == ["raise-memory"]
        done = await services.instances.apply_advice("bot-hungry", "raise-memory")
        assert done == "memory_limit 4Gi → 8Gi"
        assert (await services.instances.get("bot-hungry")).resources.memory_limit == "8Gi"
        log = await services.instances.activity(instance="bot-hungry")
        assert any(e.action == "advice applied" for e in log)

        async def crash_advice() -> bool:
            crashy = await services.instances.details("bot-crashy")
            return "crash-loop" in [a.code for a in crashy.advice]

        await wait_for(crash_advice, timeout=10, what="crash-loop advice")
        tail = await services.instances.previous_log_tail("bot-crashy")
        assert any("Exiting with code 1" in line for line in tail)
    finally:
        await fleet.aclose()


async def test_stopped_and_pending_are_told_apart(
    services: Services, emulator: EmulatorServer
) -> None:
    emulator.config.pod_start_delay = 0.6
    fleet = Fleet(services.instances.fleet_events())
    try:
        await make(services, "Slow")
        await services.instances.stop("bot-slow")
        await wait_for(lambda: fleet.status("bot-slow") == "Stopped", timeout=10, what="stopped")
        await services.instances.start("bot-slow")
        await wait_for(lambda: fleet.status("bot-slow") == "Running", timeout=10, what="running")
        seen = fleet.seen["bot-slow"]
        after_start = seen[seen.index("starting") :] if "starting" in seen else seen
        assert "Stopped" not in after_start[1:], "replicas 1 without a pod is not Stopped"
        assert {"Pending", "ContainerCreating"} & set(after_start)
    finally:
        await fleet.aclose()


async def test_outage_is_reported_and_recovers(
    services: Services, emulator: EmulatorServer
) -> None:
    fleet = Fleet(services.instances.fleet_events())
    try:
        await make(services, "Survivor")
        await wait_for(lambda: fleet.status("bot-survivor") == "Running", timeout=10, what="run")
        await emulator.stop()
        await wait_for(
            lambda: (
                fleet.connection[-1:] == [ConnectionState.RECONNECTING]
                or fleet.connection[-1:] == [ConnectionState.UNREACHABLE]
            ),
            timeout=10,
            what="reconnecting",
        )
        await emulator.start()
        await wait_for(
            lambda: fleet.connection[-1:] == [ConnectionState.LIVE], timeout=10, what="live again"
        )
        # Changes after the outage still arrive (the watch resumed, not just reconnected).
        emulator.crash_loop(NS, "bot-survivor")
        await wait_for(
            lambda: (fleet.status("bot-survivor") or "").startswith("CrashLoopBackOff"),
            timeout=10,
            what="crash loop after the outage",
        )
    finally:
        await fleet.aclose()
