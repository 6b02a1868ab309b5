"""Pods as the user needs to see them, and one resumable watch of every managed pod.

The watch loop follows kopf's ``watching.py`` and the API concepts page ("Efficient detection of
changes"): list, hand out the list as one ``synced`` snapshot, then watch from the list's
``resourceVersion`` with bookmarks on, remembering the newest resourceVersion of every event
(BOOKMARKs included) so a reconnect resumes exactly where the stream stopped. When the server has
compacted that version away it answers 410 Gone (as an HTTP status or as an ``ERROR`` event): the
only correct recovery is a fresh list, and consumers get a fresh snapshot to diff against, so no pod
is lost or seen twice. 429 waits out Retry-After; a dropped connection or a server that is down is
retried with capped, jittered backoff, and every transition is an event the UI can show.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncGenerator
from contextlib import aclosing
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from claworc_tui.k8s.backoff import Backoff
from claworc_tui.k8s.errors import (
    KubeError,
    KubeGone,
    KubeServerError,
    KubeTimeout,
    KubeTooManyRequests,
    KubeUnreachable,
    error_from_status,
)
from claworc_tui.k8s.manifests import CONTAINER, MANAGED_SELECTOR
from claworc_tui.k8s.objects import Json, parse_time
from claworc_tui.k8s.transport import KubeTransport


class PodInfo(BaseModel):
    """One pod, reduced to what the instance list and detail pane show."""

    model_config = ConfigDict(frozen=True)

    name: str
    namespace: str | None = None
    instance: str | None
    """The ``app`` label: the instance the pod belongs to."""
    phase: str
    """Pending, Running, Succeeded, Failed or Unknown."""
    reason: str
    """The one word a user needs, like kubectl's STATUS column: Running, ContainerCreating,
    ImagePullBackOff, ErrImagePull, CrashLoopBackOff, OOMKilled, Error, Completed,
    CreateContainerConfigError, Unschedulable, Terminating ..."""
    message: str | None = None
    """The message that goes with ``reason`` (e.g. the back-off or scheduling message)."""
    ready: bool
    restart_count: int
    last_termination_reason: str | None = None
    last_termination_message: str | None = None
    last_exit_code: int | None = None
    started_at: datetime | None = None
    """When the current container started running."""
    created_at: datetime | None = None
    terminating: bool = False
    """True once the pod has a deletionTimestamp."""
    node: str | None = None
    pod_ip: str | None = None
    image: str | None = None
    resource_version: str | None = None


def _main_status(statuses: list[Json]) -> Json:
    main = next((s for s in statuses if s.get("name") == CONTAINER), None)
    return main or (statuses[0] if statuses else {})


def pod_reason(doc: Json) -> tuple[str, str | None]:
    """The kubectl-style status of a pod and its message.

    Follows kubectl's ``printPod``: the pod phase (or ``status.reason``, e.g. Evicted), replaced by
    a waiting or terminated container's reason, ``Terminating`` once deletion started. We add
    ``Unschedulable`` for a pending pod the scheduler rejected, which kubectl shows as Pending.
    """
    status = doc.get("status") or {}
    reason = str(status.get("reason") or status.get("phase") or "Unknown")
    message = status.get("message")
    if status.get("phase") == "Pending":
        for cond in status.get("conditions") or []:
            if cond.get("type") == "PodScheduled" and cond.get("reason") == "Unschedulable":
                reason, message = "Unschedulable", cond.get("message")
    for init in status.get("initContainerStatuses") or []:
        state = init.get("state") or {}
        term = state.get("terminated")
        if term and term.get("exitCode") == 0:
            continue
        waiting = state.get("waiting")
        if term:
            reason, message = f"Init:{term.get('reason') or 'Error'}", term.get("message")
        elif waiting and waiting.get("reason") and waiting["reason"] != "PodInitializing":
            reason, message = f"Init:{waiting['reason']}", waiting.get("message")
        else:
            reason = "PodInitializing"
        break
    has_running = False
    for cstatus in reversed(status.get("containerStatuses") or []):
        state = cstatus.get("state") or {}
        waiting, term = state.get("waiting"), state.get("terminated")
        if waiting and waiting.get("reason"):
            reason, message = waiting["reason"], waiting.get("message")
        elif term and term.get("reason"):
            reason, message = term["reason"], term.get("message")
        elif term:
            signal = term.get("signal")
            reason = f"Signal:{signal}" if signal else f"ExitCode:{term.get('exitCode')}"
            message = term.get("message")
        elif cstatus.get("ready") and state.get("running") is not None:
            has_running = True
    if reason == "Completed" and has_running:
        reason = "Running"
    if (doc.get("metadata") or {}).get("deletionTimestamp"):
        reason = "Terminating"
    return reason, message


def parse_pod(doc: Json) -> PodInfo:
    """Summarise a pod from its API JSON."""
    meta = doc.get("metadata") or {}
    spec = doc.get("spec") or {}
    status = doc.get("status") or {}
    main = _main_status(status.get("containerStatuses") or [])
    last = (main.get("lastState") or {}).get("terminated") or {}
    running = (main.get("state") or {}).get("running") or {}
    ready_cond = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), None)
    ready = ready_cond.get("status") == "True" if ready_cond else bool(main.get("ready"))
    containers = spec.get("containers") or []
    image = next((c.get("image") for c in containers if c.get("name") == CONTAINER), None)
    reason, message = pod_reason(doc)
    return PodInfo(
        name=str(meta.get("name", "")),
        namespace=meta.get("namespace"),
        instance=(meta.get("labels") or {}).get("app"),
        phase=str(status.get("phase") or "Unknown"),
        reason=reason,
        message=message,
        ready=ready and not meta.get("deletionTimestamp"),
        restart_count=int(main.get("restartCount") or 0),
        last_termination_reason=last.get("reason"),
        last_termination_message=last.get("message"),
        last_exit_code=last.get("exitCode"),
        started_at=parse_time(running.get("startedAt")),
        created_at=parse_time(meta.get("creationTimestamp")),
        terminating=bool(meta.get("deletionTimestamp")),
        node=spec.get("nodeName"),
        pod_ip=status.get("podIP"),
        image=image or (containers[0].get("image") if containers else None),
        resource_version=meta.get("resourceVersion"),
    )


class StreamState(StrEnum):
    """Where a live stream is."""

    LIVE = "live"
    RECONNECTING = "reconnecting"
    UNREACHABLE = "unreachable"
    """Still retrying, but it has failed often enough that the user should know."""
    FAILED = "failed"
    """Gave up (e.g. Forbidden): the error is raised right after this event."""


class PodsSynced(BaseModel):
    """A complete snapshot: replace what you had. Sent first, and again after every re-list."""

    model_config = ConfigDict(frozen=True)

    pods: tuple[PodInfo, ...]
    resource_version: str


class PodChanged(BaseModel):
    """One pod was added, changed or deleted since the last event."""

    model_config = ConfigDict(frozen=True)

    type: Literal["ADDED", "MODIFIED", "DELETED"]
    pod: PodInfo


class StreamStateChanged(BaseModel):
    """The stream went live, is reconnecting, or failed."""

    model_config = ConfigDict(frozen=True)

    state: StreamState
    reason: str | None = None
    attempt: int = 0
    """Failures in a row so far."""
    retry_in: float | None = None
    """Seconds until the next try."""


PodEvent = PodsSynced | PodChanged | StreamStateChanged

_RETRIED = (KubeUnreachable, KubeTimeout, KubeServerError)


class PodWatcher:
    """One shared watch of the managed pods of the client's namespace.

    Args:
        transport: A started client.
        label_selector: Which pods to watch.
        backoff: Reconnect delays (0.2 s doubling to 5 s by default).
        unreachable_after: Failures in a row before the state becomes ``unreachable``.
        watch_timeout: Seconds the server keeps one watch open before we reconnect.
    """

    def __init__(
        self,
        transport: KubeTransport,
        *,
        label_selector: str = MANAGED_SELECTOR,
        backoff: Backoff | None = None,
        unreachable_after: int = 5,
        watch_timeout: int = 290,
    ) -> None:
        self._transport = transport
        self._selector = label_selector
        self._backoff = backoff or Backoff()
        self._unreachable_after = unreachable_after
        self._watch_timeout = watch_timeout
        self.resource_version: str | None = None
        """The newest resourceVersion seen (None before the first list or after a 410)."""
        self.relists = 0
        """How many times the watcher listed (1 + one per 410)."""

    async def events(self) -> AsyncGenerator[PodEvent, None]:
        """Yield a snapshot, then changes, forever; re-list on 410, reconnect on failures.

        Use ``contextlib.aclosing`` (or break out and let the generator be closed) to stop: the
        open response is closed on the way out. Cancellation propagates.

        Raises:
            KubeError: A failure retrying cannot fix (Forbidden, Unauthorized ...), after a
                ``failed`` state event.
        """
        state: StreamState | None = None
        while True:
            try:
                if self.resource_version is None:
                    yield await self._list()
                async with aclosing(self._watch_once()) as stream:
                    async for event in stream:
                        if isinstance(event, StreamStateChanged):
                            if state is event.state:
                                continue
                            state = event.state
                        yield event
            except KubeGone:
                self.resource_version = None  # too old: only a fresh list can recover
            except KubeTooManyRequests as exc:
                delay = exc.retry_after if exc.retry_after is not None else self._next_delay()
                state = StreamState.RECONNECTING
                yield StreamStateChanged(
                    state=state, reason=exc.message, attempt=self._backoff.attempt, retry_in=delay
                )
                await asyncio.sleep(delay)
            except _RETRIED as exc:
                delay = self._next_delay()
                attempt = self._backoff.attempt
                too_many = attempt >= self._unreachable_after
                state = StreamState.UNREACHABLE if too_many else StreamState.RECONNECTING
                yield StreamStateChanged(
                    state=state, reason=exc.message, attempt=attempt, retry_in=delay
                )
                await asyncio.sleep(delay)
            except KubeError as exc:
                yield StreamStateChanged(state=StreamState.FAILED, reason=exc.message)
                raise

    def _next_delay(self) -> float:
        return self._backoff.next_delay()

    async def _list(self) -> PodsSynced:
        doc = await self._transport._call(
            "list",
            "pods",
            "list_namespaced_pod",
            namespace=self._transport.namespace,
            label_selector=self._selector,
        )
        self.relists += 1
        version = str((doc.get("metadata") or {}).get("resourceVersion") or "")
        self.resource_version = version or None
        pods = tuple(parse_pod(item) for item in doc.get("items") or [])
        return PodsSynced(pods=pods, resource_version=version)

    async def _watch_once(self) -> AsyncGenerator[PodChanged | StreamStateChanged, None]:
        """One watch request, from :attr:`resource_version` until the stream ends."""
        transport = self._transport
        request = transport._watch_request(
            "list_namespaced_pod",
            namespace=transport.namespace,
            label_selector=self._selector,
            watch=True,
            resource_version=self.resource_version,
            allow_watch_bookmarks=True,
            timeout_seconds=self._watch_timeout,
        )
        opened = time.monotonic()
        events = 0
        async with transport._stream(
            "watch",
            "pods",
            name=None,
            namespace=transport.namespace,
            request=request,
            read_timeout=self._watch_timeout + 30,
        ) as resp:
            self._backoff.reset()
            yield StreamStateChanged(state=StreamState.LIVE)
            async for raw in resp.content:
                line = raw.strip()
                if not line:
                    continue
                change = self._handle(json.loads(line))
                if change is not None:
                    events += 1
                    yield change
        # A server that closes every watch at once would make us spin; pause a little.
        if events == 0 and time.monotonic() - opened < 1.0:
            await asyncio.sleep(self._backoff.base)

    def _handle(self, event: dict[str, Any]) -> PodChanged | None:
        kind = event.get("type")
        obj = event.get("object") or {}
        if kind == "ERROR":
            # The Status object of an ERROR event; code 410 becomes KubeGone.
            raise error_from_status(
                int(obj.get("code") or 500),
                json.dumps(obj),
                verb="watch",
                resource="pods",
                namespace=self._transport.namespace,
            )
        version = (obj.get("metadata") or {}).get("resourceVersion")
        if version:
            self.resource_version = str(version)
        if kind in ("ADDED", "MODIFIED", "DELETED"):
            return PodChanged(type=kind, pod=parse_pod(obj))
        return None  # BOOKMARK (only its resourceVersion matters) or an unknown type
