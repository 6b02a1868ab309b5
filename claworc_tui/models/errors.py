"""Errors every layer may raise. Messages are written for the user and never carry a key."""

from __future__ import annotations


class ClaworcError(Exception):
    """Base of every error the app reports to the user."""


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
