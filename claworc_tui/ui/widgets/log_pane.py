"""The log pane: follows one instance's logs, with tail semantics, search, filter and save.

Design (after toolong): the follow worker belongs to this pane and shows each batch the service
hands it — at most one per 50 ms, so however fast a pod logs, the UI does one update per batch,
never one per line. Reconnects, resumes and moving to a new pod happen below (the service's
follow runs until the instance is gone); the pane only shows the states it reports. The buffer is
a bounded deque (``log_buffer_lines``); the oldest lines fall off. Auto-scroll happens only while
following; scrolling up pauses and counts the new lines, End (or scrolling back down) resumes.

The stream is keyed by instance: setting ``instance`` starts a new follow in the exclusive
``LOG_GROUP``, which cancels the old one (so does unmounting the pane).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Input, Static

from claworc_tui.models.errors import ClaworcError
from claworc_tui.services.savefile import default_logs_dir, save_text
from claworc_tui.services.views import (
    EventRow,
    LogBatch,
    LogEvent,
    LogLine,
    LogOptions,
    LogStatus,
    LogStreamState,
)
from claworc_tui.ui.format import age, truncate
from claworc_tui.ui.messages import ServiceFailed
from claworc_tui.ui.screens.confirm import ConfirmModal
from claworc_tui.ui.screens.prompt import PromptModal
from claworc_tui.ui.text import fmt, plain, stacked, toast
from claworc_tui.ui.widgets.log_view import MARKER, LogView

LogSource = Callable[[str, LogOptions], AsyncIterator[LogEvent]]
"""Where the pane gets lines from: the service's ``follow_logs``."""

LOG_GROUP = "log-follow"
DRAW_BUDGET = 0.02
"""Seconds one batch may take to draw (the rest of a bigger batch is dropped, visibly)."""
TAIL_PRESETS: tuple[int | None, ...] = (100, 500, 2000, None)
SINCE_PRESETS: tuple[int | None, ...] = (None, 300, 3600, 86400)
_STATE_LABEL = {
    LogStreamState.WAITING: "waiting for the container",
    LogStreamState.LIVE: "live",
    LogStreamState.RECONNECTING: "reconnecting",
    LogStreamState.ENDED: "stream ended",
    LogStreamState.FAILED: "stream failed",
}


def _since_label(seconds: int | None) -> str:
    if seconds is None:
        return "any time"
    if seconds % 86400 == 0:
        return f"{seconds // 86400}d"
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    return f"{seconds // 60}m"


