"""A text field that edits in the order the keys were typed.

Textual's ``Input`` inserts a printable key as soon as the key reaches it, but runs its editing
keys (backspace, delete, the cursor moves, enter …) through its bindings, which are looked up
only when the key has bubbled back up to the app. In a burst — fast typing over SSH, a paste of
keys, tmux — the letters typed *after* a backspace reach the field first, and the backspace then
deletes the wrong character: ``abcx⌫d`` became ``abcx``. A name typed that way into the create
form or the delete confirmation is not the name that was typed. :class:`Field` runs those keys
itself when they reach it, in order; everything else is the ``Input`` it is.
"""

from __future__ import annotations

from textual import events
from textual.binding import Binding
from textual.widgets import Input

#: The editing keys of ``Input`` (clipboard keys stay with their bindings: ctrl+c must stay
#: the app's own).
_CLIPBOARD = {"cut", "copy", "paste"}
EDIT_KEYS: dict[str, str] = {
    key.strip(): binding.action
    for binding in Input.BINDINGS
    if isinstance(binding, Binding) and binding.action not in _CLIPBOARD
    for key in binding.key.split(",")
}


class Field(Input):
    """An ``Input`` whose editing keys take effect in the order they were typed."""

    async def _on_key(self, event: events.Key) -> None:
        action = EDIT_KEYS.get(event.key)
        if action is None:
            return  # Input's own handler (printable keys) runs next
        event.stop()
        event.prevent_default()
        await self.run_action(action)
