"""Partial screen updates that start at the first changed cell, not at the widget's edge.

Textual sends a partial update (``widget.refresh(region)``) as "chops": for each line, the
pieces between widget edges. It crops a chop on the right at the end of the changed region,
but not on the left: a changed AGE cell was written together with everything from the list's
left border up to it (mark, NAME, STATUS, READY, RST: ~220 bytes a row instead of ~50). On a
10 s tick with 39 rows on screen that was most of what the app wrote at idle
(bench/terminal.py), which over SSH is bandwidth and latency for nothing (issue 17).

:class:`CellCompositor` is Textual's compositor with that one step changed: the segments of a
chop that end before the changed region are skipped, and the cursor is moved to the first one
that reaches into it. Whole segments only, so what is written for a cell is exactly what a
full update writes there (no wide character is cut). A widget that wants its cells updated on
their own keeps them in segments of their own (``InstanceList`` does for AGE).
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.control import Control
from textual._compositor import ChopsUpdate, Compositor
from textual.screen import Screen


class CellChopsUpdate(ChopsUpdate):
    """A partial update written from the first segment that reaches the changed region."""

    def render_segments(self, console: Console) -> str:
        sequences: list[str] = []
        append = sequences.append
        move_to = Control.move_to
        last_y = self.spans[-1][0]
        for y, x1, x2 in self.spans:
            line = self.chops[y]
            for end, (x, strip) in zip(self.chop_ends[y], line.items(), strict=False):
                if strip is None or x > x2 or end <= x1:
                    continue
                skip = 0
                if x < x1:  # leave out the segments that end before the region starts
                    for segment in strip:
                        cells = segment.cell_length
                        if x + skip + cells > x1:
                            break
                        skip += cells
                if not skip and x2 > x >= x1 and end <= x2:
                    append(move_to(x, y).segment.text)
                    append(strip.render(console))
                    continue
                append(move_to(x + skip, y).segment.text)
                append(strip.crop(skip, min(end, x2) - x).render(console))
            if y != last_y:
                append("\n")
        return "".join(sequences)


class CellCompositor(Compositor):
    """Textual's compositor, with partial updates cropped on the left too."""

    def render_partial_update(self) -> ChopsUpdate | None:
        update = super().render_partial_update()
        if update is None:
            return None
        return CellChopsUpdate(update.chops, update.spans, update.chop_ends)


def use_cell_updates(screen: Screen[Any]) -> None:
    """Make ``screen`` write partial updates from the first changed cell (call in __init__)."""
    screen._compositor = CellCompositor()
