"""What the instance list's columns are: one entry in :data:`COLUMNS` per column.

A column says everything about itself in one place — its header, how wide it is, what its cell
shows (and in which look), and what it sorts by — so adding a column is adding one entry here
(and, if its cell has a look of its own, one rule in ``styles/widgets.tcss``). The rest of the
list (``rows.py`` draws, ``state.py`` sorts and filters, ``widget.py`` drives) reads this table
and knows no column by name except the few rules named below (the pinned columns, the squeezed
NAME, the ticking AGE).

Pure: no Textual, no I/O. A cell's look is the suffix of a component class of the list
(``tone-ok`` → ``.instance-list--tone-ok``), so colours live in the stylesheet, not in Python.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from claworc_tui.models.quantity import QuantityError, parse_quantity
from claworc_tui.models.text import one_line
from claworc_tui.services.views import InstanceView, Tone
from claworc_tui.ui.format import TONE_GLYPHS, age, ports, status_text

#: A cell as drawn: its text (unpadded) and its look — the suffix of an ``instance-list--…``
#: component class (``tone-warn``, ``dim``, ``bold``), or None for the row's own style.
Cell = tuple[str, str | None]

#: Every look a cell may have; each is a component class styled in ``styles/widgets.tcss``.
LOOKS: tuple[str, ...] = (*(f"tone-{tone.value}" for tone in Tone), "dim", "bold")


@dataclass(frozen=True)
class RowFacts:
    """What a row's cells depend on besides the instance itself."""

    now: datetime
    """The list's clock (it moves on the screen's tick)."""
    marked: bool
    """Whether the user marked the row."""


@dataclass(frozen=True)
class Fixed:
    """A column of a fixed width (cells that change live must not move their neighbours)."""

    cells: int


@dataclass(frozen=True)
class Fit:
    """A column as wide as its widest value over every instance (shown or filtered out, so the
    columns stay put while the user types a filter), never narrower than its header."""

    measure: Callable[[InstanceView], str]
    """The text the column is sized by (the cell's text without what varies by the clock)."""
    cap: int | None = None
    """Most cells it takes; longer values are cut with an ellipsis."""
    grows_only: bool = False
    """Never narrows (a value that cycles, like a crash-looping status, must not move columns)."""


@dataclass(frozen=True)
class Column:
    """One column of the table."""

    key: str
    label: str
    width: Fixed | Fit
    cell: Callable[[InstanceView, RowFacts], Cell]
    sort_key: Callable[[InstanceView], Any] | None = None
    """What the column sorts by, or None when it cannot be sorted by."""
    own_segment: bool = False
    """Drawn as a segment of its own, never merged with a neighbour of the same style: the
    screen's tick rewrites just this cell (``ui/cells.py``; ``tests/ui/test_idle_bytes.py``)."""


_TONE_ORDER = {Tone.ERROR: 0, Tone.WARN: 1, Tone.BUSY: 2, Tone.OK: 3, Tone.MUTED: 4}


def _status_rank(view: InstanceView) -> int:
    """The status class a row sorts by. A crash-looping pod goes Error → CrashLoopBackOff →
    Running (ready, for a moment) every few seconds; sorting by that text, or by its tone,
    swapped rows each time. So a pod whose container has restarted after a failure sorts with
    the failing ones until it is replaced (a restart or a new pod resets the count)."""
    if view.tone is not Tone.MUTED and view.restarts and view.last_termination:
        return _TONE_ORDER[Tone.ERROR]
    return _TONE_ORDER[view.tone]


def _quantity(text: str) -> Decimal:
    try:
        return parse_quantity(text)
    except QuantityError:
        return Decimal(0)


def _status(view: InstanceView) -> str:
    return f"{TONE_GLYPHS[view.tone]} {one_line(status_text(view))}"


def _status_cell(view: InstanceView, row: RowFacts) -> Cell:
    if view.stale_since is not None:  # the watch is down: say the status may be old
        text = f"? {one_line(status_text(view))} · {age(view.stale_since, row.now)} old"
        return text, f"tone-{Tone.MUTED.value}"
    return _status(view), f"tone-{view.tone.value}"


def _mark_cell(view: InstanceView, row: RowFacts) -> Cell:
    return ("✓", "bold") if row.marked else (" ", None)


