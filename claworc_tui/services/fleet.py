"""FleetHub: the namespace's informers and the records' change feed, merged, fanned out.

One informer per kind of live data (pods; the app's Deployments, Services and PVCs; the
namespace's Events) keeps the cache the status merge, the detail pane and advice read from; the
records come from the repository's change feed, which also carries the writes of other processes.
The informers reconnect by themselves and never end; the hub only restarts one whose consumer
broke (a bug), so nothing here dies silently.

Each subscriber owns a small mailbox instead of a queue: changes for the same instance overwrite
each other, and a snapshot replaces everything pending. A slow consumer (a UI busy painting)
therefore never makes the hub buffer without bound, and it always reads the newest state — the
coalescing toolong does with ``can_replace``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing, suppress
from datetime import UTC, datetime
from typing import Any

from claworc_tui.db.instances import InstanceRepository
from claworc_tui.k8s.informer import DEPLOYMENTS, EVENTS, PODS, PVCS, SERVICES, Kind
from claworc_tui.k8s.lifecycle import instance_objects
from claworc_tui.k8s.manifests import MANAGED_SELECTOR
from claworc_tui.k8s.objects import Json, event_info
from claworc_tui.k8s.pods import parse_pod
from claworc_tui.models.cluster import EventInfo, InstanceObjects
from claworc_tui.models.instance import Instance
from claworc_tui.models.names import object_names
from claworc_tui.models.pod import PodInfo
from claworc_tui.models.watch import Changed, StreamState, StreamStateChanged, Synced
from claworc_tui.services.runtime import LiveSource, Runtime
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

#: What the hub watches besides pods, by kind: what to list, its selector, and what is kept of
#: each object (the app's objects whole, as :func:`instance_objects` reads them).
_OBJECT_KINDS: dict[str, tuple[Kind, str | None, Callable[[Json], Any]]] = {
    "Deployment": (DEPLOYMENTS, MANAGED_SELECTOR, lambda doc: doc),
    "Service": (SERVICES, MANAGED_SELECTOR, lambda doc: doc),
    "PersistentVolumeClaim": (PVCS, MANAGED_SELECTOR, lambda doc: doc),
    "Event": (EVENTS, None, event_info),
}
_DOC_KINDS = ("Deployment", "Service", "PersistentVolumeClaim")

#: What object names add to the instance name (``-vnc``, ``-keys`` ...).
_SUFFIXES = tuple(sorted({n[1:] for n in object_names("x").values() if n != "x"}, key=len)[::-1])


class _Mailbox:
    def __init__(self) -> None:
        self.snapshot = True
        self.changed: dict[str, InstanceView | None] = {}
        self.touched: set[str] = set()
        self.connection: Connection | None = None
        self.wake = asyncio.Event()
        self.wake.set()


class FleetHub:
    """Keeps the merged view of every instance and tells subscribers what changed.

    Args:
        records: The instance records (read on start and on every published change).
        kube: What runs the instances; the informers are made from it when the hub starts.
    """

    def __init__(self, records: InstanceRepository, kube: Runtime) -> None:
        self._records = records
        self._kube = kube
        self._instances: dict[str, Instance] = {}
        self._pods: dict[str, dict[str, PodInfo]] = {}
        self._objects: dict[str, dict[str, Any]] = {kind: {} for kind in _OBJECT_KINDS}
        self._views: dict[str, InstanceView] = {}
        self._mailboxes: set[_Mailbox] = set()
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._unsubscribe: Callable[[], None] | None = None
        self._loaded = False
        self._subscribed = False
        self._pods_synced = asyncio.Event()
        self._listed: set[str] = set()
        self._current: set[str] = set()
        self._distrust_until = 0.0
        """Object kinds whose cache is listed and whose watch is live (see :meth:`cached_docs`)."""
        self.connection = Connection(state=ConnectionState.CONNECTING, since=datetime.now(UTC))
        """The pod watch's connection state (the one every status depends on)."""

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Load the records, follow their changes and start every informer (idempotent).

        A follower that ended (it cannot, short of a bug) is started again.
        """
        if self._unsubscribe is None:
            self._unsubscribe = self._records.changes.subscribe(self._records_changed)
        if not self._loaded:
            await self.refresh()
        self._start_informers()

    def _start_informers(self) -> None:
        """Start every informer that is not running. The ones besides pods only for a subscriber
        (the UI; ``ls`` needs only the status), after the first pod list, so the status (what
        the first screen waits for) is not queued behind them."""
        kinds = _OBJECT_KINDS if self._pods_synced.is_set() and self._subscribed else {}
        for name, watched in {"Pod": (PODS, MANAGED_SELECTOR, parse_pod), **kinds}.items():
            task = self._tasks.get(name)
            if task is None or task.done():
                self._tasks[name] = asyncio.create_task(
                    self._follow(name, *watched), name=f"informer-{watched[0].resource}"
                )

    async def aclose(self) -> None:
        """Stop the informers and the change feed."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        tasks, self._tasks = list(self._tasks.values()), {}
        for task in tasks:
            task.cancel()
        for task in tasks:
            with suppress(asyncio.CancelledError):
                await task

    async def wait_synced(self) -> None:
        """Wait until the pods were listed once (bound it with ``asyncio.timeout``)."""
        await self.start()
        await self._pods_synced.wait()

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

    def objects_of(
        self, name: str, secret_keys: frozenset[str] | None, config_hash: str | None
    ) -> InstanceObjects:
        """The instance's Deployment, Service and PVCs from the cache (with what it lacks)."""
        objects = instance_objects(name, self._objects)
        return objects.model_copy(update={"secret_keys": secret_keys, "config_hash": config_hash})

    def cached_docs(self) -> dict[str, dict[str, Json]] | None:
        """The app's Deployments, Services and PVCs (kind → name → object) from the watch cache,
        or None unless all three were listed and their watches are live now (a reconnecting
        watch may have missed changes: the caller then lists them itself)."""
        if not self._current.issuperset(_DOC_KINDS) or time.monotonic() < self._distrust_until:
            return None
        return {kind: dict(self._objects[kind]) for kind in _DOC_KINDS}

    def distrust_cache(self, seconds: float) -> None:
        """Make :meth:`cached_docs` return None for ``seconds``: after a burst of our own writes
        (a repair) the watch may not have delivered them yet, and a check right after must not
        report what was just repaired."""
        self._distrust_until = time.monotonic() + seconds

    def events_of(self, name: str, limit: int = 30) -> list[EventInfo]:
        """Events about the instance's objects and pods, newest first."""
        names = {*object_names(name).values(), *self._pods.get(name, {})}
        events: list[EventInfo] = [e for e in self._objects["Event"].values() if e.name in names]
        events.sort(key=lambda e: e.last_time.timestamp() if e.last_time else 0.0, reverse=True)
        return events[:limit]

    async def events(self) -> AsyncIterator[FleetEvent]:
        """A snapshot, then changes and connection states, until the consumer stops."""
        self._subscribed = True
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
                    box.touched.clear()
                    yield FleetSnapshot(views=tuple(self.views()))
                elif box.changed or box.touched:
                    changed, box.changed = box.changed, {}
                    touched, box.touched = box.touched, set()
                    yield FleetChanged(
                        changed=tuple(v for v in changed.values() if v is not None),
                        removed=tuple(n for n, v in changed.items() if v is None),
                        touched=tuple(sorted(touched)),
                    )
                if box.connection is not None:
                    connection, box.connection = box.connection, None
                    yield ConnectionChanged(connection=connection)
        finally:
            self._mailboxes.discard(box)

    # -- records -----------------------------------------------------------------------------

    async def refresh(self, name: str | None = None) -> None:
        """Re-read one record (or all) from the database and publish what changed."""
        if name is not None and self._loaded:
            one = await self._records.find(name)
            if one is None:
                self._instances.pop(name, None)
            else:
                self._instances[name] = one
            self._remerge(name)
            self._touch(name)
            return
        fresh = {inst.name: inst for inst in await self._records.list()}
        self._loaded = True
        changed = {
            n for n in set(fresh) | set(self._instances) if fresh.get(n) != self._instances.get(n)
        }
        self._instances = fresh
        for key in changed:
            self._remerge(key)
            self._touch(key)

    async def _records_changed(self, names: frozenset[str] | None) -> None:
        if names is None:
            await self.refresh()
        else:
            for name in sorted(names):
                await self.refresh(name)

    # -- publishing --------------------------------------------------------------------------

    def _remerge(self, name: str) -> None:
        instance = self._instances.get(name)
        if instance is None:
            if self._views.pop(name, None) is not None:
                self._publish(name, None)
            return
        live = self.connection.state is ConnectionState.LIVE
        view = merge(
            instance,
            self._pods.get(name, {}).values(),
            known=self._pods_synced.is_set(),
            stale_since=None if live else self.connection.since,
        )
        if self._views.get(name) != view:
            self._views[name] = view
            self._publish(name, view)

    def _publish(self, name: str, view: InstanceView | None) -> None:
        for box in self._mailboxes:
            box.changed[name] = view
            box.wake.set()

    def _touch(self, name: str | None) -> None:
        """Tell subscribers that an instance's objects or events changed (not its row)."""
        if name is None:
            return
        for box in self._mailboxes:
            box.touched.add(name)
            box.wake.set()

    def _set_state(self, event: StreamStateChanged) -> None:
        state = ConnectionState(event.state.value)
        if state is self.connection.state and not event.reason:
            return
        was_live = self.connection.state is ConnectionState.LIVE
        since = (
            self.connection.since if not was_live and state is not ConnectionState.LIVE else None
        )
        self.connection = Connection(
            state=state,
            reason=event.reason,
            attempt=event.attempt,
            since=since or datetime.now(UTC),
        )
        for box in self._mailboxes:
            box.connection = self.connection
            box.wake.set()
        if was_live != (state is ConnectionState.LIVE):
            for name in list(self._instances):
                self._remerge(name)  # rows say (or stop saying) that they are last-known

    # -- informers ---------------------------------------------------------------------------

    async def _follow(
        self, name: str, kind: Kind, selector: str | None, parse: Callable[[Json], Any]
    ) -> None:
        """Apply the events of the informer of kind ``name`` for as long as the hub runs."""
        informer: LiveSource = self._kube.informer(kind, parse, label_selector=selector)
        while True:
            try:
                async with aclosing(informer.events()) as stream:
                    async for event in stream:
                        if kind is PODS:
                            self._apply_pods(event)
                        else:
                            self._apply_objects(name, event)
            except Exception:  # a bug in applying an event: log it, start the informer again
                log.exception("following %s failed; starting again", kind.resource)
                informer.resource_version = None
                await asyncio.sleep(1.0)

    def _apply_pods(self, event: Synced[PodInfo] | Changed[PodInfo] | StreamStateChanged) -> None:
        if isinstance(event, StreamStateChanged):
            if event.state is not StreamState.LIVE or self._pods_synced.is_set():
                self._set_state(event)
            return
        if isinstance(event, Synced):
            before = set(self._pods)
            self._pods = {}
            for pod in event.objects.values():
                if pod.instance:
                    self._pods.setdefault(pod.instance, {})[pod.name] = pod
            first = not self._pods_synced.is_set()
            self._pods_synced.set()
            if first and self._tasks:  # not after aclose()
                self._start_informers()
            if first or self.connection.state is not ConnectionState.LIVE:
                self._set_state(StreamStateChanged(state=StreamState.LIVE))
            for name in before | set(self._pods) | set(self._instances):
                self._remerge(name)
            return
        pod = event.obj
        if not pod.instance:
            return
        pods = self._pods.setdefault(pod.instance, {})
        if event.type == "DELETED":
            pods.pop(pod.name, None)
        else:
            pods[pod.name] = pod
        self._remerge(pod.instance)

    def _apply_objects(
        self, kind: str, event: Synced[Any] | Changed[Any] | StreamStateChanged
    ) -> None:
        if isinstance(event, StreamStateChanged):
            if event.state is StreamState.FAILED:
                log.warning("watching %s: %s", kind, event.reason)
            if event.state is not StreamState.LIVE:
                self._current.discard(kind)
            elif kind in self._listed:  # resumed from its resourceVersion: nothing lost
                self._current.add(kind)
            return
        cache = self._objects[kind]
        if isinstance(event, Synced):
            self._listed.add(kind)
            self._current.add(kind)
            touched = {self._owner(kind, obj) for obj in (*cache.values(), *event.objects.values())}
            self._objects[kind] = dict(event.objects)
            for name in touched:
                self._touch(name)
            return
        if event.type == "DELETED":
            cache.pop(event.name, None)
        else:
            cache[event.name] = event.obj
        self._touch(self._owner(kind, event.obj))

    def _owner(self, kind: str, obj: Any) -> str | None:
        """The instance an object (or the object an event is about) belongs to."""
        if kind != "Event":
            return ((obj.get("metadata") or {}).get("labels") or {}).get("app")
        about = obj.name or ""
        if about in self._instances:
            return about
        for suffix in _SUFFIXES:
            if about.endswith(suffix) and about[: -len(suffix)] in self._instances:
                return about[: -len(suffix)]
        for instance, pods in self._pods.items():  # pods: <deployment>-<hash>-<hash>
            if about in pods:
                return instance
        replica_set = about.rpartition("-")[0]  # ReplicaSets: <deployment>-<hash>
        return replica_set if replica_set in self._instances else None
