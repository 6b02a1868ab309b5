"""The :class:`~claworc_tui.services.runtime.Runtime` of one Docker engine.

Start, stop and restart are the container's; the fleet hub's live sources are the containers'
status (:class:`~claworc_tui.docker.watch.ContainerWatch`) and the engine's events
(:class:`~claworc_tui.docker.events.EngineEvents`); the Kubernetes-only kinds (Deployments,
Services, PVCs) have nothing to list. Logs follow the container across restarts.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from typing import Any, Unpack

from claworc_tui.docker.engine import DockerEngine
from claworc_tui.docker.errors import DockerNotFound
from claworc_tui.docker.events import EngineEvents
from claworc_tui.docker.instances import DockerInstances
from claworc_tui.docker.logs import DockerLogFollow
from claworc_tui.docker.watch import ContainerWatch
from claworc_tui.k8s.informer import EVENTS, PODS, Kind
from claworc_tui.k8s.objects import Json
from claworc_tui.models.logs import FollowOptions
from claworc_tui.models.watch import InformerEvent, StreamState, StreamStateChanged
from claworc_tui.models.watch import Synced as SyncedEvent
from claworc_tui.services.runtime import LiveSource, LogSource, RuntimeKind


class _Nothing:
    """A live source with nothing in it: the Kubernetes-only kinds (Services, PVCs, Events)."""

    resource_version: str | None = None

    async def events(self) -> AsyncGenerator[InformerEvent[Any], None]:
        yield SyncedEvent({}, "")
        yield StreamStateChanged(StreamState.LIVE)
        await asyncio.Event().wait()  # until cancelled


class DockerRuntime:
    """The :class:`~claworc_tui.services.runtime.Runtime` of one Docker engine."""

    kind = RuntimeKind.DOCKER

    def __init__(self, ops: DockerInstances) -> None:
        self.ops = ops
        self.engine: DockerEngine = ops.engine

    def informer(
        self, kind: Kind, parse: Callable[[Json], Any], *, label_selector: str | None
    ) -> LiveSource:
        """The containers' status and the engine's events; nothing for the rest."""
        if kind is PODS:
            return ContainerWatch(self.engine)
        return EngineEvents(self.engine) if kind is EVENTS else _Nothing()

    def is_missing(self, exc: BaseException) -> bool:
        """A 404 from the engine (no such container, volume or network)."""
        return isinstance(exc, DockerNotFound)

    async def start(self, name: str) -> None:
        """Start the container."""
        await self.ops.start(name)

    async def stop(self, name: str) -> None:
        """Stop the container (it and its volumes stay)."""
        await self.ops.stop(name)

    async def restart(self, name: str) -> None:
        """Restart the container."""
        await self.ops.restart(name)

    def follow_logs(self, name: str, **options: Unpack[FollowOptions]) -> LogSource:
        """Follow the container's log (across restarts and recreations)."""
        return DockerLogFollow(self.engine, name, **options)
