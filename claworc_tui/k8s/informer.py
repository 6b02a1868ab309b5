"""One supervised list-and-watch of one kind in the namespace: client-go's informer, kopf's shape.

List, hand out the list as one :class:`Synced` snapshot, then watch from its ``resourceVersion``
with bookmarks on, remembering the newest resourceVersion of every event (BOOKMARKs included) so
a reconnect resumes exactly where the stream stopped. 410 Gone (an HTTP status, or an ``ERROR``
event inside a 200 stream) means only a fresh list can recover: consumers get a fresh snapshot to
diff against, so no object is lost or seen twice.

This loop is the one place live data reconnects. Whatever a stream raises — bad JSON, a line that
is not an object, a 5xx, a dropped connection, an exception nobody foresaw — is logged, shown as a
state, waited out with capped jittered backoff (429: Retry-After) and retried. Only cancellation
ends it. A 401 reloads the kubeconfig's credentials once and retries at once; credentials still
refused, or a 403, are ``failed``: shown with what to do, and retried slowly.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, Literal, TypeVar

from claworc_tui.k8s.backoff import Backoff
from claworc_tui.k8s.errors import (
    KubeError,
    KubeForbidden,
    KubeGone,
    KubeTooManyRequests,
    KubeUnauthorized,
    error_from_status,
)
from claworc_tui.k8s.objects import Json
from claworc_tui.k8s.transport import KubeTransport

log = logging.getLogger(__name__)
T = TypeVar("T")


class StreamState(StrEnum):
    """Where a live stream is."""

    LIVE = "live"
    RECONNECTING = "reconnecting"
    UNREACHABLE = "unreachable"
    """Still retrying, but it has failed often enough that the user should know."""
    FAILED = "failed"
    """The server refuses us (credentials, RBAC): retried slowly, the user has to act."""


@dataclass(frozen=True)
class Synced(Generic[T]):
    """A complete snapshot: replace what you had. Sent first, and again after every re-list."""

    objects: dict[str, T]
    resource_version: str


@dataclass(frozen=True)
class Changed(Generic[T]):
    """One object was added, changed or deleted since the last event."""

    type: Literal["ADDED", "MODIFIED", "DELETED"]
    name: str
    obj: T


@dataclass(frozen=True)
class StreamStateChanged:
    """The stream went live, is reconnecting, or is refused."""

    state: StreamState
    reason: str | None = None
    attempt: int = 0
    """Failures in a row so far."""
    retry_in: float | None = None
    """Seconds until the next try."""


InformerEvent = Synced[T] | Changed[T] | StreamStateChanged


@dataclass(frozen=True)
class Kind:
    """What to list and watch: the generated list method and its API group."""

    resource: str
    """Plural, for call records and errors (``pods``)."""
    method: str
    """``list_namespaced_pod``."""
    api: str = "core"


PODS = Kind("pods", "list_namespaced_pod")
DEPLOYMENTS = Kind("deployments", "list_namespaced_deployment", "apps")
SERVICES = Kind("services", "list_namespaced_service")
PVCS = Kind("persistentvolumeclaims", "list_namespaced_persistent_volume_claim")
EVENTS = Kind("events", "list_namespaced_event")


def _refused(exc: KubeError) -> str:
    if isinstance(exc, KubeUnauthorized):
        return f"{exc} — the credentials were refused; log in again (or fix the kubeconfig user)"
    return f"{exc} — ask for RBAC access to {exc.verb or 'list'} {exc.resource or 'it'}"


@dataclass
class Informer(Generic[T]):
    """A list-and-watch of one kind in the transport's namespace that never gives up.

    Args:
        transport: A started client.
        kind: What to watch.
        parse: Turns one object's JSON into what consumers keep.
        label_selector: Which objects (None: all of the namespace).
        backoff: Reconnect delays (0.2 s doubling to 1.5 s by default).
        unreachable_after: Failures in a row before the state becomes ``unreachable``.
        watch_timeout: Seconds the server keeps one watch open before we reconnect.
        refused_retry: Seconds between tries while the server refuses us (401 after a reload,
            403).
    """

    transport: KubeTransport
    kind: Kind
    parse: Callable[[Json], T]
    label_selector: str | None = None
    backoff: Backoff = field(default_factory=Backoff)
    unreachable_after: int = 5
    watch_timeout: int = 290
    refused_retry: float = 30.0
    resource_version: str | None = None
    """The newest resourceVersion seen (None before the first list or after a 410)."""
    relists: int = 0
    """How many times the informer listed (1 + one per 410 or refusal)."""

    async def events(self) -> AsyncGenerator[InformerEvent[T], None]:
        """Yield a snapshot, then changes and state changes, until cancelled or closed."""
        state: StreamState | None = None
        reloaded = False
        while True:
            try:
                if self.resource_version is None:
                    yield await self._list()
                async with aclosing(self._watch_once()) as stream:
                    async for event in stream:
                        if isinstance(event, StreamStateChanged):
                            reloaded = False
                            if state is event.state:
                                continue
                            state = event.state
                        yield event
                continue
            except KubeGone:
                self.resource_version = None  # too old: only a fresh list can recover
                continue
            except KubeUnauthorized as exc:
                if not reloaded and await self.transport.refresh_credentials():
                    reloaded = True  # expired credentials: go on with the fresh ones at once
                    continue
                change = StreamStateChanged(
                    state=StreamState.FAILED, reason=_refused(exc), retry_in=self.refused_retry
                )
            except KubeForbidden as exc:
                change = StreamStateChanged(
                    state=StreamState.FAILED, reason=_refused(exc), retry_in=self.refused_retry
                )
            except KubeTooManyRequests as exc:
                delay = exc.retry_after if exc.retry_after is not None else self._delay()
                change = StreamStateChanged(
                    state=StreamState.RECONNECTING,
                    reason=exc.message,
                    attempt=self.backoff.attempt,
                    retry_in=delay,
                )
            except Exception as exc:  # bad JSON, a non-object, 5xx, dropped, a bug: all retried
                if not isinstance(exc, KubeError):
                    log.warning("%s watch failed: %r", self.kind.resource, exc, exc_info=exc)
                delay = self._delay()
                attempt = self.backoff.attempt
                change = StreamStateChanged(
                    state=StreamState.UNREACHABLE
                    if attempt >= self.unreachable_after
                    else StreamState.RECONNECTING,
                    reason=str(exc) if isinstance(exc, KubeError) else f"bad answer: {exc!r}",
                    attempt=attempt,
                    retry_in=delay,
                )
            reloaded = False
            if change.state is StreamState.FAILED:
                self.resource_version = None  # refused for a while: start over with a list
            state = change.state
            yield change
            await asyncio.sleep(change.retry_in or 0.0)

    def _delay(self) -> float:
        return self.backoff.next_delay()

    async def _list(self) -> Synced[T]:
        transport = self.transport
        doc = await transport._call(
            "list",
            self.kind.resource,
            self.kind.method,
            api=self.kind.api,
            namespace=transport.namespace,
            label_selector=self.label_selector,
        )
        self.relists += 1
        version = str((doc.get("metadata") or {}).get("resourceVersion") or "")
        objects = {
            str((item.get("metadata") or {}).get("name", "")): self.parse(item)
            for item in doc.get("items") or []
        }
        self.resource_version = version or None
        return Synced(objects=objects, resource_version=version)

    async def _watch_once(self) -> AsyncGenerator[Changed[T] | StreamStateChanged, None]:
        """One watch request, from :attr:`resource_version` until the stream ends."""
        transport = self.transport
        request = transport._watch_request(
            self.kind.method,
            self.kind.api,
            namespace=transport.namespace,
            label_selector=self.label_selector,
            watch=True,
            resource_version=self.resource_version,
            allow_watch_bookmarks=True,
            timeout_seconds=self.watch_timeout,
        )
        opened = time.monotonic()
        events = 0
        async with transport._stream(
            "watch",
            self.kind.resource,
            name=None,
            namespace=transport.namespace,
            request=request,
            read_timeout=self.watch_timeout + 30,
        ) as resp:
            self.backoff.reset()
            yield StreamStateChanged(state=StreamState.LIVE)
            async for raw in resp.content:
                if line := raw.strip():
                    change = self._handle(json.loads(line))
                    if change is not None:
                        events += 1
                        yield change
        # A server that closes every watch at once would make us spin; pause a little.
        if events == 0 and time.monotonic() - opened < 1.0:
            await asyncio.sleep(self.backoff.base)

    def _handle(self, event: Json) -> Changed[T] | None:
        if not isinstance(event, dict):
            raise ValueError(f"a watch event that is not an object: {str(event)[:80]}")
        kind, obj = event.get("type"), event.get("object") or {}
        if kind == "ERROR":  # the Status of an ERROR event; code 410 becomes KubeGone
            raise error_from_status(
                int(obj.get("code") or 500),
                json.dumps(obj),
                verb="watch",
                resource=self.kind.resource,
                namespace=self.transport.namespace,
            )
        meta = obj.get("metadata") or {}
        if version := meta.get("resourceVersion"):
            self.resource_version = str(version)
        if kind in ("ADDED", "MODIFIED", "DELETED"):
            return Changed(type=kind, name=str(meta.get("name", "")), obj=self.parse(obj))
        return None  # BOOKMARK (only its resourceVersion matters) or an unknown type
