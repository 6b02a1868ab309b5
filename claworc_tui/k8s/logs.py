"""Follow a container's log as batches of lines, reconnecting without duplicates.

The log endpoint is read incrementally (``_preload_content=False``) and lines are handed out in
batches: at most every ``batch_interval`` seconds or ``batch_lines`` lines, so a chatty bot costs
one UI message per batch, not per line. We always ask the server for timestamps, whatever the
caller wants to show, because they are what lets a reconnect resume: the next request carries
``sinceTime`` = the newest timestamp delivered, and lines at or before it are dropped.

Resuming is exact except for these residual ambiguities, which no client can remove:

* ``sinceTime`` is inclusive (kubelet skips lines *before* it) and the API server forwards it to
  the kubelet with second precision, so up to a second of lines comes back. Lines older than the
  last delivered timestamp are dropped; of the lines *at* that timestamp we skip as many as we had
  delivered, trusting that the server repeats them in the same order. Two identical lines with the
  identical nanosecond are therefore handled right, but a server that treated ``sinceTime`` as
  exclusive would lose the not-yet-delivered lines sharing that timestamp.
* If the container restarted between two connections, lines the old container wrote after our
  last one are only in ``previous=true`` logs; the follow continues with the new container.
* Log rotation on the node between two connections can lose lines; the server cannot replay them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from claworc_tui.k8s.backoff import Backoff
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
from claworc_tui.k8s.objects import Json
from claworc_tui.k8s.transport import KubeTransport

_LOG_PATH = "/api/v1/namespaces/{namespace}/pods/{name}/log"
_NOT_UP_YET = ("waiting to start", "ContainerCreating", "PodInitializing")
_CHUNK = 16 * 1024
_RETRIED = (KubeUnreachable, KubeTimeout, KubeServerError, KubeTooManyRequests, KubeBadRequest)


class LogLine(BaseModel):
    """One line of a container's log."""

    model_config = ConfigDict(frozen=True)

    text: str
    """The line without its timestamp and newline."""
    timestamp: datetime | None
    """When the runtime recorded it (None when timestamps were not asked for or unparsable)."""
    seq: int
    """Position in this follow, from 0, without gaps or repeats across reconnects."""


class LogStreamState(StrEnum):
    """Where a log follow is; ``ended`` and ``failed`` are final."""

    CONNECTING = "connecting"
    LIVE = "live"
    RECONNECTING = "reconnecting"
    ENDED = "ended"
    """The pod is gone or finished, or a non-follow read is complete."""
    FAILED = "failed"
    """An error retrying cannot fix; see :attr:`LogFollow.error`."""


