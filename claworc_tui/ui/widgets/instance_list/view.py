"""The drawing half of the instance list: a ``ScrollView`` that paints a :class:`ListState`
through a :class:`RowPainter`, one line at a time (Textual's line API), with NAME pinned when
scrolled right and the AGE cells redrawn on the screen's tick.

:class:`~claworc_tui.ui.widgets.instance_list.widget.InstanceList` builds on it with what the
list does (data in, keys and mouse, messages out); this class only draws and scrolls.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import ClassVar

from rich.style import Style
from textual import events
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from claworc_tui.ui.widgets.clocked import Clocked
from claworc_tui.ui.widgets.instance_list.columns import INDEX, LOOKS, TICKING, RowFacts
from claworc_tui.ui.widgets.instance_list.rows import PAD, RowPainter
from claworc_tui.ui.widgets.instance_list.state import ListState

HEADER_ROWS = 1
_TICKING_INDEX = INDEX[TICKING]


class InstanceRows(Clocked, ScrollView):
    """Draws the list's header and rows; knows nothing of keys or messages."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "instance-list--header",
        "instance-list--cursor",
        *(f"instance-list--{look}" for look in LOOKS),
    }
    # As DataTable's, so the list reads like one on its own; the tones are the app's look, in
    # styles/widgets.tcss, "Instance list".
    DEFAULT_CSS = """
    InstanceRows {
        background: $surface;
        color: $foreground;
        & > .instance-list--header { text-style: bold; background: $panel; color: $foreground; }
        &:ansi > .instance-list--header { background: ansi_bright_blue; color: ansi_default; }
        & > .instance-list--dim { text-style: dim; }
        & > .instance-list--bold { text-style: bold; }
        & > .instance-list--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus {
            background-tint: $foreground 5%;
            & > .instance-list--header { background-tint: $foreground 5%; }
            & > .instance-list--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
    }
    """

    def __init__(
        self, now: Callable[[], datetime], *, id: str | None = None, classes: str | None = None
    ) -> None:
        """Create the view (``now``: the clock of the AGE column; see :class:`Clocked`)."""
        super().__init__(now, id=id, classes=classes)
        self._state = ListState()
        self._painter = RowPainter(self._look)
        self._paint_style: Style | None = None
        self._fit_widths()

    def refresh_ages(self) -> None:
        """Redraw the rows whose AGE text has changed (called on a slow timer)."""
        now = self._now()
        top = int(self.scroll_offset.y)
        rows = self._page_rows()
        # Only the AGE cell of a visible row is redrawn (the whole row when its status is
        # last-known, whose age the STATUS cell shows): a whole-widget refresh wrote ~25 KB to
        # the terminal every 10 s with 50 instances (bench/terminal.py), a lot over SSH.
        widths = self._painter.widths
        left = self._painter.column_left(_TICKING_INDEX) - int(self.scroll_offset.x)
        cell = Region(left, 0, widths[_TICKING_INDEX] + 2 * PAD, 1)
        line = Region(0, 0, max(self.virtual_size.width, self.size.width), 1)
        views = self._state.views
        for index, name in enumerate(self._state.order[top : top + rows], start=top):
            view = views[name]
            if self._painter.times_moved(view, now):
                # (Scrolled right, NAME is pinned over the first columns: redraw the row.)
                whole = view.stale_since is not None or self.scroll_offset.x > 0
                what = line if whole else cell
                self.refresh(what.translate((0, index - top + HEADER_ROWS)))

    # -- drawing -------------------------------------------------------------------------------

    def render_lines(self, crop: Region) -> list[Strip]:
        # ``rich_style`` walks the ancestors' styles: once per paint, not once per line.
        self._paint_style = self.rich_style
        try:
            return super().render_lines(crop)
        finally:
            self._paint_style = None

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        base = self._paint_style or self.rich_style
        state = self._state
        if y < HEADER_ROWS:
            style = base + self.get_component_rich_style("instance-list--header")
            strip = self._painter.header(state.sort, style)
        else:
            row = scroll_y + y - HEADER_ROWS
            if row >= len(state.order):
                return Strip.blank(width, base)
            name = state.order[row]
            cursor = None
            if row == state.cursor:
                cursor = self.get_component_rich_style("instance-list--cursor")
            strip = self._painter.row(state.views[name], self._facts(name), base, cursor)
        pinned = self._painter.pinned_width
        if scroll_x and width > pinned:
            # NAME stays put; the columns after it scroll under it.
            rest = strip.crop_extend(pinned + scroll_x, scroll_x + width, base)
            return Strip.join([strip.crop_extend(0, pinned, base), rest])
        return strip.crop_extend(scroll_x, scroll_x + width, base)

    def _facts(self, name: str) -> RowFacts:
        return RowFacts(now=self._now(), marked=name in self._state.marked)

    def _look(self, look: str) -> Style:
        """A cell look's style, from its component class (Textual caches it per style update)."""
        return self.get_component_rich_style(f"instance-list--{look}", partial=True)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._forget_drawn()

    def on_focus(self) -> None:
        self._forget_drawn()  # the cursor's colours depend on :focus

    def on_blur(self) -> None:
        self._forget_drawn()

    def _forget_drawn(self) -> None:
        self._painter.forget()
        self.refresh()

    def _page_rows(self) -> int:
        return self.scrollable_content_region.height - HEADER_ROWS

    def on_resize(self, event: events.Resize) -> None:
        self._fit_widths()  # NAME's cap depends on the width

    def _fit_widths(self) -> None:
        """Size the columns (see ``RowPainter.fit``) and the scrollable area."""
        self._painter.fit(list(self._state.views.values()), self._state.sort, self.size.width)
        self.virtual_size = Size(self._painter.row_width, len(self._state.order) + HEADER_ROWS)

    def _scroll_to_cursor(self) -> None:
        rows = self._page_rows()
        if rows <= 0:
            return
        top = int(self.scroll_y)
        cursor = self._state.cursor
        if cursor < top:
            target = cursor
        elif cursor >= top + rows:
            target = cursor - rows + 1
        else:
            return
        self.scroll_to(y=target, animate=False, immediate=True, force=True)
