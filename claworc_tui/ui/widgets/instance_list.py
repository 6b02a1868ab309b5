"""The instance table: a virtual list that draws only the rows on screen.

A fleet can hold a thousand instances whose status changes many times a second, and a filter
keystroke can change which of them are shown. So the list keeps plain data — every view by name,
the names shown in sort order, the cursor as an index — and draws rows through Textual's line
API (like :class:`~claworc_tui.ui.widgets.log_view.LogView`): ``render_line`` builds one
:class:`Strip` per visible row, cached per instance until that instance, its mark, the column
widths or the styles change. A status change re-draws one row; a filter change is a list
comprehension over the views plus a repaint of what fits on screen (``bench/big_fleet.py``).

It looks and drives like Textual's ``DataTable`` with a row cursor (which it replaced; see
BENCHMARKS.md "Big fleet"): a fixed header row, one-cell padding around each cell, the cursor in
the block-cursor colours, dimmer when the list is not focused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.color import Color
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from claworc_tui.models.quantity import QuantityError, parse_quantity
from claworc_tui.models.text import one_line
from claworc_tui.services.views import InstanceView, Tone
from claworc_tui.ui.format import TONE_COLOURS, TONE_GLYPHS, age, matches, ports, status_text

_TONE_ORDER = {Tone.ERROR: 0, Tone.WARN: 1, Tone.BUSY: 2, Tone.OK: 3, Tone.MUTED: 4}
#: Cells of padding on each side of a cell (as DataTable's default ``cell_padding``).
_PAD = 1
_HEADER_ROWS = 1
_ARROWS = {False: "▲", True: "▼"}


def _quantity(text: str) -> Decimal:
    try:
        return parse_quantity(text)
    except QuantityError:
        return Decimal(0)


@dataclass(frozen=True)
class Column:
    """One column of the table."""

    key: str
    label: str
    width: int | None
    """Fixed width (cells that change live), or None to fit the widest value."""
    sort_key: Callable[[InstanceView], Any]
    cap: int | None = None
    """Most cells a fitted column takes; longer values are cut with an ellipsis."""


def _status_rank(view: InstanceView) -> int:
    """The status class a row sorts by. A crash-looping pod goes Error → CrashLoopBackOff →
    Running (ready, for a moment) every few seconds; sorting by that text, or by its tone,
    swapped rows each time. So a pod whose container has restarted after a failure sorts with
    the failing ones until it is replaced (a restart or a new pod resets the count)."""
    if view.tone is not Tone.MUTED and view.restarts and view.last_termination:
        return _TONE_ORDER[Tone.ERROR]
    return _TONE_ORDER[view.tone]


COLUMNS: tuple[Column, ...] = (
    Column("mark", " ", 1, lambda v: 0),
    Column("name", "NAME", None, lambda v: v.name),
    # STATUS fits its widest value (growing only, so columns do not jump as a pod cycles); the
    # longer why is in REASON and the detail pane.
    Column("status", "STATUS", None, lambda v: (_status_rank(v), v.name), cap=28),
    Column("ready", "READY", 5, lambda v: (v.ready, v.name)),
    Column("restarts", "RST", 4, lambda v: (v.restarts, v.name)),
    Column("age", "AGE", 5, lambda v: v.instance.created_at),
    # The ports come before DISPLAY NAME: they are what people open the list for, and at 80
    # columns they must be on screen.
    Column("ports", "CHROME/TERM", None, lambda v: (v.instance.node_ports or (1 << 16,), v.name)),
    Column("display", "DISPLAY NAME", None, lambda v: v.instance.display_name.lower(), cap=32),
    Column("cpu", "CPU", 6, lambda v: _quantity(v.instance.resources.cpu_limit)),
    Column("memory", "MEM", 6, lambda v: _quantity(v.instance.resources.memory_limit)),
    Column("reason", "REASON", 40, lambda v: v.reason or ""),
)
_BY_KEY = {column.key: column for column in COLUMNS}
#: The text of each fitted column (width None), for sizing it.
_FITTED: dict[str, Callable[[InstanceView], str]] = {
    "name": lambda v: one_line(v.name),
    "status": lambda v: f"{TONE_GLYPHS[v.tone]} {one_line(status_text(v))}",
    "ports": ports,
    "display": lambda v: one_line(v.instance.display_name),
}
#: Columns that stay on screen when the list is scrolled right (mark and NAME, as in k9s).
_PINNED = 2
#: NAME is cut to what the columns up to the ports leave, but never below this.
_NAME_MIN = 10
_AGE_INDEX = next(i for i, column in enumerate(COLUMNS) if column.key == "age")
_INDEX = {column.key: index for index, column in enumerate(COLUMNS)}
#: Columns the user can sort by, in the order ``o`` cycles through them.
SORTABLE: tuple[str, ...] = tuple(c.key for c in COLUMNS if c.key not in ("mark", "reason"))

#: A cell as drawn: its text and what it adds to the row's style (a tone, dim, bold).
Cell = tuple[str, Style | None]
_DIM = Style(dim=True)
_BOLD = Style(bold=True)


def _times(view: InstanceView, now: datetime) -> str:
    """The relative times a row shows (AGE, and how old a last-known status is)."""
    created = age(view.instance.created_at, now)
    return created if view.stale_since is None else f"{created} {age(view.stale_since, now)}"


def _fit(text: str, width: int) -> str:
    """``text`` in exactly ``width`` cells: padded, or cut with an ellipsis."""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, width - 1) + "…"


class InstanceList(ScrollView, can_focus=True):
    """The fleet, one row per instance. Feed it views; it posts what the user picks."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES: ClassVar[set[str]] = {"instance-list--header", "instance-list--cursor"}
    DEFAULT_CSS = """
    InstanceList {
        background: $surface;
        color: $foreground;
        & > .instance-list--header { text-style: bold; background: $panel; color: $foreground; }
        &:ansi > .instance-list--header { background: ansi_bright_blue; color: ansi_default; }
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

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down,j", "cursor_down", "Down", show=False),
        Binding("up,k", "cursor_up", "Up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("g,ctrl+home", "scroll_top", "Top", show=False),
        Binding("G,ctrl+end", "scroll_bottom", "Bottom", show=False),
        # As in DataTable: home/end scroll to the first/last column (the list is wider than a
        # narrow terminal); left/right scroll by a cell (inherited).
        Binding("home", "first_column", "First column", show=False),
        Binding("end", "last_column", "Last column", show=False),
        Binding("space", "toggle_mark", "Mark"),
        Binding("ctrl+a", "mark_all", "Mark all", show=False),
        Binding("o", "cycle_sort", "Sort", show=False),
        Binding("O", "reverse_sort", "Reverse sort", show=False),
    ]

    class Selected(Message):
        """The cursor moved to another instance (None: the list is empty)."""

        def __init__(self, name: str | None) -> None:
            super().__init__()
            self.name = name

    class Opened(Message):
        """The user pressed enter (or double-clicked) on an instance."""

        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name

    class MarksChanged(Message):
        """The set of marked instances changed."""

        def __init__(self, marked: frozenset[str]) -> None:
            super().__init__()
            self.marked = marked

    def __init__(
        self,
        now: Callable[[], datetime],
        *,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """Create the list.

        Args:
            now: The clock used for the AGE column (injected so tests are deterministic).
            id: DOM id.
            classes: DOM classes.
        """
        super().__init__(id=id, classes=classes)
        self._now = now
        self._views: dict[str, InstanceView] = {}
        self._marked: set[str] = set()
        self._filter = ""
        self._sort_column = "name"
        self._sort_reverse = False
        self._order: list[str] = []
        """Names shown, in display order."""
        self._position: dict[str, int] = {}
        """Name → index in ``_order``."""
        self._cursor = 0
        self._last_selected: str | None = None
        self._select_later: str | None = None
        """An instance to select as soon as it is listed (see ``select``)."""
        self._ages: dict[str, str] = {}
        """The AGE text each row was last drawn with."""
        self._widths: list[int] = [column.width or 0 for column in COLUMNS]
        self._row_cache: dict[str, Strip] = {}
        """Rows drawn without the cursor, by name (dropped when the row changes)."""
        self._header_cache: Strip | None = None
        self._tone_styles: dict[Tone, Style] = {}
        self._paint_style: Style | None = None
        self._fit_widths()

    # -- what the parent reads -----------------------------------------------------------------

    @property
    def views(self) -> dict[str, InstanceView]:
        """Every instance known (shown or filtered out), by name."""
        return self._views

    @property
    def row_count(self) -> int:
        """Rows shown after filtering."""
        return len(self._order)

    @property
    def shown_count(self) -> int:
        """Rows shown after filtering."""
        return len(self._order)

    @property
    def shown_names(self) -> tuple[str, ...]:
        """The names shown, top to bottom."""
        return tuple(self._order)

    @property
    def cursor_row(self) -> int:
        """Index of the cursor's row among the shown rows."""
        return self._cursor

    @property
    def selected_name(self) -> str | None:
        """The instance under the cursor."""
        return self._order[self._cursor] if self._order else None

    @property
    def selected_view(self) -> InstanceView | None:
        """The view under the cursor."""
        name = self.selected_name
        return None if name is None else self._views.get(name)

    @property
    def marked(self) -> frozenset[str]:
        """Names of the marked instances that still exist."""
        return frozenset(self._marked)

    @property
    def filter_text(self) -> str:
        """The active filter ('' for none)."""
        return self._filter

    @property
    def sort_column(self) -> tuple[str, bool]:
        """The column sorted by, and whether the order is reversed."""
        return self._sort_column, self._sort_reverse

    def header_label(self, key: str) -> str:
        """A column's header as shown (with ▲/▼ on the sorted column)."""
        column = _BY_KEY[key]
        if key != self._sort_column:
            return column.label
        return column.label + _ARROWS[self._sort_reverse]

    def cell_text(self, name: str, key: str) -> str:
        """The text a cell shows (unpadded); KeyError for an unknown instance or column."""
        return self._cells(self._views[name])[_INDEX[key]][0]

    @property
    def hidden_marks(self) -> frozenset[str]:
        """Marked instances the filter hides (actions leave them alone)."""
        return frozenset(name for name in self._marked if name not in self._position)

    def targets(self) -> list[str]:
        """What a bulk action applies to: the marked instances on screen, else the selected one.

        Marks hidden by the filter are left alone: "Stop 2 instances?" must not include one
        the user cannot see.
        """
        shown = [name for name in self._marked if name in self._position]
        if shown:
            return sorted(shown)
        name = self.selected_name
        return [name] if name else []

    # -- what the parent feeds -----------------------------------------------------------------

    def apply_snapshot(self, views: Iterable[InstanceView]) -> None:
        """Replace what is known with a full list (first event, or after a re-list)."""
        fresh = {view.name: view for view in views}
        removed = [name for name in self._views if name not in fresh]
        self.apply_changes(fresh.values(), removed)

    def apply_changes(self, changed: Iterable[InstanceView], removed: Iterable[str]) -> None:
        """Update the rows of changed instances, add new ones, drop removed ones.

        Only the rows that changed are drawn again; the order is recomputed only when a row
        comes, goes, or its sort value changes.
        """
        reorder = False
        unmarked = False
        for name in removed:
            if self._views.pop(name, None) is None:
                continue
            self._row_cache.pop(name, None)
            self._ages.pop(name, None)
            if name in self._marked:
                self._marked.discard(name)
                unmarked = True
            reorder = reorder or name in self._position
        sort_key = _BY_KEY[self._sort_column].sort_key
        for view in changed:
            name = view.name
            old = self._views.get(name)
            if old == view:
                continue
            self._views[name] = view
            self._row_cache.pop(name, None)
            if reorder:
                continue  # the order is rebuilt below anyway
            shown = name in self._position
            moved = shown and (old is None or sort_key(old) != sort_key(view))
            reorder = moved or shown != matches(view, self._filter)
        self._fit_widths()
        if reorder:
            self._reorder()
        else:
            self.refresh()
        if unmarked:
            self.post_message(self.MarksChanged(self.marked))
        if self._select_later is not None and self._select_later in self._position:
            self.select(self._select_later)
        self._announce_selection()

    def set_filter(self, text: str) -> None:
        """Show only instances matching ``text`` (substring of name, display name or status)."""
        if text == self._filter:
            return
        self._filter = text
        self._reorder()
        self._announce_selection()

    def refresh_ages(self) -> None:
        """Redraw the rows whose AGE text has changed (called on a slow timer)."""
        now = self._now()
        top = int(self.scroll_offset.y)
        rows = self._page_rows()
        # Only the AGE cell of a visible row is redrawn (the whole row when its status is
        # last-known, whose age the STATUS cell shows): a whole-widget refresh wrote ~25 KB to
        # the terminal every 10 s with 50 instances (bench/terminal.py), a lot over SSH.
        left = sum(width + 2 * _PAD for width in self._widths[:_AGE_INDEX])
        cell = Region(left - int(self.scroll_offset.x), 0, self._widths[_AGE_INDEX] + 2 * _PAD, 1)
        line = Region(0, 0, max(self.virtual_size.width, self.size.width), 1)
        for index, name in enumerate(self._order):
            view = self._views[name]
            text = _times(view, now)
            if self._ages.get(name) != text:
                self._row_cache.pop(name, None)
                if top <= index < top + rows:
                    # (Scrolled right, NAME is pinned over the first columns: redraw the row.)
                    whole = view.stale_since is not None or self.scroll_offset.x > 0
                    what = line if whole else cell
                    self.refresh(what.translate((0, index - top + _HEADER_ROWS)))

    def clear_marks(self) -> None:
        """Unmark every instance."""
        if not self._marked:
            return
        marked, self._marked = self._marked, set()
        for name in marked:
            self._row_cache.pop(name, None)
        self.refresh()
        self.post_message(self.MarksChanged(self.marked))

    def select(self, name: str, *, when_listed: bool = False) -> bool:
        """Move the cursor to ``name``; False when it is not shown.

        Args:
            name: The instance.
            when_listed: If it is not listed yet (just created), select it when it arrives.
        """
        index = self._position.get(name)
        if index is None:
            self._select_later = name if when_listed else None
            return False
        self._select_later = None
        self._move_cursor(index)
        return True

    def sort_by(self, column: str, *, reverse: bool = False) -> None:
        """Sort by a column key (see ``SORTABLE``)."""
        if column not in SORTABLE:
            raise ValueError(f"cannot sort by {column!r}: one of {', '.join(SORTABLE)}")
        self._sort_column = column
        self._sort_reverse = reverse
        self._header_cache = None
        self._fit_widths()
        self._reorder()

    # -- actions -------------------------------------------------------------------------------

    def action_cursor_down(self) -> None:
        """Move the cursor one row down."""
        self._move_cursor(self._cursor + 1)

    def action_cursor_up(self) -> None:
        """Move the cursor one row up."""
        self._move_cursor(self._cursor - 1)

    def action_page_down(self) -> None:
        """Move the cursor one screen down."""
        self._move_cursor(self._cursor + max(1, self._page_rows()))

    def action_page_up(self) -> None:
        """Move the cursor one screen up."""
        self._move_cursor(self._cursor - max(1, self._page_rows()))

    def action_scroll_top(self) -> None:
        """Move the cursor to the first row."""
        self._move_cursor(0)

    def action_scroll_bottom(self) -> None:
        """Move the cursor to the last row."""
        self._move_cursor(len(self._order) - 1)

    def action_first_column(self) -> None:
        """Scroll back to the first column."""
        self.scroll_to(x=0, animate=False)

    def action_last_column(self) -> None:
        """Scroll to the last column."""
        self.scroll_to(x=self.max_scroll_x, animate=False)

    def action_select_cursor(self) -> None:
        """Enter opens the instance's detail."""
        name = self.selected_name
        if name is not None:
            self.post_message(self.Opened(name))

    def action_toggle_mark(self) -> None:
        """Mark or unmark the instance under the cursor, then move down (as in k9s)."""
        name = self.selected_name
        if name is None:
            return
        if name in self._marked:
            self._marked.discard(name)
        else:
            self._marked.add(name)
        self._row_cache.pop(name, None)
        self.post_message(self.MarksChanged(self.marked))
        self.refresh()
        self.action_cursor_down()

    def action_mark_all(self) -> None:
        """Mark every shown instance, or unmark all when all are marked."""
        shown = set(self._order)
        if shown and shown <= self._marked:
            self.clear_marks()
            return
        for name in shown - self._marked:
            self._row_cache.pop(name, None)
        self._marked |= shown
        self.refresh()
        self.post_message(self.MarksChanged(self.marked))

    def action_cycle_sort(self) -> None:
        """Sort by the next column."""
        index = SORTABLE.index(self._sort_column) if self._sort_column in SORTABLE else -1
        self.sort_by(SORTABLE[(index + 1) % len(SORTABLE)], reverse=False)

    def action_reverse_sort(self) -> None:
        """Reverse the sort order."""
        self.sort_by(self._sort_column, reverse=not self._sort_reverse)

    # -- mouse ---------------------------------------------------------------------------------

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        event.stop()
        x = offset.x if offset.x < self._pinned_width() else offset.x + int(self.scroll_x)
        if offset.y < _HEADER_ROWS:
            key = self._column_at(x)
            if key in SORTABLE:
                same = key == self._sort_column
                self.sort_by(key, reverse=not self._sort_reverse if same else False)
            return
        row = int(self.scroll_y) + offset.y - _HEADER_ROWS
        if 0 <= row < len(self._order):
            self._move_cursor(row)
            if event.chain >= 2:
                self.action_select_cursor()

    # -- rendering -----------------------------------------------------------------------------

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
        if y < _HEADER_ROWS:
            strip = self._header_strip(base)
        else:
            row = scroll_y + y - _HEADER_ROWS
            if row >= len(self._order):
                return Strip.blank(width, base)
            strip = self._row_strip(self._order[row], base, cursor=row == self._cursor)
        pinned = self._pinned_width()
        if scroll_x and width > pinned:
            # NAME stays put; the columns after it scroll under it.
            rest = strip.crop_extend(pinned + scroll_x, scroll_x + width, base)
            return Strip.join([strip.crop_extend(0, pinned, base), rest])
        return strip.crop_extend(scroll_x, scroll_x + width, base)

    def _pinned_width(self) -> int:
        return sum(self._widths[:_PINNED]) + 2 * _PAD * _PINNED

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._forget_drawn()

    def on_focus(self) -> None:
        self._forget_drawn()  # the cursor's colours depend on :focus

    def on_blur(self) -> None:
        self._forget_drawn()

    def _forget_drawn(self) -> None:
        self._row_cache.clear()
        self._header_cache = None
        self._tone_styles.clear()
        self.refresh()

    def _header_strip(self, base: Style) -> Strip:
        if self._header_cache is None:
            style = base + self.get_component_rich_style("instance-list--header")
            labels = (self.header_label(column.key) for column in COLUMNS)
            self._header_cache = self._strip(((label, None) for label in labels), style)
        return self._header_cache

    def _row_strip(self, name: str, base: Style, *, cursor: bool) -> Strip:
        if cursor:
            style = self.get_component_rich_style("instance-list--cursor")
            return self._strip(self._cells(self._views[name]), base, style)
        strip = self._row_cache.get(name)
        if strip is None:
            strip = self._strip(self._cells(self._views[name]), base)
            self._row_cache[name] = strip
        return strip

    def _strip(self, cells: Iterable[Cell], base: Style, over: Style | None = None) -> Strip:
        """One row: each cell padded to its column's width, in ``base`` + its own style."""
        # Neighbouring cells of one style become one segment: each segment costs a full SGR
        # sequence (~40 bytes with truecolour) every time the row is written to the terminal.
        # AGE stays a segment of its own: its tick rewrites that cell alone (ui/cells.py).
        segments: list[Segment] = []
        pad = " " * _PAD
        for index, ((text, style), width) in enumerate(zip(cells, self._widths, strict=True)):
            cell_style = base if style is None else base + style
            if over is not None:
                cell_style += over
            cell = pad + _fit(text, width) + pad
            alone = index in (_AGE_INDEX, _AGE_INDEX + 1)
            if segments and segments[-1].style == cell_style and not alone:
                segments[-1] = Segment(segments[-1].text + cell, cell_style)
            else:
                segments.append(Segment(cell, cell_style))
        return Strip(segments, self._row_width())

    def _row_width(self) -> int:
        return sum(self._widths) + 2 * _PAD * len(self._widths)

    def _tone(self, tone: Tone) -> Style:
        style = self._tone_styles.get(tone)
        if style is None:
            style = self._tone_style(tone)
            self._tone_styles[tone] = style
        return style

    def _tone_style(self, tone: Tone) -> Style:
        variables = self.app.theme_variables if self.is_attached else {}
        value = variables.get(TONE_COLOURS[tone])
        if tone is Tone.MUTED or not value:
            return _DIM
        try:
            return Style(color=Color.parse(value).rich_color)
        except Exception:  # a theme variable we cannot parse: fall back to plain text
            return Style()

    def _cells(self, view: InstanceView) -> list[Cell]:
        """The row's cells. Every text from the database or the cluster is drawn as segments
        (never markup) and through ``one_line`` (no control character reaches the terminal)."""
        resources = view.instance.resources
        now = self._now()
        when = age(view.instance.created_at, now)
        self._ages[view.name] = _times(view, now)
        marked = view.name in self._marked
        status = f"{TONE_GLYPHS[view.tone]} {one_line(status_text(view))}"
        if view.stale_since is not None:  # the watch is down: say the status may be old
            status = f"? {one_line(status_text(view))} · {age(view.stale_since, now)} old"
        return [
            ("✓" if marked else " ", _BOLD if marked else None),
            (one_line(view.name), None),
            (status, self._tone(Tone.MUTED if view.stale_since else view.tone)),
            (one_line(view.ready_text), None if view.ready else _DIM),
            (str(view.restarts), self._tone(Tone.WARN) if view.restarts else None),
            (when, None),
            (ports(view), None),
            (one_line(view.instance.display_name), None),
            (one_line(resources.cpu_limit), None),
            (one_line(resources.memory_limit), None),
            (one_line(view.reason), _DIM),
        ]

    # -- internals -----------------------------------------------------------------------------

    def _page_rows(self) -> int:
        return self.scrollable_content_region.height - _HEADER_ROWS

    def _column_at(self, x: int) -> str | None:
        left = 0
        for column, width in zip(COLUMNS, self._widths, strict=True):
            left += width + 2 * _PAD
            if x < left:
                return column.key
        return None

    def on_resize(self, event: events.Resize) -> None:
        self._fit_widths()  # NAME's cap depends on the width

    def _fit_widths(self) -> None:
        """Size the fitted columns to their widest value (over every instance, shown or not,
        so the columns stay put while the user types a filter), within their cap."""
        widths = []
        views = self._views.values()
        for index, column in enumerate(COLUMNS):
            header = cell_len(self.header_label(column.key))
            if column.width is not None:
                widths.append(max(column.width, header))
                continue
            text = _FITTED[column.key]
            widest = max([header, *(cell_len(text(v)) for v in views)])
            if column.key == "status":  # grows only: a cycling pod must not move the columns
                widest = max(widest, self._widths[index])
            cap = column.cap
            widths.append(widest if cap is None else max(header, min(widest, cap)))
        if self.size.width:
            # A 54-character name must not push STATUS and the ports off screen: NAME gets
            # what the columns up to the ports leave (at least _NAME_MIN), cut with an ellipsis.
            name = _INDEX["name"]
            used = sum(
                w + 2 * _PAD for i, w in enumerate(widths[: _INDEX["ports"] + 1]) if i != name
            )
            widths[name] = min(widths[name], max(_NAME_MIN, self.size.width - used - 2 * _PAD))
        if widths != self._widths:
            self._widths = widths
            self._row_cache.clear()
            self._header_cache = None
        self.virtual_size = Size(self._row_width(), len(self._order) + _HEADER_ROWS)

    def _reorder(self) -> None:
        """Recompute which rows are shown and their order, keeping the cursor on its instance."""
        selected = self.selected_name
        query = self._filter
        views = self._views
        sort_key = _BY_KEY[self._sort_column].sort_key
        shown = [view for view in views.values() if matches(view, query)]
        shown.sort(key=sort_key, reverse=self._sort_reverse)
        self._order = [view.name for view in shown]
        self._position = {name: index for index, name in enumerate(self._order)}
        self.virtual_size = Size(self._row_width(), len(self._order) + _HEADER_ROWS)
        index = self._position.get(selected, self._cursor) if selected else 0
        self._move_cursor(index, announce=False)
        self.refresh()

    def _move_cursor(self, index: int, *, announce: bool = True) -> None:
        index = max(0, min(index, len(self._order) - 1))
        if index != self._cursor:
            self._cursor = index
            self.refresh()
        self._scroll_to_cursor()
        if announce:
            self._announce_selection()

    def _scroll_to_cursor(self) -> None:
        rows = self._page_rows()
        if rows <= 0:
            return
        top = int(self.scroll_y)
        if self._cursor < top:
            target = self._cursor
        elif self._cursor >= top + rows:
            target = self._cursor - rows + 1
        else:
            return
        self.scroll_to(y=target, animate=False, immediate=True, force=True)

    def _announce_selection(self) -> None:
        name = self.selected_name
        if name != self._last_selected:
            self._last_selected = name
            self.post_message(self.Selected(name))
