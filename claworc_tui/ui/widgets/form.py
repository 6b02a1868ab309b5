"""Small form pieces shared by the create form and the settings screen."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, Static

from claworc_tui.ui.text import plain
from claworc_tui.ui.widgets.field import Field

#: The fields of ``Resources``, in the order the forms show them.
RESOURCE_FIELDS = ("cpu_request", "cpu_limit", "memory_request", "memory_limit")

#: Tab and shift+tab of a form, as priority bindings: resolved as the key arrives. As ordinary
#: bindings, tab moved the focus only after the field had seen it, and keys typed right after
#: it (80 ms apart) had already been handed to the field being left.
FIELD_FOCUS_BINDINGS: list[BindingType] = [
    Binding("tab", "app.focus_next", "Next field", show=False, priority=True),
    Binding("shift+tab", "app.focus_previous", "Previous field", show=False, priority=True),
]


class FieldError(Static):
    """An inline error under a field; hidden while empty."""

    def set(self, message: str | None) -> None:
        """Show ``message`` (as text: it may quote what was typed), or hide when None."""
        self.update(plain(message or "", multiline=True))
        self.display = bool(message)


def field_row(fields: Sequence[tuple[str, str, str]], *, password: bool = False) -> ComposeResult:
    """A row of labelled compact inputs: ``(id, label, value)`` each.

    Args:
        fields: Input id, label above it, and the prefilled value.
        password: Mask what is typed.
    """
    with Horizontal(classes="field-row"):
        for field_id, label, value in fields:
            with Vertical(classes="field-cell"):
                yield Label(label, classes="field-label")
                yield Field(value, id=field_id, compact=True, password=password)
