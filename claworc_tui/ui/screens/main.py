"""The main screen: header, live instance list, detail pane, log and activity panes.

The screen owns the service calls (workers in the action groups of ``main_actions.py``) and the
one fleet stream; widgets only render what it sets on them and post what the user wants.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime
from typing import ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.timer import Timer
from textual.widgets import ContentSwitcher, Input

from claworc_tui.models.errors import ClaworcError
from claworc_tui.services.views import (
    Connection,
    ConnectionChanged,
    ConnectionState,
    FleetChanged,
    FleetSnapshot,
    InstanceView,
)
from claworc_tui.ui.cells import use_cell_updates
from claworc_tui.ui.commands import InstanceCommands
from claworc_tui.ui.context import UiContext
from claworc_tui.ui.screens.main_actions import WRITE_ACTIONS, MainActions
from claworc_tui.ui.text import is_text_field, toast
from claworc_tui.ui.widgets.app_footer import AppFooter
from claworc_tui.ui.widgets.app_header import AppHeader
from claworc_tui.ui.widgets.field import Field
from claworc_tui.ui.widgets.instance_detail import InstanceDetail
from claworc_tui.ui.widgets.instance_list import InstanceList

log = logging.getLogger(__name__)
FLEET_GROUP = "fleet"
#: Wait this long after the cursor stops before loading details / switching the log follow.
SETTLE_SECONDS = 0.15
#: Every relative time on screen moves on this beat. Each second was tried: with a young fleet
#: every visible AGE and the detail pane's times change each second, and redrawing them cost
#: status p95 ~10 ms and idle CPU 0.09 -> 1.45 % (bench/status.py, bench/idle.py).
TICK_SECONDS = 10.0


class TickedClock:
    """The one clock the list and the detail pane draw relative times from.

    It moves only on the screen's tick, so AGE and "Created … ago" always agree, and both move
    together ("Created 33s ago" beside an AGE of 47s cannot happen).
    """

    def __init__(self, now: Callable[[], datetime]) -> None:
        self._now = now
        self.value = now()

    def __call__(self) -> datetime:
        return self.value

    def tick(self) -> None:
        """Move to the real time."""
        self.value = self._now()


_FLEET_RETRY = (1.0, 2.0, 5.0, 10.0)
#: Fleet changes are applied to the list at most this often (a crash-looping pod, or a
#: thousand instances re-listing, would otherwise redraw the screen for every event). A change
#: after a quiet spell shows at once; the stream is then not read for this long, while the hub's
#: mailbox keeps only the newest view of each instance — the one batching window, no second
#: buffer here. A pod change usually comes as two or three MODIFIED events in a row; the period
#: is what the second one waits. 40 ms: ~25 list updates a second at most, each cheap since the
#: list draws only the rows that changed (was 100 ms with DataTable; bench/status.py median
#: 64 -> 9 ms, p95 78 -> 18 ms).
FLEET_FLUSH_SECONDS = 0.04
#: What the keys may do while the app is still connecting (the list is drawn from the records,
#: see services/launch.py): look. Every other action of the screen needs the cluster and is
#: refused until then, greyed in the footer, with a toast that says why.
WHILE_CONNECTING = frozenset({"filter", "back", "help", "open_detail"})
#: What the header says while connecting.
CONNECTING = Connection(state=ConnectionState.CONNECTING, reason="ctrl+c quits")


class MainScreen(MainActions):
    """Everything about the fleet on one screen. What its keys do is in the action groups
    listed in ``main_actions.py`` (the registry); this class lays out the screen, follows the
    fleet, and owns its panes, filter and selection."""

    BREAKS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (120, "-wide")]
    HORIZONTAL_BREAKPOINTS = BREAKS
    COMMANDS = {InstanceCommands}  # noqa: RUF012 - Textual's own class attribute
    BINDINGS: ClassVar[list[BindingType]] = [
        # "n" and "/" are priority bindings: they open a field, and the keys typed right after
        # them must already find it focused (see check_action for where they step aside).
        Binding("n", "new_instance", "New", priority=True),
        Binding("enter", "open_detail", "Detail", show=False),
        Binding("s", "start", "Start"),
        Binding("x", "stop", "Stop"),
        Binding("r", "restart", "Restart"),
        Binding("D", "delete", "Delete"),
        Binding("e", "edit_config", "Config"),
        Binding("l", "toggle_logs", "Logs"),
        Binding("a", "toggle_activity", "Activity", show=False),
        Binding("d", "drift", "Drift", show=False),
        Binding("c", "copy_url('chrome')", "Copy Chrome URL", show=False),
        Binding("t", "copy_url('terminal')", "Copy terminal URL", show=False),
        Binding("slash", "filter", "Filter", priority=True),
        Binding("comma", "settings", "Settings", show=False),
        Binding("question_mark", "help", "Help"),
        Binding("escape", "back", "Back", show=False),
    ]

    def __init__(self, ctx: UiContext) -> None:
        """Create the screen.

        Args:
            ctx: The service and the run's facts.
        """
        super().__init__()
        use_cell_updates(self)  # the 10 s tick rewrites changed AGE cells, not whole rows
        self.ctx = ctx
        self._settle_timer: Timer | None = None
        self._clock = TickedClock(ctx.now)

    def compose(self) -> ComposeResult:
        ctx = self.ctx
        # The breakpoint class for the size the app already knows, before anything is styled:
        # Textual adds it on the screen's first Resize, after the first layout, and so styled and
        # laid the whole screen out a second time before the first frame (issue 17, launch).
        width = self.app.size.width
        applies = max((at, name) for at, name in self.BREAKS if width >= at)[1]
        self.update_classes({name: name == applies for _, name in self.BREAKS}, animate=False)
        yield AppHeader(ctx.context_name, ctx.namespace, runtime=ctx.runtime, id="header")
        with Horizontal(id="main-body"):
            with Vertical(id="list-box"):
                yield Field(placeholder="filter: name, display name or status", id="filter")
                yield InstanceList(self._clock, id="instances")
            yield InstanceDetail(self._clock, id="detail")
        # The log and activity panes are mounted the first time they are opened: most sessions
        # never open them, and composing them up front cost ~7 % of the launch (bench/launch.py).
        yield ContentSwitcher(id="bottom", initial=None)
        yield AppFooter()

    def on_mount(self) -> None:
        header = self.query_one(AppHeader)
        header.read_only_reason = self.ctx.read_only_reason
        header.demo = self.ctx.demo
        self.query_one("#filter", Input).display = False
        self.query_one("#bottom").display = False
        self.instance_list.focus()
        self.instance_list.border_title = "instances"
        if self.ctx.first_views:  # drawn in the first frame; the stream's snapshot follows
            self._apply(self.ctx.first_views, (), snapshot=True)
        # One clock for every relative time on screen (AGE, "started 3m ago", event ages, how
        # old a last-known status is); only text that moved is redrawn.
        self.set_interval(TICK_SECONDS, self._tick)
        if self.ctx.connected:
            self.watch_fleet()
        else:
            header.connection = CONNECTING

    def connected(self, ctx: UiContext) -> None:
        """The cluster is open (``ctx.services``): follow the fleet, allow every action."""
        self.ctx = ctx
        with suppress(NoMatches):  # the app is closing: the widgets went first
            header = self.query_one(AppHeader)
            header.show_place(ctx.context_name, ctx.namespace)
            header.read_only_reason = ctx.read_only_reason
            header.connection = Connection(state=ConnectionState.CONNECTING)
            self.watch_fleet()
            self._selection_settled()  # the details wait for the cluster
        self.refresh_bindings()

    def _tick(self) -> None:
        self._clock.tick()
        with suppress(NoMatches):  # the app is closing: the widgets went first
            self.instance_list.refresh_ages()
            self.detail.tick()

    # -- children ------------------------------------------------------------------------------

    # -- the fleet stream ----------------------------------------------------------------------

    @work(exclusive=True, group=FLEET_GROUP, exit_on_error=False)
    async def watch_fleet(self) -> None:
        """Follow the fleet until the screen goes away; reopen the stream if it ends or fails."""
        header = self.query_one(AppHeader)
        failures = 0
        while True:
            try:
                async for event in self.ctx.ops.fleet_events():
                    failures = 0
                    try:
                        self._fleet_event(event, header)
                    except Exception:
                        # A bug in showing one change must not end the stream (the list would
                        # freeze while the header says "live"): log it and go on.
                        log.exception("could not show a fleet event")
                    if isinstance(event, FleetChanged):
                        await asyncio.sleep(FLEET_FLUSH_SECONDS)  # the hub coalesces meanwhile
                reason = "the status stream ended"
            except ClaworcError as exc:
                reason = str(exc)
            delay = _FLEET_RETRY[min(failures, len(_FLEET_RETRY) - 1)]
            failures += 1
            header.connection = Connection(
                state=ConnectionState.RECONNECTING, reason=reason, attempt=failures
            )
            await asyncio.sleep(delay)

    def _fleet_event(self, event: object, header: AppHeader) -> None:
        if isinstance(event, ConnectionChanged):
            header.connection = event.connection
        elif isinstance(event, FleetSnapshot):
            self._apply(event.views, (), snapshot=True)
        elif isinstance(event, FleetChanged):
            if event.changed or event.removed:
                self._apply(event.changed, event.removed, snapshot=False)
            if self.instance_list.selected_name in event.touched:
                self._details_soon()

    def _apply(
        self, views: tuple[InstanceView, ...], removed: tuple[str, ...], *, snapshot: bool
    ) -> None:
        listing = self.instance_list
        if snapshot:
            listing.apply_snapshot(views)
        else:
            listing.apply_changes(views, removed)
        listing.border_title = self._list_title()
        selected = listing.selected_name
        for view in views:
            if view.name == selected:
                self.detail.view = view
                self._details_soon()

    def _list_title(self) -> str:
        listing = self.instance_list
        total = len(listing.views)
        title = (
            f"instances {listing.shown_count}/{total}"
            if listing.filter_text
            else (f"instances {total}")
        )
        if listing.marked:
            title += f" · {len(listing.marked)} marked"
            if hidden := len(listing.hidden_marks):
                title += f" ({hidden} hidden, left alone)"
        return title

    # -- selection -----------------------------------------------------------------------------

    @on(InstanceList.Selected)
    def _selection_moved(self, event: InstanceList.Selected) -> None:
        view = self.instance_list.views.get(event.name) if event.name else None
        self.detail.view = view
        if self._settle_timer is not None:
            self._settle_timer.stop()
        self._settle_timer = self.set_timer(SETTLE_SECONDS, self._selection_settled)

    def _selection_settled(self) -> None:
        name = self.instance_list.selected_name
        if name is None:
            self.detail.details = None
        elif name != self._details_name:  # a new selection (the list re-announces the same one)
            self.load_details(name)
        if self.bottom == "logs" and self.log_pane.instance != name:
            self.log_pane.instance = name
        if self.bottom == "activity" and self.activity_pane.only_instance is not None:
            self.activity_pane.only_instance = name
            self.load_activity()

    @on(InstanceList.MarksChanged)
    def _marks_changed(self) -> None:
        self.instance_list.border_title = self._list_title()

    @on(InstanceList.Opened)
    def _opened(self) -> None:
        self.action_open_detail()

    # -- filter --------------------------------------------------------------------------------

    def action_filter(self) -> None:
        """Show the filter field."""
        field = self.query_one("#filter", Input)
        field.display = True
        # Focus now, not after a refresh: keys typed right after "/" belong in the field.
        self.set_focus(field)

    @on(Input.Changed, "#filter")
    def _filter_typed(self, event: Input.Changed) -> None:
        self.instance_list.set_filter(event.value)
        self.instance_list.border_title = self._list_title()

    @on(Input.Submitted, "#filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        if not event.value:
            self.query_one("#filter", Input).display = False
        self.instance_list.focus()

    def action_back(self) -> None:
        """Close the detail, then the filter, then the marks — one thing per escape."""
        field = self.query_one("#filter", Input)
        if self.has_class("-detail-open"):
            self.remove_class("-detail-open")
            self.instance_list.focus()
        elif field.display:
            field.value = ""
            field.display = False
            self.instance_list.focus()
        elif self.instance_list.marked:
            self.instance_list.clear_marks()
        elif self.focused is not self.instance_list:
            self.instance_list.focus()

    # -- read-only -----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("filter", "new_instance") and self._focus_elsewhere():
            return False  # typing in a field, or the log pane's own "/" and "n"
        if action in WRITE_ACTIONS and self.ctx.read_only:
            return None  # shown greyed out in the footer; on_key says why
        if not self.ctx.connected and action not in WHILE_CONNECTING:
            return None  # the same, until the cluster is open
        return True

    def _focus_elsewhere(self) -> bool:
        """True when the focus is in a text field or in a bottom pane (their keys win)."""
        focused = self.focused
        if focused is None:
            return False
        if is_text_field(focused):
            return True
        panes = [p for p in (self._log_pane, self._activity_pane) if p is not None]
        return any(node in panes for node in focused.ancestors)

    def on_key(self, event: events.Key) -> None:
        if isinstance(self.focused, Input):
            return
        if not self.ctx.connected:
            for binding in self._bindings.key_to_bindings.get(event.key, ()):
                if binding.action not in WHILE_CONNECTING:
                    toast(
                        self,
                        f"{binding.description or binding.action}: still connecting to the "
                        "cluster, a moment",
                        title="Connecting",
                        severity="warning",
                        timeout=3,
                    )
                    return
        if not self.ctx.read_only:
            return
        for binding in self._bindings.key_to_bindings.get(event.key, ()):
            if binding.action in WRITE_ACTIONS:
                toast(
                    self,
                    f"{binding.description}: {self.ctx.read_only_reason}",
                    title="Read-only",
                    severity="warning",
                )
                return