class LogPane(Vertical):
    """Follows the logs of ``instance``; the parent sets the instance, the events and visibility."""

    ALLOW_MAXIMIZE = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("end,G", "resume", "Follow"),
        Binding("home,g", "top", "Top", show=False),
        # Priority: the prompt must have the focus before the next typed key is routed.
        Binding("slash", "search", "Search", priority=True),
        Binding("ampersand", "filter", "Filter", priority=True),
        Binding("n", "next_match", "Next match", show=False),
        Binding("N", "previous_match", "Prev match", show=False),
        Binding("t", "toggle_timestamps", "Timestamps", show=False),
        Binding("w", "toggle_wrap", "Wrap", show=False),
        Binding("p", "toggle_previous", "Previous container", show=False),
        Binding("left_square_bracket", "cycle_tail", "Tail preset", show=False),
        Binding("right_square_bracket", "cycle_since", "Since preset", show=False),
        Binding("ctrl+s", "save", "Save", show=False),
        Binding("ctrl+k", "clear", "Clear", show=False),
        Binding("f", "toggle_fullscreen", "Full screen"),
        Binding("escape", "leave", "Back", show=False),
    ]

    class Left(Message):
        """The user pressed escape with nothing to close: focus goes back to the list."""

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
        self._search = ""
        self._filter = ""
        self._query_mode: str | None = None
        self._line_cost = 1e-6  # seconds to draw one line, measured as batches are drawn

    def compose(self) -> ComposeResult:
        yield Static("", id="log-status")
        yield Static("", id="log-events")
        yield LogView(self._buffer_lines, id="log-view")
        yield Input(id="log-query", classes="-hidden")

    def on_mount(self) -> None:
        self._show_status()

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
        if resumed and self._buffer and self._buffer[-1].seq >= 0:
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
        """Add a batch to the buffer and the view: one update, bounded in time.

        Drawing costs per line; a batch bigger than :data:`DRAW_BUDGET` allows (at the cost per
        line measured so far) keeps its newest lines and says how many older ones it dropped,
        so a flood cannot hold the event loop (keys, frames) for longer than the budget.
        """
        lines: Sequence[LogLine] = batch.lines
        dropped = batch.dropped
        fits = max(2000, int(DRAW_BUDGET / self._line_cost))
        if len(lines) > fits:
            dropped += len(lines) - fits
            lines = lines[-fits:]
        if dropped:
            note = f"{dropped} lines dropped (the pod logs faster than we can show)"
            lines = (self._marker(note), *lines)
        if not lines:
            return
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
        if self._search:
            self._show_status()

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
        self._detail = None
        self.unseen = 0
        self.state = None
        if self.is_mounted:
            self.view.clear()

    def _show_status(self) -> None:
        if not self.is_mounted:
            return
        parts: list[Content] = []
        name = self.instance
        parts.append(
            fmt("[b]$name[/b]", name=name)
            if name
            else Content.from_markup("[$text-muted]no instance[/]")
        )
        if self.state is not None:
            css = {
                LogStreamState.LIVE: "$success",
                LogStreamState.FAILED: "$error",
                LogStreamState.ENDED: "$warning",
            }.get(self.state, "$accent")
            label = _STATE_LABEL[self.state]
            detail = f": {truncate(self._detail, 60)}" if self._detail else ""
            parts.append(Content.assemble(plain(f"● {label}", css), plain(detail)))
        tail = TAIL_PRESETS[self._tail_index]
        parts.append(Content("previous container" if self._previous else f"tail {tail or 'all'}"))
        if self._since_index:
            parts.append(Content(f"since {_since_label(SINCE_PRESETS[self._since_index])}"))
        if self._timestamps:
            parts.append(Content("timestamps"))
        if self.is_mounted and self.view.wrap:
            parts.append(Content("wrap"))
        if self._filter:
            parts.append(fmt("filter [b]$text[/b]", text=self._filter))
        if self._search:
            parts.append(
                fmt(
                    "search [b]$text[/b] ($count)",
                    text=self._search,
                    count=self.view.count_matches(),
                )
            )
        # Paused says so at once (not only when the next lines come): the key that paused
        # shows its effect within a frame, however bursty the stream is.
        paused = bool(self.unseen) or (name is not None and not self.view.following)
        if self.unseen:
            parts.append(plain(f" ⏸ {self.unseen} new lines — End to follow ", "reverse"))
        elif paused:
            parts.append(plain(" ⏸ paused — End to follow ", "reverse"))
        # One row, always: no layout pass (under a flood this runs once a batch).
        self.query_one("#log-status", Static).update(Content(" · ").join(parts), layout=False)
        self.set_class(paused, "-paused")

    def _show_events(self) -> None:
        if not self.is_mounted:
            return
        empty = not self._buffer
        waiting = self.instance is not None and empty
        self.set_class(waiting, "-waiting")
        if not waiting:
            return
        now = self._now()
        rows = [Content.from_markup("[b]No log lines yet.[/b] Pod events:")]
        if not self.events:
            rows.append(Content.from_markup("  [$text-muted]no events[/]"))
        for event in self.events[:12]:
            colour = "$warning" if event.type == "Warning" else "$text-muted"
            rows.append(
                Content.assemble(
                    f"  {age(event.time, now):>4} ",
                    plain(event.reason, colour),
                    plain(f" {truncate(event.message, 160)}"),
                )
            )
        self.query_one("#log-events", Static).update(stacked(*rows))

    # -- actions -------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("search", "filter") and self.is_mounted:
            return not self.query_one("#log-query", Input).has_focus  # "/" typed in the prompt
        return True

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

    def action_search(self) -> None:
        """Open the search prompt (matches are highlighted; n/N jump)."""
        self._open_query("search", self._search)

    def action_filter(self) -> None:
        """Open the filter prompt (only matching lines are shown)."""
        self._open_query("filter", self._filter)

    def _open_query(self, mode: str, value: str) -> None:
        self._query_mode = mode
        query = self.query_one("#log-query", Input)
        # As in less: each "/" or "&" starts a new pattern (empty + enter clears it).
        current = f" — now: {value}" if value else ""
        query.placeholder = (
            f"search (highlight; enter, then n/N){current}"
            if mode == "search"
            else f"filter (show only matching lines){current}"
        )
        query.value = ""
        query.remove_class("-hidden")
        # Focus now, not after a refresh: keys typed right after "/" belong in the field.
        self.screen.set_focus(query)

    @on(Input.Changed, "#log-query")
    def _query_typed(self, event: Input.Changed) -> None:
        event.stop()
        if self._query_mode == "search":
            self.set_search(event.value)
        elif self._query_mode == "filter":
            self.set_filter(event.value)

    @on(Input.Submitted, "#log-query")
    def _query_done(self, event: Input.Submitted) -> None:
        event.stop()
        self._close_query()
        if self._query_mode == "search":
            self.action_next_match()

    def _close_query(self) -> None:
        self.query_one("#log-query", Input).add_class("-hidden")
        self.screen.set_focus(self.view)

    def set_search(self, text: str) -> None:
        """Highlight ``text`` (case-insensitive); '' clears."""
        self._search = text
        self.view.set_search(re.compile(re.escape(text), re.IGNORECASE) if text else None)
        self._show_status()

    def set_filter(self, text: str) -> None:
        """Show only lines containing ``text`` (case-insensitive); '' shows all."""
        self._filter = text
        self._rerender()

    def action_next_match(self) -> None:
        """Scroll to the next search match."""
        self._jump(backwards=False)

    def action_previous_match(self) -> None:
        """Scroll to the previous search match."""
        self._jump(backwards=True)

    def _jump(self, *, backwards: bool) -> None:
        view = self.view
        start = int(view.scroll_y) + (view.size.height // 2)
        row = view.search_rows(start, backwards=backwards)
        if row is None:
            self.notify("no match", timeout=2)
            return
        view.show_row(row)

    def action_toggle_timestamps(self) -> None:
        """Show or hide each line's timestamp."""
        self._timestamps = not self._timestamps
        self._rerender()

    def action_toggle_wrap(self) -> None:
        """Wrap long lines, or scroll sideways."""
        self.view.set_wrap(not self.view.wrap)
        self.view.follow_end()
        self._show_status()

    def action_toggle_previous(self) -> None:
        """Show the previous container's logs instead of following the current one."""
        self._previous = not self._previous
        self._refollow()

    def action_cycle_tail(self) -> None:
        """Next tail preset (100, 500, 2000, all)."""
        self._tail_index = (self._tail_index + 1) % len(TAIL_PRESETS)
        self._refollow()

    def action_cycle_since(self) -> None:
        """Next since preset (any time, 5m, 1h, 1d)."""
        self._since_index = (self._since_index + 1) % len(SINCE_PRESETS)
        self._refollow()

    def _refollow(self) -> None:
        name = self.instance
        self._reset()
        if name is not None:
            self.follow_logs(name, self.options)
        self._show_status()

    def action_clear(self) -> None:
        """Forget the lines shown so far (the stream goes on)."""
        self._buffer.clear()
        self._rerender()

    def action_toggle_fullscreen(self) -> None:
        """Fill the screen with the pane, or go back."""
        if self.screen.maximized is self:
            self.screen.minimize()
        else:
            self.screen.maximize(self, container=False)
        self.view.focus()

    def action_leave(self) -> None:
        """Close the prompt, leave full screen, or hand focus back."""
        query = self.query_one("#log-query", Input)
        if not query.has_class("-hidden"):
            self._close_query()
        elif self.screen.maximized is self:
            self.screen.minimize()
        else:
            self.post_message(self.Left())

    def action_save(self) -> None:
        """Ask for a file name and save the buffered lines there."""
        name = self.instance or "logs"
        default = default_logs_dir() / f"{name}-{self._now():%Y%m%d-%H%M%S}.log"
        self.app.push_screen(
            PromptModal("Save log lines to", str(default), "Save"),
            self._save_to,
        )

    def _save_to(self, path: str | None) -> None:
        if path:
            self.save_lines(Path(path).expanduser())

    @work(exclusive=True, group="log-save", exit_on_error=False)
    async def save_lines(self, path: Path) -> None:
        """Write the buffered lines (as shown: filter and timestamps applied) to ``path``.

        A new 0600 file; a name that exists (a file or a link) is replaced only after asking,
        and a link is replaced itself, never followed (see :func:`save_text`).
        """
        lines = [self._format(line) for line in self._buffer if self._keep(line)]
        text = "\n".join(lines) + ("\n" if lines else "")
        try:
            try:
                await asyncio.to_thread(save_text, path, text)
            except FileExistsError:
                replace = await self.app.push_screen_wait(
                    ConfirmModal(
                        f"Replace {path.name}?",
                        f"{path} exists. Replace it with the log lines? (A link is "
                        "replaced itself; what it points to is left alone.)",
                        "Replace",
                        danger=True,
                    )
                )
                if not replace:
                    toast(self, f"not saved: {path} exists", timeout=4)
                    return
                await asyncio.to_thread(save_text, path, text, replace=True)
        except OSError as exc:
            toast(self, f"could not save {path}: {exc.strerror or exc}", severity="error")
            return
        toast(self, f"saved {len(lines)} lines to {path}", title="Logs saved")
