"""The events of a live list-and-watch, whatever is watched (Kubernetes objects through
:mod:`claworc_tui.k8s.informer`, or a Docker engine's containers and events): a snapshot, then
changes, and the state of the stream between them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, Literal, TypeVar

T = TypeVar("T")


class StreamState(StrEnum):
    """Where a live stream is."""

    LIVE = "live"
    RECONNECTING = "reconnecting"
    UNREACHABLE = "unreachable"
    """Still retrying, but it has failed often enough that the user should know."""
    FAILED = "failed"
    """The server refuses us (credentials, RBAC): retried slowly, the user has to act."""


@dataclass(frozen=True)
class Synced(Generic[T]):
    """A complete snapshot: replace what you had. Sent first, and again after every re-list."""

    objects: dict[str, T]
    resource_version: str


@dataclass(frozen=True)
class Changed(Generic[T]):
    """One object was added, changed or deleted since the last event."""

    type: Literal["ADDED", "MODIFIED", "DELETED"]
    name: str
    obj: T


@dataclass(frozen=True)
class StreamStateChanged:
    """The stream went live, is reconnecting, or is refused."""

    state: StreamState
    reason: str | None = None
    attempt: int = 0  # failures in a row so far
    retry_in: float | None = None  # seconds until the next try


InformerEvent = Synced[T] | Changed[T] | StreamStateChanged
