"""Log lines, the state of a log follow and its options: the one model each, from the stream to
the screen.

``LogLine`` is a ``NamedTuple``, not a pydantic model: one is built per line, at up to hundreds of
thousands of lines a second, and nothing needs validating (the stream reader makes them from the
server's bytes). ``LogBatch`` and ``LogStatus`` are slotted dataclasses for the same reason: a
batch holds thousands of lines that pydantic would walk one by one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple, TypedDict


class LogLine(NamedTuple):
    """One line of a container's log."""

    text: str
    """The line, without its timestamp and newline (a line cut at the limit ends with the
    marker ``… N bytes cut``)."""
    stamp: str = ""
    """The server's RFC 3339 timestamp (``2025-01-15T12:00:00.123456789Z``), or ''."""
    seq: int = -1
    """Position in this follow, from 0, without gaps or repeats across reconnects (-1: a line
    the app wrote, such as a marker)."""

    @property
    def stamped(self) -> str:
        """The line as ``kubectl logs --timestamps`` prints it."""
        return f"{self.stamp} {self.text}" if self.stamp else self.text


class LogStreamState(StrEnum):
    """Where a log follow is; ``ended`` and ``failed`` are final."""

    WAITING = "waiting"
    """No container to read yet (no pod, or its container has not started)."""
    LIVE = "live"
    RECONNECTING = "reconnecting"
    ENDED = "ended"
    """Nothing more will come: the pod is gone, or a read without follow is complete."""
    FAILED = "failed"
    """An error retrying cannot fix (forbidden, unknown container, no previous container)."""


class FollowOptions(TypedDict, total=False):
    """How a log is followed (every key optional): the keywords of ``Runtime.follow_logs``
    (:mod:`claworc_tui.services.runtime`) and of every follow. A follow also takes how long to
    wait between reconnects: :class:`claworc_tui.k8s.follow.FollowOptionsWithBackoff`."""

    tail_lines: int | None
    """Start with only the last this many lines (None: all)."""
    since_seconds: int | None
    """Start with the lines of the last this many seconds."""
    previous: bool
    """Read the previous (terminated) container's log, or the previous run's; never follows."""
    follow: bool
    """Keep reading as lines arrive, reconnecting as needed (default True; False: what is
    there, then end)."""
    on_state: Callable[[LogStreamState, str | None], None] | None
    """Called with each state change of the follow and its reason."""


@dataclass(frozen=True, slots=True)
class LogStatus:
    """A change of the follow's state, with the reason (the server's message on failures)."""

    state: LogStreamState
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class LogBatch:
    """Lines that arrived together, and how many were dropped just before them (backpressure)."""

    lines: tuple[LogLine, ...]
    dropped: int = 0


LogEvent = LogBatch | LogStatus
