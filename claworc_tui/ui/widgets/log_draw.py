"""How batches of log lines reach the view: bounded in time per draw and in draws per second.

Two bounds, both about the terminal, not about the stream:

* **Time per draw** (:data:`DRAW_BUDGET`): adding lines to the view costs per line; a batch bigger
  than the budget allows (at the cost per line the pane measures) keeps its newest lines and says
  how many older ones it dropped, so a flood cannot hold the event loop for longer than that.
* **Draws per second** (:data:`REPAINT_EVERY`): every draw that scrolls the view repaints the
  whole log region, and on a real terminal each repaint is bytes written (and parsed by the
  terminal, over SSH sent) — ~5 KB a frame at 160 columns. While batches come back to back, the
  ones that come within ``REPAINT_EVERY`` of the last draw are held and drawn together when it
  has passed; a batch after a quiet spell is drawn at once, and the newest lines are always drawn
  at the end of a flood (the held ones wait at most ``REPAINT_EVERY``).
  Measured on a pty during a 200 000-line flood (BENCHMARKS.md, session 6): the region was
  repainted ~25 times a second, once per 50 ms batch plus the key frames.
* **Frames in flight**: a terminal slower than the app (a terminal emulator on a busy machine,
  an SSH link) leaves frames queued between the app and the tty — up to 30 in Textual's writer
  queue, ~17 KB in the kernel's pty buffer — and a key's frame is shown only after all of them:
  on the pty that was most of a key's latency (the app had answered within ~70 ms, the screen
  showed it 200–900 ms later). So while frames written before are still queued, the next draw
  waits (asking again every :data:`BEHIND_RETRY`, for at most :data:`BEHIND_MAX` after the last
  draw); key frames never wait.
"""

from __future__ import annotations

from collections.abc import Sequence

from claworc_tui.services.views import LogBatch, LogLine

DRAW_BUDGET = 0.02
"""Seconds one draw may take (the rest of a bigger batch is dropped, visibly)."""
MIN_DRAWN = 2000
"""Lines a draw always keeps, however slow the machine measured (so a flood still shows)."""
REPAINT_EVERY = 0.1
"""Seconds between two draws of the log region while lines keep coming (at most 10 a second)."""


class Held:
    """Batches that came too soon after the last draw, merged into one for the next."""

    def __init__(self, limit: int) -> None:
        """Hold at most ``limit`` lines (older ones are counted as dropped)."""
        self.limit = limit
        self.lines: list[LogLine] = []
        self.dropped = 0

    def __bool__(self) -> bool:
        return bool(self.lines) or bool(self.dropped)

    def add(self, batch: LogBatch) -> None:
        """Add a batch after the ones held."""
        self.lines.extend(batch.lines)
        self.dropped += batch.dropped
        excess = len(self.lines) - self.limit
        if excess > 0:
            del self.lines[:excess]
            self.dropped += excess

    def take(self) -> LogBatch:
        """Everything held, as one batch; nothing is held after."""
        batch = LogBatch(tuple(self.lines), self.dropped)
        self.clear()
        return batch

    def clear(self) -> None:
        """Forget what is held."""
        self.lines = []
        self.dropped = 0


BEHIND_RETRY = 0.02
"""Seconds before asking again whether the terminal has taken the frames written before."""
BEHIND_MAX = 0.5
"""Seconds after the last draw from which the next one no longer waits for the terminal."""


def draw_delay(drawn_at: float, now: float, *, behind: bool = False) -> float:
    """Seconds to wait before the next draw (0: draw now).

    Args:
        drawn_at: When the view was last drawn.
        now: The same clock, now.
        behind: Whether frames written before are still queued for the terminal.
    """
    wait = drawn_at + REPAINT_EVERY - now
    if wait > 0:
        return wait
    if behind and now - drawn_at < BEHIND_MAX:
        return BEHIND_RETRY
    return 0.0


def fit(lines: Sequence[LogLine], dropped: int, line_cost: float) -> tuple[Sequence[LogLine], int]:
    """The newest lines that one draw can take within :data:`DRAW_BUDGET` at ``line_cost``
    seconds a line (never fewer than :data:`MIN_DRAWN`), and the lines dropped with the rest."""
    fits = max(MIN_DRAWN, int(DRAW_BUDGET / line_cost))
    if len(lines) > fits:
        return lines[-fits:], dropped + len(lines) - fits
    return lines, dropped
