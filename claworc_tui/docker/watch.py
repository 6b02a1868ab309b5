"""Live container status from the engine's event stream: the Docker side of the pod informer.

The engine has no resourceVersions; its resume point is time. :class:`ContainerWatch` opens
``GET /events`` (containers with our label only) *before* it lists the containers, so nothing
that happens during the list is missed, hands out the list as one :class:`Synced` snapshot, and
then turns every event into the container's fresh ``inspect`` (events say *that* something
changed; inspect says what is true now: running, restarting and how often, the exit code,
OOMKilled, health). A dropped stream reconnects with capped jittered backoff and, like the pod
informer after a 410, lists again after opening the new stream: the engine keeps only its last
256 events (and none across its own restart), so resuming from ``since`` would lose a change
made while the stream was down and nothing else happened. Opening first, then listing, leaves
no window: what the list does not show yet, the stream delivers.

Containers are handed out as :class:`~claworc_tui.models.pod.PodInfo`, the model the status
merge and the advice read, so both work unchanged on this backend.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncGenerator
from contextlib import aclosing
from datetime import datetime
from typing import Any

from claworc_tui.docker.engine import DockerEngine
from claworc_tui.docker.errors import DockerFault, DockerNotFound
from claworc_tui.docker.events import container_events, resume_point
from claworc_tui.docker.spec import MANAGED_FILTER
from claworc_tui.k8s.backoff import Backoff
from claworc_tui.models.pod import PodInfo
from claworc_tui.models.watch import Changed, InformerEvent, StreamState, StreamStateChanged, Synced

log = logging.getLogger(__name__)


def _time(text: str | None) -> datetime | None:
    if not text or text.startswith("0001-"):
        return None
    head, _, frac = text.rstrip("Z").partition(".")
    try:
        return datetime.fromisoformat(f"{head}.{(frac + '000000')[:6]}+00:00")
    except ValueError:
        return None


def last_exit(state: dict[str, Any]) -> tuple[str | None, int | None]:
    """Why the container's last run ended, and its exit code (None, None: it never ended)."""
    if _time(state.get("FinishedAt")) is None:
        return None, None
    code = int(state.get("ExitCode") or 0)
    if state.get("OOMKilled"):
        return "OOMKilled", code
    return ("Completed" if code == 0 else "Error"), code


def pod_from_inspect(doc: dict[str, Any], died: tuple[int, bool] | None = None) -> PodInfo:
    """A container's ``inspect`` as the :class:`PodInfo` the status merge and advice read.

    A running container's ``State`` no longer says how its previous run ended (the engine
    resets ``ExitCode`` and ``OOMKilled`` at each start): ``died`` is that run's exit code and
    OOM flag as the event stream told them, or None when unknown (then none is shown).

    running → ``Running`` (ready unless its health check says otherwise); restarting (the
    engine's back-off between two runs) → ``CrashLoopBackOff``; exited → ``OOMKilled``,
    ``Completed`` or ``Error`` with the code; created (never started) → ``Created``.
    """
    state: dict[str, Any] = doc.get("State") or {}
    config: dict[str, Any] = doc.get("Config") or {}
    labels: dict[str, str] = config.get("Labels") or {}
    status = str(state.get("Status") or "unknown")
    health = (state.get("Health") or {}).get("Status")
    restarts = int(doc.get("RestartCount") or 0)
    ended, code = last_exit(state)
    oom = bool(state.get("OOMKilled"))
    if status == "running":
        ended = code = None
        if restarts and died is not None:
            # The run before this one crashed (a stop is not a restart: the engine counts
            # only its own restarts, and a new pod shows no termination either).
            code, oom = died
            ended = "OOMKilled" if oom else ("Completed" if code == 0 else "Error")
    message: str | None = None
    if status == "running":
        phase, reason = "Running", "Running"
        if health and health != "healthy":
            message = f"health: {health}"
    elif status == "restarting":
        phase, reason = "Running", "CrashLoopBackOff"
        message = f"restarting (restart {restarts}, last exit code {code})"
    elif status in ("exited", "dead"):
        phase = "Succeeded" if code == 0 and not state.get("OOMKilled") else "Failed"
        reason = ended or "Error"
        message = f"exited with code {code}" if code is not None else None
    elif status == "created":
        phase, reason = "Pending", "Created"  # made, never started (a stopped record's)
    elif status == "removing":
        phase, reason = "Running", "Terminating"
    else:
        phase, reason = "Unknown", status.capitalize()
    if state.get("Error"):
        message = str(state["Error"])
    return PodInfo(
        name=str(doc.get("Name") or "").lstrip("/"),
        instance=labels.get("app"),
        phase=phase,
        reason=reason,
        message=message,
        ready=status == "running" and health in (None, "healthy"),
        restart_count=restarts,
        last_termination_reason=ended,
        last_termination_message=(
            f"exit code {code}" + (" (OOMKilled)" if oom else "") if ended else None
        ),
        last_exit_code=code,
        started_at=_time(state.get("StartedAt")),
        created_at=_time(doc.get("Created")),
        terminating=status == "removing",
        node="docker",
        image=config.get("Image"),
    )


