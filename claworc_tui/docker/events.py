"""The engine's events about our containers, as the detail pane's Events (Kubernetes Events' shape).

One ``GET /events`` stream (our label only), opened with ``since`` an hour ago so a new session
sees what just happened, resumed ``since`` the last event after a drop. Each event becomes an
:class:`~claworc_tui.models.cluster.EventInfo` about the instance (its ``app`` label): a kill by the
kernel (``oom``), a non-zero exit and an unhealthy check are warnings. The newest
:data:`KEEP` are kept; older ones are handed out as deleted, so memory does not grow.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator
from contextlib import aclosing, asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from claworc_tui.docker.engine import DockerEngine
from claworc_tui.docker.spec import MANAGED_FILTER
from claworc_tui.k8s.backoff import Backoff
from claworc_tui.models.cluster import EventInfo
from claworc_tui.models.watch import Changed, InformerEvent, StreamState, StreamStateChanged, Synced

KEEP = 500
HISTORY = 3600
"""Seconds of past events asked for on the first connection."""
_SHOWN = {"create", "start", "die", "oom", "kill", "stop", "restart", "destroy", "pause"}


@asynccontextmanager
async def container_events(
    engine: DockerEngine, since: str | None = None
) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
    """``GET /events`` of the containers with our label, from ``since`` (else from now on).

    The stream is open once this enters (what happens from then on is in it); the events are
    read, one JSON object each, from the iterator it gives. Used by :class:`EngineEvents` and
    by :class:`~claworc_tui.docker.watch.ContainerWatch`.

    Raises:
        DockerFault: The engine refused or cannot be reached.
        ValueError: (While reading) a line that is not a JSON object.
    """
    filters = {"type": ["container"], "label": [MANAGED_FILTER]}
    params = {"filters": json.dumps(filters)}
    if since is not None:
        params["since"] = since
    async with (
        engine.stream("events", params=params, what="events") as resp,
        aclosing(_objects(resp.content)) as events,
    ):
        yield events


async def _objects(lines: AsyncIterable[bytes]) -> AsyncGenerator[dict[str, Any], None]:
    async for raw in lines:
        if not (line := raw.strip()):
            continue
        event = json.loads(line)
        if not isinstance(event, dict):
            raise ValueError(f"an event that is not an object: {line[:80]!r}")
        yield event


def resume_point(event: dict[str, Any]) -> str | None:
    """The event's time as ``since`` takes it (``seconds.nanos``); None when it has none."""
    nanos = event.get("timeNano")
    if not isinstance(nanos, int):
        return None
    return f"{nanos // 1_000_000_000}.{nanos % 1_000_000_000:09d}"


def event_info(event: dict[str, Any]) -> EventInfo | None:
    """The event as the Events list shows it (None for the noise: exec, attach, resize …)."""
    action = str(event.get("Action") or event.get("status") or "")
    verb = action.partition(":")[0]
    attributes: dict[str, Any] = (event.get("Actor") or {}).get("Attributes") or {}
    if verb not in _SHOWN and verb != "health_status":
        return None
    warning = False
    message = f"container {attributes.get('name', '?')}: {action}"
    if verb == "die":
        code = str(attributes.get("exitCode", "?"))
        warning = code != "0"
        message = f"container {attributes.get('name', '?')} exited with code {code}"
    elif verb == "oom":
        warning, message = True, "the kernel killed the container: out of memory"
    elif verb == "health_status":
        warning = "unhealthy" in action
    nanos = event.get("timeNano")
    when = datetime.fromtimestamp(nanos / 1e9, UTC) if isinstance(nanos, int) else datetime.now(UTC)
    return EventInfo(
        type="Warning" if warning else "Normal",
        reason="OOMKilled" if verb == "oom" else verb.capitalize().replace("_status", "Status"),
        message=message,
        kind="Container",
        name=attributes.get("app"),
        count=1,
        last_time=when,
    )


class EngineEvents:
    """A live source of :class:`EventInfo` (snapshot, then one change per event)."""

    def __init__(self, engine: DockerEngine, *, backoff: Backoff | None = None) -> None:
        self.engine = engine
        self.backoff = backoff or Backoff()
        self.resource_version: str | None = None
        self.since: str | None = None
        self._keys: deque[tuple[str, EventInfo]] = deque()
        self._seen: set[str] = set()  # the keys in _keys: ``since`` is inclusive, so a resumed
        # stream hands out its last event again; it is dropped, not shown twice

    async def events(self) -> AsyncGenerator[InformerEvent[EventInfo], None]:
        """A snapshot (empty), then events and state changes, until cancelled."""
        yield Synced({}, "")
        while True:
            try:
                async with aclosing(self._stream_once()) as stream:
                    async for event in stream:
                        yield event
                await asyncio.sleep(self.backoff.base)
            except Exception as exc:  # dropped, refused, bad JSON: retried
                delay = self.backoff.next_delay()
                state = StreamState.RECONNECTING
                yield StreamStateChanged(state, str(exc), self.backoff.attempt, delay)
                await asyncio.sleep(delay)

    async def _stream_once(self) -> AsyncGenerator[InformerEvent[EventInfo], None]:
        since = self.since or str(int(time.time()) - HISTORY)
        async with container_events(self.engine, since) as stream:
            self.backoff.reset()
            yield StreamStateChanged(StreamState.LIVE)
            async for event in stream:
                self.since = resume_point(event) or self.since
                info = event_info(event)
                if info is None or info.name is None:
                    continue
                key = f"{event.get('timeNano')}-{event.get('id', '')}-{event.get('Action', '')}"
                if key in self._seen:
                    continue
                self._keys.append((key, info))
                self._seen.add(key)
                yield Changed("ADDED", key, info)
                if len(self._keys) > KEEP:
                    old, old_info = self._keys.popleft()
                    self._seen.discard(old)
                    yield Changed("DELETED", old, old_info)
