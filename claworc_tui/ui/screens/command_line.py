"""``:`` command mode, as in k9s: ``:ns NAME``, ``:ctx NAME``, ``:events``, ``:drift`` …

The words come from :data:`claworc_tui.ui.commands.COLON_COMMANDS`, which points into the same
tables the command palette lists, so both run the same actions. Completion is inline (the grey
suggestion): ``tab`` or ``→`` takes it; command words first, then the argument — kubeconfig
contexts, namespaces (when the user may list them) or instance names.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar, Protocol

from textual import on, work
from textual.binding import Binding, BindingType
from textual.suggester import Suggester
from textual.widgets import Input

from claworc_tui.models.errors import ClaworcError
from claworc_tui.models.text import safe_text
from claworc_tui.ui.commands import COLON_COMMANDS, INSTANCE_WORDS, screen_action
from claworc_tui.ui.screens.action_group import ActionGroup
from claworc_tui.ui.text import toast
from claworc_tui.ui.widgets.instance_list import InstanceList

if TYPE_CHECKING:  # the command line is used once connected; the services load after the
    # first frame (services/launch.py), so they are imported where they are used
    from claworc_tui.services import Services


class _SwitchingApp(Protocol):
    @property
    def services(self) -> Services: ...

    async def switch_services(self, services: Services) -> None: ...


def complete(value: str, arguments: dict[str, Sequence[str]]) -> str | None:
    """The completion of ``value`` (a whole line), or None.

    Args:
        value: What was typed after ``:``.
        arguments: For each argument kind (``context``, ``namespace``, ``instance``), the
            names to offer.
    """
    word, space, rest = value.partition(" ")
    if not space:
        words = sorted({*COLON_COMMANDS, *INSTANCE_WORDS})
        return next((w for w in words if w.startswith(word) and w != word), None)
    kind = COLON_COMMANDS[word][1] if word in COLON_COMMANDS else None
    if word in INSTANCE_WORDS:
        kind = "instance"
    if kind is None or " " in rest:
        return None
    names = sorted(arguments.get(kind, ()))
    match = next((n for n in names if n.startswith(rest) and n != rest), None)
    return f"{word} {match}" if match else None


class CommandSuggester(Suggester):
    """Inline suggestions for the command line."""

    def __init__(self, arguments: dict[str, Sequence[str]]) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.arguments = arguments

    async def get_suggestion(self, value: str) -> str | None:
        return complete(value, self.arguments)


class CommandLine(Input):
    """The one-line ``:`` prompt at the bottom of the main screen."""

    DEFAULT_CSS = """
    CommandLine { dock: bottom; height: 1; border: none; padding: 0 1; margin-bottom: 1; }
    CommandLine:focus { border: none; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "complete", "Complete", show=False, priority=True),
        Binding("escape", "leave", "Cancel", show=False),
    ]

    def action_complete(self) -> None:
        """Take the suggestion (as → at the end of the line does)."""
        suggester = self.suggester
        if not isinstance(suggester, CommandSuggester):
            return
        done = complete(self.value, suggester.arguments) or self.value
        takes = done in INSTANCE_WORDS or COLON_COMMANDS.get(done, ("", None))[1] is not None
        self.value = done + (" " if takes else "")
        self.cursor_position = len(self.value)

    def action_leave(self) -> None:
        """Close the line without running anything."""
        self.display = False
        self.value = ""
        self.screen.query_one(InstanceList).focus()


class CommandMode(ActionGroup):
    """The main screen's ``:`` line (an action group; see ``main_actions.py``)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("colon", "command_mode", "Command", show=False),
    ]

    async def action_command_mode(self, prefill: str = "") -> None:
        """Open the ``:`` line (``prefill`` already typed, e.g. ``ns ``)."""
        arguments: dict[str, Sequence[str]] = {
            "instance": sorted(self.query_one(InstanceList).views),
        }
        lines = self.query(CommandLine)
        if lines:
            line = lines.first()
        else:
            line = CommandLine(placeholder=":", suggester=CommandSuggester(arguments))
            await self.mount(line)
        assert isinstance(line.suggester, CommandSuggester)
        line.suggester.arguments.update(arguments)
        line.display = True
        line.value = prefill
        line.cursor_position = len(prefill)
        line.focus()
        self.load_completions(line.suggester)

    @work(exclusive=True, group="command-completions", exit_on_error=False)
    async def load_completions(self, suggester: CommandSuggester) -> None:
        """Contexts and namespaces for completion (asked when the line opens)."""
        from claworc_tui.services.switch import contexts, namespaces

        app: _SwitchingApp = self.app  # type: ignore[assignment]
        suggester.arguments["context"] = await contexts(app.services)
        suggester.arguments["namespace"] = await namespaces(app.services)

    @on(Input.Submitted)
    async def _command_entered(self, event: Input.Submitted) -> None:
        if not isinstance(event.input, CommandLine):
            return
        event.stop()
        event.input.action_leave()
        await self.execute(event.value)

    async def execute(self, text: str) -> None:
        """Run one command line (without the ``:``)."""
        word, _, arg = text.strip().partition(" ")
        arg = arg.strip()
        if not word:
            return
        if word in ("ns", "ctx"):
            if not arg:
                what = "namespace" if word == "ns" else "context"
                toast(self, f":{word} needs a {what} name", severity="warning")
                return
            self.switch_to(word, arg)
            return
        if word == "events" and arg:
            if self._known(arg):
                await self.run_action(f"show_events({arg!r})")
            return
        if word in COLON_COMMANDS:
            await self.run_action(screen_action(COLON_COMMANDS[word][0]))
            return
        if word in INSTANCE_WORDS:
            self._for_instance(word, arg)
            return
        self.notify(
            f"unknown command :{safe_text(word)} (commands: {', '.join(sorted(COLON_COMMANDS))})",
            severity="warning",
            markup=False,
        )

    def _known(self, name: str | None) -> bool:
        if name and name in self.query_one(InstanceList).views:
            return True
        toast(self, f"no instance named {safe_text(name or '')!r}", severity="warning")
        return False

    def _for_instance(self, word: str, arg: str) -> None:
        name = arg or self.query_one(InstanceList).selected_name
        if not self._known(name):
            return
        assert name is not None
        run_for = getattr(self, "run_for", None)
        if run_for is not None:
            run_for(name, INSTANCE_WORDS[word])

    @work(exclusive=True, group="switch", exit_on_error=False)
    async def switch_to(self, word: str, arg: str) -> None:
        """Check the namespace or context, open services there, then hand them to the app."""
        from claworc_tui.services.switch import switch

        app: _SwitchingApp = self.app  # type: ignore[assignment]
        what = "namespace" if word == "ns" else "context"
        try:
            if word == "ns":
                new = await switch(app.services, namespace=arg)
            else:
                new = await switch(app.services, context=arg)
        except ClaworcError as exc:
            self.notify(
                safe_text(str(exc)),
                title=f"Still on the same {what}",
                severity="error",
                markup=False,
            )
            return
        toast(self, f"switched to {what} {arg}", timeout=4)
        # The app does the swap: it replaces this screen, which would cancel this worker.
        self.app.call_later(app.switch_services, new)
