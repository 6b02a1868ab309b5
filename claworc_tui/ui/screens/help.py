"""The ``?`` help: every key, generated from the bindings of the screen and its widgets."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.dom import DOMNode
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from claworc_tui.ui.text import plain
from claworc_tui.ui.widgets.tones import TONE_CLASSES, tone_style, toned

Section = tuple[str, list[tuple[tuple[str, ...], str, bool]]]
"""A titled list of (keys, description, enabled)."""


def describe(
    app: App[object],
    title: str,
    bindings: Iterable[BindingType],
    node: DOMNode | None = None,
) -> Section:
    """One help section from a BINDINGS list; keys bound to one action are shown together.

    Args:
        app: The app (formats the keys).
        title: Section title.
        bindings: The BINDINGS.
        node: When given, its ``check_action`` marks disabled actions.
    """
    merged: dict[str, tuple[list[str], str, bool]] = {}
    for binding in Binding.make_bindings(bindings):
        if not binding.description:
            continue
        keys, _, _ = merged.setdefault(binding.action, ([], binding.description, True))
        display = app.get_key_display(binding)
        if display not in keys:
            keys.append(display)
        if node is not None:
            name = binding.action.split("(", 1)[0]
            enabled = node.check_action(name, ()) is True
            merged[binding.action] = (keys, binding.description, enabled)
    return title, [(tuple(keys), text, enabled) for keys, text, enabled in merged.values()]


def main_sections(
    app: App[object],
    screen: DOMNode | None = None,
    app_bindings: Iterable[BindingType] | None = None,
) -> list[Section]:
    """The keys of the main screen by section: what ``?`` shows and the README's key table.

    Args:
        app: The app (formats the keys; its BINDINGS are the "Everywhere" section).
        screen: The main screen, when shown: its ``check_action`` marks disabled actions.
        app_bindings: The app's bindings, when ``app`` is only a formatter (the README).
    """
    from claworc_tui.ui.screens.command_line import CommandMode
    from claworc_tui.ui.screens.fleet_actions import FleetActions
    from claworc_tui.ui.screens.main import MainScreen
    from claworc_tui.ui.screens.reach import ReachActions
    from claworc_tui.ui.widgets.activity_pane import ActivityPane
    from claworc_tui.ui.widgets.instance_list import InstanceList
    from claworc_tui.ui.widgets.log_pane import LogPane

    return [
        describe(app, "Instances", [*MainScreen.BINDINGS, *FleetActions.BINDINGS], screen),
        describe(
            app,
            "Reach into an instance, commands",
            [*ReachActions.BINDINGS, *CommandMode.BINDINGS],
            screen,
        ),
        describe(app, "Instance list", InstanceList.BINDINGS),
        describe(app, "Log pane (l)", LogPane.BINDINGS),
        describe(app, "Activity pane (a)", ActivityPane.BINDINGS),
        describe(app, "Everywhere", app.BINDINGS if app_bindings is None else app_bindings),
    ]


def markdown_table(sections: Sequence[Section]) -> str:
    """The sections as one Markdown table (the README's key table is generated from it)."""
    lines = ["| where | key | action |", "|---|---|---|"]
    for title, rows in sections:
        for keys, text, _ in rows:
            shown = " ".join(f"`{key}`" for key in keys)
            lines.append(f"| {title} | {shown} | {text} |")
    return "\n".join(lines)


class HelpModal(ModalScreen[None]):
    """Lists keys by section."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close"),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = set(TONE_CLASSES)

    def __init__(self, sections: Sequence[Section], note: str | None = None) -> None:
        """Create the help.

        Args:
            sections: What to list.
            note: A line shown above the keys (e.g. why actions are disabled).
        """
        super().__init__()
        self._sections = sections
        self._note = note

    @classmethod
    def for_screen(cls, screen: DOMNode) -> HelpModal:
        """Help for the main screen: its keys, the list's, the panes', and the app's."""
        from claworc_tui.ui.screens.main import MainScreen

        sections = main_sections(screen.app, screen)
        note = None
        if isinstance(screen, MainScreen) and screen.ctx.read_only_reason:
            note = f"Read-only: {screen.ctx.read_only_reason}. Greyed actions are disabled."
        return cls(sections, note)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -wide", id="help-dialog"):
            yield Label("Keys", classes="dialog-title")
            with VerticalScroll(classes="dialog-body"):
                if self._note:
                    yield Static(toned(self._note, "warn"), classes="help-note")
                for title, rows in self._sections:
                    # Content, not markup: a key such as "[" broke the escaping ("[[/]").
                    lines = [plain(title, "bold")]
                    for keys, text, enabled in rows:
                        line = Content.assemble(
                            "  ",
                            toned("/".join(keys).rjust(14), "accent", bold=True),
                            "  ",
                            plain(text),
                        )
                        if not enabled:
                            line = Content.assemble(line, " (disabled)").stylize(tone_style("hint"))
                        lines.append(line)
                    yield Static(Content("\n").join(lines), classes="help-section")
            yield Label("escape closes · ctrl+p finds any command", classes="dialog-hint")

    def action_close(self) -> None:
        """Close the help."""
        self.dismiss(None)
