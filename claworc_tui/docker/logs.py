"""Follow a container's log from the engine: demultiplexed, resumed exactly, one line model.

The engine sends a non-TTY container's log as frames: an 8-byte header (stream 1 = stdout,
2 = stderr; 4-byte big-endian length) and the payload. :func:`demux` cuts them apart, and each
stream gets its own :class:`~claworc_tui.k8s.follow.LineSplitter` (the same cap per line as the
Kubernetes path, ``… N bytes cut``), so a line is never glued to a line of the other stream.

Timestamps are always asked for: a reconnect (the engine ends a follow when the container
stops; the restart policy starts it again) asks ``since`` the newest timestamp delivered, and
drops what it had already delivered, as the Kubernetes follow does with ``sinceTime``. A
container recreated under the same name (raising its memory limit) is followed on.

``previous`` reads the run before the current one: the engine keeps one log across restarts,
so it is the log ``until`` the current run started.
"""

from __future__ import annotations

import asyncio
import struct
import time
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any, Unpack

from claworc_tui.docker.engine import DockerEngine
from claworc_tui.docker.errors import DockerFault, DockerNotFound, EngineUnavailable
from claworc_tui.docker.spec import container_name
from claworc_tui.k8s.follow import FollowOptionsWithBackoff, LineSplitter, LogFollowBase, parse_key
from claworc_tui.models.logs import LogLine, LogStreamState

_HEADER = struct.Struct(">BxxxL")


