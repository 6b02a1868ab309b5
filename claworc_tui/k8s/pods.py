"""Pods as the user needs to see them: :class:`~claworc_tui.models.pod.PodInfo` from the API's
JSON (the watch of them is a :mod:`.informer`)."""

from __future__ import annotations

from claworc_tui.k8s.manifests import CONTAINER
from claworc_tui.k8s.objects import Json, parse_time
from claworc_tui.models.pod import PodInfo


def _main_status(statuses: list[Json]) -> Json:
    main = next((s for s in statuses if s.get("name") == CONTAINER), None)
    return main or (statuses[0] if statuses else {})


def pod_reason(doc: Json) -> tuple[str, str | None]:
    """The kubectl-style status of a pod and its message.

    Follows kubectl's ``printPod``: the pod phase (or ``status.reason``, e.g. Evicted), replaced by
    a waiting or terminated container's reason, ``Terminating`` once deletion started. We add
    ``Unschedulable`` for a pending pod the scheduler rejected, which kubectl shows as Pending.
    """
    status = doc.get("status") or {}
    reason = str(status.get("reason") or status.get("phase") or "Unknown")
    message = status.get("message")
    if status.get("phase") == "Pending":
        for cond in status.get("conditions") or []:
            if cond.get("type") == "PodScheduled" and cond.get("reason") == "Unschedulable":
                reason, message = "Unschedulable", cond.get("message")
    for init in status.get("initContainerStatuses") or []:
        state = init.get("state") or {}
        term = state.get("terminated")
        if term and term.get("exitCode") == 0:
            continue
        waiting = state.get("waiting")
        if term:
            reason, message = f"Init:{term.get('reason') or 'Error'}", term.get("message")
        elif waiting and waiting.get("reason") and waiting["reason"] != "PodInitializing":
            reason, message = f"Init:{waiting['reason']}", waiting.get("message")
        else:
            reason = "PodInitializing"
        break
    has_running = False
    for cstatus in reversed(status.get("containerStatuses") or []):
        state = cstatus.get("state") or {}
        waiting, term = state.get("waiting"), state.get("terminated")
        if waiting and waiting.get("reason"):
            reason, message = waiting["reason"], waiting.get("message")
        elif term and term.get("reason"):
            reason, message = term["reason"], term.get("message")
        elif term:
            signal = term.get("signal")
            reason = f"Signal:{signal}" if signal else f"ExitCode:{term.get('exitCode')}"
            message = term.get("message")
        elif cstatus.get("ready") and state.get("running") is not None:
            has_running = True
    if reason == "Completed" and has_running:
        reason = "Running"
    if (doc.get("metadata") or {}).get("deletionTimestamp"):
        reason = "Terminating"
    return reason, message


def parse_pod(doc: Json) -> PodInfo:
    """Summarise a pod from its API JSON."""
    meta = doc.get("metadata") or {}
    spec = doc.get("spec") or {}
    status = doc.get("status") or {}
    main = _main_status(status.get("containerStatuses") or [])
    last = (main.get("lastState") or {}).get("terminated") or {}
    running = (main.get("state") or {}).get("running") or {}
    ready_cond = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), None)
    ready = ready_cond.get("status") == "True" if ready_cond else bool(main.get("ready"))
    reason, message = pod_reason(doc)
    return PodInfo(
        name=str(meta.get("name", "")),
        instance=(meta.get("labels") or {}).get("app"),
        phase=str(status.get("phase") or "Unknown"),
        reason=reason,
        message=message,
        ready=ready and not meta.get("deletionTimestamp"),
        restart_count=int(main.get("restartCount") or 0),
        last_termination_reason=last.get("reason"),
        last_termination_message=last.get("message"),
        last_exit_code=last.get("exitCode"),
        started_at=parse_time(running.get("startedAt")),
        created_at=parse_time(meta.get("creationTimestamp")),
        terminating=bool(meta.get("deletionTimestamp")),
        node=spec.get("nodeName"),
    )
