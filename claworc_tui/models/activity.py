"""Entries of the append-only activity log."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Outcome(StrEnum):
    """How an action ended."""

    OK = "ok"
    FAILED = "failed"
    CANCELLED = "cancelled"
    STARTED = "started"


class ApiCall(BaseModel):
    """One Kubernetes API request: recorded by the transport for every call (request counting,
    the activity log), and kept with the action that made it."""

    model_config = ConfigDict(frozen=True)

    verb: str
    resource: str
    name: str | None = None
    namespace: str | None = None
    status: int | None = None
    """HTTP status, or None when no answer came back."""
    duration_ms: float = 0.0
    """Milliseconds until the response headers (for streams) or the whole body arrived."""
    error: str | None = None
    """The reason of a failure (``NotFound``, ``ClientConnectorError`` ...)."""


class ActivityEntry(BaseModel):
    """One line of the activity log. Never holds a key."""

    model_config = ConfigDict(frozen=True)

    id: int
    at: datetime
    instance: str | None
    action: str
    outcome: Outcome
    detail: str | None = None
    calls: tuple[ApiCall, ...] = ()
