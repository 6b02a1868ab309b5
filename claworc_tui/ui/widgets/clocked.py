"""A widget that shows times ("3m ago", AGE, today's times without the date) from an injected
clock, so that tests and snapshots read the same at any hour."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from textual.widget import Widget

# A plain mixin at run time: Textual takes a widget's CSS (DEFAULT_CSS, type names) from the
# first DOMNode among its bases, so a Widget subclass here, listed first, hid the ScrollView's
# or Vertical's CSS. The type checker sees a Widget, so ``super().__init__(id=…)`` checks.
if TYPE_CHECKING:
    _MixinBase = Widget
else:
    _MixinBase = object


class Clocked(_MixinBase):
    """Mixed in before the widget's Textual base: ``class ActivityPane(Clocked, Vertical)``."""

    def __init__(
        self,
        now: Callable[[], datetime],
        *,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """Create the widget.

        Args:
            now: The clock (the app's; a fixed one in tests).
            id: DOM id.
            classes: DOM classes.
        """
        super().__init__(id=id, classes=classes)
        self._now = now
