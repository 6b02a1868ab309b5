"""The log pane: follows one instance's logs, with tail semantics, search, filter and save.

The stream half (follow worker, bounded buffer, batches drawn within a time budget and at most
``REPAINT_EVERY`` apart, follow/pause) is :class:`~claworc_tui.ui.widgets.log_follow.LogFollowPane`;
the status row's wording is ``log_status``, saving to a file ``log_save``. This module adds the
keys: search and filter prompts, the options (timestamps, wrap, previous container, tail and since
presets), clear, full screen and save.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Static

from claworc_tui.ui.screens.prompt import PromptModal
from claworc_tui.ui.widgets.field import Field
from claworc_tui.ui.widgets.full_screen import FullScreenPane
from claworc_tui.ui.widgets.log_draw import DRAW_BUDGET, REPAINT_EVERY
from claworc_tui.ui.widgets.log_follow import LOG_GROUP, LogFollowPane, LogSource
from claworc_tui.ui.widgets.log_save import default_save_path, save_log_lines
from claworc_tui.ui.widgets.log_status import (
    SINCE_PRESETS,
    TAIL_PRESETS,
    PaneState,
    event_rows,
    status_line,
)
from claworc_tui.ui.widgets.log_view import LogView
from claworc_tui.ui.widgets.tones import TONE_CLASSES

__all__ = [
    "DRAW_BUDGET",
    "LOG_GROUP",
    "REPAINT_EVERY",
    "SINCE_PRESETS",
    "TAIL_PRESETS",
    "LogPane",
    "LogSource",
]


class LogPane(FullScreenPane, LogFollowPane):
    """Follows the logs of ``instance``; the parent sets the instance, the events and visibility."""

    COMPONENT_CLASSES: ClassVar[set[str]] = set(TONE_CLASSES)  # the events' reasons
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

    _search = ""
    _query_mode: str | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="log-status")
        yield Static("", id="log-events")
        yield LogView(self._buffer_lines, id="log-view")
        yield Field(id="log-query", classes="-hidden")

    @property
    def focus_widget(self) -> Widget:
        """The line view (full screen or not)."""
        return self.view

    def on_mount(self) -> None:
        self._show_status()

    # -- the rows around the view --------------------------------------------------------------

    def _show_status(self) -> None:
        if not self.is_mounted:
            return
        name = self.instance
        view = self.view
        # Paused says so at once (not only when the next lines come): the key that paused
        # shows its effect within a frame, however bursty the stream is.
        paused = bool(self.unseen) or (name is not None and not view.following)
        line = status_line(
            PaneState(
                name=name,
                state=self.state,
                detail=self._detail,
                tail_index=self._tail_index,
                since_index=self._since_index,
                previous=self._previous,
                timestamps=self._timestamps,
                wrap=view.wrap,
                filter=self._filter,
                search=self._search,
                matches=view.count_matches() if self._search else 0,
                unseen=self.unseen,
                paused=paused,
            )
        )
        # One row, always: no layout pass (under a flood this runs once a batch).
        self.query_one("#log-status", Static).update(line, layout=False)
        self.set_class(paused, "-paused")

    def _show_events(self) -> None:
        if not self.is_mounted:
            return
        waiting = self.instance is not None and not self._buffer
        self.set_class(waiting, "-waiting")
        if waiting:
            self.query_one("#log-events", Static).update(event_rows(self.events, self._now()))

    def _drawn(self) -> None:
        if self._search:
            self._show_status()  # the match count

    # -- search and filter ---------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("search", "filter") and self.is_mounted:
            return not self.query_one("#log-query", Input).has_focus  # "/" typed in the prompt
        return True

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

    # -- options -------------------------------------------------------------------------------

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

    def action_clear(self) -> None:
        """Forget the lines shown so far, and those about to be (the stream goes on)."""
        self._buffer.clear()
        self._held.clear()
        self._rerender()

    def action_leave(self) -> None:
        """Close the prompt, leave full screen, or hand focus back."""
        query = self.query_one("#log-query", Input)
        if not query.has_class("-hidden"):
            self._close_query()
        elif not self.leave_full_screen():
            self.post_message(self.Left())

    # -- save ----------------------------------------------------------------------------------

    def action_save(self) -> None:
        """Ask for a file name and save the buffered lines there."""
        default = default_save_path(self.instance, self._now())
        self.app.push_screen(PromptModal("Save log lines to", str(default), "Save"), self._save_to)

    def _save_to(self, path: str | None) -> None:
        if path:
            self.save_lines(Path(path).expanduser())

    @work(exclusive=True, group="log-save", exit_on_error=False)
    async def save_lines(self, path: Path) -> None:
        """Write the buffered lines (as shown: filter and timestamps applied) to ``path``
        (see :func:`~claworc_tui.ui.widgets.log_save.save_log_lines`)."""
        lines = [self._format(line) for line in self._buffer if self._keep(line)]
        await save_log_lines(self, path, lines)
