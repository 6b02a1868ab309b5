"""The activity pane: what the app did, when, how it ended, and the Kubernetes calls it made."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import DataTable, Static

from claworc_tui.models.activity import ActivityEntry, Outcome
from claworc_tui.models.text import one_line
from claworc_tui.ui.format import api_call, truncate
from claworc_tui.ui.text import fmt
from claworc_tui.ui.widgets.clocked import Clocked
from claworc_tui.ui.widgets.full_screen import FullScreenPane

_OUTCOME_LOOK = {
    Outcome.OK: "activity-pane--ok",
    Outcome.FAILED: "activity-pane--failed",
    Outcome.CANCELLED: "activity-pane--cancelled",
    Outcome.STARTED: "activity-pane--started",
}


class ActivityPane(Clocked, FullScreenPane, Vertical):
    """Shows activity entries. The parent loads them; ``i`` asks for this instance only.

    Its clock only drops the date of today from times."""

    # The table's cells are Rich Text: they take these classes' Rich styles (styles/widgets.tcss,
    # "Activity pane"), looked up when the rows are (re)built, every REFRESH_SECONDS.
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        *_OUTCOME_LOOK.values(),
        "activity-pane--call",
        "activity-pane--call-failed",
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("i", "toggle_scope", "This instance / all"),
        Binding("ctrl+r", "reload", "Reload", show=False),
        Binding("f", "toggle_fullscreen", "Full screen"),
        Binding("escape", "leave", "Back", show=False),
    ]
    REFRESH_SECONDS: ClassVar[float] = 2.0
    """While shown, the pane asks for a reload this often: other processes (the CLI, another
    app) and background work write to the activity log too."""

    entries: reactive[tuple[ActivityEntry, ...]] = reactive((), always_update=True)
    """What to show, newest first."""
    only_instance: reactive[str | None] = reactive(None)
    """The instance the list is limited to, or None for all."""

    class ScopeToggled(Message):
        """The user asked for this instance only, or for everything."""

    class ReloadRequested(Message):
        """The user asked to reload."""

    class Left(Message):
        """Escape with nothing to close: the pane closes (as esc goes back in k9s)."""

    def compose(self) -> ComposeResult:
        yield Static("", id="activity-status")
        table: DataTable[Text] = DataTable(id="activity-table", cursor_type="row")
        yield table

    def on_mount(self) -> None:
        table = self.table
        table.add_column("TIME", key="time", width=11)
        table.add_column("INSTANCE", key="instance", width=18)
        table.add_column("ACTION", key="action", width=14)
        table.add_column("OUTCOME", key="outcome", width=9)
        # Fixed and wide: calls are long, and the table scrolls sideways.
        table.add_column("DETAIL / KUBERNETES CALL", key="detail", width=110)
        self._show_status()
        self.set_interval(self.REFRESH_SECONDS, self._refresh_if_shown)

    def _refresh_if_shown(self) -> None:
        if all(node.display for node in self.ancestors_with_self if isinstance(node, Widget)):
            self.post_message(self.ReloadRequested())

    @property
    def table(self) -> DataTable[Text]:
        """The table."""
        return self.query_one("#activity-table", DataTable)

    @property
    def focus_widget(self) -> Widget:
        """The table (full screen or not)."""
        return self.table

    def watch_entries(self, entries: Sequence[ActivityEntry]) -> None:
        if not self.is_mounted:
            return
        table = self.table
        cursor = table.cursor_row
        table.clear()
        today = self._now().date()
        for entry in entries:
            when = f"{entry.at:%H:%M:%S}" if entry.at.date() == today else f"{entry.at:%m-%d %H:%M}"
            table.add_row(
                Text(when),
                Text(one_line(entry.instance or "—")),
                Text(one_line(entry.action)),
                Text(
                    one_line(entry.outcome.value),
                    style=self._look(_OUTCOME_LOOK.get(entry.outcome)),
                ),
                Text(one_line(truncate(entry.detail, 200))),
                key=f"e{entry.id}",
            )
            for index, call in enumerate(entry.calls):
                failed = call.status is None or call.status >= 400
                table.add_row(
                    Text(""),
                    Text(""),
                    Text(""),
                    Text(""),
                    Text(
                        f"  ↳ {one_line(api_call(call))}",
                        style=self._look(
                            "activity-pane--call-failed" if failed else "activity-pane--call"
                        ),
                    ),
                    key=f"e{entry.id}.{index}",
                )
        if cursor < table.row_count:
            table.move_cursor(row=cursor, animate=False)
        self._show_status()

    def _look(self, component: str | None) -> Style:
        return (
            Style() if component is None else self.get_component_rich_style(component, partial=True)
        )

    def watch_only_instance(self) -> None:
        self._show_status()

    def _show_status(self) -> None:
        if not self.is_mounted:
            return
        template = (
            "[b]Activity[/b] · instance [b]$scope[/b]"
            if self.only_instance
            else ("[b]Activity[/b] · $scope")
        )
        self.query_one("#activity-status", Static).update(
            fmt(
                template + " · $count entries · i: this instance/all",
                scope=self.only_instance or "all",
                count=len(self.entries),
            )
        )

    def action_toggle_scope(self) -> None:
        """Ask for this instance only, or everything."""
        self.post_message(self.ScopeToggled())

    def action_reload(self) -> None:
        """Ask for a reload."""
        self.post_message(self.ReloadRequested())

    def action_leave(self) -> None:
        """Leave full screen, or hand focus back."""
        if not self.leave_full_screen():
            self.post_message(self.Left())
