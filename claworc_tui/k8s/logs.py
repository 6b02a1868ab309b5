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
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from datetime import UTC, datetime

from claworc_tui.k8s.backoff import Backoff
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
from claworc_tui.k8s.manifests import CONTAINER
from claworc_tui.models.logs import LogLine, LogStreamState

_LOG_PATH = "/api/v1/namespaces/{namespace}/pods/{name}/log"
_NOT_UP_YET = ("waiting to start", "ContainerCreating", "PodInitializing")
_CHUNK = 16 * 1024
MAX_LINE = 64 * 1024
"""Bytes of one line kept (timestamp included); the rest is dropped and counted."""
_new = tuple.__new__
_RETRIED = (KubeUnreachable, KubeTimeout, KubeServerError, KubeTooManyRequests, KubeBadRequest)


def parse_key(stamp: str) -> int | None:
    """Nanoseconds since the epoch of an RFC 3339 (nano) UTC timestamp, or None.

    An integer keeps the nanoseconds a ``datetime`` cannot, so lines compare exactly.
    """
    if not stamp.endswith("Z"):
        return None
    head, _, frac = stamp[:-1].partition(".")
    try:
        base = datetime.fromisoformat(head).replace(tzinfo=UTC)
        nanos = int((frac + "000000000")[:9]) if frac else 0
    except ValueError:
        return None
    return int(base.timestamp()) * 1_000_000_000 + nanos


def _cut(line: bytes, cut: int) -> bytes:
    """``line`` with the visible mark of the ``cut`` bytes that were dropped from it (if any)."""
    return line + f" … {cut} bytes cut".encode() if cut else line


class LineSplitter:
    """Cuts a byte stream into lines in linear time, keeping at most ``limit`` bytes of each.

    Only the unfinished line is carried from one chunk to the next, as a list of pieces joined
    once when its newline comes (never ``buffer + chunk`` per chunk, which is quadratic).
    """

    def __init__(self, limit: int = MAX_LINE) -> None:
        self.limit = limit
        self._parts: list[bytes] = []
        self._kept = 0
        self._cut = 0

    def feed(self, chunk: bytes) -> list[bytes]:
        """The lines ``chunk`` completes (without their newlines)."""
        end = chunk.find(b"\n")
        if end < 0:
            self._carry(chunk)
            return []
        self._carry(chunk[:end])
        head = self.flush()
        lines = chunk[end + 1 :].split(b"\n")
        self._carry(lines.pop())
        if len(chunk) > self.limit:  # a long line inside one big chunk
            lines = [self._cap(line) for line in lines]
        lines.insert(0, head)
        return lines

    def flush(self) -> bytes:
        """The unfinished line, as it stands (empty if none); the splitter starts over."""
        line = _cut(b"".join(self._parts), self._cut)
        self._parts, self._kept, self._cut = [], 0, 0
        return line

    @property
    def pending(self) -> bool:
        """Whether an unfinished line is held."""
        return bool(self._parts or self._cut)

    def _carry(self, piece: bytes) -> None:
        room = self.limit - self._kept
        if len(piece) > room:
            self._cut += len(piece) - room
            piece = piece[:room]
        if piece:
            self._parts.append(piece)
            self._kept += len(piece)

    def _cap(self, line: bytes) -> bytes:
        return line if len(line) <= self.limit else _cut(line[: self.limit], len(line) - self.limit)


class LogFollow:
    """An async iterator of :class:`LogLine` lists for one pod, or for an instance's pods.

    Args:
        transport: A started client.
        pod: Follow this pod only (ends when it is gone).
        selector: Or follow the instance these labels select, moving to its newest live pod
            whenever the followed one goes.
        container: Container name.
        tail_lines: Start with only the last N lines.
        since_seconds: Start with lines of the last N seconds.
        previous: Read the previous (terminated) container's log; never follows.
        follow: Keep reading as lines arrive (reconnecting as needed).
        backoff: Delays between reconnects.
        on_state: Called with each state change and its reason.
    """

    def __init__(
        self,
        transport: ClusterOps,
        pod: str | None = None,
        *,
        selector: str | None = None,
        container: str = CONTAINER,
        tail_lines: int | None = None,
        since_seconds: int | None = None,
        previous: bool = False,
        follow: bool = True,
        backoff: Backoff | None = None,
        on_state: Callable[[LogStreamState, str | None], None] | None = None,
    ) -> None:
        if (pod is None) == (selector is None):
            raise ValueError("LogFollow needs one of pod and selector")
        self._transport = transport
        self.pod = pod
        """The pod being read (None until one is found)."""
        self._selector = selector
        self.container = container
        self._tail_lines = tail_lines
        self._since_seconds = since_seconds
        self._previous = previous
        self._follow = follow and not previous
        self._backoff = backoff or Backoff()
        self._on_state = on_state
        self.state = LogStreamState.WAITING
        """The current state; read it after iteration to tell ``ended`` from ``failed``."""
        self.reason: str | None = None
        """Why the state is what it is (the server's message on failures)."""
        self.error: KubeError | None = None
        """The error that made the follow fail."""
        self.reconnects = 0
        """Requests made after the first one."""
        self._seq = 0
        self._gone: set[str] = set()
        self._last_stamp = ""  # newest timestamp delivered from self.pod
        self._at_last = 0  # lines delivered with that timestamp

    def __aiter__(self) -> AsyncGenerator[list[LogLine], None]:
        return self.batches()

    def _set_state(self, state: LogStreamState, reason: str | None = None) -> None:
        if state is self.state and reason == self.reason:
            return
        self.state, self.reason = state, reason
        if self._on_state is not None:
            self._on_state(state, reason)

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
            return any(hint in exc.message for hint in _NOT_UP_YET)
        return True

    def _finish(self, exc: KubeError) -> None:
        self.error = exc
        self._set_state(LogStreamState.FAILED, exc.message)

    async def _pick_pod(self) -> str | None:
        """The instance's pod to read: the newest live one (or, reading once, any newest)."""
        pods = [
            p
            for p in await self._transport.list_pods(self._selector or "")
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
            info = await self._transport.read_pod(pod)
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
        transport = self._transport
        request = transport._raw_get_request(
            _LOG_PATH, {"namespace": transport.namespace, "name": pod}, self._query()
        )
        # Lines at or before what we delivered come again after a reconnect; see the module doc.
        resume = parse_key(self._last_stamp) if self._last_stamp else None
        skip = self._at_last
        splitter = LineSplitter()
        delivered = self._seq
        async with transport._stream(
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
