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
from typing import Generic, TypeVar

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
from claworc_tui.models.watch import (
    Changed,
    InformerEvent,
    StreamState,
    StreamStateChanged,
    Synced,
)

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Kind:
    """What to list and watch: the plural (for records and errors), the list method, its API."""

    resource: str
    method: str
    api: str = "core"


PODS = Kind("pods", "list_namespaced_pod")
DEPLOYMENTS = Kind("deployments", "list_namespaced_deployment", "apps")
SERVICES = Kind("services", "list_namespaced_service")
PVCS = Kind("persistentvolumeclaims", "list_namespaced_persistent_volume_claim")
EVENTS = Kind("events", "list_namespaced_event")
_WATCH = {"watch": True, "allow_watch_bookmarks": True}


def _refused(exc: KubeError) -> str:
    if isinstance(exc, KubeUnauthorized):
        return f"{exc} — the credentials were refused; log in again (or fix the kubeconfig user)"
    return f"{exc} — ask for RBAC access to {exc.verb or 'list'} {exc.resource or 'it'}"


@dataclass
class Informer(Generic[T]):
    """A list-and-watch of one kind in the transport's namespace that never gives up.

    ``parse`` turns an object's JSON into what consumers keep; ``label_selector`` None means
    every object of the namespace. ``unreachable_after`` failures in a row turn ``reconnecting``
    into ``unreachable``; a refused informer tries again every ``refused_retry`` seconds.
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
            except (KubeUnauthorized, KubeForbidden) as exc:
                if isinstance(exc, KubeUnauthorized) and not reloaded:
                    reloaded = True  # expired credentials? go on with fresh ones at once
                    if await self.transport.refresh_credentials():
                        continue
                self.resource_version = None  # refused for a while: start over with a list
                change = StreamStateChanged(
                    StreamState.FAILED, _refused(exc), 0, self.refused_retry
                )
            except KubeTooManyRequests as exc:
                delay = exc.retry_after
                delay = self.backoff.next_delay() if delay is None else delay
                change = StreamStateChanged(
                    StreamState.RECONNECTING, exc.message, self.backoff.attempt, delay
                )
            except Exception as exc:  # bad JSON, a non-object, 5xx, dropped, a bug: all retried
                if not isinstance(exc, KubeError):
                    log.warning("%s watch failed: %r", self.kind.resource, exc, exc_info=exc)
                delay = self.backoff.next_delay()
                attempt = self.backoff.attempt
                too_many = attempt >= self.unreachable_after
                change = StreamStateChanged(
                    StreamState.UNREACHABLE if too_many else StreamState.RECONNECTING,
                    str(exc) if isinstance(exc, KubeError) else f"bad answer: {exc!r}",
                    attempt,
                    delay,
                )
            reloaded, state = False, change.state
            yield change
            await asyncio.sleep(change.retry_in or 0.0)

    async def _list(self) -> Synced[T]:
        kind = self.kind
        ns, selector = self.transport.namespace, self.label_selector
        doc = await self.transport.call(
            "list", kind.resource, kind.method, api=kind.api, namespace=ns, label_selector=selector
        )
        self.relists += 1
        version = str((doc.get("metadata") or {}).get("resourceVersion") or "")
        self.resource_version = version or None
        objects = {str(i["metadata"]["name"]): self.parse(i) for i in doc.get("items") or []}
        return Synced(objects, version)

    async def _watch_once(self) -> AsyncGenerator[Changed[T] | StreamStateChanged, None]:
        """One watch request, from :attr:`resource_version` until the stream ends."""
        kind, timeout, opened, events = self.kind, self.watch_timeout, time.monotonic(), 0
        ns, selector = self.transport.namespace, self.label_selector
        extra = {"resource_version": self.resource_version, "timeout_seconds": timeout, **_WATCH}
        request = self.transport.watch_request(
            kind.method, kind.api, namespace=ns, label_selector=selector, **extra
        )
        where = {"name": None, "namespace": ns}
        async with self.transport.stream(
            "watch", kind.resource, request=request, read_timeout=timeout + 30, **where
        ) as resp:
            self.backoff.reset()
            yield StreamStateChanged(StreamState.LIVE)
            async for raw in resp.content:
                if (line := raw.strip()) and (change := self._handle(json.loads(line))):
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
            code, ns = int(obj.get("code") or 500), self.transport.namespace
            raise error_from_status(
                code, json.dumps(obj), verb="watch", resource=self.kind.resource, namespace=ns
            )
        meta = obj.get("metadata") or {}
        if version := meta.get("resourceVersion"):
            self.resource_version = str(version)
        if kind in ("ADDED", "MODIFIED", "DELETED"):
            return Changed(kind, str(meta.get("name", "")), self.parse(obj))
        return None  # BOOKMARK (only its resourceVersion matters) or an unknown type
