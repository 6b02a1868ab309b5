"""Following an instance's logs: find its pod, follow it, and keep memory bounded.

The reader (the Kubernetes stream) and the consumer (a UI pane, the CLI) run at their own pace.
Between them sits a ring of at most ``buffer_lines`` lines: when the consumer falls behind, the
oldest lines are dropped and counted, and the next batch says how many — the reader never waits
on the UI and memory never grows with the log rate. The consumer receives at most one batch per
``flush_interval``, never one message per line.

When the instance has no running pod yet, the stream says ``waiting`` and watches the fleet hub
until a pod appears; when a pod is replaced (restart), the follow moves to the new pod.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Callable

from claworc_tui.k8s.client import KubeClient
from claworc_tui.k8s.logs import LogLine
from claworc_tui.k8s.logs import LogStreamState as KubeLogState
from claworc_tui.k8s.pods import PodInfo
from claworc_tui.services.status import current_pod
from claworc_tui.services.views import (
    LogBatch,
    LogEvent,
    LogLineView,
    LogOptions,
    LogStatus,
    LogStreamState,
)

_FINAL = {KubeLogState.ENDED: LogStreamState.ENDED, KubeLogState.FAILED: LogStreamState.FAILED}
_STATES = {
    KubeLogState.CONNECTING: LogStreamState.WAITING,
    KubeLogState.LIVE: LogStreamState.LIVE,
    KubeLogState.RECONNECTING: LogStreamState.RECONNECTING,
    **_FINAL,
}


class _Ring:
    """Lines and state changes waiting for the consumer, in arrival order.

    Only lines count against the capacity; when it is exceeded the oldest entries go (a state
    change older than the oldest kept line is stale anyway) and dropped lines are counted.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.items: deque[LogLineView | LogStatus] = deque()
        self.line_count = 0
        self.dropped = 0
        self.last_status: LogStatus | None = None
        self.done = False
        self.wake = asyncio.Event()

    def push(self, batch: list[LogLine]) -> None:
        for line in batch:
            self.items.append(LogLineView(text=line.text, timestamp=line.timestamp))
        self.line_count += len(batch)
        while self.line_count > self.capacity:
            if isinstance(self.items.popleft(), LogLineView):
                self.line_count -= 1
                self.dropped += 1
        self.wake.set()

    def status(self, state: LogStreamState, detail: str | None = None) -> None:
        status = LogStatus(state=state, detail=detail)
        if status == self.last_status:
            return
        self.last_status = status
        self.items.append(status)
        self.wake.set()

    def drain(self) -> list[LogEvent]:
        """Everything pending, lines grouped into batches, in order."""
        out: list[LogEvent] = []
        lines: list[LogLineView] = []
        dropped, self.dropped = self.dropped, 0
        for item in self.items:
            if isinstance(item, LogLineView):
                lines.append(item)
                continue
            if lines or dropped:
                out.append(LogBatch(lines=tuple(lines), dropped=dropped))
                lines, dropped = [], 0
            out.append(item)
        if lines or dropped:
            out.append(LogBatch(lines=tuple(lines), dropped=dropped))
        self.items.clear()
        self.line_count = 0
        return out


async def follow_instance_logs(
    kube: KubeClient,
    pods_of: Callable[[], list[PodInfo]],
    pod_changed: Callable[[], asyncio.Event],
    options: LogOptions,
    *,
    buffer_lines: int = 10_000,
    flush_interval: float = 0.05,
) -> AsyncIterator[LogEvent]:
    """Yield :class:`LogBatch` and :class:`LogStatus` events for an instance until it ends.

    Args:
        kube: A started Kubernetes client.
        pods_of: The instance's current pods (from the shared watch).
        pod_changed: An event set whenever the instance's pods change.
        options: Tail, since, previous, timestamps, follow.
        buffer_lines: Lines kept for a slow consumer before the oldest are dropped.
        flush_interval: Minimum time between two batches.
    """
    ring = _Ring(buffer_lines)
    reader = asyncio.create_task(_read(kube, pods_of, pod_changed, options, ring))
    try:
        while True:
            await ring.wake.wait()
            ring.wake.clear()
            for event in ring.drain():
                yield event
            if ring.done and not ring.items:
                return
            await asyncio.sleep(flush_interval)
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader


async def _read(
    kube: KubeClient,
    pods_of: Callable[[], list[PodInfo]],
    pod_changed: Callable[[], asyncio.Event],
    options: LogOptions,
    ring: _Ring,
) -> None:
    followed: str | None = None
    first = True
    try:
        while True:
            pod = current_pod(p for p in pods_of() if not p.terminating) or (
                current_pod(pods_of()) if options.previous or not options.follow else None
            )
            if (
                pod is None
                or (pod.name == followed)
                or (options.follow and not options.previous and not _has_started(pod))
            ):
                ring.status(
                    LogStreamState.WAITING,
                    "no pod yet" if pod is None else f"{pod.name}: {pod.reason}",
                )
                if not options.follow and pod is None:
                    ring.status(LogStreamState.ENDED, "the instance has no pod")
                    return
                event = pod_changed()
                event.clear()
                await event.wait()
                continue
            followed = pod.name

            def on_state(state: KubeLogState, reason: str | None, name: str = pod.name) -> None:
                if state not in _FINAL:
                    ring.status(_STATES[state], f"{name}: {reason}" if reason else name)

            stream = kube.follow_logs(
                pod.name,
                tail_lines=options.tail_lines if first else None,
                since_seconds=options.since_seconds if first else None,
                timestamps=options.timestamps,
                previous=options.previous,
                follow=options.follow,
                on_state=on_state,
            )
            first = False
            async with contextlib.aclosing(stream.batches()) as batches:
                async for batch in batches:
                    ring.push(batch)
            if stream.state is KubeLogState.FAILED:
                ring.status(LogStreamState.FAILED, stream.reason)
                return
            if not options.follow or options.previous:
                ring.status(LogStreamState.ENDED, stream.reason or "end of log")
                return
            # The pod ended (deleted or replaced): say so, then wait for its successor.
            ring.status(LogStreamState.ENDED, f"{pod.name} ended; waiting for a new pod")
    finally:
        ring.done = True
        ring.wake.set()


def _has_started(pod: PodInfo) -> bool:
    """A container has started (logs exist) once the pod runs or has restarted at least once."""
    return (
        pod.started_at is not None
        or pod.restart_count > 0
        or pod.phase
        in (
            "Running",
            "Succeeded",
            "Failed",
        )
    )
