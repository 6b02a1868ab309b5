"""A scrolling view of log rows: bounded, optional soft wrap, highlighted search matches.

Modelled on Textual's ``Log`` (line API, render cache), with what a log pane needs on top: soft
wrap (the source lines are kept, rows are re-wrapped on resize), a search pattern drawn in the
``log-view--match`` style, and a ``ReachedEnd`` message when the user scrolls back to the bottom
(the pane resumes following then). Rows pruned from the top shift the scroll offset with them, so
a paused reader keeps looking at the same lines.

Whether the view follows is a state (:attr:`LogView.following`), not a reading of the geometry: a
smaller terminal leaves the old scroll offset above the new end, and that is not the user
scrolling up — a resize keeps following.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable
from itertools import repeat
from typing import ClassVar

from rich.cells import cell_len, chop_cells
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.selection import Selection
from textual.strip import Strip

from claworc_tui.models.text import safe_text

#: Rows starting with this are markers the pane writes (stream restarted, gaps), drawn dim.
MARKER = "── "


def _cells(line: str) -> int:
    """Cells ``line`` takes (an ASCII line, once cleaned, takes one per character)."""
    return len(line) if line.isascii() else cell_len(line)


def clean(line: str) -> str:
    """Make a log line safe to draw: tabs expanded, every control and bidi character (C0, C1,
    ESC, DEL, overrides, isolates) replaced (``models.text.safe_text``)."""
    return safe_text(line)


class LogView(ScrollView, can_focus=True):
    """Rows of text with follow-friendly scrolling."""

    ALLOW_SELECT = True
    COMPONENT_CLASSES: ClassVar[set[str]] = {"log-view--match", "log-view--marker"}
    DEFAULT_CSS = """
    LogView {
        background: $surface;
        overflow: auto;
        & > .log-view--match { background: $warning 60%; color: $text; text-style: bold; }
        & > .log-view--marker { color: $text-muted; text-style: italic; }
    }
    """

    class ReachedEnd(Message):
        """The user scrolled back to the last row."""

    class Paused(Message):
        """The user scrolled up: new lines no longer scroll into view."""

    def __init__(
        self,
        max_lines: int,
        *,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """Create the view.

        Args:
            max_lines: Source lines kept; older ones are dropped.
            id: DOM id.
            classes: DOM classes.
        """
        super().__init__(id=id, classes=classes)
        self._lines: deque[str] = deque()
        self._rows: list[str] = []
        self._row_counts: deque[int] = deque()
        self._max_lines = max_lines
        self._wrap = False
        self._wrap_width = 0
        self._width = 0
        self._pattern: re.Pattern[str] | None = None
        self._cache: LRUCache[int, Strip] = LRUCache(1024)
        self._style: Style | None = None
        """The view's own style (``rich_style`` walks every ancestor: once, not once a row)."""
        self._base = 0
        """Rows pruned so far: cache keys are ``_base + row`` so pruning keeps them valid."""
        self.following = True
        """Whether new lines scroll into view: False once the user scrolls up, True again at
        the end."""

    # -- what the pane calls -------------------------------------------------------------------

    @property
    def line_count(self) -> int:
        """Source lines shown."""
        return len(self._lines)

    @property
    def row_count(self) -> int:
        """Rows drawn (more than lines when wrapping)."""
        return len(self._rows)

    @property
    def lines(self) -> list[str]:
        """The source lines shown (copy)."""
        return list(self._lines)

    @property
    def wrap(self) -> bool:
        """Whether long lines wrap."""
        return self._wrap

    def set_wrap(self, wrap: bool) -> None:
        """Turn soft wrap on or off."""
        if wrap != self._wrap:
            self._wrap = wrap
            self._relayout()

    def set_search(self, pattern: re.Pattern[str] | None) -> None:
        """Highlight matches of ``pattern`` (None: no highlight)."""
        self._pattern = pattern
        self._cache.clear()
        self.refresh()

    def replace(self, lines: Iterable[str]) -> None:
        """Show exactly ``lines`` (after an option change)."""
        self._lines = deque(clean(line) for line in lines)
        while len(self._lines) > self._max_lines:
            self._lines.popleft()
        self._relayout()

    def clear(self) -> None:
        """Remove every line."""
        self.replace(())

    def append(self, lines: list[str], *, follow: bool) -> None:
        """Add lines at the bottom.

        Args:
            lines: The new lines.
            follow: Scroll to the new end (the pane passes True only while at the bottom).
        """
        if not lines:
            return
        cleaned = [clean(line) for line in lines[-self._max_lines :]]
        self._lines.extend(cleaned)
        self._width = max(self._width, self._add_rows(cleaned))
        pruned = self._prune()
        self.virtual_size = Size(self._width, len(self._rows))
        if follow:
            self.scroll_end(animate=False, immediate=True, x_axis=False, force=True)
        elif pruned:
            # Keep the paused reader on the same lines while the top is cut away.
            self.scroll_to(
                y=max(0, self.scroll_y - pruned), animate=False, immediate=True, force=True
            )
        self.refresh()

    def follow_end(self) -> None:
        """Jump to the last row (no animation: lines arriving meanwhile would outrun it) and
        follow from now on."""
        self.scroll_end(animate=False, immediate=True, x_axis=False, force=True)
        self.following = True

    def search_rows(self, start: int, *, backwards: bool = False) -> int | None:
        """The next row (from ``start``, wrapping around) that matches the search pattern."""
        if self._pattern is None or not self._rows:
            return None
        count = len(self._rows)
        step = -1 if backwards else 1
        for offset in range(1, count + 1):
            row = (start + step * offset) % count
            if self._pattern.search(self._rows[row]):
                return row
        return None

    def count_matches(self) -> int:
        """Source lines that match the search pattern."""
        if self._pattern is None:
            return 0
        return sum(1 for line in self._lines if self._pattern.search(line))

    def show_row(self, row: int) -> None:
        """Scroll so ``row`` is in view (centred)."""
        self.scroll_to(
            y=max(0, row - self.size.height // 2), animate=False, immediate=True, force=True
        )

    @property
    def at_end(self) -> bool:
        """True when the last row is in view."""
        return self.is_vertical_scroll_end or self.max_scroll_y == 0

    # -- keys ----------------------------------------------------------------------------------

    def action_scroll_end(self) -> None:
        """End (inherited binding): jump, without the animation, and report the end.

        An animated scroll aims at the end as it was when the key came; lines arriving
        meanwhile move the end, so it would stop short and the pane would stay paused.
        """
        self.follow_end()
        self.post_message(self.ReachedEnd())

    def action_scroll_home(self) -> None:
        """Home (inherited binding): jump to the first row (this pauses following)."""
        self.scroll_home(animate=False, immediate=True, force=True)

    # -- rendering -----------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        row = scroll_y + y
        width = self.size.width
        style = self._style
        if style is None:
            style = self._style = self.rich_style
        if row >= len(self._rows):
            return Strip.blank(width, style)
        strip = self._render_row(row, style)
        return strip.crop_extend(scroll_x, scroll_x + width, style).apply_offsets(scroll_x, row)

    def _render_row(self, row: int, style: Style) -> Strip:
        selection = self.text_selection
        key = self._base + row
        if selection is None and key in self._cache:
            return self._cache[key]
        line = self._rows[row]
        if selection is None and self._pattern is None and not line.startswith(MARKER):
            # A plain row is one segment in the view's style (what Text would render, without
            # building one): under a flood every row of every frame is a new one.
            strip = Strip((Segment(line, style),), _cells(line))
            self._cache[key] = strip
            return strip
        text = Text(line, no_wrap=True, end="")
        text.stylize(style)
        if text.plain.startswith(MARKER):
            text.stylize(self.get_component_rich_style("log-view--marker"))
        if self._pattern is not None:
            match_style = self.get_component_rich_style("log-view--match")
            for match in self._pattern.finditer(text.plain):
                if match.end() > match.start():
                    text.stylize(match_style, match.start(), match.end())
        if selection is not None and (span := selection.get_span(row)) is not None:
            start, end = span
            end = len(text) if end == -1 else end
            text.stylize(self.screen.get_component_rich_style("screen--selection"), start, end)
        strip = Strip(text.render(self.app.console), cell_len(text.plain))
        if selection is None:
            self._cache[key] = strip
        return strip

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        return selection.extract("\n".join(self._rows)), "\n"

    def selection_updated(self, selection: Selection | None) -> None:
        self._cache.clear()
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._style = None
        self._cache.clear()

    def on_resize(self) -> None:
        if self._wrap and self._effective_wrap_width() != self._wrap_width:
            self._relayout()
        if self.following:
            self.scroll_end(animate=False, immediate=True, x_axis=False, force=True)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if self.at_end:
            if new_value > old_value and not self.following:
                self.following = True
                self.post_message(self.ReachedEnd())
        elif new_value < old_value and self.following:
            self.following = False
            self.post_message(self.Paused())

    # -- internals -----------------------------------------------------------------------------

    def _effective_wrap_width(self) -> int:
        return max(20, self.scrollable_content_region.width or self.size.width or 80)

    def _add_rows(self, lines: list[str]) -> int:
        """Add the rows of ``lines`` (cleaned); return the widest row's width in cells."""
        ascii_only = all(map(str.isascii, lines))  # then a character is a cell: no per-line call
        widest = max(map(len if ascii_only else _cells, lines), default=0)
        if not self._wrap:  # one row per line: no Python loop per line
            self._rows.extend(lines)
            self._row_counts.extend(repeat(1, len(lines)))
            return widest
        width = self._wrap_width = self._effective_wrap_width()
        for line in lines:
            rows = chop_cells(line, width) or [""] if _cells(line) > width else [line]
            self._rows.extend(rows)
            self._row_counts.append(len(rows))
        return min(widest, width)

    def _relayout(self) -> None:
        self._rows = []
        self._row_counts = deque()
        self._width = self._add_rows(list(self._lines))
        self._cache.clear()
        self._base = 0
        self.virtual_size = Size(self._width, len(self._rows))
        self.refresh()

    def _prune(self) -> int:
        """Drop the oldest lines past the limit; returns how many rows went."""
        excess = len(self._lines) - self._max_lines
        if excess <= 0:
            return 0
        rows = 0
        for _ in range(excess):
            self._lines.popleft()
            rows += self._row_counts.popleft()
        del self._rows[:rows]
        self._base += rows
        return rows