def _name(view: InstanceView) -> str:
    return one_line(view.name)


def _display(view: InstanceView) -> str:
    return one_line(view.instance.display_name)


# Every text from the database or the cluster goes through ``one_line`` (no control character
# reaches the terminal) and is drawn as segments, never as markup.
COLUMNS: tuple[Column, ...] = (
    Column("mark", " ", Fixed(1), _mark_cell),
    Column("name", "NAME", Fit(_name), lambda v, r: (_name(v), None), lambda v: v.name),
    # STATUS fits its widest value (growing only, so columns do not jump as a pod cycles); the
    # longer why is in REASON and the detail pane.
    Column(
        "status",
        "STATUS",
        Fit(_status, cap=28, grows_only=True),
        _status_cell,
        lambda v: (_status_rank(v), v.name),
    ),
    Column(
        "ready",
        "READY",
        Fixed(5),
        lambda v, r: (one_line(v.ready_text), None if v.ready else "dim"),
        lambda v: (v.ready, v.name),
    ),
    Column(
        "restarts",
        "RST",
        Fixed(4),
        lambda v, r: (str(v.restarts), f"tone-{Tone.WARN.value}" if v.restarts else None),
        lambda v: (v.restarts, v.name),
    ),
    Column(
        "age",
        "AGE",
        Fixed(5),
        lambda v, r: (age(v.instance.created_at, r.now), None),
        lambda v: v.instance.created_at,
        own_segment=True,
    ),
    # The ports come before DISPLAY NAME: they are what people open the list for, and at 80
    # columns they must be on screen.
    Column(
        "ports",
        "CHROME/TERM",
        Fit(ports),
        lambda v, r: (ports(v), None),
        lambda v: (v.instance.node_ports or (1 << 16,), v.name),
    ),
    Column(
        "display",
        "DISPLAY NAME",
        Fit(_display, cap=32),
        lambda v, r: (_display(v), None),
        lambda v: v.instance.display_name.lower(),
    ),
    Column(
        "cpu",
        "CPU",
        Fixed(6),
        lambda v, r: (one_line(v.instance.resources.cpu_limit), None),
        lambda v: _quantity(v.instance.resources.cpu_limit),
    ),
    Column(
        "memory",
        "MEM",
        Fixed(6),
        lambda v, r: (one_line(v.instance.resources.memory_limit), None),
        lambda v: _quantity(v.instance.resources.memory_limit),
    ),
    Column("reason", "REASON", Fixed(40), lambda v, r: (one_line(v.reason), "dim")),
)

BY_KEY: dict[str, Column] = {column.key: column for column in COLUMNS}
INDEX: dict[str, int] = {column.key: index for index, column in enumerate(COLUMNS)}
#: Columns the user can sort by, in the order ``o`` cycles through them.
SORTABLE: tuple[str, ...] = tuple(c.key for c in COLUMNS if c.sort_key is not None)

#: Columns that stay on screen when the list is scrolled right (mark and NAME, as in k9s).
PINNED = 2
#: A long NAME must not push STATUS and the ports off screen: it gets what the columns up to
#: and including KEEP_IN_VIEW leave, but never fewer than NAME_MIN cells.
SQUEEZED = "name"
KEEP_IN_VIEW = "ports"
NAME_MIN = 10
#: The column whose text moves with the clock (redrawn cell by cell on the screen's tick).
TICKING = "age"
_ARROWS = {False: "▲", True: "▼"}


def header_label(key: str, sort: tuple[str, bool]) -> str:
    """A column's header as shown (with ▲/▼ on the sorted column)."""
    column = BY_KEY[key]
    return column.label + _ARROWS[sort[1]] if key == sort[0] else column.label


def row_cells(view: InstanceView, row: RowFacts) -> list[Cell]:
    """The cells of one row, in column order."""
    return [column.cell(view, row) for column in COLUMNS]


def row_times(view: InstanceView, now: datetime) -> str:
    """The relative times a row shows (AGE, and how old a last-known status is): when this
    text changes on a tick, the row is drawn again."""
    created = age(view.instance.created_at, now)
    return created if view.stale_since is None else f"{created} {age(view.stale_since, now)}"
