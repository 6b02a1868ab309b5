"""The one bounded buffer of the log path: drops the oldest lines, counts them, keeps states."""

from __future__ import annotations

from claworc_tui.models.logs import LogBatch, LogLine, LogStatus, LogStreamState
from claworc_tui.services.logs import _Ring


def lines(*numbers: int) -> list[LogLine]:
    return [LogLine(f"line {n}", "2025-01-02T03:04:05Z", n) for n in numbers]


def test_the_ring_drops_the_oldest_counts_them_and_keeps_the_states_in_order() -> None:
    ring = _Ring(3)
    ring.push(lines(0, 1))
    ring.status(LogStreamState.RECONNECTING, "gone")
    ring.status(LogStreamState.LIVE, "pod-b")
    ring.push(lines(2, 3, 4))  # three of five fit: 0 and 1 are dropped
    assert ring.drain() == [
        LogBatch((), 2),
        LogStatus(LogStreamState.RECONNECTING, "gone"),
        LogStatus(LogStreamState.LIVE, "pod-b"),
        LogBatch(tuple(lines(2, 3, 4)), 0),
    ]
    ring.push(lines(5))
    ring.status(LogStreamState.ENDED)
    ring.push(lines(6))
    assert ring.drain() == [
        LogBatch(tuple(lines(5)), 0),
        LogStatus(LogStreamState.ENDED),
        LogBatch(tuple(lines(6)), 0),
    ]
    assert ring.drain() == []
