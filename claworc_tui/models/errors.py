"""Errors every layer may raise. Messages are written for the user and never carry a key."""

from __future__ import annotations

import re
from typing import Self

from claworc_tui.models.remedy import Advice


class ClaworcError(Exception):
    """Base of every error the app reports to the user.

    ``str(error)`` says what happened; :attr:`advice` what the user can do about it, as data
    that the CLI and the TUI each word for their user (see :mod:`claworc_tui.models.remedy`).
    """

    advice: tuple[Advice, ...] = ()

    def advising(self, *advice: Advice) -> Self:
        """This error with ``advice`` added (for ``raise SomeError(...).advising(...)``)."""
        self.advice = (*self.advice, *advice)
        return self

    def carrying(self, cause: BaseException) -> Self:
        """This error with the advice of ``cause``, an error it quotes in its message."""
        return self.advising(*getattr(cause, "advice", ()))


class ValidationFailed(ClaworcError):
    """Bad input, caught at the point of entry. Nothing was changed."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class NameTaken(ValidationFailed):
    """The derived instance name already belongs to another instance."""

    def __init__(self, name: str) -> None:
        super().__init__("display_name", f"an instance named {name} already exists")
        self.name = name


class PortRangeExhausted(ClaworcError):
    """Every NodePort pair in the configured range is in use."""

    def __init__(self, start: int, end: int, pairs: int) -> None:
        super().__init__(f"all {pairs} port pairs in {start}-{end} are in use")
        self.start = start
        self.end = end
        self.pairs = pairs


class PortsTaken(ClaworcError):
    """A port pair asked for exactly (``adopt``) is held by another record of this database."""

    def __init__(self, chrome: int, terminal: int, holder: str) -> None:
        super().__init__(f"ports {chrome},{terminal} are already recorded for {holder}")
        self.holder = holder


class InstanceNotFound(ClaworcError):
    """No instance has that name (or id)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"no instance named {name}")
        self.name = name


class DatabaseError(ClaworcError):
    """The database file cannot be used (corrupt, not SQLite, not writable)."""


class WrongEncryptionKey(ClaworcError):
    """The stored keys were sealed with another Fernet key."""

    def __init__(self) -> None:
        super().__init__(
            "this database was encrypted with a different key "
            "(set CLAWORC_FERNET_KEY or restore the key file that belongs to it)"
        )


def from_pydantic(exc: Exception) -> ValidationFailed:
    """The first error of a pydantic ``ValidationError`` as a message that names its field.

    Our own validators already put the field and value in the message (``cpu_limit "2 cores"
    is not a Kubernetes quantity``); pydantic's built-in ones do not ("String should have at
    least 1 character"), so those get the field in front.
    """
    errors = getattr(exc, "errors", None)
    if errors is None:
        return ValidationFailed("input", str(exc))
    first = errors()[0]
    message = str(first["msg"]).removeprefix("Value error, ")
    if first["loc"]:
        leaf = str(first["loc"][-1])
    else:
        # A model-level check (request <= limit) has no location; its message starts with
        # the field it is about.
        match = re.match(r"[a-z_]+", message)
        leaf = match.group(0) if match else "input"
    if leaf not in message:
        message = f"{leaf}: {message}"
    return ValidationFailed(leaf, message)
