"""The instance table: a virtual list that draws only the rows on screen.

A fleet can hold a thousand instances whose status changes many times a second, and a filter
keystroke can change which of them are shown. So the list keeps plain data (``state.py``: every
view by name, the names shown in sort order, the cursor as an index) and draws rows through
Textual's line API (like :class:`~claworc_tui.ui.widgets.log_view.LogView`): ``render_line``
asks the painter (``rows.py``) for one :class:`Strip` per visible row, kept until that row's
instance, mark or times, the column widths or the styles change. What a column is lives in one
table (``columns.py``). A status change re-draws one row; a filter change is a list
comprehension over the views plus a repaint of what fits on screen (``bench/big_fleet.py``).

It looks and drives like Textual's ``DataTable`` with a row cursor (which it replaced; see
BENCHMARKS.md "Big fleet"): a fixed header row, one-cell padding around each cell, the cursor in
the block-cursor colours, dimmer when the list is not focused. Cell colours are component
classes (``instance-list--tone-ok``…) styled in ``styles/widgets.tcss``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar, TypeAlias

from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size

from claworc_tui.services.views import InstanceView
from claworc_tui.ui.widgets.instance_list import messages
from claworc_tui.ui.widgets.instance_list.columns import (
    INDEX,
    SORTABLE,
    header_label,
    row_cells,
)
from claworc_tui.ui.widgets.instance_list.view import HEADER_ROWS, InstanceRows


class InstanceList(InstanceRows, can_focus=True):
    """The fleet, one row per instance. Feed it views; it posts what the user picks."""

    ALLOW_SELECT = False

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

    Selected: TypeAlias = messages.Selected
    Opened: TypeAlias = messages.Opened
    MarksChanged: TypeAlias = messages.MarksChanged

    _last_selected: str | None = None
    """The selection last announced (``Selected`` is posted when it changes)."""
    _select_later: str | None = None
    """An instance to select as soon as it is listed (see ``select``)."""

    # -- what the parent reads -----------------------------------------------------------------

    @property
    def views(self) -> dict[str, InstanceView]:
        """Every instance known (shown or filtered out), by name."""
        return self._state.views

    @property
    def row_count(self) -> int:
        """Rows shown after filtering."""
        return len(self._state.order)

    @property
    def shown_count(self) -> int:
        """Rows shown after filtering."""
        return len(self._state.order)

    @property
    def shown_names(self) -> tuple[str, ...]:
        """The names shown, top to bottom."""
        return tuple(self._state.order)

    @property
    def cursor_row(self) -> int:
        """Index of the cursor's row among the shown rows."""
        return self._state.cursor

    @property
    def selected_name(self) -> str | None:
        """The instance under the cursor."""
        return self._state.selected

    @property
    def selected_view(self) -> InstanceView | None:
        """The view under the cursor."""
        name = self.selected_name
        return None if name is None else self._state.views.get(name)

    @property
    def marked(self) -> frozenset[str]:
        """Names of the marked instances that still exist."""
        return frozenset(self._state.marked)

    @property
    def filter_text(self) -> str:
        """The active filter ('' for none)."""
        return self._state.filter

    @property
    def sort_column(self) -> tuple[str, bool]:
        """The column sorted by, and whether the order is reversed."""
        return self._state.sort

    def header_label(self, key: str) -> str:
        """A column's header as shown (with ▲/▼ on the sorted column)."""
        return header_label(key, self._state.sort)

    def cell_text(self, name: str, key: str) -> str:
        """The text a cell shows (unpadded); KeyError for an unknown instance or column."""
        return row_cells(self._state.views[name], self._facts(name))[INDEX[key]][0]

    @property
    def hidden_marks(self) -> frozenset[str]:
        """Marked instances the filter hides (actions leave them alone)."""
        return self._state.hidden_marks

    def targets(self) -> list[str]:
        """What a bulk action applies to: the marked instances on screen, else the selected one.

        Marks hidden by the filter are left alone: "Stop 2 instances?" must not include one
        the user cannot see.
        """
        return self._state.targets()

    # -- what the parent feeds -----------------------------------------------------------------

    def apply_snapshot(self, views: Iterable[InstanceView]) -> None:
        """Replace what is known with a full list (first event, or after a re-list)."""
        fresh = {view.name: view for view in views}
        removed = [name for name in self._state.views if name not in fresh]
        self.apply_changes(fresh.values(), removed)

    def apply_changes(self, changed: Iterable[InstanceView], removed: Iterable[str]) -> None:
        """Update the rows of changed instances, add new ones, drop removed ones.

        Only the rows that changed are drawn again (the painter sees the new view); the order
        is recomputed only when a row comes, goes, or its sort value changes.
        """
        removed = list(removed)
        applied = self._state.apply(changed, removed)
        self._painter.drop(removed)
        self._fit_widths()
        if applied.reordered:
            self._show_order()
        else:
            self.refresh()
        if applied.unmarked:
            self.post_message(self.MarksChanged(self.marked))
        if self._select_later is not None and self._select_later in self._state.position:
            self.select(self._select_later)
        self._announce_selection()

    def set_filter(self, text: str) -> None:
        """Show only instances matching ``text`` (substring of name, display name or status)."""
        if text == self._state.filter:
            return
        self._state.filter = text
        self._state.reorder()
        self._show_order()
        self._announce_selection()

    def clear_marks(self) -> None:
        """Unmark every instance."""
        if not self._state.marked:
            return
        self._state.marked = set()
        self.refresh()
        self.post_message(self.MarksChanged(self.marked))

    def select(self, name: str, *, when_listed: bool = False) -> bool:
        """Move the cursor to ``name``; False when it is not shown.

        Args:
            name: The instance.
            when_listed: If it is not listed yet (just created), select it when it arrives.
        """
        index = self._state.position.get(name)
        if index is None:
            self._select_later = name if when_listed else None
            return False
        self._select_later = None
        self._move_cursor(index)
        return True

    def sort_by(self, column: str, *, reverse: bool = False) -> None:
        """Sort by a column key (see ``SORTABLE``)."""
        self._state.sort_by(column, reverse=reverse)
        self._fit_widths()
        self._show_order()

    # -- actions -------------------------------------------------------------------------------

    def action_cursor_down(self) -> None:
        """Move the cursor one row down."""
        self._move_cursor(self._state.cursor + 1)

    def action_cursor_up(self) -> None:
        """Move the cursor one row up."""
        self._move_cursor(self._state.cursor - 1)

    def action_page_down(self) -> None:
        """Move the cursor one screen down."""
        self._move_cursor(self._state.cursor + max(1, self._page_rows()))

    def action_page_up(self) -> None:
        """Move the cursor one screen up."""
        self._move_cursor(self._state.cursor - max(1, self._page_rows()))

    def action_scroll_top(self) -> None:
        """Move the cursor to the first row."""
        self._move_cursor(0)

    def action_scroll_bottom(self) -> None:
        """Move the cursor to the last row."""
        self._move_cursor(len(self._state.order) - 1)

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
        self._state.toggle_mark(name)
        self.post_message(self.MarksChanged(self.marked))
        self.refresh()
        self.action_cursor_down()

    def action_mark_all(self) -> None:
        """Mark every shown instance, or unmark all when all are marked."""
        if self._state.mark_all():
            self.refresh()
            self.post_message(self.MarksChanged(self.marked))

    def action_cycle_sort(self) -> None:
        """Sort by the next column."""
        self.sort_by(self._state.next_sort(), reverse=False)

    def action_reverse_sort(self) -> None:
        """Reverse the sort order."""
        column, reverse = self._state.sort
        self.sort_by(column, reverse=not reverse)

    # -- mouse ---------------------------------------------------------------------------------

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        event.stop()
        pinned = self._painter.pinned_width
        x = offset.x if offset.x < pinned else offset.x + int(self.scroll_x)
        if offset.y < HEADER_ROWS:
            key = self._painter.column_at(x)
            if key in SORTABLE:
                column, reverse = self._state.sort
                self.sort_by(key, reverse=not reverse if key == column else False)
            return
        row = int(self.scroll_y) + offset.y - HEADER_ROWS
        if 0 <= row < len(self._state.order):
            self._move_cursor(row)
            if event.chain >= 2:
                self.action_select_cursor()

    # -- internals -----------------------------------------------------------------------------

    def _show_order(self) -> None:
        """Show a recomputed order: size the area, keep the cursor in view, repaint."""
        self.virtual_size = Size(self._painter.row_width, len(self._state.order) + HEADER_ROWS)
        self._move_cursor(self._state.cursor, announce=False)
        self.refresh()

    def _move_cursor(self, index: int, *, announce: bool = True) -> None:
        index = self._state.clamp(index)
        if index != self._state.cursor:
            self._state.cursor = index
            self.refresh()
        self._scroll_to_cursor()
        if announce:
            self._announce_selection()

    def _announce_selection(self) -> None:
        name = self.selected_name
        if name != self._last_selected:
            self._last_selected = name
            self.post_message(self.Selected(name))
