"""The stream half of the log pane: follow one instance, keep a bounded buffer, draw batches.

Design (after toolong): the follow worker belongs to the pane and shows each batch the service
hands it — at most one per 50 ms, so however fast a pod logs, the UI does one update per batch,
never one per line; and the log region is drawn at most once per ``REPAINT_EVERY`` while batches
keep coming (``log_draw``). Reconnects, resumes and moving to a new pod happen below (the
service's follow runs until the instance is gone); the pane only shows the states it reports.
The buffer is a bounded deque (``log_buffer_lines``); the oldest lines fall off. Auto-scroll
happens only while following; scrolling up pauses and counts the new lines, End (or scrolling
back down) resumes.

The stream is keyed by instance: setting ``instance`` starts a new follow in the exclusive
``LOG_GROUP``, which cancels the old one (so does unmounting the pane).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime

from textual import on, work
from textual.containers import Vertical
from textual.reactive import reactive
from textual.timer import Timer

from claworc_tui.models.errors import ClaworcError
from claworc_tui.services.views import (
    EventRow,
    LogBatch,
    LogEvent,
    LogLine,
    LogOptions,
    LogStatus,
    LogStreamState,
)
from claworc_tui.ui.messages import ServiceFailed
from claworc_tui.ui.widgets.log_draw import Held, draw_delay, fit
from claworc_tui.ui.widgets.log_status import SINCE_PRESETS, TAIL_PRESETS
from claworc_tui.ui.widgets.log_view import MARKER, LogView

LogSource = Callable[[str, LogOptions], AsyncIterator[LogEvent]]
"""Where the pane gets lines from: the service's ``follow_logs``."""

LOG_GROUP = "log-follow"


