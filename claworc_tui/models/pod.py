"""A pod as the app shows it, whatever runs it (Kubernetes, or a container on Docker)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class PodInfo(BaseModel):
    """One pod, reduced to what the instance list and detail pane show."""

    model_config = ConfigDict(frozen=True)

    name: str
    instance: str | None
    """The ``app`` label: the instance the pod belongs to."""
    phase: str
    """Pending, Running, Succeeded, Failed or Unknown."""
    reason: str
    """The one word a user needs, like kubectl's STATUS column: Running, ContainerCreating,
    ImagePullBackOff, ErrImagePull, CrashLoopBackOff, OOMKilled, Error, Completed,
    CreateContainerConfigError, Unschedulable, Terminating ..."""
    message: str | None = None
    """The message that goes with ``reason`` (e.g. the back-off or scheduling message)."""
    ready: bool
    restart_count: int
    last_termination_reason: str | None = None
    last_termination_message: str | None = None
    last_exit_code: int | None = None
    started_at: datetime | None = None
    """When the current container started running."""
    created_at: datetime | None = None
    terminating: bool = False
    """True once the pod has a deletionTimestamp."""
    node: str | None = None