class Demux:
    """Cuts the engine's multiplexed log stream into (stream, line) pairs, in linear time."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._splitters = {1: LineSplitter(), 2: LineSplitter()}

    def feed(self, chunk: bytes) -> list[bytes]:
        """The complete lines (either stream, in arrival order) that ``chunk`` finishes."""
        self._buffer += chunk
        out: list[bytes] = []
        at = 0
        while len(self._buffer) - at >= _HEADER.size:
            kind, size = _HEADER.unpack_from(self._buffer, at)
            if len(self._buffer) - at - _HEADER.size < size:
                break
            start = at + _HEADER.size
            payload = bytes(self._buffer[start : start + size])
            at = start + size
            out.extend(self._splitters.get(kind, self._splitters[1]).feed(payload))
        del self._buffer[:at]
        return out

    def flush(self) -> list[bytes]:
        """Unfinished lines at the end of the stream."""
        return [s.flush() for s in self._splitters.values() if s.pending]


class DockerLogFollow(LogFollowBase):
    """An async iterator of :class:`LogLine` lists for one instance's container.

    Args:
        engine: A started engine connection.
        instance: The instance (its container is ``claworc-{instance}``).
        **options: See :class:`~claworc_tui.k8s.follow.FollowOptionsWithBackoff`; ``previous``
            reads the run before the current one, ``follow`` goes on across restarts and
            recreations.
    """

    def __init__(
        self, engine: DockerEngine, instance: str, **options: Unpack[FollowOptionsWithBackoff]
    ) -> None:
        super().__init__(**options)
        self.engine = engine
        self.container = container_name(instance)
        self._last_key: int | None = None  # the newest timestamp delivered (ns)
        self._at_last = 0  # lines delivered with exactly that timestamp
        self._skip = 0  # of those, how many this read has yet to see again
        self._resume: int | None = None  # during a read's replay: the newest key delivered
        self._opened: int | None = None  # when the first read was asked (engine on this host)

    async def batches(self) -> AsyncGenerator[list[LogLine], None]:
        """Yield lines until the follow ends (``ended``) or fails; cancellation propagates."""
        tried = False
        while True:
            try:
                doc = await self.engine.call(f"containers/{self.container}/json")
            except DockerNotFound:
                if not self._follow:
                    self._set_state(LogStreamState.ENDED, f"no container {self.container}")
                    return
                self._set_state(LogStreamState.WAITING, f"no container {self.container} yet")
                await asyncio.sleep(self._backoff.next_delay())
                continue
            except EngineUnavailable as exc:
                if not await self._retry_after(exc):
                    return
                continue
            state: dict[str, Any] = doc.get("State") or {}
            self.reconnects += tried
            tried = True
            try:
                async with aclosing(self._read_once(doc)) as stream:
                    async for lines in stream:
                        yield lines
            except DockerNotFound:
                continue  # removed while we read: look again (a recreation, or gone)
            except DockerFault as exc:
                if not await self._retry_after(exc):
                    return
                continue
            if not self._follow:
                self._set_state(LogStreamState.ENDED)
                return
            if not state.get("Running"):
                # It had stopped: wait for the restart policy (or the user) to start it again.
                self._set_state(LogStreamState.WAITING, f"{self.container} is not running")
                await asyncio.sleep(self._backoff.next_delay())
            else:
                self._set_state(LogStreamState.RECONNECTING, f"{self.container}: stream ended")
                await asyncio.sleep(self._backoff.base)

    async def _retry_after(self, exc: DockerFault) -> bool:
        """Following: show ``reconnecting`` and wait a backoff, True (try again); a single
        read fails instead: False."""
        if not self._follow:
            self._set_state(LogStreamState.FAILED, exc.message)
            return False
        self._set_state(LogStreamState.RECONNECTING, exc.message)
        await asyncio.sleep(self._backoff.next_delay())
        return True

    def _params(self, doc: dict[str, Any]) -> dict[str, Any]:
        state: dict[str, Any] = doc.get("State") or {}
        params: dict[str, Any] = {"stdout": "1", "stderr": "1", "timestamps": "1"}
        if self._follow and state.get("Running"):
            params["follow"] = "1"
        if self._last_key is None and self._opened is not None:
            # Nothing came yet: the tail was asked once; from now on only what is new.
            seconds, nanos = divmod(self._opened, 1_000_000_000)
            params["since"] = f"{seconds}.{nanos:09d}"
        elif self._last_key is not None:
            seconds, nanos = divmod(self._last_key, 1_000_000_000)
            params["since"] = f"{seconds}.{nanos:09d}"
        else:
            self._opened = time.time_ns()
            if self._tail_lines is not None:
                params["tail"] = str(self._tail_lines)
            if self._since_seconds is not None:
                params["since"] = str(int(time.time()) - self._since_seconds)
        if self._previous:
            params["until"] = self._previous_until(doc)
        return params

    @staticmethod
    def _previous_until(doc: dict[str, Any]) -> str:
        """Where the previous run's log ends: the current run's start, if one is running;
        else (restarting, exited) the end of the run that just ended. The engine records
        ``StartedAt`` a few milliseconds after the process starts, so the first lines of the
        current run can come along; the read is tailed, so the crash's last lines lead."""
        state: dict[str, Any] = doc.get("State") or {}
        if not int(doc.get("RestartCount") or 0) and state.get("Running"):
            return "1"  # no run before this one: nothing
        field = "StartedAt" if state.get("Running") else "FinishedAt"
        key = parse_key(str(state.get(field) or ""))
        if key is None:
            return "1"
        seconds, nanos = divmod(key - 1 if state.get("Running") else key + 1, 1_000_000_000)
        return f"{seconds}.{nanos:09d}"

    async def _read_once(self, doc: dict[str, Any]) -> AsyncGenerator[list[LogLine], None]:
        demux = Demux()
        self._resume, self._skip = self._last_key, self._at_last
        path = f"containers/{self.container}/logs"
        async with self.engine.stream(path, params=self._params(doc), what=self.container) as r:
            self._backoff.reset()
            self._set_state(LogStreamState.LIVE)
            async for chunk in r.content.iter_any():
                if lines := self._lines(demux.feed(chunk)):
                    yield lines
        if lines := self._lines(demux.flush()):
            yield lines

    def _lines(self, raw: list[bytes]) -> list[LogLine]:
        """Split stamps from text; drop what an earlier read delivered (``since`` is inclusive)."""
        out: list[LogLine] = []
        for item in raw:
            stamp, _, text = item.decode("utf-8", "replace").partition(" ")
            key = parse_key(stamp)
            if key is None:  # not stamped (the engine ignored timestamps): keep it whole
                out.append(LogLine(f"{stamp} {text}".strip(), "", self._seq))
                self._seq += 1
                continue
            if self._resume is not None:  # the start of a resumed read: drop the replay
                if key < self._resume or (key == self._resume and self._skip > 0):
                    self._skip -= key == self._resume
                    continue
                # Past the resume point: from here on nothing is dropped, even a line whose
                # stamp is a little older (stdout and stderr are stamped apart).
                self._resume = None
            out.append(LogLine(text, stamp, self._seq))
            self._seq += 1
        self._note(out)
        return out

    def _note(self, lines: list[LogLine]) -> None:
        """Remember the newest stamp delivered (and how many lines carry it): the resume point."""
        keys = [k for line in lines if line.stamp and (k := parse_key(line.stamp)) is not None]
        if not keys:
            return
        newest = max(keys)
        same = keys.count(newest)
        if self._last_key is not None and newest < self._last_key:
            return
        if newest == self._last_key:
            self._at_last += same
        else:
            self._last_key, self._at_last = newest, same
