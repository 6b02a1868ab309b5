"""``S`` shell into an instance and ``F`` forward its noVNC ports; the list of forwards.

The shell runs with :meth:`textual.app.App.suspend`: the app gives the real terminal back (so it
works over SSH like any program), the session is carried by
:func:`claworc_tui.services.terminal.run_terminal`, and the list returns when the shell exits.
Forwards live in the :class:`~claworc_tui.services.reach.ReachService`; they keep listening
while the app runs (re-attaching to a restarted pod) and stop when it quits.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Label, OptionList, Static
from textual.worker import Worker

from claworc_tui.models.errors import ClaworcError
from claworc_tui.models.exposure import Exposure
from claworc_tui.models.text import safe_text
from claworc_tui.services.errors import ReadOnlyMode
from claworc_tui.ui.clipboard import copy_text
from claworc_tui.ui.messages import ServiceFailed
from claworc_tui.ui.screens.action_group import ActionGroup
from claworc_tui.ui.text import toast
from claworc_tui.ui.widgets.instance_list import InstanceList

if TYPE_CHECKING:  # the services load after the first frame (services/launch.py)
    from claworc_tui.services.reach import Forward, ReachService
    from claworc_tui.ui.context import UiContext

REACH_GROUP = "reach"


class ReachActions(ActionGroup):
    """The main screen's shell, forward, YAML, events and copy keys (an action group; see
    ``main_actions.py``)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("S", "shell", "Shell", show=False),
        Binding("F", "forward", "Forward", show=False),
        Binding("y", "yaml", "YAML", show=False),
        Binding("E", "events", "Events", show=False),
        Binding("C", "copy_menu", "Copy…", show=False),
    ]

    def _reach(self) -> ReachService | None:
        reach = self.ctx.reach
        if reach is None:
            self.notify("shell and port-forward are not available here", severity="warning")
        return reach

    def _selected(self) -> str | None:
        name = self.query_one(InstanceList).selected_name
        if not name:
            self.notify("no instance selected", severity="warning", timeout=3)
        return name

    def _target(self) -> tuple[ReachService, str] | None:
        """The reach service and the selected instance, or None (having said what is missing)."""
        name = self._selected()
        reach = self._reach()
        return (reach, name) if name and reach is not None else None

    def action_shell(self) -> None:
        """Open a shell in the selected instance's container (the terminal is handed over)."""
        if target := self._target():
            self.open_shell(*target)

    @work(exclusive=True, group=REACH_GROUP, exit_on_error=False)
    async def open_shell(self, reach: ReachService, name: str) -> None:
        """Check the pod, suspend the app, carry the terminal until the shell exits."""
        try:
            if reach.read_only_reason is not None:
                raise ReadOnlyMode(f"open a shell in {name}", reach.read_only_reason)
            pod = await reach.running_pod(name)
        except ClaworcError as exc:
            self.notify(safe_text(str(exc)), title="No shell", severity="warning", markup=False)
            return
        try:
            with self.app.suspend():
                sys.stdout.write(f"claworc-tui: shell in {name} (pod {pod}); exit to return\r\n")
                sys.stdout.flush()
                async with reach.shell(name) as channel:
                    from claworc_tui.services.terminal import run_terminal

                    code = await run_terminal(channel)
        except SuspendNotSupported:
            self.notify("this terminal cannot hand over to a shell", severity="warning")
            return
        except ClaworcError as exc:
            self.post_message(ServiceFailed(f"open a shell in {name}", exc))
            return
        error = f": {safe_text(channel.error)}" if channel.error else ""
        toast(self, f"shell in {name} ended (exit code {code}){error}", timeout=4)

    def action_yaml(self) -> None:
        """Show the selected instance's objects as YAML (secret values masked)."""
        from claworc_tui.ui.screens.yaml_view import YamlScreen

        if target := self._target():
            self.app.push_screen(YamlScreen(self.ctx, *target))

    def action_events(self) -> None:
        """Show the events of the selected instance (``i`` there: the whole namespace)."""
        self.action_show_events(self.query_one(InstanceList).selected_name)

    def copy_url(self, name: str, which: str) -> Worker[None]:
        """``c``/``t``: a private instance's URL comes from a forward (opened on demand); a
        NodePort instance's as before (the main screen's own ``copy_url``)."""
        return self.copy_reached_url(name, which)

    @work(exclusive=True, group=REACH_GROUP + "-copy", exit_on_error=False)
    async def copy_reached_url(self, name: str, which: str) -> None:
        """Copy the forwarded URL of a private instance, else hand over to the NodePort copy."""
        reach = self.ctx.reach
        try:
            private = reach is not None and await reach.is_private(name)
        except ClaworcError as exc:
            self.post_message(ServiceFailed(f"get the URLs of {name}", exc))
            return
        if reach is None or not private:
            getattr(super(), "copy_url")(name, which)  # noqa: B009 - the next class in the MRO
            return
        try:
            url = await reach.private_url(name, which)
        except ClaworcError as exc:
            self.notify(safe_text(str(exc)), title="No forward", severity="warning", markup=False)
            return
        await self._copy(name, f"forwarded {which} URL", url)

    def action_expose(self, exposure: str) -> None:
        """Make the selected instance private, or NodePort again (only its Service changes)."""
        if target := self._target():
            self.set_exposure(*target, Exposure(exposure))

    @work(exclusive=True, group=REACH_GROUP, exit_on_error=False)
    async def set_exposure(self, reach: ReachService, name: str, exposure: Exposure) -> None:
        """Rewrite the Service and say what changed."""
        try:
            instance = await reach.set_exposure(name, exposure)
        except ClaworcError as exc:
            self.post_message(ServiceFailed(f"change how {name} is reached", exc))
            return
        pair = instance.node_ports
        how = (
            "private (F or c/t open a forward; its NodePort pair is free for others)"
            if pair is None
            else f"on NodePorts {pair[0]}/{pair[1]}"
        )
        toast(self, f"{name} is now {how}; no restart needed", timeout=5)

    def action_copy_menu(self) -> None:
        """Choose what to copy about the selected instance (name, pod, kubectl lines, URLs)."""
        if target := self._target():
            self.copy_menu(*target)

    @work(exclusive=True, group=REACH_GROUP, exit_on_error=False)
    async def copy_menu(self, reach: ReachService, name: str) -> None:
        """Load the items, let the user pick one, copy it."""
        items = await self._copy_items(reach, name)
        if items is None:
            return
        choice = await self.app.push_screen_wait(CopyMenu(name, items))
        if choice is not None:
            await self._copy(name, *items[choice])

    def action_copy_item(self, label: str) -> None:
        """Copy one item (``pod name``, ``kubectl exec`` …) of the selected instance."""
        if target := self._target():
            self.copy_item(*target, label)

    @work(exclusive=True, group=REACH_GROUP, exit_on_error=False)
    async def copy_item(self, reach: ReachService, name: str, label: str) -> None:
        """Copy the item called ``label``, or say why there is none."""
        items = await self._copy_items(reach, name)
        if items is None:
            return
        found = dict(items).get(label)
        if found is None:
            toast(self, f"{name} has no {label} now (no pod?)", severity="warning")
            return
        await self._copy(name, label, found)

    async def _copy_items(self, reach: ReachService, name: str) -> list[tuple[str, str]] | None:
        try:
            items = await reach.copy_items(name)
        except ClaworcError as exc:
            self.post_message(ServiceFailed(f"read what to copy of {name}", exc))
            return None
        for fwd in reach.forwards(name):
            items.append((f"forwarded {fwd.role} URL", fwd.url))
        return items

    async def _copy(self, name: str, label: str, text: str) -> None:
        via = await copy_text(self.app, text, self.ctx.environ)
        toast(self, safe_text(text), title=f"{label} of {name} copied {via}", timeout=6)

    def action_namespace_events(self) -> None:
        """Show the events of the whole namespace."""
        self.action_show_events(None)

    def action_show_events(self, name: str | None) -> None:
        """Show the events of instance ``name``, or of the namespace."""
        from claworc_tui.ui.screens.events import EventsScreen

        reach = self._reach()
        if reach is not None:
            self.app.push_screen(EventsScreen(self.ctx, reach, name))

    def action_forward(self) -> None:
        """Forward the selected instance's noVNC ports to 127.0.0.1 and list the forwards."""
        if target := self._target():
            self.start_forward(*target)

    def action_forwards(self) -> None:
        """List the forwards (without opening one)."""
        reach = self._reach()
        if reach is not None:
            self.app.push_screen(ForwardsScreen(self.ctx, reach))

    @work(exclusive=True, group=REACH_GROUP, exit_on_error=False)
    async def start_forward(self, reach: ReachService, name: str) -> None:
        """Open (or reuse) the instance's forwards, then show the list."""
        try:
            await reach.forward(name)
        except ClaworcError as exc:
            self.notify(safe_text(str(exc)), title="No forward", severity="warning", markup=False)
            return
        self.app.push_screen(ForwardsScreen(self.ctx, reach, name))


