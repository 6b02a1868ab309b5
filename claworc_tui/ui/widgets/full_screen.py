"""A bottom pane that ``f`` fills the screen with, and that ``escape`` takes out of full screen
before anything else (the log pane and the activity pane)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widget import Widget

# A plain mixin at run time, as Clocked is (see clocked.py): a Widget base listed first would
# hide the pane's own Textual base's CSS.
if TYPE_CHECKING:
    _MixinBase = Widget
else:
    _MixinBase = object


class FullScreenPane(_MixinBase):
    """Mixed in before the pane's Textual base. The pane binds ``f`` to ``toggle_fullscreen``
    itself (its footer keeps its own order), names the widget that keeps the focus, and calls
    :meth:`leave_full_screen` from its escape action."""

    ALLOW_MAXIMIZE = True

    @property
    def focus_widget(self) -> Widget:
        """The pane's widget that has the focus in and out of full screen."""
        raise NotImplementedError

    def action_toggle_fullscreen(self) -> None:
        """Fill the screen with the pane, or go back."""
        if not self.leave_full_screen():
            self.screen.maximize(self, container=False)
        self.focus_widget.focus()

    def leave_full_screen(self) -> bool:
        """Go back from full screen; False when the pane was not filling the screen."""
        if self.screen.maximized is not self:
            return False
        self.screen.minimize()
        return True
