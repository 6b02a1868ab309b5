"""Merging the database record with the live pod into what the user reads.

The database is the source of truth for configuration and for what we *asked* for (running or
stopped); the pod is the source of truth for what is happening. While one of our operations runs,
the database status (``creating``, ``stopping`` …) wins, because the pod lags behind it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from claworc_tui.models.instance import Instance, InstanceStatus
from claworc_tui.models.pod import PodInfo
from claworc_tui.services.views import InstanceView, Tone

#: Pod reasons that mean something is wrong and the user should look.
ERROR_REASONS = frozenset(
    {
        "CrashLoopBackOff",
        "OOMKilled",
        "Error",
        "ImagePullBackOff",
        "ErrImagePull",
        "InvalidImageName",
        "CreateContainerConfigError",
        "CreateContainerError",
        "RunContainerError",
        "Unschedulable",
        "Failed",
        "Evicted",
    }
)
#: Pod reasons that mean "on its way".
BUSY_REASONS = frozenset(
    {"Pending", "ContainerCreating", "PodInitializing", "Terminating", "Unknown"}
)


def current_pod(pods: Iterable[PodInfo]) -> PodInfo | None:
    """The pod that stands for the instance: a live one before a terminating one, newest first.

    During a Recreate restart an instance briefly has its old pod (Terminating) and, right
    after, the new one; the new one is what the user cares about.
    """
    ordered = sorted(
        pods,
        key=lambda p: (not p.terminating, p.created_at.timestamp() if p.created_at else 0.0),
        reverse=True,
    )
    return ordered[0] if ordered else None


def _pod_status(pod: PodInfo) -> tuple[str, Tone]:
    reason = pod.reason
    if reason == "CrashLoopBackOff" and pod.last_termination_reason in ("OOMKilled", "Error"):
        return f"CrashLoopBackOff ({pod.last_termination_reason})", Tone.ERROR
    if reason in ERROR_REASONS or reason.startswith(("Init:", "Signal:", "ExitCode:")):
        return reason, Tone.ERROR
    if reason == "Running":
        return ("Running", Tone.OK) if pod.ready else ("Running (not ready)", Tone.BUSY)
    if reason in BUSY_REASONS:
        return reason, Tone.BUSY
    if reason == "Completed":
        return reason, Tone.WARN
    return reason, Tone.WARN


def merge(
    instance: Instance,
    pods: Iterable[PodInfo],
    *,
    known: bool = True,
    stale_since: datetime | None = None,
) -> InstanceView:
    """The row for ``instance`` given its pods (zero, one, or two during a restart).

    Args:
        instance: The record.
        pods: Its pods as the watch knows them.
        known: False until the pods were listed once: no pod then means "not known yet".
        stale_since: When the watch was lost, if it is: the status is the last one known.
    """
    pod = current_pod(pods)
    base = {
        "stale_since": stale_since,
        "instance": instance,
        "pod_name": pod.name if pod else None,
        "node": pod.node if pod else None,
        "restarts": pod.restart_count if pod else 0,
        "ready": bool(pod and pod.ready),
        "ready_text": f"{1 if pod and pod.ready else 0}/{1 if pod else 0}",
        "last_termination": pod.last_termination_reason if pod else None,
        "started_at": pod.started_at if pod else None,
    }
    db = instance.status
    if db is InstanceStatus.ERROR:
        return InstanceView(**base, status="error", tone=Tone.ERROR, reason=instance.status_detail)
    if db in (
        InstanceStatus.CREATING,
        InstanceStatus.STARTING,
        InstanceStatus.STOPPING,
        InstanceStatus.RESTARTING,
        InstanceStatus.DELETING,
    ):
        detail = instance.op_step and f"step: {instance.op_step}"
        return InstanceView(**base, status=db.value, tone=Tone.BUSY, reason=detail)
    if db is InstanceStatus.STOPPED:
        # A pod still there is on its way out; a container that has exited or was never
        # started (Docker keeps a stopped container) is simply stopped.
        if pod is not None and pod.phase not in ("Succeeded", "Failed") and pod.reason != "Created":
            return InstanceView(**base, status="Terminating", tone=Tone.BUSY)
        return InstanceView(**base, status="Stopped", tone=Tone.MUTED)
    # RUNNING: replicas 1 was asked for.
    if pod is None and not known:
        return InstanceView(
            **base, status="unknown", tone=Tone.MUTED, reason="the cluster has not answered yet"
        )
    if pod is None:
        return InstanceView(
            **base, status="Pending", tone=Tone.BUSY, reason="waiting for the pod to be created"
        )
    status, tone = _pod_status(pod)
    reason = pod.message or pod.last_termination_message
    return InstanceView(**base, status=status, tone=tone, reason=reason)
