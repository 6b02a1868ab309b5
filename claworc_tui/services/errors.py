"""Errors of the service layer (re-exported from models so callers import one place)."""

from __future__ import annotations

from claworc_tui.models.errors import (
    ClaworcError,
    DatabaseError,
    InstanceNotFound,
    NameTaken,
    PortRangeExhausted,
    ValidationFailed,
    WrongEncryptionKey,
)
from claworc_tui.models.remedy import Advice, Remedy

__all__ = [
    "Advice",
    "ClaworcError",
    "DatabaseError",
    "InstanceNotFound",
    "LiveStatusUnavailable",
    "NameTaken",
    "OperationFailed",
    "OperationInProgress",
    "PortRangeExhausted",
    "ReadOnlyMode",
    "Remedy",
    "ValidationFailed",
    "WrongEncryptionKey",
]


class OperationInProgress(ClaworcError):
    """Another operation on the same instance is running; this one was refused."""

    def __init__(self, name: str, operation: str) -> None:
        super().__init__(f"{name} is busy: {operation} is still running")
        self.name = name
        self.operation = operation


KEPT_IN_ERROR = "The row is kept in 'error'."


def remedy_note(name: str, remedy: Remedy) -> str:
    """The remedy as the record's status detail keeps it, shown by the UI and the CLI alike:
    no key and no command, except ``forget``, which only the CLI has."""
    if remedy is Remedy.FORGET:
        return (
            "; another claworc database owns its objects now: "
            f"`claworc-tui forget {name}` drops this record"
        )
    return "; retry the delete"


class OperationFailed(ClaworcError):
    """A lifecycle operation failed at a step; says what was rolled back or left behind.

    ``remedy`` says what the user can do next, if anything (worded by the UI and the CLI); it
    is in :attr:`advice` too, where a failure may carry more (``.advising(...)``).
    """

    def __init__(
        self,
        name: str,
        operation: str,
        step: str,
        reason: str,
        cleanup: str,
        *,
        remedy: Remedy | None = None,
    ) -> None:
        super().__init__(f"{operation} of {name} failed at step {step!r}: {reason}. {cleanup}")
        self.name = name
        self.operation = operation
        self.step = step
        self.reason = reason
        self.cleanup = cleanup
        self.remedy = remedy
        if remedy is not None:
            self.advice = (Advice(remedy, name),)


READ_ONLY_FLAG = "the app runs with --read-only"
"""The read-only reason of ``--read-only``."""
READS_ONLY = "this command only reads"
"""The read-only reason of a command that only reads."""


def configured_reason(read_only: bool, reads_only: bool = False) -> str | None:
    """Why writes are off before the backend is asked: ``--read-only`` (``read_only``), else a
    command that only reads (``reads_only``); None when neither (RBAC may still deny them)."""
    if read_only:
        return READ_ONLY_FLAG
    return READS_ONLY if reads_only else None


class ReadOnlyMode(ClaworcError):
    """The app runs read-only (flag or RBAC) and was asked to change something."""

    def __init__(self, action: str, why: str = READ_ONLY_FLAG) -> None:
        super().__init__(f"cannot {action}: {why}")
        self.action = action


class LiveStatusUnavailable(ClaworcError):
    """The cluster did not answer the pod list in time: no status can be told truthfully."""

    def __init__(self, seconds: float, reason: str | None) -> None:
        why = f": {reason}" if reason else ""
        super().__init__(f"no live status: the cluster did not answer within {seconds:g} s{why}")
        self.reason = reason