class ContainerWatch:
    """The containers with our label, as a snapshot then changes; never gives up.

    Yields the informer's events (:class:`Synced`, :class:`Changed`,
    :class:`StreamStateChanged`) so consumers of the pod informer can consume it as is.
    """

    def __init__(
        self,
        engine: DockerEngine,
        *,
        backoff: Backoff | None = None,
        unreachable_after: int = 5,
    ) -> None:
        self.engine = engine
        self.backoff = backoff or Backoff()
        self.unreachable_after = unreachable_after
        self.since: str | None = None
        """The time of the newest event seen (``seconds.nanos``); a reconnect lists instead."""
        self.resource_version: str | None = None
        """None until listed (the fleet hub resets it after a consumer bug: then re-list)."""
        self._names: dict[str, str] = {}  # container id → container name (for ``destroy``)
        self._died: dict[str, tuple[int, bool]] = {}  # id → how its last run ended (events)
        self._oom: set[str] = set()  # ids the kernel OOM-killed, until their ``die`` event
        self._last: dict[str, PodInfo] = {}
        self.reconnects = 0

    async def events(self) -> AsyncGenerator[InformerEvent[PodInfo], None]:
        """A snapshot, then changes and state changes, until cancelled or closed."""
        state: StreamState | None = None
        while True:
            try:
                async with aclosing(self._stream_once()) as stream:
                    async for event in stream:
                        if isinstance(event, StreamStateChanged):
                            if state is event.state:
                                continue
                            state = event.state
                        yield event
            except Exception as exc:  # refused, dropped, bad JSON: all retried
                if not isinstance(exc, DockerFault):
                    log.warning("docker event stream failed: %r", exc, exc_info=exc)
                delay = self.backoff.next_delay()
                attempt = self.backoff.attempt
                too_many = attempt >= self.unreachable_after
                state = StreamState.UNREACHABLE if too_many else StreamState.RECONNECTING
                yield StreamStateChanged(state, str(exc), attempt, delay)
                await asyncio.sleep(delay)
            else:  # the engine closed the stream (it does on shutdown): resume at once
                await asyncio.sleep(self.backoff.base)
            self.reconnects += 1

    async def _stream_once(self) -> AsyncGenerator[InformerEvent[PodInfo], None]:
        async with container_events(self.engine) as stream:
            yield await self._list()  # every (re)connect: see the module docstring
            self.backoff.reset()
            yield StreamStateChanged(StreamState.LIVE)
            async for event in stream:
                if change := await self._handle(event):
                    yield change

    async def _list(self) -> Synced[PodInfo]:
        params = {"all": "1", "filters": json.dumps({"label": [MANAGED_FILTER]})}
        found = await self.engine.call("containers/json", params=params) or []
        pods: dict[str, PodInfo] = {}
        listed = {str(summary["Id"]) for summary in found}
        for gone in set(self._last) - listed:  # removed while the stream was down
            self._last.pop(gone, None)
            self._names.pop(gone, None)
            self._died.pop(gone, None)
        for summary in found:
            doc = await self._inspect(str(summary["Id"]))
            if doc is not None:
                pod = pod_from_inspect(doc)
                pods[pod.name] = self._last[str(summary["Id"])] = pod
                self._names[str(summary["Id"])] = pod.name
        self.resource_version = "listed"
        return Synced(pods, "")

    async def _inspect(self, cid: str) -> dict[str, Any] | None:
        try:
            doc: dict[str, Any] = await self.engine.call(f"containers/{cid}/json")
        except DockerNotFound:
            return None
        return doc

    async def _handle(self, event: dict[str, Any]) -> Changed[PodInfo] | None:
        self.since = resume_point(event) or self.since
        cid = str((event.get("Actor") or {}).get("ID") or event.get("id") or "")
        action = str(event.get("Action") or event.get("status") or "")
        if not cid or action.startswith(("exec_", "attach", "resize", "top", "archive")):
            return None
        attributes = (event.get("Actor") or {}).get("Attributes") or {}
        if action == "oom":
            self._oom.add(cid)
        elif action == "die":
            code = str(attributes.get("exitCode", "0"))
            self._died[cid] = (int(code) if code.lstrip("-").isdigit() else -1, cid in self._oom)
            self._oom.discard(cid)
        doc = None if action == "destroy" else await self._inspect(cid)
        if doc is None:  # destroyed (or gone before we could look)
            old = self._last.pop(cid, None)
            self._names.pop(cid, None)
            self._died.pop(cid, None)
            return Changed("DELETED", old.name, old) if old else None
        pod = pod_from_inspect(doc, self._died.get(cid))
        added = cid not in self._last
        if self._last.get(cid) == pod:
            return None
        self._last[cid], self._names[cid] = pod, pod.name
        return Changed("ADDED" if added else "MODIFIED", pod.name, pod)
