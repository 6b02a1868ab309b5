"""The main screen's panes: the detail pane (loaded when the selection settles, refreshed while
the selected instance's objects change) and the bottom log and activity panes (mounted when
first opened). An action group (see ``main_actions.py``): ``enter`` opens the detail, ``l`` and
``a`` toggle the bottom panes.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from typing import TYPE_CHECKING

from textual import on, work
from textual.css.query import NoMatches
from textual.timer import Timer
from textual.widgets import ContentSwitcher

from claworc_tui.models.errors import ClaworcError
from claworc_tui.ui.messages import OperationDone, ServiceFailed
from claworc_tui.ui.screens.action_group import ActionGroup
from claworc_tui.ui.widgets.instance_detail import InstanceDetail

if TYPE_CHECKING:  # the panes are imported when first opened, not for the first frame
    from claworc_tui.ui.widgets.activity_pane import ActivityPane
    from claworc_tui.ui.widgets.log_pane import LogPane

DETAIL_GROUP = "details"
ACTIVITY_GROUP = "activity"
#: Rebuild the selected instance's details at most this often while its objects keep changing
#: (cheap: from the watch cache, no request).
DETAIL_REFRESH_SECONDS = 0.5


class PaneActions(ActionGroup):
    """The detail pane's loading and the bottom panes' opening and closing."""

    _details_loaded_at = 0.0
    _details_due: Timer | None = None
    _details_name: str | None = None
    """The instance whose details were last asked for."""
    _log_pane: LogPane | None = None
    _activity_pane: ActivityPane | None = None

    @property
    def detail(self) -> InstanceDetail:
        """The detail pane."""
        return self.query_one(InstanceDetail)

    @property
    def log_pane(self) -> LogPane:
        """The log pane (mounted when first opened; ``NoMatches`` before that)."""
        if self._log_pane is None:
            raise NoMatches("the log pane has not been opened")
        return self._log_pane

    @property
    def activity_pane(self) -> ActivityPane:
        """The activity pane (mounted when first opened; ``NoMatches`` before that)."""
        if self._activity_pane is None:
            raise NoMatches("the activity pane has not been opened")
        return self._activity_pane

    async def _mount_bottom(self, pane: str) -> None:
        """Mount the bottom pane ``pane`` into the switcher if this is its first use."""
        switcher = self.query_one("#bottom", ContentSwitcher)
        if pane == "logs" and self._log_pane is None:
            from claworc_tui.ui.widgets.log_pane import LogPane

            ctx = self.ctx
            self._log_pane = LogPane(
                ctx.ops.follow_logs, buffer_lines=ctx.log_buffer_lines, now=ctx.now, id="logs"
            )
            await switcher.mount(self._log_pane)
        elif pane == "activity" and self._activity_pane is None:
            from claworc_tui.ui.widgets.activity_pane import ActivityPane

            self._activity_pane = ActivityPane(self.ctx.now, id="activity")
            await switcher.mount(self._activity_pane)

    def _following(self, name: str) -> LogPane | None:
        """The log pane when it follows ``name``."""
        pane = self._log_pane
        return pane if pane is not None and pane.instance == name else None

    @property
    def bottom(self) -> str | None:
        """Which bottom pane is open (``logs``, ``activity``) or None."""
        switcher = self.query_one("#bottom", ContentSwitcher)
        return switcher.current if switcher.display else None

    # -- details and activity ------------------------------------------------------------------

    def _details_soon(self) -> None:
        """Reload the selected instance's details, at most every DETAIL_REFRESH_SECONDS."""
        if self._details_due is not None:
            return
        loop = asyncio.get_running_loop()
        wait = max(0.0, self._details_loaded_at + DETAIL_REFRESH_SECONDS - loop.time())

        def due() -> None:
            self._details_due = None
            with suppress(NoMatches):  # the app is closing: the widgets went first
                if (name := self.instance_list.selected_name) is not None:
                    self.load_details(name, reread=False)

        self._details_due = self.set_timer(wait or 0.01, due)

    @work(exclusive=True, group=DETAIL_GROUP, exit_on_error=False)
    async def load_details(self, name: str, *, reread: bool = True) -> None:
        """Load the detail pane's objects, keys, URLs, events and advice.

        ``reread=False`` (the instance's objects changed) builds them from what is watched;
        otherwise (a new selection, after an operation) what is not watched is read again.
        While the app is still connecting there is nothing to load: the main screen asks
        again once it is connected.
        """
        if not self.ctx.connected:
            return
        self._details_loaded_at = asyncio.get_running_loop().time()
        self._details_name = name
        try:
            details = await self.ctx.ops.details(name, reread=reread)
        except ClaworcError as exc:
            if self.instance_list.selected_name == name:
                self.post_message(ServiceFailed(f"load the details of {name}", exc))
            return
        if self.instance_list.selected_name != name:
            return  # stale: the user moved on while this was in flight
        self.detail.details = details
        if (pane := self._following(name)) is not None:
            pane.events = details.events

    @work(exclusive=True, group=ACTIVITY_GROUP, exit_on_error=False)
    async def load_activity(self) -> None:
        """Load the activity entries for the pane."""
        scope = self.activity_pane.only_instance
        try:
            entries = await self.ctx.ops.activity(200, scope)
        except ClaworcError as exc:
            self.post_message(ServiceFailed("load the activity log", exc))
            return
        if (
            self.activity_pane.only_instance != scope
            or tuple(entries) == self.activity_pane.entries
        ):
            return  # another scope asked for meanwhile, or nothing new (the pane reloads often)
        self.activity_pane.entries = tuple(entries)

    @on(OperationDone)
    def _operation_done(self) -> None:
        name = self.instance_list.selected_name
        if name is not None:
            self.load_details(name)
        if self.bottom == "activity":
            self.load_activity()

    # -- panes ---------------------------------------------------------------------------------

    def action_open_detail(self) -> None:
        """Show the selected instance's detail (fills the screen when narrow)."""
        self.add_class("-detail-open")
        self.detail.focus()
        name = self.instance_list.selected_name
        if name is not None:
            self.load_details(name)

    async def action_toggle_logs(self) -> None:
        """Open the log pane for the selected instance, or close it."""
        await self._toggle_bottom("logs")

    async def action_toggle_activity(self) -> None:
        """Open the activity pane, or close it."""
        await self._toggle_bottom("activity")

    async def _toggle_bottom(self, pane: str) -> None:
        switcher = self.query_one("#bottom", ContentSwitcher)
        await self._mount_bottom(pane)
        if self.bottom == pane:
            switcher.display = False
            if pane == "logs":
                self.log_pane.instance = None
            self.instance_list.focus()
            return
        if self.bottom == "logs":
            self.log_pane.instance = None
        switcher.display = True
        switcher.current = pane
        if pane == "logs":
            self.log_pane.instance = self.instance_list.selected_name
            self.log_pane.view.focus()
            name = self.instance_list.selected_name
            if name is not None:
                self.load_details(name)
        else:
            self.activity_pane.table.focus()
            self.load_activity()

    def on_log_pane_left(self) -> None:
        """``LogPane.Left`` (a handler by name: the pane's module loads when first opened)."""
        self.instance_list.focus()

    async def on_activity_pane_left(self) -> None:
        """``ActivityPane.Left``."""
        if self.bottom == "activity":
            await self._toggle_bottom("activity")  # esc closes the pane, as in k9s
        self.instance_list.focus()

    def on_activity_pane_scope_toggled(self) -> None:
        """``ActivityPane.ScopeToggled``."""
        pane = self.activity_pane
        pane.only_instance = None if pane.only_instance else self.instance_list.selected_name
        self.load_activity()

    def on_activity_pane_reload_requested(self) -> None:
        """``ActivityPane.ReloadRequested``."""
        self.load_activity()