def parse_timestamp(text: str) -> tuple[int, datetime] | None:
    """Parse an RFC 3339 (nano) timestamp into (nanoseconds since the epoch, datetime).

    The integer keeps the nanoseconds a ``datetime`` cannot, so lines compare exactly.
    """
    if not text.endswith("Z") and "+" not in text[10:]:
        return None
    head, _, frac = text.rstrip("Z").partition(".")
    try:
        base = datetime.fromisoformat(head).replace(tzinfo=UTC)
        nanos = int((frac + "000000000")[:9]) if frac else 0
    except ValueError:
        return None
    key = int(base.timestamp()) * 1_000_000_000 + nanos
    return key, base.replace(microsecond=nanos // 1000)


def format_since(key: int) -> str:
    """The ``sinceTime`` for a line key: RFC 3339 with nanoseconds, UTC."""
    seconds, nanos = divmod(key, 1_000_000_000)
    stamp = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{nanos:09d}Z"


class LogFollow:
    """An async iterator of :class:`LogLine` batches for one container.

    Args:
        transport: A started client.
        pod: Pod name (in the client's namespace).
        container: Container name.
        tail_lines: Start with only the last N lines.
        since_seconds: Start with lines of the last N seconds.
        timestamps: Keep each line's timestamp on :class:`LogLine` (they are requested anyway).
        previous: Read the previous (terminated) container's log; never follows.
        follow: Keep reading as lines arrive (reconnecting as needed).
        batch_lines: Hand out a batch once it has this many lines.
        batch_interval: Hand out a batch at most this long after its first line arrived.
        backoff: Delays between reconnects.
        on_state: Called with each state change and its reason.
    """

    def __init__(
        self,
        transport: KubeTransport,
        pod: str,
        *,
        container: str = CONTAINER,
        tail_lines: int | None = None,
        since_seconds: int | None = None,
        timestamps: bool = True,
        previous: bool = False,
        follow: bool = True,
        batch_lines: int = 500,
        batch_interval: float = 0.05,
        backoff: Backoff | None = None,
        on_state: Callable[[LogStreamState, str | None], None] | None = None,
    ) -> None:
        self._transport = transport
        self.pod = pod
        self.container = container
        self._tail_lines = tail_lines
        self._since_seconds = since_seconds
        self._timestamps = timestamps
        self._previous = previous
        self._follow = follow and not previous
        self._batch_lines = batch_lines
        self._batch_interval = batch_interval
        self._backoff = backoff or Backoff()
        self._on_state = on_state
        self.state = LogStreamState.CONNECTING
        """The current state; read it after iteration to tell ``ended`` from ``failed``."""
        self.reason: str | None = None
        """Why the state is what it is (the server's message on failures)."""
        self.error: KubeError | None = None
        """The error that made the follow fail."""
        self.reconnects = 0
        """Requests made after the first one."""
        self._seq = 0
        self._last_key: int | None = None
        self._at_last = 0  # lines delivered whose key == _last_key
        self._resume_key: int | None = None
        self._resume_skip = 0

    def __aiter__(self) -> AsyncGenerator[list[LogLine], None]:
        return self.batches()

    def _set_state(self, state: LogStreamState, reason: str | None = None) -> None:
        if state is self.state and reason == self.reason:
            return
        self.state, self.reason = state, reason
        if self._on_state is not None:
            self._on_state(state, reason)

    async def batches(self) -> AsyncGenerator[list[LogLine], None]:
        """Yield batches until the pod is gone (``ended``) or a hard error (``failed``).

        Never raises a :class:`KubeError`; cancellation propagates.
        """
        while True:
            try:
                async with aclosing(self._read_once()) as stream:
                    async for batch in stream:
                        yield batch
                if not self._follow or not await self._pod_still_running():
                    self._set_state(LogStreamState.ENDED)
                    return
                delay = self._backoff.next_delay()
                self._set_state(LogStreamState.RECONNECTING, "log stream ended; pod still running")
            except KubeNotFound as exc:
                self._set_state(LogStreamState.ENDED, exc.message)
                return
            except _RETRIED as exc:
                if not self._transient(exc) or not await self._pod_exists():
                    self._finish(exc)
                    return
                delay = getattr(exc, "retry_after", None) or self._backoff.next_delay()
                self._set_state(LogStreamState.RECONNECTING, exc.message)
            except KubeError as exc:
                self._finish(exc)
                return
            self.reconnects += 1
            await asyncio.sleep(delay)

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

    async def _pod_exists(self) -> bool:
        try:
            await self._read_pod()
        except KubeNotFound:
            return False
        except KubeError:
            return True  # cannot tell: keep retrying
        return True

    async def _pod_still_running(self) -> bool:
        """After a clean end of stream: follow on unless the pod is gone, finished or deleting."""
        try:
            doc = await self._read_pod()
        except KubeNotFound:
            return False
        except KubeError:
            return True
        meta = doc.get("metadata") or {}
        phase = (doc.get("status") or {}).get("phase")
        return not meta.get("deletionTimestamp") and phase not in ("Succeeded", "Failed")

    async def _read_pod(self) -> Json:
        transport = self._transport
        return await transport._call(
            "get", "pods", "read_namespaced_pod", name=self.pod, namespace=transport.namespace
        )

    def _query(self) -> list[tuple[str, str]]:
        query = [("container", self.container), ("timestamps", "true")]
        if self._follow:
            query.append(("follow", "true"))
        if self._previous:
            query.append(("previous", "true"))
        if self._last_key is not None:
            query.append(("sinceTime", format_since(self._last_key)))
        else:  # nothing delivered yet: the caller's window applies (again)
            if self._tail_lines is not None:
                query.append(("tailLines", str(self._tail_lines)))
            if self._since_seconds is not None:
                query.append(("sinceSeconds", str(self._since_seconds)))
        return query

    async def _read_once(self) -> AsyncGenerator[list[LogLine], None]:
        """One request: read until the server ends the stream, yielding batches."""
        transport = self._transport
        request = transport._raw_get_request(
            _LOG_PATH, {"namespace": transport.namespace, "name": self.pod}, self._query()
        )
        # Lines at or before what we delivered come again after a reconnect; see the module doc.
        self._resume_key, self._resume_skip = self._last_key, self._at_last
        pending: list[LogLine] = []
        deadline = 0.0
        buffer = b""
        delivered = self._seq
        async with transport._stream(
            "get",
            "pods/log",
            name=self.pod,
            namespace=transport.namespace,
            request=request,
            read_timeout=3600.0,
        ) as resp:
            self._set_state(LogStreamState.LIVE)
            while True:
                window = asyncio.timeout(max(0.0, deadline - time.monotonic()) if pending else None)
                try:
                    # read(n) is safe to time out: it consumes nothing until data is there. It
                    # returns at most _CHUNK bytes, so one pass of this loop stays small.
                    async with window:
                        chunk = await resp.content.read(_CHUNK)
                except TimeoutError:
                    if not window.expired():
                        raise  # aiohttp's own read timeout: a dead connection
                    yield pending  # the batch window closed
                    pending = []
                    continue
                if not chunk:  # end of stream: a trailing line without newline is complete
                    if buffer:
                        pending.extend(self._accept([buffer]))
                    break
                *lines, buffer = (buffer + chunk).split(b"\n")
                fresh = self._accept(lines)
                if fresh and not pending:
                    deadline = time.monotonic() + self._batch_interval
                pending.extend(fresh)
                if len(pending) >= self._batch_lines:
                    yield pending
                    pending = []
                # Under a flood the stream always has data buffered, and read() then returns
                # without suspending: yield to the loop so keys are answered meanwhile.
                await asyncio.sleep(0)
        if pending:
            yield pending
        if self._seq > delivered:
            self._backoff.reset()

    def _accept(self, raw_lines: list[bytes]) -> list[LogLine]:
        """Turn raw lines into LogLines, dropping those delivered before a reconnect."""
        out: list[LogLine] = []
        for raw in raw_lines:
            text = raw.decode("utf-8", errors="replace").rstrip("\r")
            stamp, _, rest = text.partition(" ")
            parsed = parse_timestamp(stamp)
            if parsed is None:
                key, when, body = None, None, text
            else:
                (key, when), body = parsed, rest
            if self._resume_key is not None and key is not None:
                if key < self._resume_key:
                    continue
                if key == self._resume_key and self._resume_skip > 0:
                    self._resume_skip -= 1
                    continue
                self._resume_key = None  # past the old position: everything is new now
            if key is not None:
                if key == self._last_key:
                    self._at_last += 1
                else:
                    self._last_key, self._at_last = key, 1
            out.append(
                LogLine(text=body, timestamp=when if self._timestamps else None, seq=self._seq)
            )
            self._seq += 1
        return out
