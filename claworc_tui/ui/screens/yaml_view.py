"""``y``: an instance's objects as the server has them, as YAML (secret values masked).

Read-only and searchable: ``/`` finds text (``n``/``N`` next and previous match), the cursor and
selection work as in any text area (``ctrl+c`` copies the selection) and ``c`` copies everything.
The text comes from :mod:`claworc_tui.services.inspect`, which quotes anything unprintable, and
a ``TextArea`` never parses markup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Input, Static, TextArea
from textual.widgets.text_area import Selection

from claworc_tui.models.errors import ClaworcError
from claworc_tui.models.text import safe_text
from claworc_tui.services.inspect import as_document, describe
from claworc_tui.services.reach import ReachService
from claworc_tui.ui.clipboard import copy_text
from claworc_tui.ui.text import toast
from claworc_tui.ui.widgets.field import Field

if TYPE_CHECKING:
    from claworc_tui.ui.context import UiContext


class YamlScreen(Screen[None]):
    """The YAML of one instance's objects."""

    DEFAULT_CSS = """
    YamlScreen #yaml-title { height: 1; padding: 0 1; background: $panel; text-style: bold; }
    YamlScreen #yaml-text { height: 1fr; border: none; }
    YamlScreen #yaml-search { dock: bottom; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Back"),
        Binding("slash", "search", "Search", priority=True),
        Binding("n", "next_match", "Next match"),
        Binding("N", "previous_match", "Previous match", show=False),
        Binding("c", "copy_all", "Copy all"),
        Binding("r", "reload", "Reload"),
        Binding("d", "toggle_describe", "YAML/describe"),
    ]

    def __init__(self, ctx: UiContext, reach: ReachService, name: str) -> None:
        super().__init__()
        self.ctx = ctx
        self.reach = reach
        self.instance = name
        self._query = ""
        self._yaml = ""
        self._described = ""
        self._summary = ""
        self.describing = False
        """Whether the describe text is shown instead of the YAML."""

    def compose(self) -> ComposeResult:
        yield Static(Text(f"{self.instance} (loading…)"), id="yaml-title")
        yield TextArea(
            "",
            read_only=True,
            language="yaml",
            id="yaml-text",
            soft_wrap=False,
            show_line_numbers=True,
        )
        yield Field(placeholder="search (enter: next match, escape: close)", id="yaml-search")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#yaml-search", Input).display = False
        self.query_one(TextArea).focus()
        self.load()

    @property
    def text_area(self) -> TextArea:
        return self.query_one(TextArea)

    @work(exclusive=True, group="yaml", exit_on_error=False)
    async def load(self) -> None:
        """Read every object and show it."""
        title = self.query_one("#yaml-title", Static)
        try:
            objects = await self.reach.objects_yaml(self.instance)
            found = await self.reach.events(self.instance)
        except ClaworcError as exc:
            title.update(Text(f"{self.instance}: {safe_text(str(exc))}", style="red"))
            return
        missing = [f"{o.kind} {o.name}" for o in objects if o.text is None]
        summary = f"{self.instance}: {len(objects) - len(missing)} objects"
        if missing:
            summary += f", missing: {', '.join(missing)}"
        self._summary = summary
        self._yaml = as_document(objects)
        self._described = describe(objects, found)
        self._show()

    def _show(self) -> None:
        mode = "describe" if self.describing else "YAML"
        title = self.query_one("#yaml-title", Static)
        title.update(Text(f"{mode} — {self._summary}  (secret values masked; d switches)"))
        self.text_area.load_text(self._described if self.describing else self._yaml)

    def action_toggle_describe(self) -> None:
        """Switch between the YAML and a short describe with the events."""
        self.describing = not self.describing
        self._show()

    def action_reload(self) -> None:
        """Read the objects again."""
        self.load()

    def action_close(self) -> None:
        """Back to the list (or close the search field first)."""
        search = self.query_one("#yaml-search", Input)
        if search.display:
            search.display = False
            self.text_area.focus()
            return
        self.dismiss()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # While the search field has focus, letters are typed into it.
        if action in (
            "next_match",
            "previous_match",
            "copy_all",
            "reload",
            "search",
            "toggle_describe",
        ):
            return not self.query_one("#yaml-search", Input).has_focus
        return True

    def action_search(self) -> None:
        """Open the search field."""
        search = self.query_one("#yaml-search", Input)
        search.display = True
        search.focus()

    @on(Input.Submitted, "#yaml-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        self._query = event.value
        self.query_one("#yaml-search", Input).display = False
        self.text_area.focus()
        self.action_next_match()

    def action_next_match(self) -> None:
        """Select the next match of the search after the cursor (wrapping around)."""
        self._find(forward=True)

    def action_previous_match(self) -> None:
        """Select the previous match before the cursor (wrapping around)."""
        self._find(forward=False)

    def _find(self, *, forward: bool) -> None:
        if not self._query:
            return
        area = self.text_area
        text, needle = area.text.lower(), self._query.lower()
        row, col = area.cursor_location
        offset = sum(len(line) + 1 for line in area.text.split("\n")[:row]) + col
        if forward:
            at = text.find(needle, offset + 1)
            at = text.find(needle) if at < 0 else at
        else:
            at = text.rfind(needle, 0, max(offset - 1, 0))
            at = text.rfind(needle) if at < 0 else at
        if at < 0:
            toast(self, f"not found: {self._query}", severity="warning", timeout=2)
            return
        start, end = _location(area.text, at), _location(area.text, at + len(needle))
        area.selection = Selection(start, end)
        area.scroll_cursor_visible(center=True)

    async def action_copy_all(self) -> None:
        """Copy the whole YAML."""
        via = await copy_text(self.app, self.text_area.text, self.ctx.environ)
        toast(self, f"YAML of {self.instance} copied {via}", timeout=3)


def _location(text: str, index: int) -> tuple[int, int]:
    """(row, column) of a character index."""
    return text.count("\n", 0, index), index - (text.rfind("\n", 0, index) + 1)
