"""What every log follow shares, whatever runs the container (Kubernetes here, or a Docker
engine, :mod:`claworc_tui.docker.logs`): the options, the state and its callback, and the
runtime-neutral reading of the bytes — lines cut in linear time at :data:`MAX_LINE` bytes
(``… N bytes cut``), RFC 3339 timestamps as exact integers.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import Unpack

from claworc_tui.k8s.backoff import Backoff
from claworc_tui.models.logs import FollowOptions, LogLine, LogStreamState

MAX_LINE = 64 * 1024
"""Bytes of one line kept (timestamp included); the rest is dropped and counted."""


class FollowOptionsWithBackoff(FollowOptions, total=False):
    """What a follow reads and how (:class:`~claworc_tui.models.logs.FollowOptions`), and the
    delays between its reconnects: a knob of the follows, not of the runtime protocol.

    Attributes:
        backoff: Delays between reconnects (None: the default :class:`Backoff`).
    """

    backoff: Backoff | None


class LogFollowBase:
    """The state of one follow; subclasses implement :meth:`batches`.

    Iterating a follow yields lists of :class:`LogLine`; afterwards :attr:`state` is ``ended``
    or ``failed``.
    """

    def __init__(self, **options: Unpack[FollowOptionsWithBackoff]) -> None:
        self._tail_lines = options.get("tail_lines")
        self._since_seconds = options.get("since_seconds")
        self._previous = options.get("previous", False)
        self._follow = options.get("follow", True) and not self._previous
        self._backoff = options.get("backoff") or Backoff()
        self._on_state = options.get("on_state")
        self.state = LogStreamState.WAITING
        """The current state; read it after iteration to tell ``ended`` from ``failed``."""
        self.reason: str | None = None
        """Why the state is what it is (the server's message on failures)."""
        self.reconnects = 0
        """Requests made after the first one."""
        self._seq = 0

    def __aiter__(self) -> AsyncGenerator[list[LogLine], None]:
        return self.batches()

    def batches(self) -> AsyncGenerator[list[LogLine], None]:
        """Yield lines until the follow ends or fails; cancellation propagates."""
        raise NotImplementedError

    def _set_state(self, state: LogStreamState, reason: str | None = None) -> None:
        if state is self.state and reason == self.reason:
            return
        self.state, self.reason = state, reason
        if self._on_state is not None:
            self._on_state(state, reason)


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
