"""App-wide messages. Widget-specific intents live in the widget that posts them."""

from __future__ import annotations

from textual.message import Message


class ServiceFailed(Message):
    """A service call failed. Handled in one place, by the app (notify, or a modal)."""

    def __init__(self, op: str, error: BaseException, *, destructive: bool = False) -> None:
        """Create the message.

        Args:
            op: What was being done, for the user (``"restart bot-alpha"``).
            error: The exception; its message is written for the user.
            destructive: True when the operation deletes or rolls back things, so the
                failure deserves a modal instead of a toast.
        """
        super().__init__()
        self.op = op
        self.error = error
        self.destructive = destructive


class OperationDone(Message):
    """A change went through; screens refresh what depends on it (activity, details)."""

    def __init__(self, op: str, names: tuple[str, ...] = ()) -> None:
        """Create the message.

        Args:
            op: What was done.
            names: The instances it touched.
        """
        super().__init__()
        self.op = op
        self.names = names
