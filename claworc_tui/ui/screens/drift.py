"""The drift view: where the records and the cluster disagree, and repairs behind a confirmation."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from claworc_tui.models.errors import ClaworcError
from claworc_tui.models.text import one_line
from claworc_tui.models.wording import plural
from claworc_tui.services.kube_only import not_on_docker
from claworc_tui.services.views import AdoptAction, DriftItem, DriftKind, DriftReport
from claworc_tui.ui.context import UiContext
from claworc_tui.ui.messages import OperationDone, ServiceFailed
from claworc_tui.ui.screens.confirm import ConfirmModal
from claworc_tui.ui.text import fmt, plain, stacked, toast
from claworc_tui.ui.widgets.app_header import AppHeader

_KIND_STYLE = {
    DriftKind.MISSING: "bold red",
    DriftKind.ORPHAN: "yellow",
    DriftKind.PORT_CONFLICT: "bold red",
    DriftKind.DIFFERS: "yellow",
    DriftKind.STUCK: "magenta",
    DriftKind.OTHER_DATABASE: "cyan",
}


class DriftScreen(Screen[None]):
    """Lists every difference; repairs the selected, the marked, or all, after asking."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_mark", "Mark"),
        Binding("enter,r", "repair", "Repair"),
        Binding("R", "repair_all", "Repair all"),
        Binding("D", "delete_orphans", "Delete orphans"),
        Binding("a", "adopt", "Adopt"),
        Binding("ctrl+r", "check", "Re-check"),
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("escape,q", "close", "Back"),
    ]
    WRITE_ACTIONS = frozenset({"repair", "repair_all", "delete_orphans", "adopt"})

    def __init__(self, ctx: UiContext) -> None:
        """Create the screen.

        Args:
            ctx: The service and the run's facts.
        """
        super().__init__()
        self.ctx = ctx
        self._report: DriftReport | None = None
        self._marked: set[int] = set()

    def compose(self) -> ComposeResult:
        yield AppHeader(self.ctx.context_name, self.ctx.namespace, runtime=self.ctx.runtime)
        yield Static("checking…", id="drift-status")
        table: DataTable[Text] = DataTable(id="drift-table", cursor_type="row")
        yield table
        yield Footer()

    def on_mount(self) -> None:
        header = self.query_one(AppHeader)
        header.read_only_reason = self.ctx.read_only_reason
        header.demo = self.ctx.demo
        table = self.table
        table.add_column(" ", key="mark", width=1)
        table.add_column("KIND", key="kind", width=15)
        table.add_column("INSTANCE", key="instance", width=20)
        table.add_column("OBJECT", key="object", width=30)
        table.add_column("REPAIR", key="repair", width=22)
        table.add_column("DETAIL", key="detail")
        table.focus()
        self.action_check()

    @property
    def table(self) -> DataTable[Text]:
        """The table of differences."""
        return self.query_one("#drift-table", DataTable)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.WRITE_ACTIONS and self.ctx.read_only:
            return None
        return True

    def action_check(self) -> None:
        """Look for drift again."""
        self.query_one("#drift-status", Static).update("checking…")
        self.check()

    @work(exclusive=True, group="drift", exit_on_error=False)
    async def check(self) -> None:
        """Ask the service for the differences."""
        try:
            report = await self.ctx.ops.drift()
        except ClaworcError as exc:
            self.query_one("#drift-status", Static).update(plain(f"✖ {exc}", "$error"))
            self.post_message(ServiceFailed("check for drift", exc))
            return
        self._show(report)

    def _show(self, report: DriftReport) -> None:
        self._report = report
        self._marked.clear()
        table = self.table
        table.clear()
        for index, item in enumerate(report.items):
            table.add_row(
                Text(" "),
                Text(item.kind.value, style=_KIND_STYLE.get(item.kind, "")),
                Text(one_line(item.instance or "—")),
                Text(one_line(item.object)),
                Text(one_line(item.repair)),
                Text(one_line(item.detail)),
                key=str(index),
            )
        if report.clean:
            checked = plural(report.checked, "instance")
            verb = "matches" if report.checked == 1 else "match"
            status = f"[$success]✓ No drift[/]: {checked} {verb} the cluster."
        else:
            status = (
                f"[$warning]▲ {plural(len(report.items), 'difference')}[/] in "
                f"{plural(report.checked, 'instance')} · "
                "space mark · enter repair · R repair all · D delete orphans · a adopt"
            )
        self.query_one("#drift-status", Static).update(status)

    def _selected(self) -> list[DriftItem]:
        if self._report is None or not self._report.items:
            return []
        if self._marked:
            return [self._report.items[i] for i in sorted(self._marked)]
        row = self.table.cursor_row
        return [self._report.items[row]] if 0 <= row < len(self._report.items) else []

    def action_toggle_mark(self) -> None:
        """Mark or unmark the difference under the cursor."""
        row = self.table.cursor_row
        if self._report is None or not 0 <= row < len(self._report.items):
            return
        self._marked ^= {row}
        self.table.update_cell(str(row), "mark", Text("✓" if row in self._marked else " "))
        self.table.action_cursor_down()

    def action_cursor_down(self) -> None:
        """Move down."""
        self.table.action_cursor_down()

    def action_cursor_up(self) -> None:
        """Move up."""
        self.table.action_cursor_up()

    @on(DataTable.RowSelected, "#drift-table")
    def _row_chosen(self) -> None:
        # The table's own enter binding wins over ours; it lands here.
        if not self.ctx.read_only:
            self.action_repair()

    def action_repair(self) -> None:
        """Repair the marked differences, or the selected one."""
        self._repair(self._selected())

    def action_repair_all(self) -> None:
        """Repair every difference."""
        self._repair(list(self._report.items) if self._report else [])

    def action_delete_orphans(self) -> None:
        """Delete the orphaned objects (marked, else all)."""
        items = [item for item in self._selected() if item.kind is DriftKind.ORPHAN]
        if not items and self._report is not None:
            items = list(self._report.of_kind(DriftKind.ORPHAN))
        if not items:
            self.notify("no orphaned objects", timeout=3)
            return
        self._repair(items)

    def action_adopt(self) -> None:
        """Adopt the instances owned elsewhere (marked or selected, else all), after a preview."""
        items = [item for item in self._selected() if item.kind is DriftKind.OTHER_DATABASE]
        if not items and self._report is not None:
            items = list(self._report.of_kind(DriftKind.OTHER_DATABASE))
        names = sorted({item.instance for item in items if item.instance})
        if not names:
            self.notify("nothing owned elsewhere to adopt", timeout=3)
            return
        if self.ctx.runtime == "docker":
            toast(self, str(not_on_docker("adopt")), severity="warning", timeout=8)
            return
        self.adopt(names)

    @work(exclusive=True, group="drift-repair", exit_on_error=False)
    async def adopt(self, names: list[str]) -> None:
        """Show what adopting ``names`` would do (a dry run), then adopt them if confirmed."""
        try:
            preview = await self.ctx.ops.adopt_plan(names)
        except ClaworcError as exc:
            self.post_message(ServiceFailed("preview the adoption", exc))
            return
        rows: list[Content] = []
        for c in preview.candidates:
            rows.append(plain(f"  • {c.action.value}: {c.name} — {c.detail}"))
            rows += [plain(f"      key override {o}") for o in c.overrides]
            rows += [plain(f"      note: {n}") for n in c.notes]
        wanted = [c for c in preview.candidates if c.action is AdoptAction.ADOPT]
        if not wanted:
            reasons = "; ".join(f"{c.name}: {c.detail}" for c in preview.candidates)
            toast(self, f"nothing to adopt: {reasons}", timeout=6)
            return
        rows += [Content(), Content("Their objects will carry this database's owner id.")]
        if not await self.app.push_screen_wait(
            ConfirmModal(f"Adopt {plural(len(wanted), 'instance')}?", stacked(*rows), "Adopt")
        ):
            return
        try:
            done = await self.ctx.ops.adopt([c.name for c in wanted])
        except ClaworcError as exc:
            self.post_message(ServiceFailed("adopt", exc))
        else:
            adopted = [c.name for c in done.candidates if c.action is AdoptAction.ADOPTED]
            failed = [f"{c.name}: {c.detail}" for c in done.failed]
            toast(
                self,
                f"adopted {plural(len(adopted), 'instance')}"
                + (f"; not adopted: {'; '.join(failed)}" if failed else ""),
                timeout=6,
            )
            self.post_message(OperationDone("adopt"))
        self.action_check()

    def _repair(self, items: list[DriftItem]) -> None:
        if not items:
            self.notify("nothing to repair", timeout=3)
            return
        self.repair(items)

    @work(exclusive=True, group="drift-repair", exit_on_error=False)
    async def repair(self, items: list[DriftItem]) -> None:
        """Confirm (listing what each repair does), repair, then check again."""
        deletes = [item for item in items if item.kind is DriftKind.ORPHAN]
        rows = [
            plain(
                f"  • {item.repair}: {item.object}"
                + (f" ({item.instance})" if item.instance else "")
            )
            for item in items[:30]
        ]
        if len(items) > 30:
            rows.append(Content(f"  … and {len(items) - 30} more"))
        if deletes:
            rows.append(Content())
            rows.append(
                fmt(
                    "[b $error]$what will be deleted from the cluster.[/]",
                    what=plural(len(deletes), "orphaned object"),
                )
            )
        if not await self.app.push_screen_wait(
            ConfirmModal(
                f"Repair {plural(len(items), 'difference')}?",
                stacked(*rows),
                "Repair",
                danger=bool(deletes),
            )
        ):
            return
        try:
            result = await self.ctx.ops.repair(items)
        except ClaworcError as exc:
            self.post_message(ServiceFailed("repair drift", exc, destructive=bool(deletes)))
        else:
            toast(self, result.summary(), timeout=6)
            self.post_message(OperationDone("repair"))
        self.action_check()

    def action_close(self) -> None:
        """Back to the main screen."""
        self.dismiss(None)