class LogFollowPane(Vertical):
    """Follows the logs of ``instance`` into a :class:`LogView` (the subclass composes it and
    draws the status and events rows)."""

    instance: reactive[str | None] = reactive(None)
    """The followed instance; None stops following."""
    events: reactive[tuple[EventRow, ...]] = reactive(())
    """The pod's events, shown while there are no log lines yet."""
    state: reactive[LogStreamState | None] = reactive(None)
    """Where the stream is."""
    unseen: reactive[int] = reactive(0)
    """Lines that arrived while the reader was scrolled up."""

    def __init__(
        self,
        source: LogSource,
        *,
        buffer_lines: int,
        now: Callable[[], datetime],
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """Create the pane.

        Args:
            source: The service's ``follow_logs``.
            buffer_lines: Lines kept before the oldest are dropped.
            now: The clock (for event ages and file names).
            id: DOM id.
            classes: DOM classes.
        """
        super().__init__(id=id, classes=classes)
        self._source = source
        self._now = now
        self._buffer: deque[LogLine] = deque(maxlen=buffer_lines)
        self._buffer_lines = buffer_lines
        self._detail: str | None = None
        self._tail_index = 1
        self._since_index = 0
        self._previous = False
        self._timestamps = False
        self._filter = ""
        self._line_cost = 1e-6  # seconds to draw one line, measured as batches are drawn
        self._held = Held(buffer_lines)
        self._drawn_at = float("-inf")
        self._clock: Callable[[], float] = time.monotonic
        """When draws happen (a test sets its own, to step through an interval)."""
        self._draw_timer: Timer | None = None
        self.draws = 0
        """Draws of the view so far (each repaints the log region)."""
        self.waited = 0
        """Of those, the draws that waited (for the interval or for the terminal)."""

    # -- what the parent reads -----------------------------------------------------------------

    @property
    def view(self) -> LogView:
        """The line view."""
        return self.query_one(LogView)

    @property
    def buffered(self) -> Sequence[LogLine]:
        """Lines in the buffer."""
        return tuple(self._buffer)

    @property
    def options(self) -> LogOptions:
        """The options of the current follow."""
        return LogOptions(
            tail_lines=TAIL_PRESETS[self._tail_index],
            since_seconds=SINCE_PRESETS[self._since_index],
            previous=self._previous,
            follow=not self._previous,
        )

    # -- what the subclass draws ---------------------------------------------------------------

    def _show_status(self) -> None:
        """Draw the status row (the subclass does)."""

    def _show_events(self) -> None:
        """Draw the pod's events while there are no lines (the subclass does)."""

    # -- reactives -----------------------------------------------------------------------------

    def watch_instance(self, name: str | None) -> None:
        self._reset()
        if name is None:
            self.workers.cancel_group(self, LOG_GROUP)
            self.state = None
        else:
            self.follow_logs(name, self.options)
        self._show_status()

    def watch_events(self) -> None:
        self._show_events()

    def watch_state(self) -> None:
        self._show_status()
        self._show_events()

    def watch_unseen(self) -> None:
        self._show_status()

    # -- the stream ----------------------------------------------------------------------------

    @work(exclusive=True, group=LOG_GROUP, exit_on_error=False)
    async def follow_logs(self, name: str, options: LogOptions) -> None:
        """Show ``name``'s logs until cancelled (the service reconnects; it ends only when the
        instance is gone or a read without follow is done)."""
        try:
            async for event in self._source(name, options):
                self._take(event)
            if self.state not in (LogStreamState.ENDED, LogStreamState.FAILED):
                self._set_state(LogStreamState.ENDED, "the log stream ended")  # never silently
        except ClaworcError as exc:
            self._set_state(LogStreamState.FAILED, str(exc))
        except Exception as exc:  # a bug, not the cluster: report it once and stop
            self._set_state(LogStreamState.FAILED, str(exc))
            self.post_message(ServiceFailed(f"follow the logs of {name}", exc))

    def _take(self, event: LogEvent) -> None:
        if isinstance(event, LogStatus):
            self._set_state(event.state, event.detail)
        else:
            self._show(event)

    def _set_state(self, state: LogStreamState, detail: str | None) -> None:
        resumed = state is LogStreamState.LIVE and self.state not in (None, LogStreamState.LIVE)
        last = (
            self._held.lines[-1] if self._held.lines else self._buffer[-1] if self._buffer else None
        )
        if resumed and last is not None and last.seq >= 0:
            # Lines of a new container (or after a gap) follow: say where the break is (once,
            # however often the connection flapped before the first line came).
            label = f"live again: {detail}" if detail else "live again"
            self._show(LogBatch((self._marker(label),)))
        self._detail = detail
        if self.state == state:
            self._show_status()
        self.state = state

    def _marker(self, text: str) -> LogLine:
        return LogLine(f"{MARKER}{text} at {self._now():%H:%M:%S} ──")

    def _show(self, batch: LogBatch) -> None:
        """Take a batch: drawn now, or held for the next draw if the last one was less than
        ``REPAINT_EVERY`` ago or the terminal has not taken the frames before (``log_draw``)."""
        self._held.add(batch)
        if self._draw_timer is not None:
            return  # a draw is due: it takes this batch too
        delay = draw_delay(self._drawn_at, self._clock(), behind=self._terminal_behind())
        if delay <= 0:
            self._draw_held()
        else:
            self._draw_timer = self.set_timer(delay, self._draw_due, name="log-draw")

    def _draw_due(self) -> None:
        self._draw_timer = None
        delay = draw_delay(self._drawn_at, self._clock(), behind=self._terminal_behind())
        if delay > 0:
            self._draw_timer = self.set_timer(delay, self._draw_due, name="log-draw")
        elif self._held:
            self.waited += 1
            self._draw_held()

    def _draw_held(self) -> None:
        if self._held:
            self._drawn_at = self._clock()
            self._draw(self._held.take())

    def _terminal_behind(self) -> bool:
        """Whether frames written before are still queued for the terminal.

        Textual's Linux driver hands frames to the tty from a writer thread, through a queue
        (``_writer_thread._queue``: not public API, so read defensively; the headless driver
        has none, and then the answer is no).
        """
        thread = getattr(self.app._driver, "_writer_thread", None)
        queue = getattr(thread, "_queue", None)
        qsize = getattr(queue, "qsize", None)
        return bool(qsize()) if callable(qsize) else False

    def _draw(self, batch: LogBatch) -> None:
        """Add a batch to the buffer and the view: one update, bounded in time.

        Drawing costs per line; a batch bigger than ``DRAW_BUDGET`` allows (at the cost per
        line measured so far) keeps its newest lines and says how many older ones it dropped,
        so a flood cannot hold the event loop (keys, frames) for longer than the budget.
        """
        lines, dropped = fit(batch.lines, batch.dropped, self._line_cost)
        if dropped:
            note = f"{dropped} lines dropped (the pod logs faster than we can show)"
            lines = (self._marker(note), *lines)
        if not lines:
            return
        self.draws += 1
        started = time.perf_counter()
        was_empty = not self._buffer
        self._buffer.extend(lines)
        view = self.view
        if self._filter or self._timestamps:
            shown = [self._format(line) for line in lines if self._keep(line)]
        else:
            shown = [line.text for line in lines]
        follow = view.following
        view.append(shown, follow=follow)
        if len(lines) >= 1000:  # enough lines for the fixed costs not to count
            cost = (time.perf_counter() - started) / len(lines)
            self._line_cost = 0.7 * self._line_cost + 0.3 * cost
        if not follow and shown:
            self.unseen += len(shown)
        if was_empty:
            self._show_events()
        self._drawn()

    def _drawn(self) -> None:
        """Lines were drawn (the subclass updates what depends on them)."""

    # -- formatting ----------------------------------------------------------------------------

    def _format(self, line: LogLine) -> str:
        if self._timestamps and line.stamp:
            return f"{line.stamp[:19]}Z {line.text}"
        return line.text

    def _keep(self, line: LogLine) -> bool:
        return not self._filter or self._filter.lower() in line.text.lower()

    def _rerender(self) -> None:
        view = self.view
        view.replace(self._format(line) for line in self._buffer if self._keep(line))
        view.follow_end()
        self.unseen = 0
        self._show_status()

    def _reset(self) -> None:
        self._buffer.clear()
        self._held.clear()
        if self._draw_timer is not None:
            self._draw_timer.stop()
            self._draw_timer = None
        self._drawn_at = float("-inf")  # a new stream's first lines are drawn at once
        self._detail = None
        self.unseen = 0
        self.state = None
        if self.is_mounted:
            self.view.clear()

    def _refollow(self) -> None:
        name = self.instance
        self._reset()
        if name is not None:
            self.follow_logs(name, self.options)
        self._show_status()

    # -- following and pausing -----------------------------------------------------------------

    def action_resume(self) -> None:
        """Jump to the end and follow again."""
        self.view.follow_end()
        self.unseen = 0
        self._show_status()

    def action_top(self) -> None:
        """Jump to the first line (pauses following)."""
        self.view.scroll_home(animate=False, immediate=True, force=True)
        self._show_status()

    @on(LogView.ReachedEnd)
    def _caught_up(self) -> None:
        self.unseen = 0
        self._show_status()  # "paused" goes even when no line came meanwhile

    @on(LogView.Paused)
    def _paused(self) -> None:
        self._show_status()
