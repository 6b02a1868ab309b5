"""What the instance list shows, as plain data: the instances, the filter, the sort, the marks
and the cursor. No Textual: the widget asks it what changed and repaints accordingly.

The order is recomputed only when a row comes, goes, its sort value changes or it starts or
stops matching the filter; a status change of a row that keeps its place costs a dict update.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from claworc_tui.services.views import InstanceView
from claworc_tui.ui.format import matches
from claworc_tui.ui.widgets.instance_list.columns import BY_KEY, SORTABLE


def _sort_key(column: str) -> Callable[[InstanceView], Any]:
    key = BY_KEY[column].sort_key
    if key is None:
        raise ValueError(f"cannot sort by {column!r}: one of {', '.join(SORTABLE)}")
    return key


@dataclass(frozen=True)
class Applied:
    """What a batch of changes did to the list."""

    reordered: bool
    """Rows came, went or moved: the order was recomputed."""
    unmarked: bool
    """A marked instance went away."""


class ListState:
    """The list's data: every view by name, the names shown in order, marks and cursor."""

    def __init__(self) -> None:
        self.views: dict[str, InstanceView] = {}
        """Every instance known (shown or filtered out), by name."""
        self.marked: set[str] = set()
        self.filter = ""
        self.sort: tuple[str, bool] = ("name", False)
        """The column sorted by, and whether the order is reversed."""
        self.order: list[str] = []
        """Names shown, in display order."""
        self.position: dict[str, int] = {}
        """Name → index in ``order``."""
        self.cursor = 0

    @property
    def selected(self) -> str | None:
        """The name under the cursor."""
        return self.order[self.cursor] if self.order else None

    def clamp(self, index: int) -> int:
        """``index`` moved into the shown rows."""
        return max(0, min(index, len(self.order) - 1))

    def apply(self, changed: Iterable[InstanceView], removed: Iterable[str]) -> Applied:
        """Take changed and new views, drop removed names (and their marks)."""
        reorder = False
        unmarked = False
        for name in removed:
            if self.views.pop(name, None) is None:
                continue
            if name in self.marked:
                self.marked.discard(name)
                unmarked = True
            reorder = reorder or name in self.position
        sort_key = _sort_key(self.sort[0])
        for view in changed:
            name = view.name
            old = self.views.get(name)
            if old == view:
                continue
            self.views[name] = view
            if reorder:
                continue  # the order is rebuilt anyway
            shown = name in self.position
            moved = shown and (old is None or sort_key(old) != sort_key(view))
            reorder = moved or shown != matches(view, self.filter)
        if reorder:
            self.reorder()
        return Applied(reorder, unmarked)

    def sort_by(self, column: str, *, reverse: bool) -> None:
        """Sort by a column key (see ``SORTABLE``)."""
        if column not in SORTABLE:
            raise ValueError(f"cannot sort by {column!r}: one of {', '.join(SORTABLE)}")
        self.sort = (column, reverse)
        self.reorder()

    def next_sort(self) -> str:
        """The column ``o`` sorts by next."""
        index = SORTABLE.index(self.sort[0]) if self.sort[0] in SORTABLE else -1
        return SORTABLE[(index + 1) % len(SORTABLE)]

    def reorder(self) -> None:
        """Recompute which rows are shown and their order, keeping the cursor on its instance."""
        selected = self.selected
        query = self.filter
        column, reverse = self.sort
        sort_key = _sort_key(column)
        shown = [view for view in self.views.values() if matches(view, query)]
        shown.sort(key=sort_key, reverse=reverse)
        self.order = [view.name for view in shown]
        self.position = {name: index for index, name in enumerate(self.order)}
        index = self.position.get(selected, self.cursor) if selected else 0
        self.cursor = self.clamp(index)

    # -- marks ---------------------------------------------------------------------------------

    def toggle_mark(self, name: str) -> None:
        """Mark ``name``, or unmark it."""
        if name in self.marked:
            self.marked.discard(name)
        else:
            self.marked.add(name)

    def mark_all(self) -> bool:
        """Mark every shown instance, or unmark all when all are marked; False if none shown."""
        shown = set(self.order)
        if not shown:
            return False
        if shown <= self.marked:
            self.marked = set()
        else:
            self.marked |= shown
        return True

    @property
    def hidden_marks(self) -> frozenset[str]:
        """Marked instances the filter hides (actions leave them alone)."""
        return frozenset(name for name in self.marked if name not in self.position)

    def targets(self) -> list[str]:
        """What a bulk action applies to: the marked instances on screen, else the selected one.

        Marks hidden by the filter are left alone: "Stop 2 instances?" must not include one
        the user cannot see.
        """
        shown = [name for name in self.marked if name in self.position]
        if shown:
            return sorted(shown)
        name = self.selected
        return [name] if name else []
