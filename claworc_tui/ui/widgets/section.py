"""A block of text whose updates repaint only the lines that changed.

``Static.update`` repaints every line of the widget (and by default lays the screen out again).
The detail pane's sections change one line at a time — "started 3m ago" becomes "4m", one
event's age moves on — and a whole-section repaint wrote ~1.5 KB to the terminal for a
2-character change (bench/terminal.py, idle bytes; issue 17).
"""

from __future__ import annotations

from typing import Self

from textual.content import Content
from textual.geometry import Region
from textual.visual import Visual, visualize
from textual.widgets import Static


class Section(Static):
    """A ``Static`` with :meth:`show`: new content, repainting only the lines that differ."""

    _only: tuple[Region, ...] | None = None
    """While :meth:`show` updates: the lines to repaint (instead of the whole widget)."""

    def show(self, content: Content) -> None:
        """Show ``content``. When it takes the same height, only the changed lines are
        repainted and no layout pass runs; otherwise it is a full update."""
        width, height = self.size
        style = self.visual_style
        new = Visual.to_strips(self, visualize(self, content), width, None, style)
        if not width or len(new) != height:
            self.update(content)
            return
        old = Visual.to_strips(self, self.visual, width, None, style)
        if len(old) != height:
            self.update(content)
            return
        self._only = tuple(
            Region(0, y, width, 1)
            for y, (was, now) in enumerate(zip(old, new, strict=True))
            if was != now
        )
        try:
            self.update(content, layout=False)
        finally:
            self._only = None

    def refresh(
        self,
        *regions: Region,
        repaint: bool = True,
        layout: bool = False,
        recompose: bool = False,
    ) -> Self:
        only = self._only
        if only is not None and not (regions or layout or recompose):
            if not only:  # nothing visible changed
                return self
            regions = only
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)
