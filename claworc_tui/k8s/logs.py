"""Follow a container's log: the one reconnect loop of the log path, resuming exactly.

:class:`LogFollow` yields the lines of each read as it comes (one list per chunk; the consumer
batches). It follows one pod, or an instance (a label selector): then, when the pod goes (a
restart of the instance, a rollout), it moves to the newest live pod and reads it from its start.
Timestamps are always asked for, because they are what lets a reconnect resume: the next request
carries ``sinceTime`` = the newest timestamp delivered, and lines before it are dropped.

Resuming is exact except for these residual ambiguities, which no client can remove:

* ``sinceTime`` is inclusive (kubelet skips lines *before* it) and the API server forwards it to
  the kubelet with second precision, so up to a second of lines comes back. Lines older than the
  last delivered timestamp are dropped; of the lines *at* that timestamp we skip as many as we had
  delivered, trusting that the server repeats them in the same order. A server that treated
  ``sinceTime`` as exclusive would lose the not-yet-delivered lines sharing that timestamp.
* If the container restarted between two connections, lines the old container wrote after our
  last one are only in ``previous=true`` logs; the follow continues with the new container.
* Log rotation on the node between two connections can lose lines; the server cannot replay them.

Lines are cut at :data:`MAX_LINE` bytes (the rest is counted, not kept: ``… N bytes cut``), and
the stream is split in linear time, so one 16 MB line costs what 16 MB of short lines cost.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from contextlib import aclosing
from datetime import UTC, datetime
from typing import Unpack

from claworc_tui.k8s.cluster_ops import ClusterOps
from claworc_tui.k8s.errors import (
    KubeBadRequest,
    KubeError,
    KubeNotFound,
    KubeServerError,
    KubeTimeout,
    KubeTooManyRequests,
    KubeUnreachable,
)
from claworc_tui.k8s.follow import FollowOptionsWithBackoff, LineSplitter, LogFollowBase, parse_key
from claworc_tui.k8s.manifests import CONTAINER
from claworc_tui.models.logs import LogLine, LogStreamState

_LOG_PATH = "/api/v1/namespaces/{namespace}/pods/{name}/log"
_CHUNK = 16 * 1024
_new = tuple.__new__
_RETRIED = (KubeUnreachable, KubeTimeout, KubeServerError, KubeTooManyRequests, KubeBadRequest)


class LogFollow(LogFollowBase):
    """An async iterator of :class:`LogLine` lists for one pod, or for an instance's pods.

    Args:
        cluster: The client part that lists and reads pods (its transport makes the streams).
        pod: Follow this pod only (ends when it is gone).
        selector: Or follow the instance these labels select, moving to its newest live pod
            whenever the followed one goes.
        container: Container name.
        **options: See :class:`~.follow.FollowOptionsWithBackoff`.
    """

    def __init__(
        self,
        cluster: ClusterOps,
        pod: str | None = None,
        *,
        selector: str | None = None,
        container: str = CONTAINER,
        **options: Unpack[FollowOptionsWithBackoff],
    ) -> None:
        if (pod is None) == (selector is None):
            raise ValueError("LogFollow needs one of pod and selector")
        super().__init__(**options)
        self._cluster = cluster
        self.pod = pod
        """The pod being read (None until one is found)."""
        self._selector = selector
        self.container = container
        self.error: KubeError | None = None
        """The error that made the follow fail."""
        self._gone: set[str] = set()
        self._last_stamp = ""  # newest timestamp delivered from self.pod
        self._at_last = 0  # lines delivered with that timestamp

    async def batches(self) -> AsyncGenerator[list[LogLine], None]:
        """Yield lines until the follow ends (``ended``) or a hard error (``failed``).

        Never raises a :class:`KubeError`; cancellation propagates.
        """
        tried = False
        while True:
            delay = 0.0
            try:
                pod = self.pod or await self._pick_pod()
                if pod is None:
                    if not self._follow:
                        self._set_state(LogStreamState.ENDED, "the instance has no pod")
                        return
                    self._set_state(LogStreamState.WAITING, "no pod yet")
                    delay = self._backoff.next_delay()
                else:
                    self.reconnects += tried
                    tried = True
                    async with aclosing(self._read_once(pod)) as stream:
                        async for batch in stream:
                            yield batch
                    if not self._follow:
                        self._set_state(LogStreamState.ENDED)
                        return
                    if await self._pod_alive(pod, running=True):
                        delay = self._backoff.next_delay()
                        self._set_state(LogStreamState.RECONNECTING, f"{pod}: log stream ended")
                    elif not self._moved_on(pod, f"{pod} ended"):
                        return
            except KubeNotFound as exc:  # the pod (or, listing, the namespace) is gone
                if self.pod is None:
                    self._set_state(LogStreamState.ENDED, exc.message)
                    return
                if not self._moved_on(self.pod, exc.message):
                    return
            except _RETRIED as exc:
                if not self._transient(exc):
                    self._finish(exc)
                    return
                if self.pod is not None and not await self._pod_alive(self.pod, running=False):
                    if not self._moved_on(self.pod, f"{self.pod} is gone"):
                        return
                    continue
                delay = getattr(exc, "retry_after", None) or self._backoff.next_delay()
                waiting = isinstance(exc, KubeBadRequest)
                state = LogStreamState.WAITING if waiting else LogStreamState.RECONNECTING
                self._set_state(state, exc.message)
            except KubeError as exc:
                self._finish(exc)
                return
            await asyncio.sleep(delay)

    def _moved_on(self, pod: str, reason: str) -> bool:
        """``pod`` is gone: forget it and look for the next one; False if the follow ends."""
        if self._selector is None or not self._follow:
            self._set_state(LogStreamState.ENDED, reason)
            return False
        self._gone.add(pod)
        self.pod, self._last_stamp, self._at_last = None, "", 0
        self._tail_lines = self._since_seconds = None  # a new pod is read from its start
        self._set_state(LogStreamState.WAITING, f"{reason}; waiting for a new pod")
        return True

    def _transient(self, exc: KubeError) -> bool:
        """Worth retrying: only when following, and a 400 only while the container is not up.

        The kubelet answers 400 "container ... is waiting to start: ContainerCreating" (or
        CrashLoopBackOff, PodInitializing) until the container runs; any other 400 (an unknown
        container, say) will not change by waiting.
        """
        if not self._follow:
            return False
        if isinstance(exc, KubeBadRequest):
            return exc.container_not_ready
        return True

    def _finish(self, exc: KubeError) -> None:
        self.error = exc
        self._set_state(LogStreamState.FAILED, exc.message)

    async def _pick_pod(self) -> str | None:
        """The instance's pod to read: the newest live one (or, reading once, any newest)."""
        pods = [
            p
            for p in await self._cluster.list_pods(self._selector or "")
            if p.name not in self._gone and not (self._follow and p.terminating)
        ]
        pods.sort(
            key=lambda p: (not p.terminating, p.created_at or datetime.min.replace(tzinfo=UTC))
        )
        self.pod = pods[-1].name if pods else None
        return self.pod

    async def _pod_alive(self, pod: str, *, running: bool) -> bool:
        """Whether ``pod`` is there (``running``: and neither finished nor deleting); True when
        the server cannot tell, so the caller retries."""
        try:
            info = await self._cluster.read_pod(pod)
        except KubeError:
            return True
        finished = info is not None and info.phase in ("Succeeded", "Failed")
        return info is not None and (not running or not (info.terminating or finished))

    def _query(self) -> list[tuple[str, str]]:
        # Until a line is delivered the caller's window applies (again); then the resume point.
        window = (
            {"sinceTime": self._last_stamp}
            if self._last_stamp
            else {"tailLines": self._tail_lines, "sinceSeconds": self._since_seconds}
        )
        flags = {"follow": self._follow, "previous": self._previous}
        query = [("container", self.container), ("timestamps", "true")]
        query += [(key, "true") for key, on in flags.items() if on]
        return query + [(key, str(value)) for key, value in window.items() if value is not None]

    async def _read_once(self, pod: str) -> AsyncGenerator[list[LogLine], None]:
        """One request: read until the server ends the stream, yielding each chunk's lines."""
        transport = self._cluster.transport
        request = transport.path_request(
            _LOG_PATH, {"namespace": transport.namespace, "name": pod}, self._query()
        )
        # Lines at or before what we delivered come again after a reconnect; see the module doc.
        resume = parse_key(self._last_stamp) if self._last_stamp else None
        skip = self._at_last
        splitter = LineSplitter()
        delivered = self._seq
        async with transport.stream(
            "get",
            "pods/log",
            name=pod,
            namespace=transport.namespace,
            request=request,
            read_timeout=3600.0,
        ) as resp:
            self._set_state(LogStreamState.LIVE, pod)
            while True:
                # read(n) returns at most n bytes, so one pass of this loop stays small.
                chunk = await resp.content.read(_CHUNK)
                raw = splitter.feed(chunk) if chunk else [splitter.flush()] * splitter.pending
                if raw:
                    lines = self._lines(raw)
                    if resume is not None:
                        lines, resume, skip = _past(lines, resume, skip)
                    if lines:
                        self._note(lines)
                        yield lines
                if not chunk:
                    break
                # Under a flood the stream always has data buffered, and read() then returns
                # without suspending: yield to the loop so keys are answered meanwhile.
                await asyncio.sleep(0)
        if self._seq > delivered:
            self._backoff.reset()

    def _lines(self, raw: list[bytes]) -> list[LogLine]:
        """Decode (once for the whole chunk) and split each line into timestamp and text."""
        text = b"\n".join(raw).decode("utf-8", errors="replace")
        if "\r" in text:
            text = text.replace("\r\n", "\n")
        lines = text.split("\n")
        first = lines[0].partition(" ")[0]
        if not (first[-1:] == "Z" and first[:1].isdigit()):  # the server ignored timestamps
            return [LogLine(line, "", n) for n, line in enumerate(lines, self._seq)]
        # Built with tuple.__new__: a NamedTuple's own __new__ is a Python call per line.
        parts = [line.partition(" ") for line in lines]
        return [
            _new(LogLine, (body, stamp, n)) for n, (stamp, _, body) in enumerate(parts, self._seq)
        ]

    def _note(self, lines: list[LogLine]) -> None:
        """Count the lines handed out and remember the newest timestamp (for a resume)."""
        self._seq = lines[-1].seq + 1
        last = lines[-1].stamp
        if not last:
            return
        same = 0
        for line in reversed(lines):
            if line.stamp != last:
                break
            same += 1
        if same == len(lines) and last == self._last_stamp:
            self._at_last += same
        else:
            self._last_stamp, self._at_last = last, same


def _past(lines: list[LogLine], resume: int, skip: int) -> tuple[list[LogLine], int | None, int]:
    """Drop the lines of a resumed read that were delivered before; number the rest on.

    Returns the new lines, and the resume key and skip count still in force (None once past).
    """
    start = 0
    for line in lines:
        key = parse_key(line.stamp)
        if key is None or key > resume or (key == resume and skip == 0):
            break
        skip -= key == resume
        start += 1
    if start == len(lines):
        return [], resume, skip
    if start == 0:
        return lines, None, 0
    return [line._replace(seq=line.seq - start) for line in lines[start:]], None, 0