class CopyMenu(ModalScreen[int | None]):
    """A list of things to copy; enter copies, escape closes."""

    DEFAULT_CSS = """
    CopyMenu #copy-dialog { width: 90%; max-width: 120; height: auto; }
    CopyMenu OptionList { height: auto; max-height: 12; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "dismiss(None)", "Close")]

    def __init__(self, name: str, items: list[tuple[str, str]]) -> None:
        super().__init__()
        self._name = name
        self._items = items

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="copy-dialog"):
            yield Label(Text(f"Copy from {self._name}"), classes="dialog-title")
            yield OptionList(
                *(
                    Text.assemble((f"{label:<22}", "bold"), safe_text(text))
                    for label, text in self._items
                )
            )

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option_index)


class ForwardsScreen(ModalScreen[None]):
    """Every forward: local URL, pod, connections, the last error; and the ``ssh -L`` line."""

    DEFAULT_CSS = """
    ForwardsScreen #forwards-dialog {
        width: 90%;
        max-width: 140;
        height: auto;
        max-height: 90%;
    }
    ForwardsScreen DataTable {
        height: auto;
        max-height: 16;
    }
    ForwardsScreen #forwards-ssh {
        padding: 1 0 0 0;
        color: $text-muted;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "dismiss", "Close"),
        Binding("c", "copy_url", "Copy URL"),
        Binding("s", "copy_ssh", "Copy ssh -L"),
        Binding("x", "stop", "Stop forward"),
    ]

    def __init__(self, ctx: UiContext, reach: ReachService, focus: str | None = None) -> None:
        super().__init__()
        self.ctx = ctx
        self.reach = reach
        self._focus = focus

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="forwards-dialog"):
            yield Label("Port-forwards (127.0.0.1 only)", classes="dialog-title")
            yield DataTable(id="forwards", cursor_type="row", zebra_stripes=True)
            yield Static(id="forwards-ssh")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("instance", "page", "local URL", "pod", "conns", "last error")
        self.refresh_rows()
        self.set_interval(1.0, self.refresh_rows)
        table.focus()

    def refresh_rows(self) -> None:
        """Redraw the rows (connections and errors change while the screen is open)."""
        table = self.query_one(DataTable)
        forwards = self.reach.forwards()
        row = table.cursor_row
        table.clear()
        for fwd in forwards:
            table.add_row(
                Text(fwd.instance),
                Text(fwd.role),
                Text(fwd.url),
                Text(safe_text(fwd.pod or "-")),
                Text(str(fwd.connections)),
                Text(safe_text(fwd.last_error or ""), style="red"),
                key=f"{fwd.instance}:{fwd.remote_port}",
            )
        if self._focus:
            index = next((i for i, f in enumerate(forwards) if f.instance == self._focus), 0)
            row, self._focus = index, None
        if forwards:
            table.move_cursor(row=min(row, len(forwards) - 1))
        hint = (
            "From your own machine: " + _ssh_hint(forwards, self.ctx.environ)
            if forwards
            else "No forwards. F on an instance opens one."
        )
        self.query_one("#forwards-ssh", Static).update(Text(hint))

    def _current(self) -> Forward | None:
        forwards = self.reach.forwards()
        row = self.query_one(DataTable).cursor_row
        return forwards[row] if 0 <= row < len(forwards) else None

    async def action_copy_url(self) -> None:
        """Copy the selected forward's URL."""
        fwd = self._current()
        if fwd is not None:
            via = await copy_text(self.app, fwd.url, self.ctx.environ)
            toast(self, fwd.url, title=f"{fwd.role} URL copied {via}")

    async def action_copy_ssh(self) -> None:
        """Copy the ``ssh -L`` line for every forward."""
        forwards = self.reach.forwards()
        if forwards:
            line = _ssh_hint(forwards, self.ctx.environ)
            via = await copy_text(self.app, line, self.ctx.environ)
            toast(self, line, title=f"ssh line copied {via}")

    @on(DataTable.RowSelected)
    async def _selected(self) -> None:
        await self.action_copy_url()

    async def action_stop(self) -> None:
        """Stop the selected instance's forwards."""
        fwd = self._current()
        if fwd is not None:
            await self.reach.stop_forwards(fwd.instance)
            toast(self, f"stopped forwarding {fwd.instance}", timeout=3)
            self.refresh_rows()


def _ssh_hint(forwards: list[Forward], environ: Mapping[str, str]) -> str:
    from claworc_tui.services.reach import ssh_hint

    return ssh_hint(forwards, environ)
