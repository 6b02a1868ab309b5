"""What every action group of the main screen shares (see ``main_actions.py``, the registry).

An action group is a ``Screen`` mixin holding one kind of key's actions and their workers; it
reads the list and the context, and never another group's methods.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.screen import Screen

from claworc_tui.ui.text import toast
from claworc_tui.ui.widgets.instance_list import InstanceList

if TYPE_CHECKING:
    from claworc_tui.ui.context import UiContext


class ActionGroup(Screen[None]):
    """The base of the main screen's action groups: the context and the few checks they all
    make before acting (read-only, something selected)."""

    ctx: UiContext

    @property
    def instance_list(self) -> InstanceList:
        """The instance table."""
        return self.query_one(InstanceList)

    def _targets(self, *, single: bool = False) -> list[str]:
        """What an action applies to: the marked rows on screen, else the selected one
        (``single``: the selected one only)."""
        listing = self.query_one(InstanceList)
        if single:
            name = listing.selected_name
            return [name] if name else []
        return listing.targets()

    def _nothing_selected(self) -> None:
        toast(self, "no instance selected", severity="warning", timeout=3)

    def _refuse_if_read_only(self, what: str) -> bool:
        """Say why ``what`` is refused and return True when the app is read-only."""
        reason = self.ctx.read_only_reason
        if reason is None:
            return False
        toast(self, f"{what}: {reason}", title="Read-only", severity="warning")
        return True
