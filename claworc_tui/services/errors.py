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

__all__ = [
    "ClaworcError",
    "DatabaseError",
    "InstanceNotFound",
    "LiveStatusUnavailable",
    "NameTaken",
    "OperationFailed",
    "OperationInProgress",
    "PortRangeExhausted",
    "ReadOnlyMode",
    "ValidationFailed",
    "WrongEncryptionKey",
]


class OperationInProgress(ClaworcError):
    """Another operation on the same instance is running; this one was refused."""

    def __init__(self, name: str, operation: str) -> None:
        super().__init__(f"{name} is busy: {operation} is still running")
        self.name = name
        self.operation = operation


class OperationFailed(ClaworcError):
    """A lifecycle operation failed at a step; says what was rolled back or left behind."""

    def __init__(self, name: str, operation: str, step: str, reason: str, cleanup: str) -> None:
        super().__init__(f"{operation} of {name} failed at step {step!r}: {reason}. {cleanup}")
        self.name = name
        self.operation = operation
        self.step = step
        self.reason = reason
        self.cleanup = cleanup


class ReadOnlyMode(ClaworcError):
    """The app runs read-only (flag or RBAC) and was asked to change something."""

    def __init__(self, action: str, why: str = "the app runs with --read-only") -> None:
        super().__init__(f"cannot {action}: {why}")
        self.action = action


class LiveStatusUnavailable(ClaworcError):
    """The cluster did not answer the pod list in time: no status can be told truthfully."""

    def __init__(self, seconds: float, reason: str | None) -> None:
        why = f": {reason}" if reason else ""
        super().__init__(f"no live status: the cluster did not answer within {seconds:g} s{why}")
        self.reason = reason
