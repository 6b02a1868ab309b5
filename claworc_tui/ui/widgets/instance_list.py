"""The instance table: live rows updated in place, sorted, filtered, with marks.

The status stream can change a few rows many times a second while a thousand rows are on screen,
so a change touches only its own cells (``update_cell``); the table is rebuilt only when the user
changes the filter. Sorting re-orders row locations without rebuilding rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.color import Color
from textual.message import Message
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, RowDoesNotExist, RowKey

from claworc_tui.models.quantity import QuantityError, parse_quantity
from claworc_tui.services.views import InstanceView, Tone
from claworc_tui.ui.format import TONE_COLOURS, TONE_GLYPHS, age, matches, ports, status_text

_TONE_ORDER = {Tone.ERROR: 0, Tone.WARN: 1, Tone.BUSY: 2, Tone.OK: 3, Tone.MUTED: 4}
#: Rebuilding beats ``remove_row`` (linear in the table size) past this many removals at once.
_REBUILD_AFTER = 32


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
    """Fixed width (cells that change live), or None to fit content."""
    sort_key: Callable[[InstanceView], Any]


COLUMNS: tuple[Column, ...] = (
    Column("mark", " ", 1, lambda v: 0),
    Column("name", "NAME", None, lambda v: v.name),
    Column("status", "STATUS", 28, lambda v: (_TONE_ORDER[v.tone], v.status, v.name)),
    Column("ready", "READY", 5, lambda v: (v.ready, v.name)),
    Column("restarts", "RST", 4, lambda v: (v.restarts, v.name)),
    Column("age", "AGE", 5, lambda v: v.instance.created_at),
    Column("display", "DISPLAY NAME", None, lambda v: v.instance.display_name.lower()),
    Column("ports", "CHROME/TERM", 11, lambda v: v.instance.nodeport_chrome),
    Column("cpu", "CPU", 6, lambda v: _quantity(v.instance.resources.cpu_limit)),
    Column("memory", "MEM", 6, lambda v: _quantity(v.instance.resources.memory_limit)),
    Column("reason", "REASON", 40, lambda v: v.reason or ""),
)
_BY_KEY = {column.key: column for column in COLUMNS}
#: Below this many new rows, let Textual measure them all (cheap, and exact for any content).
_MEASURE_ALL_BELOW = 64
#: Columns the user can sort by, in the order ``o`` cycles through them.
SORTABLE: tuple[str, ...] = tuple(c.key for c in COLUMNS if c.key not in ("mark", "reason"))


class InstanceList(DataTable[Text]):
    """The fleet, one row per instance. Feed it views; it posts what the user picks."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("g", "scroll_top", "Top", show=False),
        Binding("G", "scroll_bottom", "Bottom", show=False),
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
        """The user pressed enter on an instance."""

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
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=False)
        self._now = now
        self._views: dict[str, InstanceView] = {}
        self._marked: set[str] = set()
        self._filter = ""
        self._sort_column = "name"
        self._sort_reverse = False
        self._last_selected: str | None = None

    def on_mount(self) -> None:
        for column in COLUMNS:
            self.add_column(column.label, width=column.width, key=column.key)
        self._show_sort_in_header()

    # -- what the parent reads -----------------------------------------------------------------

    @property
    def views(self) -> dict[str, InstanceView]:
        """Every instance known (shown or filtered out), by name."""
        return self._views

    @property
    def selected_name(self) -> str | None:
        """The instance under the cursor."""
        if not self.row_count:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        except CellDoesNotExist:
            return None
        return key.value

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
    def shown_count(self) -> int:
        """Rows shown after filtering."""
        return self.row_count

    def targets(self) -> list[str]:
        """What a bulk action applies to: the marked instances, else the selected one."""
        if self._marked:
            return sorted(self._marked)
        name = self.selected_name
        return [name] if name else []

    # -- what the parent feeds -----------------------------------------------------------------

    def apply_snapshot(self, views: Iterable[InstanceView]) -> None:
        """Replace what is known with a full list (first event, or after a re-list)."""
        fresh = {view.name: view for view in views}
        removed = [name for name in self._views if name not in fresh]
        self.apply_changes(fresh.values(), removed)

    def apply_changes(self, changed: Iterable[InstanceView], removed: Iterable[str]) -> None:
        """Update the rows of changed instances in place, add new ones, drop removed ones."""
        removed = [name for name in removed if name in self._views]
        for name in removed:
            del self._views[name]
            self._marked.discard(name)
        if len(removed) > _REBUILD_AFTER:
            self._rebuild()
        else:
            for name in removed:
                if name in self.rows:
                    self.remove_row(name)
        resort = False
        for view in changed:
            old = self._views.get(view.name)
            self._views[view.name] = view
            shown = view.name in self.rows
            wanted = matches(view, self._filter)
            if shown and wanted:
                self._update_row(view, old)
                if old is None or self._sort_value(old) != self._sort_value(view):
                    resort = True
            elif wanted:
                self.add_row(*self._cells(view), key=view.name)
                resort = True
            elif shown:
                self.remove_row(view.name)
        if removed:
            self.post_message(self.MarksChanged(self.marked))
        if resort:
            self._sort_keeping_cursor()
        self._announce_selection()

    def set_filter(self, text: str) -> None:
        """Show only instances matching ``text`` (substring of name, display name or status)."""
        if text == self._filter:
            return
        self._filter = text
        self._rebuild()

    def refresh_ages(self) -> None:
        """Recompute the AGE column (called on a slow timer)."""
        now = self._now()
        for name in list(self.rows):
            view = self._views.get(name.value or "")
            if view is None:
                continue
            text = age(view.instance.created_at, now)
            if self.get_cell(name, "age").plain != text:
                self.update_cell(name, "age", Text(text))

    def clear_marks(self) -> None:
        """Unmark every instance."""
        if not self._marked:
            return
        marked, self._marked = self._marked, set()
        for name in marked:
            if name in self.rows:
                self.update_cell(name, "mark", Text(" "))
        self.post_message(self.MarksChanged(self.marked))

    def select(self, name: str) -> bool:
        """Move the cursor to ``name``; False when it is not shown."""
        try:
            index = self.get_row_index(name)
        except RowDoesNotExist:
            return False
        self.move_cursor(row=index)
        return True

    # -- actions -------------------------------------------------------------------------------

    def action_toggle_mark(self) -> None:
        """Mark or unmark the instance under the cursor, then move down (as in k9s)."""
        name = self.selected_name
        if name is None:
            return
        if name in self._marked:
            self._marked.discard(name)
        else:
            self._marked.add(name)
        self.update_cell(name, "mark", self._mark_cell(name))
        self.post_message(self.MarksChanged(self.marked))
        self.action_cursor_down()

    def action_mark_all(self) -> None:
        """Mark every shown instance, or unmark all when all are marked."""
        shown = {key.value for key in self.rows if key.value}
        if shown and shown <= self._marked:
            self.clear_marks()
            return
        self._marked |= shown
        for name in shown:
            self.update_cell(name, "mark", self._mark_cell(name))
        self.post_message(self.MarksChanged(self.marked))

    def action_cycle_sort(self) -> None:
        """Sort by the next column."""
        index = SORTABLE.index(self._sort_column) if self._sort_column in SORTABLE else -1
        self.sort_by(SORTABLE[(index + 1) % len(SORTABLE)], reverse=False)

    def action_reverse_sort(self) -> None:
        """Reverse the sort order."""
        self.sort_by(self._sort_column, reverse=not self._sort_reverse)

    def action_select_cursor(self) -> None:
        """Enter opens the instance's detail."""
        name = self.selected_name
        if name is not None:
            self.post_message(self.Opened(name))

    def sort_by(self, column: str, *, reverse: bool = False) -> None:
        """Sort by a column key (see ``SORTABLE``)."""
        self._sort_column = column
        self._sort_reverse = reverse
        self._show_sort_in_header()
        self._sort_keeping_cursor()

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        key = event.column_key.value or ""
        if key in SORTABLE:
            same = key == self._sort_column
            self.sort_by(key, reverse=not self._sort_reverse if same else False)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._announce_selection()

    # -- internals -----------------------------------------------------------------------------

    def _announce_selection(self) -> None:
        name = self.selected_name
        if name != self._last_selected:
            self._last_selected = name
            self.post_message(self.Selected(name))

    def _sort_value(self, view: InstanceView) -> Any:
        return _BY_KEY[self._sort_column].sort_key(view)

    def _sort_keeping_cursor(self) -> None:
        selected = self.selected_name
        views = self._views
        sort_key = _BY_KEY[self._sort_column].sort_key

        def key(name_cell: Text) -> Any:
            view = views.get(name_cell.plain)
            return (0, sort_key(view)) if view is not None else (1, name_cell.plain)

        self.sort("name", key=key, reverse=self._sort_reverse)
        if selected is not None and selected in self.rows:
            self.move_cursor(row=self.get_row_index(selected), animate=False)

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        """Size the columns from the widest new rows only, not from every cell of every row.

        Textual measures every cell of every row added since the last idle to grow auto-width
        columns: ~90 ms for the 1 000 rows a filter change re-adds (bench/big_fleet.py). Here
        only NAME and DISPLAY NAME are auto-width and every row is one line high, so the rows
        holding the longest text of those two columns give exactly the same widths.
        """
        rows = list(new_rows)
        if len(rows) > _MEASURE_ALL_BELOW:
            auto = [i for i, column in enumerate(COLUMNS) if column.width is None]
            widest: set[RowKey] = set()
            for index in auto:
                widest.add(max(rows, key=lambda key: cell_len(self.get_row(key)[index].plain)))
            rows = [key for key in rows if key in widest]
        super()._update_dimensions(rows)

    def _rebuild(self) -> None:
        selected = self.selected_name
        self.clear()
        for view in self._views.values():
            if matches(view, self._filter):
                self.add_row(*self._cells(view), key=view.name)
        self._sort_keeping_cursor()
        if selected is not None and selected in self.rows:
            self.move_cursor(row=self.get_row_index(selected), animate=False)
        self._announce_selection()

    def _show_sort_in_header(self) -> None:
        arrow = "▼" if self._sort_reverse else "▲"
        for column in COLUMNS:
            label = column.label + (arrow if column.key == self._sort_column else "")
            self.columns[self._column_key(column.key)].label = Text(label)
        self.refresh()

    def _column_key(self, key: str) -> Any:
        for column_key in self.columns:
            if column_key.value == key:
                return column_key
        raise KeyError(key)

    def _style(self, tone: Tone) -> Style:
        variables = self.app.theme_variables if self.is_attached else {}
        value = variables.get(TONE_COLOURS[tone])
        if tone is Tone.MUTED or not value:
            return Style(dim=True)
        try:
            return Style(color=Color.parse(value).rich_color)
        except Exception:  # a theme variable we cannot parse: fall back to plain text
            return Style()

    def _mark_cell(self, name: str) -> Text:
        return Text("✓", style="bold") if name in self._marked else Text(" ")

    def _cells(self, view: InstanceView) -> list[Text]:
        now = self._now()
        resources = view.instance.resources
        status = Text(f"{TONE_GLYPHS[view.tone]} {status_text(view)}", style=self._style(view.tone))
        return [
            self._mark_cell(view.name),
            Text(view.name),
            status,
            Text(view.ready_text, style=Style() if view.ready else Style(dim=True)),
            Text(str(view.restarts), style=self._style(Tone.WARN) if view.restarts else Style()),
            Text(age(view.instance.created_at, now)),
            Text(view.instance.display_name),
            Text(ports(view)),
            Text(resources.cpu_limit),
            Text(resources.memory_limit),
            Text(" ".join((view.reason or "").split()), style=Style(dim=True)),
        ]

    def _update_row(self, view: InstanceView, old: InstanceView | None) -> None:
        if old == view:
            return
        name = view.name
        for column, cell in zip(COLUMNS, self._cells(view), strict=True):
            if column.key == "mark":
                continue
            if self.get_cell(name, column.key) != cell:
                self.update_cell(name, column.key, cell)
