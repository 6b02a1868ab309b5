"""The footer of the full screens: ``? Help`` and ``q Quit`` first, so 80 columns keep them."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


class AppFooter(Footer):
    """Textual's footer with the keys a new user looks for first.

    The footer cuts what does not fit on the right; at 80 columns that was ``? Help`` and
    ``q Quit`` (the app's keys come after the screen's and the focused widget's).
    """

    FIRST: ClassVar[tuple[str, ...]] = ("help", "quit")
    """Actions shown first, in this order."""

    def compose(self) -> ComposeResult:
        items: list[Widget] = list(super().compose())
        first = sorted(
            (i for i in items if isinstance(i, FooterKey) and i.action in self.FIRST),
            key=lambda item: self.FIRST.index(item.action),
        )
        yield from first
        yield from (item for item in items if item not in first)
