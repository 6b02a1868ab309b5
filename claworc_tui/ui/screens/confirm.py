"""Confirmation modals. Cancel is focused first: no destructive action on a single key press."""

from __future__ import annotations

import time
from typing import ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from claworc_tui.models.text import safe_text
from claworc_tui.services.views import ObjectRow
from claworc_tui.ui.text import fmt, plain, stacked
from claworc_tui.ui.widgets.field import Field
from claworc_tui.ui.widgets.form import FieldError
from claworc_tui.ui.widgets.tones import TONE_CLASSES, toned


class ConfirmModal(ModalScreen[bool]):
    """Yes or no. ``y`` confirms, ``n`` or escape cancels, and Cancel starts focused."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,n", "cancel", "Cancel"),
        Binding("y", "confirm_key", "Yes"),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = set(TONE_CLASSES)
    """A body may show tones (a config diff, a warning)."""

    def __init__(
        self, title: str, body: Content | str, confirm: str = "Confirm", *, danger: bool = False
    ) -> None:
        """Create the modal.

        Args:
            title: What is being asked (shown as text, never markup).
            body: Details: Content as built (``ui.text.fmt``), or a str shown as text.
            confirm: Label of the confirm button.
            danger: Draw the confirm button as destructive.
        """
        super().__init__()
        self._title = plain(title)
        self._body = body if isinstance(body, Content) else plain(body, multiline=True)
        self._confirm = safe_text(confirm)
        self._danger = danger
        self._asked_at = time.monotonic()

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self._title, classes="dialog-title")
            with VerticalScroll(classes="dialog-body"):
                yield Static(self._body)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button(
                    f"{self._confirm} (y)",
                    id="confirm",
                    variant="error" if self._danger else "primary",
                )

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#cancel", Button))

    def on_key(self, event: events.Key) -> None:
        # Keys typed before this question existed (type-ahead, a paste) must not answer it:
        # a stray "y" would confirm something nobody has read.
        if event.time < self._asked_at:
            event.stop()
            event.prevent_default()

    def action_confirm_key(self) -> None:
        """``y``: say yes, unless that key was typed before this question was shown."""
        # A burst ("xy" over SSH) hands "y" to the list before this modal exists; it bubbles
        # back to the app after the modal is up and would run this binding: on_key above never
        # sees it. The app notes when the key being handled was typed.
        typed_at = getattr(self.app, "key_typed_at", None)
        if typed_at is not None and typed_at < self._asked_at:
            return
        self.dismiss(True)

    @on(Button.Pressed, "#confirm")
    def action_confirm(self) -> None:
        """Say yes."""
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        """Say no."""
        self.dismiss(False)


class DeleteModal(ModalScreen[bool]):
    """Lists every object a delete destroys; confirmed only by typing the instance name."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    COMPONENT_CLASSES: ClassVar[set[str]] = set(TONE_CLASSES)

    def __init__(self, name: str, plan: list[ObjectRow]) -> None:
        """Create the modal.

        Args:
            name: The instance to delete.
            plan: Every object the delete will destroy.
        """
        super().__init__()
        self._instance = name
        self._plan = plan

    def compose(self) -> ComposeResult:
        rows = [Content("These objects will be destroyed:")]
        for row in self._plan:
            line = fmt("  • $kind $name", kind=f"{row.kind:<22}", name=row.name)
            if not row.ok:
                line = Content.assemble(line, " ", toned("(already missing)", "hint"))
            rows.append(line)
        pvcs = sum(
            1
            for row in self._plan
            if row.kind.lower().startswith("persistentvolumeclaim") or row.kind.lower() == "pvc"
        )
        # The Docker backend's plan lists volumes, not PVCs.
        what = "volumes" if any(row.kind == "Volume" for row in self._plan) else "PVCs"
        with Vertical(classes="dialog -danger", id="delete-dialog"):
            yield Label(plain(f"Delete {self._instance}?"), classes="dialog-title")
            with VerticalScroll(classes="dialog-body"):
                yield Static(
                    stacked(
                        *rows,
                        Content(),
                        toned(
                            f"The {pvcs or 'four'} {what} hold the bot's data (config, Homebrew, "
                            "workspace, Chrome profile). It cannot be recovered.",
                            "error",
                            bold=True,
                        ),
                    )
                )
            yield Label(fmt("Type [b]$name[/b] to confirm:", name=self._instance))
            yield Field(
                placeholder=safe_text(self._instance), id="confirm-name", select_on_focus=False
            )
            yield FieldError(classes="field-error", id="confirm-name-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Delete", id="confirm", variant="error", disabled=True)

    def on_mount(self) -> None:
        self.query_one("#confirm-name-error", FieldError).set(None)
        self.set_focus(self.query_one("#cancel", Button))

    def on_key(self, event: events.Key) -> None:
        # Cancel starts focused; typing the name should still just work, so the first
        # printable key moves into the field instead of being lost.
        field = self.query_one("#confirm-name", Input)
        if event.key == "enter" and self.focused is self.query_one("#cancel", Button):
            # Enter on the initial Cancel closed the dialog, and the rest of the name being
            # typed then reached the list as commands ("o" sorted, "t" copied a URL). Enter
            # leads to the field instead; escape (or a click on Cancel) cancels.
            event.stop()
            event.prevent_default()
            self.set_focus(field)
            return
        if event.is_printable and event.character:
            # A printable key the field did not take itself: typed before the focus reached
            # it. In a fast burst (a paste, SSH) the app hands the whole name and the Enter to
            # the widget focused when they arrive, Cancel, before the first key has moved the
            # focus; each comes here, in order. set_focus (not focus(), which waits for the
            # next idle) so that the Enter after the name finds the field and submits: it
            # used to be taken for "Enter on Cancel" above and did nothing.
            event.stop()
            event.prevent_default()
            self.set_focus(field)
            field.insert_text_at_cursor(event.character)

    @on(Input.Changed, "#confirm-name")
    def _check_name(self, event: Input.Changed) -> None:
        self.query_one("#confirm", Button).disabled = event.value.strip() != self._instance
        self.query_one("#confirm-name-error", FieldError).set(None)  # said for what was typed

    @on(Input.Submitted, "#confirm-name")
    @on(Button.Pressed, "#confirm")
    def _confirm(self) -> None:
        typed = self.query_one("#confirm-name", Input).value.strip()
        if typed == self._instance:
            self.dismiss(True)
            return
        # Enter with another name: say so where the name is typed, and delete nothing (a
        # silent Enter read as "it did not hear me", and the user pressed it again).
        self.query_one("#confirm-name-error", FieldError).set(
            f"Type {self._instance} exactly to delete it; nothing was deleted."
            if not typed
            else f"“{typed}” is not {self._instance}; nothing was deleted."
        )

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        """Keep the instance."""
        self.dismiss(False)
