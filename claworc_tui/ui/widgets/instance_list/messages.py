"""What the instance list posts (``InstanceList.Selected`` etc.; handlers are named
``on_instance_list_selected`` as for messages nested in the widget)."""

from __future__ import annotations

from textual.message import Message


class Selected(Message, namespace="instance_list"):
    """The cursor moved to another instance (None: the list is empty)."""

    def __init__(self, name: str | None) -> None:
        super().__init__()
        self.name = name


class Opened(Message, namespace="instance_list"):
    """The user pressed enter (or double-clicked) on an instance."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name


class MarksChanged(Message, namespace="instance_list"):
    """The set of marked instances changed."""

    def __init__(self, marked: frozenset[str]) -> None:
        super().__init__()
        self.marked = marked
