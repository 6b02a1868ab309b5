"""Following an instance's logs: the one bounded buffer and the one batching window.

The reader (:class:`~claworc_tui.k8s.logs.LogFollow`, which reconnects, resumes exactly and moves
to a new pod after a restart) and the consumer (a UI pane, the CLI) run at their own pace.
Between them sits a ring of at most ``buffer_lines`` lines: when the consumer falls behind, the
oldest lines are dropped and counted, and the next batch says how many — the reader never waits
on the consumer and memory never grows with the log rate. The consumer receives at most one batch
per ``flush_interval``, never one message per line, and every state change in order.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass

from claworc_tui.k8s.client import KubeClient
from claworc_tui.models.logs import LogBatch, LogEvent, LogLine, LogStatus, LogStreamState
from claworc_tui.services.fleet import FleetHub
from claworc_tui.services.runtime import LogSource, Runtime
from claworc_tui.services.status import current_pod
from claworc_tui.services.store import Store
from claworc_tui.services.views import LogOptions


class _Ring:
    """Lines waiting for the consumer, and the state changes between them.

    A state change is kept with the count of lines pushed before it, so dropping old lines
    never drops or reorders a state change.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.lines: deque[LogLine] = deque(maxlen=capacity)
        self.statuses: list[tuple[int, LogStatus]] = []
        self.pushed = 0
        self.dropped = 0
        self.wake = asyncio.Event()

    def push(self, lines: list[LogLine]) -> None:
        self.dropped += max(0, len(self.lines) + len(lines) - self.capacity)
        self.lines.extend(lines)  # the deque's maxlen drops the oldest
        self.pushed += len(lines)
        self.wake.set()

    def status(self, state: LogStreamState, detail: str | None = None) -> None:
        self.statuses.append((self.pushed, LogStatus(state, detail)))
        self.wake.set()

    def drain(self) -> list[LogEvent]:
        """Everything pending, in order: batches of lines between the state changes."""
        lines = tuple(self.lines)
        self.lines.clear()
        first = self.pushed - len(lines)
        dropped, self.dropped = self.dropped, 0
        out: list[LogEvent] = []
        start = 0
        for at, status in self.statuses:
            cut = min(max(at - first, 0), len(lines))
            if cut > start or dropped:
                out.append(LogBatch(lines[start:cut], dropped))
                start, dropped = cut, 0
            out.append(status)
        self.statuses.clear()
        if start < len(lines) or dropped:
            out.append(LogBatch(lines[start:] if start else lines, dropped))
        return out


async def follow_instance_logs(
    runtime: Runtime,
    name: str,
    options: LogOptions,
    *,
    buffer_lines: int = 10_000,
    flush_interval: float = 0.05,
) -> AsyncIterator[LogEvent]:
    """Yield :class:`LogBatch` and :class:`LogStatus` events for an instance until it ends.

    Args:
        runtime: What runs the instance (Kubernetes or Docker).
        name: The instance.
        options: Tail, since, previous, follow.
        buffer_lines: Lines kept for a slow consumer before the oldest are dropped.
        flush_interval: Minimum time between two batches.

    Raises:
        Exception: Whatever broke the reader (a bug: the follow itself never raises).
    """
    ring = _Ring(buffer_lines)
    follow = runtime.follow_logs(
        name,
        tail_lines=options.tail_lines,
        since_seconds=options.since_seconds,
        previous=options.previous,
        follow=options.follow,
        on_state=ring.status,
    )
    reader = asyncio.create_task(_read(follow, ring))
    clock = asyncio.get_running_loop().time
    try:
        while True:
            await ring.wake.wait()
            ring.wake.clear()
            drained = clock()
            for event in ring.drain():
                yield event
            if reader.done() and not ring.lines and not ring.statuses:
                reader.result()  # a bug in the reader is raised here, not lost
                return
            # The window runs from this drain, not from when the consumer was done with it.
            await asyncio.sleep(max(0.0, drained + flush_interval - clock()))
    finally:
        if not reader.done():
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader


async def _read(follow: LogSource, ring: _Ring) -> None:
    try:
        async for lines in follow:
            ring.push(lines)
    finally:
        ring.wake.set()


@dataclass(eq=False)
class LogService:
    """An instance's log: followed live, or the previous container's last lines."""

    store: Store
    runtime: Runtime
    """What runs the instances (the live follow goes through it)."""
    hub: FleetHub
    kube: KubeClient | None
    """None on Docker (the previous run is then the runtime's)."""
    buffer_lines: int
    """Lines a follow keeps for a slow consumer."""

    async def follow(self, name: str, options: LogOptions) -> AsyncIterator[LogEvent]:
        """Follow the instance's logs, across restarts and rollouts."""
        await self.store.instances.get(name)  # NotFound for an unknown name
        async for event in follow_instance_logs(
            self.runtime, name, options, buffer_lines=self.buffer_lines
        ):
            yield event

    async def previous_tail(self, name: str, lines: int = 50) -> list[str]:
        """The last lines of the previous container of the instance (after a crash): on
        Kubernetes, of its current pod's; on Docker, of the container's previous run."""
        await self.store.instances.get(name)
        if self.kube is None:
            follow = self.runtime.follow_logs(name, tail_lines=lines, previous=True, follow=False)
        else:
            pod = current_pod(self.hub.pods_of(name))
            if pod is None:
                return []
            follow = self.kube.follow_logs(pod.name, tail_lines=lines, previous=True, follow=False)
        out: list[str] = []
        async for batch in follow.batches():
            out.extend(line.text for line in batch)
        if not out and follow.reason and self.kube is not None:
            return [f"({follow.reason})"]
        return out[-lines:]
