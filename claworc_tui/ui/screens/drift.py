"""The drift view: where the records and the cluster disagree, and repairs behind a confirmation.

One row a difference, cut to the width of the terminal: the columns are fitted to what they
hold and DETAIL, the column read most, gets what is left (at least a third of a narrow
terminal, the others shortened with an ellipsis). Under the table, the selected difference in
full, wrapped: at 80×24 a DETAIL such as "cluster has 5041bf…, record says 4413…" does not fit
a row, and a k9s user expects to read it without scrolling sideways.
"""

from __future__ import annotations

from typing import ClassVar

from rich.cells import cell_len
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
from claworc_tui.ui.format import truncate
from claworc_tui.ui.messages import OperationDone, ServiceFailed
from claworc_tui.ui.screens.confirm import ConfirmModal
from claworc_tui.ui.text import plain, stacked, toast
from claworc_tui.ui.widgets.app_header import AppHeader
from claworc_tui.ui.widgets.tones import TONE_CLASSES, toned

#: The component class (styles/main.tcss, "Drift view") each kind is drawn in.
_KIND_LOOK = {kind: "drift-screen--" + kind.value.replace(" ", "-") for kind in DriftKind}
#: Columns after the mark: (key, title, narrowest it is cut to). KIND is never cut.
_COLUMNS = (
    ("kind", "KIND", 15),
    ("instance", "INSTANCE", 10),
    ("object", "OBJECT", 12),
    ("repair", "REPAIR", 10),
)
_DETAIL_KEY = "detail"
_PADDING = 1
"""DataTable's cell padding, each side."""


def fit_widths(available: int, natural: list[int], least: list[int], detail: int) -> list[int]:
    """Widths of the columns before DETAIL, and DETAIL's, within ``available`` cells of text.

    Each column gets what it holds (``natural``) when everything fits, and DETAIL the rest.
    Otherwise DETAIL is promised at least a third of the room (or what it holds, if less;
    never under 20), and the widest other column is shortened, one cell at a time, down to its
    ``least``, until the promise fits.

    Returns:
        The widths of the given columns, then DETAIL's (what is left, at least 1).
    """
    widths = list(natural)
    if sum(widths) + detail > available:
        promised = max(20, min(detail, available // 3))
        while sum(widths) + promised > available:
            shrinkable = [i for i, w in enumerate(widths) if w > least[i]]
            if not shrinkable:
                break
            widest = max(shrinkable, key=lambda i: widths[i] - least[i])
            widths[widest] -= 1
    return [*widths, max(1, available - sum(widths))]


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
    COMPONENT_CLASSES: ClassVar[set[str]] = {*TONE_CLASSES, *_KIND_LOOK.values()}

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
        yield Static("", id="drift-detail")
        yield Footer()

    def on_mount(self) -> None:
        header = self.query_one(AppHeader)
        header.read_only_reason = self.ctx.read_only_reason
        header.demo = self.ctx.demo
        self._fill()
        self.table.focus()
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
            self.query_one("#drift-status", Static).update(toned(f"✖ {exc}", "error"))
            self.post_message(ServiceFailed("check for drift", exc))
            return
        self._show(report)

    def _show(self, report: DriftReport) -> None:
        self._report = report
        self._marked.clear()
        self._fill(cursor=0)
        if report.clean:
            checked = plural(report.checked, "instance")
            verb = "matches" if report.checked == 1 else "match"
            status = Content.assemble(toned("✓ No drift", "ok"), f": {checked} {verb} the cluster.")
        else:
            status = Content.assemble(
                toned(f"▲ {plural(len(report.items), 'difference')}", "warn"),
                # "checked", not "in": the differences may be in objects no record of this
                # database holds (owned elsewhere, orphans), and "1 difference in 0 instances"
                # said nothing true.
                f" ({plural(report.checked, 'instance')} checked) · "
                "space mark · enter repair · R repair all · D delete orphans · a adopt",
            )
        self.query_one("#drift-status", Static).update(status)

    def on_resize(self) -> None:
        self._fill()  # the widths follow the terminal's

    def _fill(self, cursor: int | None = None) -> None:
        """(Re)build the table: columns fitted to the width, one row a difference."""
        table = self.table
        row = table.cursor_row if cursor is None else cursor
        items = self._report.items if self._report else ()
        cells = [
            [
                item.kind.value,
                one_line(item.instance or "—"),
                one_line(item.object),
                one_line(item.repair),
            ]
            for item in items
        ]
        natural = [
            max([cell_len(title), *(cell_len(c[i]) for c in cells)])
            for i, (_, title, _) in enumerate(_COLUMNS)
        ]
        least = [min(n, cut) for n, (_, _, cut) in zip(natural, _COLUMNS, strict=True)]
        least[0] = natural[0]  # KIND is what a row is: never cut
        detail = max([cell_len("DETAIL"), *(cell_len(one_line(item.detail)) for item in items)])
        # Room for text: the table less its vertical scrollbar, the mark, and cell padding.
        width = table.size.width or self.size.width or self.app.size.width
        room = width - table.styles.scrollbar_size_vertical - 1
        room -= 2 * _PADDING * (len(_COLUMNS) + 2)
        widths = fit_widths(room, natural, least, detail)
        table.clear(columns=True)
        table.add_column(" ", key="mark", width=1)
        for (key, title, _), size in zip(_COLUMNS, widths, strict=False):
            table.add_column(title, key=key, width=size)
        table.add_column("DETAIL", key=_DETAIL_KEY, width=widths[-1])
        for index, (item, texts) in enumerate(zip(items, cells, strict=True)):
            kind = self.get_component_rich_style(_KIND_LOOK[item.kind], partial=True)
            shown = [truncate(text, size) for text, size in zip(texts, widths, strict=False)]
            table.add_row(
                Text("✓" if index in self._marked else " "),
                Text(shown[0], style=kind),
                *(Text(text) for text in shown[1:]),
                Text(truncate(one_line(item.detail), widths[-1])),
                key=str(index),
            )
        if items:
            table.move_cursor(row=min(row, len(items) - 1), animate=False)
        self._show_detail()

    @on(DataTable.RowHighlighted, "#drift-table")
    def _show_detail(self) -> None:
        """The selected difference in full, under the table (wrapped, nothing cut)."""
        shown = self.query_one("#drift-detail", Static)
        items = self._report.items if self._report else ()
        row = self.table.cursor_row
        shown.display = 0 <= row < len(items)
        if not shown.display:
            return
        item = items[row]
        what = f"{item.instance} · {item.object}" if item.instance else item.object
        shown.update(
            stacked(
                Content.assemble(
                    Content.styled(item.kind.value, f".{_KIND_LOOK[item.kind]}"), "  ", plain(what)
                ),
                Content.assemble(("repair  ", "bold"), plain(item.repair)),
                Content.assemble(("detail  ", "bold"), plain(item.detail, multiline=True)),
            )
        )

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
                toned(
                    f"{plural(len(deletes), 'orphaned object')} will be deleted from the cluster.",
                    "error",
                    bold=True,
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
