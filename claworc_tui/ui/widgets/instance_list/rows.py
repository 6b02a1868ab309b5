"""Drawing the instance list's rows: column widths, and one :class:`Strip` per row.

The painter keeps what it drew, keyed by what the drawing depends on — the view (frozen, so a
change is a new object), the mark, and the row's relative times — so a changed row is drawn
again without anyone having to say so. Only two things throw drawings away: the column widths
changing (``fit``) and the styles changing (``forget``: theme, focus).

Cells are padded by one cell on each side (as ``DataTable``'s default ``cell_padding``).
Neighbouring cells of one style become one segment: each segment costs a full SGR sequence
(~40 bytes with truecolour) every time the row is written to the terminal. A column with
``own_segment`` (AGE) stays a segment of its own, so its tick rewrites that cell alone
(``ui/cells.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from claworc_tui.services.views import InstanceView
from claworc_tui.ui.widgets.instance_list.columns import (
    COLUMNS,
    INDEX,
    KEEP_IN_VIEW,
    NAME_MIN,
    PINNED,
    SQUEEZED,
    Cell,
    Fixed,
    RowFacts,
    header_label,
    row_cells,
    row_times,
)

#: Cells of padding on each side of a cell.
PAD = 1
_OWN_SEGMENT = tuple(column.own_segment for column in COLUMNS)


def _fit(text: str, width: int) -> str:
    """``text`` in exactly ``width`` cells: padded, or cut with an ellipsis."""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, width - 1) + "…"


@dataclass(frozen=True)
class _Drawn:
    """A row as drawn without the cursor, and what it was drawn from."""

    view: InstanceView
    marked: bool
    times: str
    strip: Strip


class RowPainter:
    """Column widths and row strips for the list, with what it drew kept for reuse."""

    def __init__(self, look: Callable[[str], Style]) -> None:
        """Create the painter.

        Args:
            look: The style of a cell look (``tone-ok``, ``dim``…; see ``columns.LOOKS``).
        """
        self._look = look
        self.widths: list[int] = [
            column.width.cells if isinstance(column.width, Fixed) else 0 for column in COLUMNS
        ]
        self._rows: dict[str, _Drawn] = {}
        self._header: tuple[tuple[str, bool], Strip] | None = None
        self.drawn_times: dict[str, str] = {}
        """The relative times each row was last drawn with (the tick redraws rows that moved)."""

    @property
    def row_width(self) -> int:
        """Cells of a whole row."""
        return sum(self.widths) + 2 * PAD * len(self.widths)

    @property
    def pinned_width(self) -> int:
        """Cells of the first ``pinned`` columns (they stay put when scrolled right)."""
        return sum(self.widths[:PINNED]) + 2 * PAD * PINNED

    def column_left(self, index: int) -> int:
        """Where column ``index`` starts in the row."""
        return sum(width + 2 * PAD for width in self.widths[:index])

    def column_at(self, x: int) -> str | None:
        """The key of the column at cell ``x`` of the row, or None past the last."""
        left = 0
        for column, width in zip(COLUMNS, self.widths, strict=True):
            left += width + 2 * PAD
            if x < left:
                return column.key
        return None

    # -- what is kept --------------------------------------------------------------------------

    def forget(self) -> None:
        """Throw every drawing away (the styles changed)."""
        self._rows.clear()
        self._header = None

    def drop(self, names: Iterable[str]) -> None:
        """Forget the rows of instances that are gone."""
        for name in names:
            self._rows.pop(name, None)
            self.drawn_times.pop(name, None)

    def fit(self, views: Sequence[InstanceView], sort: tuple[str, bool], room: int) -> None:
        """Size each fitted column to its widest value, within its cap; NAME is squeezed so the
        columns up to the ports fit in ``room`` cells (0: not laid out yet)."""
        widths = []
        for index, column in enumerate(COLUMNS):
            header = cell_len(header_label(column.key, sort))
            rule = column.width
            if isinstance(rule, Fixed):
                widths.append(max(rule.cells, header))
                continue
            widest = max([header, *(cell_len(rule.measure(v)) for v in views)])
            if rule.grows_only:
                widest = max(widest, self.widths[index])
            widths.append(widest if rule.cap is None else max(header, min(widest, rule.cap)))
        if room:
            squeezed = INDEX[SQUEEZED]
            used = sum(
                width + 2 * PAD
                for index, width in enumerate(widths[: INDEX[KEEP_IN_VIEW] + 1])
                if index != squeezed
            )
            widths[squeezed] = min(widths[squeezed], max(NAME_MIN, room - used - 2 * PAD))
        if widths != self.widths:
            self.widths = widths
            self.forget()

    # -- drawing -------------------------------------------------------------------------------

    def header(self, sort: tuple[str, bool], style: Style) -> Strip:
        """The header row (labels, the sorted one with its arrow)."""
        if self._header is None or self._header[0] != sort:
            labels = [(header_label(column.key, sort), None) for column in COLUMNS]
            self._header = (sort, self._strip(labels, style))
        return self._header[1]

    def row(
        self, view: InstanceView, row: RowFacts, base: Style, cursor: Style | None = None
    ) -> Strip:
        """One instance's row, in ``base``, or with ``cursor`` over it (never kept)."""
        times = row_times(view, row.now)
        if cursor is not None:
            self.drawn_times[view.name] = times
            return self._strip(row_cells(view, row), base, cursor)
        drawn = self._rows.get(view.name)
        if (
            drawn is None
            or drawn.view is not view
            or drawn.marked != row.marked
            or drawn.times != times
        ):
            self.drawn_times[view.name] = times
            strip = self._strip(row_cells(view, row), base)
            drawn = self._rows[view.name] = _Drawn(view, row.marked, times, strip)
        return drawn.strip

    def times_moved(self, view: InstanceView, now: datetime) -> bool:
        """Whether the row's relative times differ from what was last drawn."""
        return self.drawn_times.get(view.name) != row_times(view, now)

    def _strip(self, cells: Iterable[Cell], base: Style, over: Style | None = None) -> Strip:
        segments: list[Segment] = []
        pad = " " * PAD
        look = self._look
        alone_before = False
        for (text, name), width, alone in zip(cells, self.widths, _OWN_SEGMENT, strict=True):
            style = base if name is None else base + look(name)
            if over is not None:
                style += over
            cell = pad + _fit(text, width) + pad
            if segments and segments[-1].style == style and not (alone or alone_before):
                segments[-1] = Segment(segments[-1].text + cell, style)
            else:
                segments.append(Segment(cell, style))
            alone_before = alone
        return Strip(segments, self.row_width)
