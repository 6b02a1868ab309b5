"""Events of the namespace (``:events``) or of one instance (``E``), newest first.

Columns as ``kubectl get events``: type, reason, object, age, count, message. Reloaded every
few seconds while open; ``i`` switches between the instance and the whole namespace. Every
value from the cluster goes in as a ``Text`` with control characters replaced.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from claworc_tui.models.errors import ClaworcError
from claworc_tui.models.text import safe_text
from claworc_tui.services.reach import ReachService
from claworc_tui.ui.format import age

if TYPE_CHECKING:
    from claworc_tui.ui.context import UiContext

RELOAD_SECONDS = 5.0


class EventsScreen(Screen[None]):
    """A list of events."""

    DEFAULT_CSS = """
    EventsScreen #events-title { height: 1; padding: 0 1; background: $panel; text-style: bold; }
    EventsScreen DataTable { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Back"),
        Binding("r", "reload", "Reload"),
        Binding("i", "toggle_scope", "Instance/namespace"),
    ]

    def __init__(self, ctx: UiContext, reach: ReachService, instance: str | None = None) -> None:
        super().__init__()
        self.ctx = ctx
        self.reach = reach
        self.instance = instance
        self._remembered = instance

    def compose(self) -> ComposeResult:
        yield Static(id="events-title")
        yield DataTable(id="events", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("TYPE", "REASON", "OBJECT", "AGE", "COUNT", "MESSAGE")
        table.focus()
        self.load()
        self.set_interval(RELOAD_SECONDS, self.load)

    def _scope(self) -> str:
        return f"instance {self.instance}" if self.instance else f"namespace {self.ctx.namespace}"

    @work(exclusive=True, group="events", exit_on_error=False)
    async def load(self) -> None:
        """Read the events and fill the table."""
        title = self.query_one("#events-title", Static)
        scope = self.instance
        try:
            found = await self.reach.events(scope)
        except ClaworcError as exc:
            title.update(Text(f"Events of {self._scope()}: {safe_text(str(exc))}", style="red"))
            return
        if scope != self.instance:
            return  # the scope changed while this was loading
        now = self.ctx.now()
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        for event in found:
            kind = f"{event.kind.lower()}/" if event.kind else ""
            table.add_row(
                Text(safe_text(event.type), style="yellow" if event.type == "Warning" else ""),
                Text(safe_text(event.reason)),
                Text(safe_text(f"{kind}{event.name or ''}")),
                Text(age(event.last_time, now)),
                Text(str(event.count)),
                Text(safe_text(event.message)),
            )
        if found:
            table.move_cursor(row=min(row, len(found) - 1))
        title.update(Text(f"Events of {self._scope()}: {len(found)}, newest first"))

    def action_reload(self) -> None:
        """Read the events again now."""
        self.load()

    def action_toggle_scope(self) -> None:
        """Switch between the instance and the whole namespace."""
        self.instance = None if self.instance else self._remembered
        self.query_one(DataTable).clear()
        self.load()

    def action_close(self) -> None:
        """Back to where it was opened."""
        self.dismiss()
