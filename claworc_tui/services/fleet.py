"""FleetHub: one shared pod watch, merged with the records, fanned out to every subscriber.

Each subscriber owns a small mailbox instead of a queue: changes for the same instance overwrite
each other, and a snapshot replaces everything pending. A slow consumer (a UI busy painting)
therefore never makes the hub buffer without bound, and it always reads the newest state — the
coalescing toolong does with ``can_replace``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import aclosing, suppress
from datetime import UTC, datetime

from claworc_tui.k8s.pods import PodChanged, PodInfo, PodsSynced, PodWatcher, StreamState
from claworc_tui.models.instance import Instance
from claworc_tui.services.status import merge
from claworc_tui.services.views import (
    Connection,
    ConnectionChanged,
    ConnectionState,
    FleetChanged,
    FleetEvent,
    FleetSnapshot,
    InstanceView,
)

log = logging.getLogger(__name__)

_STATE = {
    StreamState.LIVE: ConnectionState.LIVE,
    StreamState.RECONNECTING: ConnectionState.RECONNECTING,
    StreamState.UNREACHABLE: ConnectionState.UNREACHABLE,
    StreamState.FAILED: ConnectionState.UNREACHABLE,
}


class _Mailbox:
    def __init__(self) -> None:
        self.snapshot = True
        self.changed: dict[str, InstanceView | None] = {}
        self.connection: Connection | None = None
        self.wake = asyncio.Event()
        self.wake.set()


class FleetHub:
    """Keeps the merged view of every instance and tells subscribers what changed.

    Args:
        load_instances: Reads every record (the database is re-read only on :meth:`refresh`).
        make_watcher: Builds the shared pod watcher (called once, when the hub starts).
        load_one: Reads one record by name (None if gone), so refreshing one instance does not
            re-read the whole table.
    """

    def __init__(
        self,
        load_instances: Callable[[], Awaitable[list[Instance]]],
        make_watcher: Callable[[], PodWatcher],
        load_one: Callable[[str], Awaitable[Instance | None]] | None = None,
    ) -> None:
        self._load = load_instances
        self._load_one = load_one
        self._make_watcher = make_watcher
        self._instances: dict[str, Instance] = {}
        self._pods: dict[str, dict[str, PodInfo]] = {}
        self._views: dict[str, InstanceView] = {}
        self._mailboxes: set[_Mailbox] = set()
        self._task: asyncio.Task[None] | None = None
        self._loaded = False
        self._answered = asyncio.Event()
        """Set once the watch has listed the pods, or failed to (``wait_answered``)."""
        self.connection = Connection(state=ConnectionState.CONNECTING, since=datetime.now(UTC))
        """The shared watch's connection state."""

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Load the records and start the shared watch (idempotent)."""
        if not self._loaded:
            await self.refresh()
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="fleet-watch")

    async def wait_answered(self, within: float) -> None:
        """Wait (at most ``within`` seconds) until the watch has listed the pods or failed to:
        a one-shot reader (``claworc-tui ls``, ``logs``) must not take "no pod seen yet" for
        "no pod"."""
        with suppress(TimeoutError):
            async with asyncio.timeout(within):
                await self._answered.wait()

    async def aclose(self) -> None:
        """Stop the watch."""
        if self._task is not None:
            task, self._task = self._task, None
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    # -- reading -----------------------------------------------------------------------------

    def views(self) -> list[InstanceView]:
        """Every instance as it is now, by name."""
        return [self._views[name] for name in sorted(self._views)]

    def view(self, name: str) -> InstanceView | None:
        """One instance as it is now."""
        return self._views.get(name)

    def pods_of(self, name: str) -> list[PodInfo]:
        """The live pods of an instance (newest knowledge from the watch)."""
        return list(self._pods.get(name, {}).values())

    async def events(self) -> AsyncIterator[FleetEvent]:
        """A snapshot, then changes and connection states, until the consumer stops."""
        await self.start()
        box = _Mailbox()
        box.connection = self.connection
        self._mailboxes.add(box)
        try:
            while True:
                await box.wake.wait()
                box.wake.clear()
                if box.snapshot:
                    box.snapshot = False
                    box.changed.clear()
                    yield FleetSnapshot(views=tuple(self.views()))
                elif box.changed:
                    changed, box.changed = box.changed, {}
                    yield FleetChanged(
                        changed=tuple(v for v in changed.values() if v is not None),
                        removed=tuple(n for n, v in changed.items() if v is None),
                    )
                if box.connection is not None:
                    connection, box.connection = box.connection, None
                    yield ConnectionChanged(connection=connection)
        finally:
            self._mailboxes.discard(box)

    # -- updating ----------------------------------------------------------------------------

    async def refresh(self, name: str | None = None) -> None:
        """Re-read one record (or all) from the database and publish what changed."""
        if name is not None and self._load_one is not None and self._loaded:
            one = await self._load_one(name)
            if one is None:
                self._instances.pop(name, None)
            else:
                self._instances[name] = one
            self._remerge(name)
            return
        records = await self._load()
        self._loaded = True
        fresh = {inst.name: inst for inst in records}
        names = set(fresh) | set(self._instances) if name is None else {name}
        for key in names:
            if key in fresh:
                self._instances[key] = fresh[key]
            else:
                self._instances.pop(key, None)
            self._remerge(key)

    def _remerge(self, name: str) -> None:
        instance = self._instances.get(name)
        if instance is None:
            if self._views.pop(name, None) is not None:
                self._publish(name, None)
            return
        view = merge(instance, self._pods.get(name, {}).values())
        if self._views.get(name) != view:
            self._views[name] = view
            self._publish(name, view)

    def _publish(self, name: str, view: InstanceView | None) -> None:
        for box in self._mailboxes:
            box.changed[name] = view
            box.wake.set()

    def _set_connection(self, connection: Connection) -> None:
        self.connection = connection
        if connection.state is not ConnectionState.CONNECTING:
            self._answered.set()
        for box in self._mailboxes:
            box.connection = connection
            box.wake.set()

    def _apply_snapshot(self, event: PodsSynced) -> None:
        self._answered.set()
        before = set(self._pods)
        self._pods = {}
        for pod in event.pods:
            if pod.instance:
                self._pods.setdefault(pod.instance, {})[pod.name] = pod
        for name in before | set(self._pods) | set(self._instances):
            self._remerge(name)

    def _apply_change(self, event: PodChanged) -> None:
        pod = event.pod
        if not pod.instance:
            return
        pods = self._pods.setdefault(pod.instance, {})
        if event.type == "DELETED":
            pods.pop(pod.name, None)
        else:
            pods[pod.name] = pod
        self._remerge(pod.instance)

    async def _run(self) -> None:
        watcher = self._make_watcher()
        try:
            async with aclosing(watcher.events()) as stream:
                async for event in stream:
                    if isinstance(event, PodsSynced):
                        self._apply_snapshot(event)
                        if self.connection.state is not ConnectionState.LIVE:
                            self._set_connection(
                                Connection(state=ConnectionState.LIVE, since=datetime.now(UTC))
                            )
                    elif isinstance(event, PodChanged):
                        self._apply_change(event)
                    else:
                        state = _STATE[event.state]
                        if state is not self.connection.state or event.reason:
                            self._set_connection(
                                Connection(
                                    state=state,
                                    reason=event.reason,
                                    attempt=event.attempt,
                                    since=datetime.now(UTC),
                                )
                            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the watcher gave up (e.g. Forbidden): say why, keep records
            log.warning("pod watch stopped: %s", exc)
            self._set_connection(
                Connection(
                    state=ConnectionState.UNREACHABLE, reason=str(exc), since=datetime.now(UTC)
                )
            )
